"""The drift tolerances, from the clean clips of the calibration seeds of bench_drift.py.

A measure's tolerance is how far it wanders on a steady face under camera motion:
``MARGIN`` times the largest value its smoothed series reaches in any clean clip of
the calibration seeds (101, 202, 303, 404 and 505; the benchmark reports others). It
is measured twice, on the landmarks followed by optical flow (what drift is measured
on) and on the mesh alone, and the larger counts: where the flow is not trusted the
mesh's positions stand in, and on a flat photograph the flow wanders far less than it
will on a real face. The two sides of the face share one tolerance, the larger side's,
so neither side is favoured by a quirk of the test face. Prints each measure's largest
values, the tolerance they imply and the one in analysis/drift.py MEASURES now.

Clean clips are taken from ``--keep`` (one directory per seed, as bench_drift.py
--keep left them) when there, else rendered into it; about 2 minutes per seed when
rendering. ``--hard`` takes the clean clips of the harder set instead (bench_drift.py
--hard; tuning seeds 401 and 402), where compression, blur, light and turns make the
measures wander more; the frames not assessed (a turned head, a face partly out of the
picture) are left out, as the analysis leaves them out. Run from the project root:
    .venv/bin/python benchmarks/calibrate_drift.py --keep '/tmp/drift-{seed}' [--seeds 101 202]
    .venv/bin/python benchmarks/calibrate_drift.py --hard --keep '/tmp/hard-{seed}' --seeds 401 402
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from analysis import drift
from analysis.run import analyse_clip_file
from benchmarks.bench_drift import load_scene, render_clip, specs

MARGIN = 1.25
CALIBRATION_SEEDS = (101, 202, 303, 404, 505)


def side_of(name: str) -> str:
    """The pair a one-sided measure belongs to: eye_a and eye_b -> eye."""
    return name[:-2] if name.endswith(("_a", "_b")) else name


def clean_clips(args: argparse.Namespace, seed: int, work: Path) -> list[Path]:
    """The seed's clean clips, rendered into ``work`` where missing."""
    paths = []
    if args.hard:
        from benchmarks import clip_scenes

        for scene_spec in clip_scenes.drift_specs(seed):
            if scene_spec.warp is None:
                path = work / f"{scene_spec.name}{scene_spec.suffix}"
                if not path.exists():
                    clip_scenes.render(scene_spec, path)
                paths.append(path)
        return paths
    scene = None
    for spec in specs(args.clips, seed):
        if spec.warp is None:
            path = work / f"{spec.name}.mp4"
            if not path.exists():
                scene = scene or load_scene()
                render_clip(scene, spec, path)
            paths.append(path)
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=list(CALIBRATION_SEEDS))
    parser.add_argument("--clips", type=int, default=30, help="as bench_drift.py; half clean")
    parser.add_argument(
        "--keep", required=True, help="clip directory per seed, {seed} filled in: /tmp/drift-{seed}"
    )
    parser.add_argument("--hard", action="store_true", help="the clean clips of the harder set")
    args = parser.parse_args()
    largest = {source: dict.fromkeys(drift.MEASURES, 0.0) for source in ("flow", "mesh")}
    clean = 0
    per_clip: dict[str, list[float]] = {name: [] for name in drift.MEASURES}
    for seed in args.seeds:
        work = Path(args.keep.format(seed=seed))
        work.mkdir(parents=True, exist_ok=True)
        for path in clean_clips(args, seed, work):
            result = analyse_clip_file(path)
            for face in result.faces:
                d = face.drift
                in_reference = (d.times >= d.reference[0] - 1e-9) & (
                    d.times <= d.reference[1] + 1e-9
                )
                assessed = np.isfinite(d.score)
                mesh = face.normalised * list(result.sample_size)
                _, mesh_smoothed = drift.measure_track(d.times, mesh, in_reference)
                window = drift.smoothing_window(d.times)
                for j, name in enumerate(drift.MEASURES):
                    flow = drift.running_median(d.measurements.size[name], window)[assessed]
                    peak = max(float(flow.max()), float(mesh_smoothed[assessed, j].max()))
                    per_clip[name].append(peak)
                    largest["flow"][name] = max(largest["flow"][name], float(flow.max()))
                    largest["mesh"][name] = max(
                        largest["mesh"][name], float(mesh_smoothed[assessed, j].max())
                    )
            clean += 1
    print(f"Clean clips: {clean} (seeds {', '.join(map(str, args.seeds))}), margin {MARGIN}")
    print(f"{'measure':<14}{'flow':>9}{'mesh':>9}{'pair':>9}{'implied':>9}{'now':>9}{'p90':>9}")
    for name, measure in drift.MEASURES.items():
        pair = max(
            value
            for source in largest.values()
            for other, value in source.items()
            if side_of(other) == side_of(name)
        )
        implied = math.ceil(MARGIN * pair * 1000) / 1000  # rounded up to 0.1 % of the eye distance
        print(
            f"{name:<14}{largest['flow'][name]:>9.4f}{largest['mesh'][name]:>9.4f}{pair:>9.4f}"
            f"{implied:>9.3f}{measure.tolerance:>9.3f}"
            f"{float(np.percentile(per_clip[name], 90)) if per_clip[name] else 0:>9.4f}"
        )
    print("p90: the 90th percentile over the clips of each clip's largest value (flow or mesh).")


if __name__ == "__main__":
    main()
