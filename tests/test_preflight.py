from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from django.test import Client

from platforms.models import RiskModifier, RiskRule
from platforms.preflight import (
    RED_FROM,
    YELLOW_FROM,
    RuleSet,
    build_report,
    compare_platforms,
    find_hits,
    highlight,
    level_for,
    load_rules,
    rewrite_prompt,
    rule_fires,
    score_prompt,
)

LABELLED = yaml.safe_load((Path(__file__).parent / "preflight_labelled.yaml").read_text())


@pytest.fixture
def rules(db) -> RuleSet:
    return load_rules()


def hits(prompt: str, rules: RuleSet, duration_s: float = 3.0) -> set[str]:
    return set(find_hits(prompt, duration_s, rules))


def worst(prompt: str, rules: RuleSet, *, platform: str = "runway", duration_s: float = 3.0):
    return score_prompt(prompt, platform=platform, duration_s=duration_s, rules=rules)[0]


# --- Matching ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "prompt",
    [
        "Steel cables strengthen the bridge, then the camera pans across the river",
        "The rough texture of the wall in macro",
        "A crystal vase on a table",  # "cry"
        "Grinding coffee beans, close-up",  # "grin"
        "Sunlight on the surface of a lake",  # "face"
        "A stalk of wheat in the wind",  # "talk"
        "Fog rising over the hills",  # "sing"
        "A ghost town at dusk",  # "host"
        "A man-made lake at sunset",  # "man"
    ],
)
def test_cues_match_whole_words_never_parts_of_words(prompt, rules):
    assert hits(prompt, rules) == set()


@pytest.mark.parametrize("verb", ["smile", "smiles", "smiled", "smiling", "laughs", "grinning"])
def test_the_inflections_written_into_a_rule_all_match(verb, rules):
    assert "expression-change" in hits(f"A woman {verb} at the sea", rules)


@pytest.mark.parametrize(
    "prompt",
    [
        "A quiet street, no people in frame",
        "A forest path without people",
        "No one in the office, empty desks",
        "Nobody on the beach at dawn",
        "An empty room with sunlight on the floor",
        "A potter's wheel turning, hands and faces out of frame",
        "A market square, people not visible, stalls closed",
    ],
)
def test_a_shot_that_says_there_is_nobody_in_it_fires_nothing(prompt, rules):
    assert hits(prompt, rules) == set()


@pytest.mark.parametrize(
    "prompt",
    [
        "A woman not smiling, medium shot",
        "A woman who doesn't smile, medium shot",
        "A woman without smiling, medium shot",
        "A woman with no expression change, medium shot",
    ],
)
def test_a_negated_cue_does_not_fire_but_the_person_is_still_there(prompt, rules):
    found = hits(prompt, rules)
    assert "face-in-shot" in found
    assert "expression-change" not in found


@pytest.mark.parametrize(
    ("prompt", "rule"),
    [
        ("A woman with no makeup smiling", "expression-change"),
        ("A man who can't stop laughing", "expression-change"),
        ("A girl who never stops smiling", "expression-change"),
        ("A woman without glasses turns her head", "head-motion"),
    ],
)
def test_a_negation_of_another_word_does_not_hide_the_cue_after_it(prompt, rule, rules):
    assert rule in hits(prompt, rules)


@pytest.mark.parametrize(
    "prompt", ["A quiet street, no other people", "A man who doesn't really smile"]
)
def test_filler_words_between_a_negation_and_its_cue_keep_it_negated(prompt, rules):
    assert not hits(prompt, rules) & {"several-subjects", "expression-change"}


def test_a_negation_reaches_only_its_own_clause(rules):
    assert "expression-change" in hits("No cars on the road, a woman smiling at the wheel", rules)


def test_a_face_hidden_from_view_turns_off_the_face_rules(rules):
    assert hits("A woman's hands kneading dough, her face out of frame, close-up", rules) == set()


# --- Face gate, duration, modifiers, score -------------------------------------------------


def test_a_close_up_without_a_person_stays_green(rules):
    assert hits("Close-up of a flower", rules) == set()
    assert worst("Close-up of a flower", rules).level == "green"


def test_a_close_up_of_a_person_raises_the_risk(rules):
    assert {"face-in-shot", "close-up"} <= hits("Close-up of a woman", rules)
    assert worst("Close-up of a woman", rules).level != "green"


@pytest.mark.parametrize(
    ("duration_s", "fires"), [(3.0, False), (4.0, False), (4.1, True), (4.5, True)]
)
def test_the_clip_length_rule_fires_only_above_4_seconds(duration_s, fires, rules):
    found = hits("A woman reading in a garden", rules, duration_s=duration_s)
    assert ("face-over-4-seconds" in found) is fires


def test_the_clip_length_rule_needs_a_face(rules):
    assert hits("Waves rolling onto a beach", rules, duration_s=10) == {"long-clip"}
    assert hits("Waves rolling onto a beach", rules, duration_s=8) == set()


def test_a_platform_modifier_scales_the_rules_points(rules):
    rule = RiskRule.objects.get(slug="close-up")
    multiplier = RiskModifier.objects.get(rule=rule, platform__slug="runway").multiplier
    runway = worst("Close-up of a woman", rules, platform="runway").reasons[0]
    luma = worst("Close-up of a woman", rules, platform="luma").reasons[0]
    assert luma.points == rule.weight
    assert runway.points == round(rule.weight * multiplier)
    assert runway.modifier_reason


def test_the_same_long_face_clip_is_green_on_runway_but_yellow_on_kling(rules):
    prompt = "A woman reading a book in a garden"
    assert worst(prompt, rules, platform="runway", duration_s=5).level == "green"
    assert worst(prompt, rules, platform="kling", duration_s=5).level == "yellow"


def test_the_score_is_the_sum_of_the_reasons_points_capped_at_100(rules):
    mode = worst("A man speaking into camera", rules, platform="luma", duration_s=5)
    assert mode.score == sum(r.points for r in mode.reasons)
    capped = worst("Close-up of two friends laughing, turning their heads", rules, duration_s=9)
    assert capped.score == 100 < sum(r.points for r in capped.reasons)


@pytest.mark.parametrize(
    ("score", "level"),
    [
        (0, "green"),
        (YELLOW_FROM - 1, "green"),
        (YELLOW_FROM, "yellow"),
        (RED_FROM - 1, "yellow"),
        (RED_FROM, "red"),
        (100, "red"),
    ],
)
def test_levels_follow_the_documented_thresholds(score, level):
    assert level_for(score) == level


# --- Rewrites and highlights ---------------------------------------------------------------


@pytest.mark.parametrize("item", LABELLED, ids=lambda item: item["prompt"][:40])
def test_each_rules_rewrite_does_not_fire_that_rule_again(item, rules):
    fired = find_hits(item["prompt"], item["duration_s"], rules)
    for rule in rules.rules:
        if rule.slug in fired and rule.pattern is not None and rule.rewrite:
            text, _ = rewrite_prompt(item["prompt"], item["duration_s"], [rule], rules)
            assert not rule_fires(rule, text, rules), (rule.slug, text)


def test_the_rewrite_keeps_the_scene_and_lowers_the_level(rules):
    mode = worst("Close-up of a woman smiling, soft window light", rules, platform="dreamina")
    assert mode.level == "red"
    assert (
        mode.rewrite == "Medium shot of a woman with a calm, steady expression, soft window light"
    )
    assert mode.rewrite_level == "green"


def test_the_rewrite_shortens_a_long_face_clip_to_4_seconds(rules):
    mode = worst("A woman reading a book", rules, platform="kling", duration_s=8)
    assert mode.rewrite_duration_s == 4
    assert mode.rewrite_level == "green"


def test_highlight_spans_point_at_the_exact_words_that_raised_the_risk(rules):
    prompt = "Close-up of a woman smiling, warm light"
    mode = worst(prompt, rules)
    spans = [m for r in mode.reasons for m in r.matches]
    assert {m.text for m in spans} == {"Close-up", "smiling"}
    assert all(prompt[m.start : m.end] == m.text for m in spans)
    segments = highlight(prompt, list(mode.reasons))
    assert "".join(s.text for s in segments) == prompt
    assert [s.text for s in segments if s.labels] == ["Close-up", "smiling"]


def test_compare_all_ranks_documented_platforms_first_and_lowest_risk_first(rules):
    ranking = compare_platforms("Close-up of a woman smiling", duration_s=3, rules=rules)
    documented = [s for s in ranking if s.documented]
    assert ranking[: len(documented)] == documented
    assert [s.score for s in documented] == sorted(s.score for s in documented)
    report = build_report("Close-up of a woman smiling", platform=None, duration_s=3, rules=rules)
    assert report.best == documented[0]


# --- The page ------------------------------------------------------------------------------

SEED = "Close-up portrait of a young woman smiling, warm light"


@pytest.mark.django_db
def test_the_page_works_without_javascript_a_plain_get_shows_results():
    response = Client().get("/preflight/", {"prompt": SEED, "platform": "luma", "duration_s": 5})
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" in html
    assert '<mark title="Close-up or portrait framing">Close-up</mark>' in html
    assert "RED · 90/100" in html
    assert "Medium shot of a young woman with a calm, steady expression" in html
    assert "/platforms/luma/facial-landmark-regression-failure/" in html
    assert "/escalate/?platform=luma&amp;failure=facial-landmark-regression-failure" in html


@pytest.mark.django_db
def test_an_htmx_request_gets_only_the_results_partial():
    response = Client().get(
        "/preflight/", {"prompt": SEED, "platform": "luma"}, headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert '<section id="preflight-results"' in html
    assert "<html" not in html
    assert "<form" not in html
    assert 'hx-swap-oob="true"' in html


@pytest.mark.django_db
def test_the_platform_is_prefilled_from_the_query_string():
    html = Client().get("/preflight/?platform=kling").content.decode()
    assert '<option value="kling" selected>' in html
    assert "What you will see" in html


@pytest.mark.django_db
def test_a_green_result_offers_no_escalation():
    response = Client().get("/preflight/", {"prompt": "Close-up of a flower", "platform": "runway"})
    html = response.content.decode()
    assert "GREEN · 0/100" in html
    assert "/escalate/?" not in html


@pytest.mark.django_db
def test_a_platform_tied_for_the_lowest_risk_is_not_sent_elsewhere():
    response = Client().get("/preflight/", {"prompt": "Close-up of a flower", "platform": "luma"})
    html = response.content.decode()
    assert "Luma Dream Machine</strong> shows no known risk for this shot" in html
    assert "Pick a different platform" not in html
    assert "no risky words found" in html


@pytest.mark.django_db
def test_a_script_in_the_prompt_is_shown_escaped_never_run():
    prompt = "<script>alert(1)</script> close-up of a woman"
    html = Client().get("/preflight/", {"prompt": prompt, "platform": "runway"}).content.decode()
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


@pytest.mark.django_db
def test_compare_all_names_the_platform_with_the_lowest_documented_risk():
    html = Client().get("/preflight/", {"prompt": SEED, "duration_s": 3}).content.decode()
    assert "Compared across platforms" in html
    # Every platform now scores the face modes of the catalogue too: none is green.
    assert "Red on every documented platform. The lowest is Luma Dream Machine" in html


@pytest.mark.django_db
def test_a_prompt_over_5000_characters_is_refused_with_a_message():
    html = Client().get("/preflight/", {"prompt": "a" * 5001}).content.decode()
    assert "Check the form" in html
    assert "at most 5000 characters" in html


# --- The JSON API ---------------------------------------------------------------------------


def post(body, *, content_type: str = "application/json", client: Client | None = None):
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return (client or Client()).post("/api/preflight", data, content_type=content_type)


@pytest.mark.django_db
def test_the_api_scores_a_prompt_and_ranks_the_alternatives():
    response = post({"prompt": SEED, "platform": "luma", "duration_s": 5})
    assert response.status_code == 200
    data = response.json()
    assert (data["level"], data["score"]) == ("red", 90)
    assert data["failure_mode"] == "facial-landmark-regression-failure"
    close_up = next(r for r in data["reasons"] if r["label"] == "Close-up or portrait framing")
    assert close_up["text"]
    for match in close_up["matches"]:
        assert SEED[match["start"] : match["end"]] == match["text"]
    assert data["rewrite"].startswith("Medium shot of a young woman")
    others = [a["platform"] for a in data["alternatives"]]
    assert "luma" not in others
    assert len(others) == len(load_rules().platforms) - 1
    documented = [a["score"] for a in data["alternatives"] if a["documented"]]
    assert documented == sorted(documented)


@pytest.mark.django_db
def test_the_api_needs_no_csrf_token():
    client = Client(enforce_csrf_checks=True)
    assert post({"prompt": SEED, "platform": "runway"}, client=client).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body",
    [
        "{not json",
        "[1, 2]",
        {"platform": "runway"},
        {"prompt": "   ", "platform": "runway"},
        {"prompt": 42, "platform": "runway"},
        {"prompt": "a" * 5001, "platform": "runway"},
        {"prompt": SEED, "platform": "runway", "duration_s": "five"},
        {"prompt": SEED, "platform": "runway", "duration_s": -1},
        {"prompt": SEED, "platform": "runway", "duration_s": True},
        {"prompt": SEED},
    ],
)
def test_the_api_answers_a_bad_request_with_400_and_a_clear_message(body):
    response = post(body)
    assert response.status_code == 400
    assert response.json()["error"]


@pytest.mark.django_db
def test_the_api_answers_an_unknown_platform_with_404_listing_the_valid_ones():
    response = post({"prompt": SEED, "platform": "nowhere"})
    assert response.status_code == 404
    assert "runway, luma" in response.json()["error"]


@pytest.mark.django_db
def test_the_api_refuses_get_with_405():
    response = Client().get("/api/preflight")
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert response.json()["error"]


@pytest.mark.django_db
def test_the_api_refuses_a_body_over_16_kb_with_413():
    response = post({"prompt": "a" * 17000, "platform": "runway"})
    assert response.status_code == 413
    assert response.json()["error"]


@pytest.mark.django_db
def test_the_api_refuses_a_body_that_is_not_json_with_415():
    response = post("prompt=hello", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415
    assert response.json()["error"]


@pytest.mark.django_db
def test_the_api_answers_json_nested_too_deeply_with_400_not_a_server_error():
    # 6,000 levels of brackets: 12 kB, well under the size limit, but past the decoder's depth.
    body = '{"prompt": ' + "[" * 6000 + "]" * 6000 + ', "platform": "runway"}'
    response = post(body)
    assert response.status_code == 400
    assert response.json() == {"error": "The request body nests JSON too deeply."}


# --- Modes a prompt cannot show, and when to suggest another platform -----------------------


@pytest.mark.django_db
def test_modes_a_prompt_cannot_show_are_not_assessed_never_green():
    rules = load_rules()
    report = build_report("A cat on a sofa", platform="runway", duration_s=5, rules=rules)
    unpredictable = {m.failure_mode.slug: m for m in report.chosen.not_assessed}
    assert {
        "failed-generation-credits-not-restored",
        "stalled-generation",
        "moderation-false-positive",
        "paid-tier-watermark",
        "output-spec-mismatch",
    } <= set(unpredictable)
    assert all(m.level == "unassessed" and m.level != "green" for m in unpredictable.values())
    html = Client().get("/preflight/", {"prompt": "A cat on a sofa", "platform": "runway"})
    html = html.content.decode()
    section = html[html.index("Every failure mode on Runway") :]
    for mode in unpredictable.values():
        row = section[
            section.index(mode.failure_mode.term) - 200 : section.index(mode.failure_mode.term)
        ]
        assert "NOT ASSESSED" in row, mode


@pytest.mark.django_db
def test_another_platform_is_suggested_only_on_documented_evidence_for_that_failure():
    rules = load_rules()
    # Faces: Runway and Luma both have a documented profile of the face failure.
    prompt = "Close-up of a woman smiling at the camera"
    report = build_report(prompt, platform="runway", duration_s=4, rules=rules)
    suggestion = report.suggestion
    if suggestion is not None:
        assert suggestion.mode.documented and suggestion.chosen_mode.documented
        assert suggestion.mode.score < suggestion.chosen_mode.score
    # Hands: no platform has a profile of anatomical malformation, so none is suggested,
    # however few rules another platform has on record.
    hands = build_report("A man typing on a laptop", platform="runway", duration_s=5, rules=rules)
    assert hands.chosen.worst.failure_mode.slug == "anatomical-malformation"
    assert hands.suggestion is None
    html = Client().get("/preflight/", {"prompt": "A man typing on a laptop", "platform": "runway"})
    assert "Fewer rules on record is not lower risk" in html.content.decode()
    assert "Pick a different platform" not in html.content.decode()


@pytest.mark.django_db
def test_a_suggestion_names_the_platform_and_says_on_what_evidence():
    prompt = "Close-up portrait of a young woman smiling, warm light"
    report = build_report(prompt, platform="runway", duration_s=5, rules=load_rules())
    assert report.suggestion.platform.platform.slug == "luma"
    assert [p.platform.slug for p in report.suggestion.evidence] == ["runway", "luma"]
    html = Client().get("/preflight/", {"prompt": prompt, "platform": "runway"}).content.decode()
    assert "Pick a different platform: <strong>Luma Dream Machine</strong>" in html
    assert "On what evidence: both platforms have a documented profile of this failure" in html


@pytest.mark.django_db
def test_a_rewrite_never_doubles_a_word():
    rules = load_rules()
    modes = score_prompt(
        "A slow whip pan across the bay", platform="kling", duration_s=5, rules=rules
    )
    camera = next(m for m in modes if m.failure_mode.slug == "unrequested-camera-motion")
    assert camera.rewrite.startswith("A slow pan across the bay")
    assert "slow slow" not in camera.rewrite.lower()


@pytest.mark.django_db
def test_the_api_keeps_the_pages_limits_because_it_validates_through_its_form():
    from platforms.forms import PreflightForm

    too_short = {"prompt": SEED, "platform": "runway", "duration_s": 0.25}
    form = PreflightForm(
        {"prompt": SEED, "platform": "runway", "duration_s": "0.25"},
        platforms=load_rules().platform_list,
    )
    assert not form.is_valid()
    response = post(too_short)
    assert response.status_code == 400
    assert response.json()["error"] == f"duration_s: {form.errors['duration_s'][0]}"
    assert post({"prompt": SEED, "platform": "all"}).status_code == 404
    assert post({"prompt": SEED, "platform": "sora"}).status_code == 404
