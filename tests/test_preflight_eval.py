"""How well the pre-flight score agrees with hand-labelled prompts.

Run with ``-s`` to see the figures: ``.venv/bin/python -m pytest -s tests/test_preflight_eval.py``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from platforms.preflight import LEVEL_RANK, load_rules, score_prompt

LABELLED = yaml.safe_load((Path(__file__).parent / "preflight_labelled.yaml").read_text())

# The labels are one person's reading of the seed pages, and the line between yellow and red
# is a judgement call, so a perfect score is not the goal. 85 % still allows a dozen honest
# disagreements out of 80-odd prompts, yet fails when one rule breaks: a broken face gate or
# negation alone would flip the 26 green no-face prompts, a broken clip-length rule most of
# the seed examples.
MIN_ACCURACY = 0.85
MIN_REWRITE_IMPROVEMENT = 0.90


@pytest.fixture
def scored(db) -> list[tuple[dict, object]]:
    rules = load_rules()
    return [
        (
            item,
            score_prompt(
                item["prompt"],
                platform=item["platform"],
                duration_s=item["duration_s"],
                rules=rules,
            )[0],
        )
        for item in LABELLED
    ]


def test_the_labelled_set_is_large_enough_and_covers_every_level():
    assert len(LABELLED) >= 150
    assert {item["expected"] for item in LABELLED} == {"green", "yellow", "red"}
    assert sum(1 for item in LABELLED if item.get("seed")) == 7


def test_the_score_agrees_with_the_labels_often_enough(scored):
    misses = [(item, mode) for item, mode in scored if mode.level != item["expected"]]
    accuracy = 1 - len(misses) / len(scored)
    print(f"\npre-flight accuracy: {len(scored) - len(misses)}/{len(scored)} = {accuracy:.1%}")
    for item, mode in misses:
        print(f"  expected {item['expected']}, got {mode.level} ({mode.score}): {item['prompt']}")
    assert accuracy >= MIN_ACCURACY


def test_every_seed_example_is_yellow_or_red_on_the_platform_where_it_failed(scored):
    for item, mode in scored:
        if item.get("seed"):
            assert mode.level in ("yellow", "red"), item["prompt"]


def test_the_rewrite_of_a_risky_prompt_is_at_least_one_level_lower(scored):
    risky = [(item, mode) for item, mode in scored if mode.level != "green"]
    lower = [
        mode for _, mode in risky if LEVEL_RANK[mode.rewrite_level] <= LEVEL_RANK[mode.level] - 1
    ]
    rate = len(lower) / len(risky)
    print(f"\nrewrite one level lower or better: {len(lower)}/{len(risky)} = {rate:.1%}")
    assert rate >= MIN_REWRITE_IMPROVEMENT


def test_the_labelled_set_covers_the_new_prompt_predictable_modes(scored):
    risky_modes = {mode.failure_mode.slug for _, mode in scored if mode.reasons}
    for slug in [
        "anatomical-malformation",
        "text-rendering-corruption",
        "physical-implausibility",
        "unrequested-camera-motion",
        "temporal-flicker",
        "object-permanence-failure",
        "cross-shot-identity-inconsistency",
        "prompt-non-adherence",
    ]:
        assert slug in risky_modes, slug


def test_no_rewrite_repeats_a_word_or_leaves_stray_punctuation(scored):
    for _, mode in scored:
        if mode.rewrite:
            assert not re.search(r"\b(\w+)\s+\1\b", mode.rewrite, re.IGNORECASE), mode.rewrite
            assert not re.search(r"\s[,.;]|,,|\.\.", mode.rewrite), mode.rewrite
