"""Record the drift method's inputs from hard-set clips once, then replay it in seconds.

Decoding, Face Mesh and the flow are most of a clip's analysis; a change confined to
``drift.analyse_face`` does not need them again. ``record`` analyses each clip of
``bench_drift.py --hard`` for a seed and keeps what ``analyse_face`` was given;
``replay`` runs the current ``analyse_face`` on those inputs and prints the hard
benchmark's counts per category and per kind of warp. Tune on seen seeds only and
confirm on held-out ones with ``bench_drift.py --hard`` (see its docstring):
    .venv/bin/python benchmarks/replay_drift.py record --seed 41 --per-category 4 /tmp/replay
    .venv/bin/python benchmarks/replay_drift.py replay /tmp/replay/41-4 [-v]

The kept files are pickles written by this script; replay only files you recorded.
"""

from __future__ import annotations

import argparse
import pickle
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from analysis import drift, run
from benchmarks import clip_scenes
from benchmarks.bench_drift import HardTally


def record(seed: int, per_category: int, out: Path) -> None:
    directory = out / f"{seed}-{per_category}"
    directory.mkdir(parents=True, exist_ok=True)
    measured = drift.analyse_face
    calls: list[tuple[Any, Any, dict[str, Any]]] = []

    def keeping_inputs(times: Any, points: Any, **kwargs: Any) -> drift.FaceDrift | None:
        calls.append((times, points, kwargs))
        return measured(times, points, **kwargs)

    drift.analyse_face = keeping_inputs
    try:
        for spec in clip_scenes.drift_specs(seed, per_category):
            kept = directory / f"{spec.name}.pkl"
            if kept.exists():
                continue
            calls.clear()
            onset = run.analyse_clip_file(clip_scenes.cached(spec)).onset_s
            kept.write_bytes(pickle.dumps({"spec": spec, "calls": list(calls), "onset": onset}))
            print(f"{spec.name:<30} onset {onset}", flush=True)
    finally:
        drift.analyse_face = measured


def replay(directories: list[Path], verbose: bool) -> None:
    tally = HardTally()
    for directory in directories:
        for kept in sorted(directory.glob("*.pkl")):
            recorded = pickle.loads(kept.read_bytes())  # noqa: S301 (our own recordings)
            spec = recorded["spec"]
            faces = [drift.analyse_face(t, p, **kw) for t, p, kw in recorded["calls"]]
            drifts = [face for face in faces if face is not None]
            found = run.reported_onset(drifts)
            peak = max((face.peak_score for face in drifts), default=0.0)
            ok = tally.add(spec, found)
            if verbose or not ok:
                print(
                    f"{directory.name:>8} {spec.name:<30} true {spec.onset_s} found {found}"
                    f" peak {peak:.2f} {'ok' if ok else 'MISS'} (recorded {recorded['onset']})"
                )
    tally.print_summary()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    commands = parser.add_subparsers(dest="command", required=True)
    recording = commands.add_parser("record", help="analyse clips and keep the drift inputs")
    recording.add_argument("--seed", type=int, required=True)
    recording.add_argument("--per-category", type=int, default=4)
    recording.add_argument("out", type=Path)
    replaying = commands.add_parser("replay", help="rerun the drift method on kept inputs")
    replaying.add_argument("dirs", type=Path, nargs="+")
    replaying.add_argument("-v", "--verbose", action="store_true", help="print every clip")
    args = parser.parse_args()
    if args.command == "record":
        record(args.seed, args.per_category, args.out)
    else:
        replay(args.dirs, args.verbose)


if __name__ == "__main__":
    main()
