"""The drift tolerances, from the clean clips of the calibration seeds of bench_drift.py.

A measure's tolerance is how far it wanders on a steady face under camera motion:
``MARGIN`` times the largest value its smoothed series reaches in any clean clip of
the calibration seeds (101 and 202; the benchmark reports other seeds). The two sides
of the face share one tolerance, the larger side's, so neither side is favoured by
a quirk of the test face. Prints each measure's largest value, the tolerance it
implies and the one in analysis/drift.py MEASURES now.

Clean clips are taken from ``--keep`` (one directory per seed, as bench_drift.py
--keep left them) when there, else rendered into it; about 2 minutes per seed when
rendering. Run from the project root:
    .venv/bin/python benchmarks/calibrate_drift.py --keep '/tmp/drift-{seed}' [--seeds 101 202]
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from analysis import drift
from analysis.run import analyse_clip_file
from benchmarks.bench_drift import load_scene, render_clip, specs

MARGIN = 1.25
CALIBRATION_SEEDS = (101, 202)


def side_of(name: str) -> str:
    """The pair a one-sided measure belongs to: eye_a and eye_b -> eye."""
    return name[:-2] if name.endswith(("_a", "_b")) else name


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=list(CALIBRATION_SEEDS))
    parser.add_argument("--clips", type=int, default=30, help="as bench_drift.py; half clean")
    parser.add_argument(
        "--keep", required=True, help="clip directory per seed, {seed} filled in: /tmp/drift-{seed}"
    )
    args = parser.parse_args()
    largest = dict.fromkeys(drift.MEASURES, 0.0)
    scene = None
    clean = 0
    for seed in args.seeds:
        work = Path(args.keep.format(seed=seed))
        work.mkdir(parents=True, exist_ok=True)
        for spec in specs(args.clips, seed):
            if spec.warp is not None:
                continue
            path = work / f"{spec.name}.mp4"
            if not path.exists():
                scene = scene or load_scene()
                render_clip(scene, spec, path)
            for face in analyse_clip_file(path).faces:
                d = face.drift
                window = drift.smoothing_window(d.times)
                for name, values in d.measurements.size.items():
                    peak = float(drift.running_median(values, window).max())
                    largest[name] = max(largest[name], peak)
            clean += 1
    print(f"Clean clips: {clean} (seeds {', '.join(map(str, args.seeds))}), margin {MARGIN}")
    print(f"{'measure':<14}{'largest':>9}{'pair':>9}{'implied':>9}{'now':>9}")
    for name, measure in drift.MEASURES.items():
        pair = max(v for n, v in largest.items() if side_of(n) == side_of(name))
        implied = math.ceil(MARGIN * pair * 1000) / 1000  # rounded up to 0.1 % of the eye distance
        print(
            f"{name:<14}{largest[name]:>9.4f}{pair:>9.4f}{implied:>9.3f}{measure.tolerance:>9.3f}"
        )


if __name__ == "__main__":
    main()
