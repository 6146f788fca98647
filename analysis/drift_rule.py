"""When a change counts as drift: the numbers ``analysis.drift`` detects with and the words
the pages and the PDF state them in, kept here so that both say the same. No numpy here:
the pages import it whether or not the analysis extra is installed."""

from __future__ import annotations

# A second rather than half of one: the running median then rides out the brief swings that
# compression and a turning head leave in a measure. Chosen by replaying seen seeds 41-60 of the
# harder set (benchmarks/replay_drift.py): warped dated 364 -> 367 of 400, clean 395 -> 398, no
# clip lost; 0.8 s and 1.5 s did worse. The onset is dated on the unsmoothed measures.
SMOOTHING_S = 1.0
MIN_DURATION_S = 0.3
# A running median keeps a change only if it fills more than half of it, so the shortest
# change that counts as drift lasts longer than this; the words say so of a briefer one.
MIN_LASTING_S = max(SMOOTHING_S / 2, MIN_DURATION_S)

# How the chart's curve (the smoothed score) decides, in words.
COUNTS_AS_DRIFT = (
    f"The change counts as drift once the score, a running median over {SMOOTHING_S:g} s, "
    f"stays above 1 for at least {MIN_DURATION_S:g} s (so a change that lasts "
    f"{MIN_LASTING_S:g} s or less does not count), or is above 1 on both sides of a stretch "
    "that could not be assessed"
)
