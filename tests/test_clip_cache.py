"""The benchmarks' clip cache (benchmarks/clip_scenes.py ``cached``): a spec is rendered once,
and the first render kept is the one every run uses."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

pytest.importorskip("cv2", reason="the benchmark clips need the analysis extra")

from benchmarks import clip_scenes


@dataclass(frozen=True)
class Spec:
    name: str
    suffix: str = ".txt"


def test_a_spec_is_rendered_once_and_then_read_from_the_cache(tmp_path):
    drawn = []

    def draw(spec: Spec, path: Path) -> None:
        drawn.append(spec)
        path.write_text(f"render {len(drawn)}")

    first = clip_scenes.cached(Spec("a"), tmp_path, draw)
    again = clip_scenes.cached(Spec("a"), tmp_path, draw)
    other = clip_scenes.cached(Spec("b"), tmp_path, draw)

    assert first == again != other
    assert first.read_text() == "render 1"
    assert len(drawn) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([first.name, other.name])


def test_when_another_run_renders_the_same_spec_first_its_clip_is_used_and_kept(tmp_path):
    spec = Spec("a")
    theirs = []

    def draw(spec: Spec, path: Path) -> None:
        path.write_text("ours")
        # Meanwhile another run finished rendering the same spec (a render differs a
        # little from process to process) and put it in the cache.
        theirs.append(clip_scenes.cached(spec, tmp_path, lambda s, p: p.write_text("theirs")))

    path = clip_scenes.cached(spec, tmp_path, draw)

    assert path == theirs[0]
    assert path.read_text() == "theirs"
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # our render is not left over


def test_a_render_that_fails_leaves_nothing_in_the_cache(tmp_path):
    def draw(spec: Spec, path: Path) -> None:
        path.write_text("half a clip")
        raise RuntimeError("the encoder stopped")

    with pytest.raises(RuntimeError):
        clip_scenes.cached(Spec("a"), tmp_path, draw)

    assert list(tmp_path.iterdir()) == []
