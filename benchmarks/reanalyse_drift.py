"""Re-analyse clips kept by ``bench_drift.py --keep DIR`` and print the benchmark's table.

Rendering is most of a benchmark run; this skips it, so a change to the drift method
can be tried on the same clips in a minute. Tune on the calibration seeds only (101,
202, 303, 404, 505), never on the seeds the benchmark reports (6 to 10):
    .venv/bin/python benchmarks/bench_drift.py --seed 101 --keep /tmp/drift-101
    .venv/bin/python benchmarks/reanalyse_drift.py --seed 101 /tmp/drift-101

``--seed`` must be the one the clips were rendered with: it gives each clip's truth.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from analysis.run import analyse_clip_file
from benchmarks.bench_drift import ONSET_TOLERANCE_S, specs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("dirs", type=Path, nargs="+", help="directories of kept clips")
    parser.add_argument("--seed", type=int, nargs="+", required=True, help="one per directory")
    parser.add_argument("--clips", type=int, default=30)
    args = parser.parse_args()
    if len(args.seed) != len(args.dirs):
        sys.exit("Give one --seed per directory.")
    hits = warped = quiet = clean = 0
    errors: list[float] = []
    clean_peaks: list[float] = []
    print(f"{'clip':<26}{'warp':>8}{'ramp':>6}{'true':>7}{'found':>7}{'error':>7}{'peak':>9}")
    for seed, work in zip(args.seed, args.dirs, strict=True):
        for spec in specs(args.clips, seed):
            result = analyse_clip_file(work / f"{spec.name}.mp4")
            found = result.onset_s
            peak = max(
                (face.drift.score.max() / face.drift.threshold for face in result.faces),
                default=float("nan"),
            )
            error = ""
            if spec.onset_s is None:
                clean += 1
                quiet += found is None
                clean_peaks.append(peak)
            else:
                warped += 1
                if found is None:
                    error = "miss"
                else:
                    errors.append(abs(found - spec.onset_s))
                    hits += abs(found - spec.onset_s) <= ONSET_TOLERANCE_S
                    error = f"{found - spec.onset_s:+.2f}"
            print(
                f"{seed:>3}/{spec.name:<22}{spec.amount if spec.warp else 0:>8.2f}"
                f"{spec.ramp_s:>6.1f}{'' if spec.onset_s is None else f'{spec.onset_s:.2f}':>7}"
                f"{'' if found is None else f'{found:.2f}':>7}{error:>7}{peak:>9.2f}"
            )
    print()
    print(f"Warped within {ONSET_TOLERANCE_S} s: {hits}/{warped} ({100 * hits / warped:.0f} %)")
    if errors:
        print(f"  onset error: median {statistics.median(errors):.3f} s, max {max(errors):.3f} s")
    print(
        f"Clean quiet: {quiet}/{clean} ({100 * quiet / clean:.0f} %), "
        f"peak score / threshold {min(clean_peaks):.2f}-{max(clean_peaks):.2f}"
    )


if __name__ == "__main__":
    main()
