"""The pre-flight engine's shortcuts give exactly the answers of the plain paths.

Each shortcut (case-sensitive twins on lowercased ASCII text, rules looked for only when
asked about, reasons shared between modes) is checked here against the slow path it
replaces, on the labelled prompts and their upper- and title-cased forms.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from platforms.preflight import (
    RuleSet,
    _Clauses,
    _LazyHits,
    compare_platforms,
    find_hits,
    load_rules,
    score_prompt,
)

LABELLED = yaml.safe_load((Path(__file__).parent / "preflight_labelled.yaml").read_text())
TEXTS = [
    form
    for item in LABELLED
    for form in (item["prompt"], item["prompt"].upper(), item["prompt"].title())
    if form.isascii()
]


@pytest.fixture
def rules(db) -> RuleSet:
    return load_rules()


def test_the_rules_negations_and_rewrites_have_case_sensitive_twins(rules):
    # Otherwise the tests below would compare the slow path with itself.
    assert len(rules.rules) > 10
    assert all(rule.pattern.lowercase for rule in rules.rules if rule.pattern)
    assert rules.clause_break.lowercase and rules.negated_before.lowercase
    assert rules.negated_after.lowercase
    steps = [step for rule in rules.rules for step in rule.rewrite if step.pattern]
    assert sum(step.lowercase is not None for step in steps) > len(steps) // 2


def test_twins_find_what_the_case_insensitive_patterns_find(rules):
    for text in TEXTS:
        lowered = text.lower()
        for rule in rules.rules:
            if rule.pattern:
                assert list(rule.pattern.spans(text, lowered)) == list(
                    rule.pattern.spans(text, None)
                ), (rule.slug, text)
        for cue in (rules.clause_break, rules.negated_before, rules.negated_after):
            twin, on = cue.on(text, lowered)
            assert on == lowered and twin is cue.lowercase
            assert [m.span() for m in twin.finditer(on)] == [
                m.span() for m in cue.pattern.finditer(text)
            ]


def test_negation_on_the_lowercased_text_is_negation_on_the_text(rules):
    for text in TEXTS:
        fast, slow = _Clauses(text, rules), _Clauses(text, rules)
        slow.lowered = None  # the case-insensitive patterns on the text as typed
        for start in range(len(text)):
            for end in (start + 1, min(len(text), start + 8)):
                assert fast.negated(start, end) == slow.negated(start, end), (text, start)


def test_rewrite_steps_change_the_same_texts_with_or_without_their_twin(rules):
    for text in TEXTS:
        for rule in rules.rules:
            for step in rule.rewrite:
                assert step.apply(text, text.lower()) == step.apply(text), (rule.slug, text)


@pytest.mark.parametrize("duration_s", [3.0, 12.0])
def test_rules_looked_for_when_asked_fire_as_find_hits_says(rules, duration_s):
    for text in TEXTS:
        everything = find_hits(text, duration_s, rules)
        lazy = _LazyHits(text, duration_s, rules)
        for rule in reversed(rules.rules):  # asked in another order than find_hits looks
            assert (rule.slug in lazy) == (rule.slug in everything), (rule.slug, text)
            if rule.slug in everything:
                assert lazy[rule.slug] == everything[rule.slug]
        assert "no-such-rule" not in lazy


def test_reasons_made_once_per_prompt_keep_each_platforms_weighting(rules):
    # One scoring makes each reason once and shares it: a platform that weighs a rule more
    # (Seedance, close-ups x1.2) must not get another platform's reason, nor the reverse.
    comparison = compare_platforms(
        "Close-up of a woman smiling, soft window light", duration_s=5, rules=rules
    )
    points = {
        score.platform.slug: {
            r.points for m in score.modes for r in m.reasons if r.rule == "close-up"
        }
        for score in comparison
    }
    alone = {
        slug: {
            r.points
            for m in score_prompt(
                "Close-up of a woman smiling, soft window light",
                platform=slug,
                duration_s=5,
                rules=rules,
            )
            for r in m.reasons
            if r.rule == "close-up"
        }
        for slug in points
    }
    assert points == alone
    assert len({frozenset(p) for p in points.values()}) > 1  # the weightings do differ
