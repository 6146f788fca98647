"""How a generation ended: the one list both the knowledge base and the wizard use.

A platform's credit rules are recorded per outcome, and the wizard asks for, words and routes
a ticket by it, so the slugs here are shared vocabulary between ``platforms`` and ``tickets``.
"""

from __future__ import annotations

from django.db import models


class Outcome(models.TextChoices):
    ERROR = "error", "It ended in an error"
    DEFECT = "defect", "It finished, but the result is defective"
    MODERATION = "moderation", "It was blocked by moderation"
    STALLED = "stalled", "It stalled or never finished"
    ENTITLEMENT = "entitlement", "It is not what I paid for (watermark, resolution, length, audio)"


# The outcomes that leave a clip to look at. An error, a block or a stall leaves none: nothing
# to take frames from or analyse, and a screenshot shows the screen, not a moment of a clip.
LEAVE_A_CLIP = frozenset({Outcome.DEFECT, Outcome.ENTITLEMENT})
