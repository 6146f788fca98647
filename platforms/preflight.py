"""Pre-flight scoring: how risky is a prompt on a platform, why, and how to rewrite it.

The engine is generic; what counts as a risk lives in ``knowledge/risk_rules.yaml``.

The score is explainable on purpose. Every rule that fires adds its points, its weight
times the platform's multiplier for it (1.0 unless the knowledge base says otherwise),
rounded to a whole number; the sum is capped at 100. The level follows from the score:
green below 30 (go ahead), yellow from 30 (one documented risk: rewrite or shorten),
red from 60 (two or more risks together: rewrite before spending credits).

A cue does not count when it is negated in its clause ("no people in frame", "hands out of
frame"), when one of the rule's ``unless`` patterns is in the prompt, or when the rule it
requires (a face in the shot) does not fire.
"""

from __future__ import annotations

import bisect
import itertools
import math
import re
import time
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Prefetch
from django.urls import reverse

from platforms.models import FailureMode, FailureProfile, NegationCue, Platform, RiskRule

YELLOW_FROM = 30
RED_FROM = 60
MAX_SCORE = 100
MAX_PROMPT_CHARS = 5000
DEFAULT_DURATION_S = 5.0
MAX_DURATION_S = 120.0

GREEN, YELLOW, RED = "green", "yellow", "red"
# A mode whose risk cannot be read from a prompt (a stalled job, a moderation block …) is
# never green: it is shown as not assessed.
NOT_ASSESSED = "unassessed"
LEVEL_RANK = {GREEN: 0, YELLOW: 1, RED: 2}

# Patterns are whole words or phrases: no letter or digit may touch either end.
WHOLE = r"(?<!\w)(?:{})(?!\w)"


def level_for(score: int) -> str:
    if score >= RED_FROM:
        return RED
    return YELLOW if score >= YELLOW_FROM else GREEN


def _alternation(patterns: list[str]) -> str:
    return "|".join(f"(?:{p})" for p in patterns)


def _whole(patterns: list[str]) -> re.Pattern | None:
    return re.compile(WHOLE.format(_alternation(patterns)), re.IGNORECASE) if patterns else None


# --- The rules, compiled once per request ------------------------------------------------


@dataclass(frozen=True)
class RewriteStep:
    pattern: re.Pattern | None
    replacement: str = ""
    append: str = ""

    def apply(self, text: str) -> str:
        if self.pattern is None:
            ending = "." if text.rstrip().endswith(".") else ""
            return f"{text.rstrip(' .\n')}, {self.append}{ending}"
        return self.pattern.sub(self._replace, text)

    def _replace(self, match: re.Match) -> str:
        out = match.expand(self.replacement)
        # "Close-up of …" becomes "Medium shot of …", not "medium shot of …".
        if match.group()[:1].isupper() and out[:1].islower():
            out = out[0].upper() + out[1:]
        return out


@dataclass(frozen=True)
class Rule:
    slug: str
    label: str
    explanation: str
    weight: int
    modes: frozenset[str]
    pattern: re.Pattern | None
    unless: re.Pattern | None
    requires: str | None
    over_seconds: float | None
    rewrite: tuple[RewriteStep, ...]
    rewrite_note: str
    multipliers: dict[str, tuple[float, str]] = field(default_factory=dict)

    @classmethod
    def from_model(cls, rule: RiskRule) -> Rule:
        steps = tuple(
            RewriteStep(re.compile(WHOLE.format(s["replace"]), re.IGNORECASE), s["with"])
            if "replace" in s
            else RewriteStep(None, append=s["append"])
            for s in rule.rewrite
        )
        return cls(
            slug=rule.slug,
            label=rule.label,
            explanation=rule.explanation,
            weight=rule.weight,
            modes=frozenset(m.slug for m in rule.failure_modes.all()),
            pattern=_whole(rule.patterns),
            unless=_whole(rule.unless),
            requires=rule.requires.slug if rule.requires else None,
            over_seconds=rule.over_seconds,
            rewrite=steps,
            rewrite_note=rule.rewrite_note,
            multipliers={m.platform.slug: (m.multiplier, m.reason) for m in rule.modifiers.all()},
        )


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[Rule, ...]
    negated_before: re.Pattern
    negated_after: re.Pattern
    clause_break: re.Pattern
    platforms: dict[str, Platform]
    modes: tuple[FailureMode, ...] = ()

    @property
    def platform_list(self) -> list[Platform]:
        return list(self.platforms.values())


_NEVER = re.compile(r"(?!)")


def load_rules() -> RuleSet:
    """Everything scoring needs, in a handful of queries; score as often as you like after."""
    cues: dict[str, list[str]] = {side: [] for side in NegationCue.Side.values}
    for cue in NegationCue.objects.all():
        cues[cue.side].append(cue.pattern)
    rules = RiskRule.objects.select_related("requires").prefetch_related(
        "failure_modes", "modifiers__platform"
    )
    # A discontinued platform cannot generate, so it is neither scored nor suggested.
    platforms = Platform.objects.exclude(status=Platform.Status.DISCONTINUED).prefetch_related(
        Prefetch("profiles", FailureProfile.objects.select_related("failure_mode"))
    )

    def anchored(template: str, patterns: list[str]) -> re.Pattern:
        if not patterns:
            return _NEVER
        return re.compile(template.format(_alternation(patterns)), re.IGNORECASE)

    return RuleSet(
        rules=tuple(Rule.from_model(rule) for rule in rules),
        negated_before=anchored(r"(?:{})\s*$", cues[NegationCue.Side.BEFORE]),
        negated_after=anchored(r"\s*(?:{})", cues[NegationCue.Side.AFTER]),
        clause_break=anchored("{}", cues[NegationCue.Side.CLAUSE_BREAK]),
        platforms={p.slug: p for p in platforms},
        modes=tuple(FailureMode.objects.order_by("term")),
    )


RULES_TTL_S = 60.0  # other processes see an admin edit within this long
_cached_rules: tuple[float, RuleSet] | None = None


def current_rules() -> RuleSet:
    """The rule set, loaded at most once a minute per process: loading costs ~8 ms a request."""
    global _cached_rules
    now = time.monotonic()
    if _cached_rules is None or now - _cached_rules[0] > RULES_TTL_S:
        _cached_rules = (now, load_rules())
    return _cached_rules[1]


def forget_rules(**kwargs: object) -> None:
    """Drop the cached rule set; connected to every save of the knowledge it is built from."""
    global _cached_rules
    _cached_rules = None


# --- Finding the cues in a prompt --------------------------------------------------------


@dataclass(frozen=True)
class Match:
    start: int
    end: int
    text: str


class _Clauses:
    """Where the clauses of one text start and end, to scope negation."""

    def __init__(self, text: str, rules: RuleSet) -> None:
        self.text = text
        self.rules = rules
        spans = [m.span() for m in rules.clause_break.finditer(text)]
        self.starts = [s for s, _ in spans]
        self.ends = [e for _, e in spans]

    def negated(self, start: int, end: int) -> bool:
        i = bisect.bisect_right(self.ends, start)
        clause_start = self.ends[i - 1] if i else 0
        j = bisect.bisect_left(self.starts, end)
        clause_end = self.starts[j] if j < len(self.starts) else len(self.text)
        before = self.text[clause_start:start]
        after = self.text[end:clause_end]
        return bool(
            self.rules.negated_before.search(before) or self.rules.negated_after.match(after)
        )


def _cues(rule: Rule, clauses: _Clauses) -> tuple[Match, ...]:
    if rule.pattern is None or (rule.unless and rule.unless.search(clauses.text)):
        return ()
    return tuple(
        Match(m.start(), m.end(), m.group())
        for m in rule.pattern.finditer(clauses.text)
        if not clauses.negated(m.start(), m.end())
    )


def find_hits(prompt: str, duration_s: float, rules: RuleSet) -> dict[str, tuple[Match, ...]]:
    """The rules that fire for this prompt and clip length, with the text that fired them."""
    clauses = _Clauses(prompt, rules)
    own: dict[str, tuple[Match, ...]] = {}
    for rule in rules.rules:
        matches = _cues(rule, clauses)
        by_text = rule.pattern is None or bool(matches)
        by_time = rule.over_seconds is None or duration_s > rule.over_seconds
        if by_text and by_time and (rule.pattern or rule.over_seconds is not None):
            own[rule.slug] = matches
    requires = {rule.slug: rule.requires for rule in rules.rules}

    def fires(slug: str, depth: int = 0) -> bool:
        needed = requires.get(slug)
        return slug in own and (needed is None or (depth < 8 and fires(needed, depth + 1)))

    return {slug: matches for slug, matches in own.items() if fires(slug)}


def rule_fires(rule: Rule, text: str, rules: RuleSet) -> bool:
    """Whether the rule's own words are in ``text`` (its gate and the clip length aside)."""
    return bool(_cues(rule, _Clauses(text, rules)))


# --- Scores ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reason:
    rule: str
    label: str
    explanation: str
    points: int
    matches: tuple[Match, ...]
    over_seconds: float | None = None
    multiplier: float = 1.0
    modifier_reason: str = ""

    @property
    def matched(self) -> list[str]:
        """The words that raised the risk, each once, in prompt order."""
        return list(dict.fromkeys(m.text for m in self.matches))


@dataclass(frozen=True)
class ModeScore:
    failure_mode: FailureMode
    profile: FailureProfile | None  # None: the platform has no profile of its own for it
    platform_slug: str
    score: int
    level: str
    reasons: tuple[Reason, ...]
    rewrite: str | None = None
    rewrite_duration_s: float | None = None
    rewrite_score: int | None = None
    rewrite_level: str | None = None
    rewrite_notes: tuple[str, ...] = ()

    @property
    def assessed(self) -> bool:
        return self.level != NOT_ASSESSED

    @property
    def documented(self) -> bool:
        """This platform has its own documented profile of this failure, with risk factors."""
        return bool(self.profile and self.profile.risk_factors)

    def get_absolute_url(self) -> str:
        return reverse("platforms:failure", args=[self.platform_slug, self.failure_mode.slug])

    @property
    def rewrite_is_lower(self) -> bool:
        return self.rewrite_level is not None and (
            LEVEL_RANK[self.rewrite_level] < LEVEL_RANK[self.level]
        )


@dataclass(frozen=True)
class PlatformScore:
    platform: Platform
    modes: tuple[ModeScore, ...]

    @property
    def assessed(self) -> list[ModeScore]:
        return [m for m in self.modes if m.assessed]

    @property
    def at_risk(self) -> list[ModeScore]:
        return sorted((m for m in self.modes if m.reasons), key=lambda m: -m.score)

    @property
    def not_assessed(self) -> list[ModeScore]:
        return [m for m in self.modes if not m.assessed]

    @property
    def worst(self) -> ModeScore | None:
        # Ties go to the documented mode, so a platform's own profile is named first.
        return max(self.assessed, key=lambda m: (m.score, m.documented), default=None)

    def mode(self, slug: str) -> ModeScore | None:
        return next((m for m in self.modes if m.failure_mode.slug == slug), None)

    @property
    def score(self) -> int:
        return self.worst.score if self.worst else 0

    @property
    def level(self) -> str:
        return level_for(self.score)

    @property
    def documented(self) -> bool:
        """Enough is known about this platform's failures to recommend it for a shot."""
        return any(mode.documented for mode in self.modes)


def _round(value: float) -> int:
    return math.floor(value + 0.5)


def _reasons(
    hits: dict[str, tuple[Match, ...]], mode: str, platform: str, rules: RuleSet
) -> list[tuple[Rule, Reason]]:
    found = []
    for rule in rules.rules:
        if rule.slug not in hits or mode not in rule.modes or rule.weight == 0:
            continue
        multiplier, why = rule.multipliers.get(platform, (1.0, ""))
        reason = Reason(
            rule=rule.slug,
            label=rule.label,
            explanation=rule.explanation,
            points=_round(rule.weight * multiplier),
            matches=hits[rule.slug],
            over_seconds=rule.over_seconds,
            multiplier=multiplier,
            modifier_reason=why,
        )
        found.append((rule, reason))
    return found


def _total(reasons: list[Reason]) -> int:
    return min(MAX_SCORE, sum(r.points for r in reasons))


def rewrite_prompt(
    prompt: str, duration_s: float, fired: list[Rule], rules: RuleSet
) -> tuple[str, float]:
    """Apply each fired rule's rewrite steps, in order, while that rule still fires."""
    text = prompt
    for rule in fired:
        if rule.over_seconds is not None:
            duration_s = min(duration_s, rule.over_seconds)
        checked = None  # most steps change nothing, so only look again after a change
        for step in rule.rewrite:
            if text != checked:
                if not rule_fires(rule, text, rules):
                    break
                checked = text
            text = step.apply(text)
    return tidy(text), duration_s


def tidy(text: str) -> str:
    # Two rewrites may each add the same word ("slow slow pan"): say it once.
    text = re.sub(r"\b(\w+)(\s+\1\b)+", r"\1", text, flags=re.IGNORECASE)
    text = re.sub(r"[ \t]{2,}", " ", text)
    text = re.sub(r"[ \t]+([,.;:!?])", r"\1", text)
    text = re.sub(r",(?:\s*,)+", ",", text)
    return text.strip(" ,;")


# Rewrites already made for this prompt, by the rules that fired: platforms often share them.
Rewrites = dict[tuple[str, ...], tuple[str, float, dict[str, tuple[Match, ...]]]]


def _score_mode(
    prompt: str,
    duration_s: float,
    hits: dict[str, tuple[Match, ...]],
    failure_mode: FailureMode,
    profile: FailureProfile | None,
    platform: str,
    rules: RuleSet,
    rewrites: Rewrites,
) -> ModeScore:
    mode = failure_mode.slug
    known: dict[str, Any] = {
        "failure_mode": failure_mode,
        "profile": profile,
        "platform_slug": platform,
    }
    if not failure_mode.predictable:
        return ModeScore(**known, score=0, level=NOT_ASSESSED, reasons=())
    found = _reasons(hits, mode, platform, rules)
    reasons = sorted((r for _, r in found), key=lambda r: -r.points)
    score = _total(reasons)
    if not reasons:
        return ModeScore(**known, score=score, level=level_for(score), reasons=())
    fired = [rule for rule, _ in found]
    key = tuple(rule.slug for rule in fired)
    if key not in rewrites:
        text, new_duration = rewrite_prompt(prompt, duration_s, fired, rules)
        rewrites[key] = (text, new_duration, find_hits(text, new_duration, rules))
    text, new_duration, new_hits = rewrites[key]
    after = _reasons(new_hits, mode, platform, rules)
    new_score = _total([r for _, r in after])
    return ModeScore(
        **known,
        score=score,
        level=level_for(score),
        reasons=tuple(reasons),
        rewrite=text,
        rewrite_duration_s=new_duration,
        rewrite_score=new_score,
        rewrite_level=level_for(new_score),
        rewrite_notes=tuple(dict.fromkeys(r.rewrite_note for r in fired if r.rewrite_note)),
    )


def _score_platform(
    prompt: str,
    duration_s: float,
    hits: dict[str, tuple[Match, ...]],
    platform: Platform,
    rules: RuleSet,
    rewrites: Rewrites,
) -> PlatformScore:
    # Every mode of the catalogue on every platform; the platform's own profile, where it
    # has one, is what makes a score "documented".
    profiles = {profile.failure_mode.slug: profile for profile in platform.profiles.all()}
    modes = tuple(
        _score_mode(
            prompt, duration_s, hits, mode, profiles.get(mode.slug), platform.slug, rules, rewrites
        )
        for mode in rules.modes
    )
    return PlatformScore(platform=platform, modes=modes)


def score_prompt(
    prompt: str, *, platform: str, duration_s: float, rules: RuleSet
) -> list[ModeScore]:
    """One score per failure mode that can be read from a prompt, worst first."""
    hits = find_hits(prompt, duration_s, rules)
    result = _score_platform(prompt, duration_s, hits, rules.platforms[platform], rules, {})
    return sorted(result.assessed, key=lambda m: (-m.score, not m.documented))


def compare_platforms(prompt: str, *, duration_s: float, rules: RuleSet) -> list[PlatformScore]:
    """Every platform scored for this shot, lowest documented risk first."""
    hits = find_hits(prompt, duration_s, rules)
    rewrites: Rewrites = {}
    scores = [
        _score_platform(prompt, duration_s, hits, p, rules, rewrites) for p in rules.platform_list
    ]
    return sorted(scores, key=lambda s: (not s.documented, s.score, s.platform.position))


def best_platform(comparison: list[PlatformScore]) -> PlatformScore | None:
    return next((s for s in comparison if s.documented and s.modes), None)


@dataclass(frozen=True)
class Suggestion:
    """Another platform with lower documented risk for the failure this shot risks most."""

    platform: PlatformScore
    mode: ModeScore  # the other platform's score for that failure
    chosen_mode: ModeScore

    @property
    def evidence(self) -> list[FailureProfile]:
        return [p for p in (self.chosen_mode.profile, self.mode.profile) if p]


def suggest_platform(chosen: PlatformScore, comparison: list[PlatformScore]) -> Suggestion | None:
    """Only when both platforms have a documented profile of the failure at risk: fewer
    rules on record for a platform is not lower risk."""
    worst = chosen.worst
    if worst is None or not worst.reasons or not worst.documented:
        return None
    candidates = []
    for other in comparison:
        theirs = other.mode(worst.failure_mode.slug)
        if (
            other.platform.slug != chosen.platform.slug
            and theirs
            and theirs.documented
            and theirs.score < worst.score
        ):
            candidates.append(Suggestion(platform=other, mode=theirs, chosen_mode=worst))
    return min(candidates, key=lambda s: s.mode.score, default=None)


# --- What the page and the API show ------------------------------------------------------


@dataclass(frozen=True)
class Segment:
    text: str
    labels: tuple[str, ...] = ()

    @property
    def title(self) -> str:
        return "; ".join(self.labels)


def highlight(prompt: str, reasons: list[Reason]) -> list[Segment]:
    """The prompt cut into plain and marked pieces; the template escapes every piece."""
    marks = [(m.start, m.end, r.label) for r in reasons for m in r.matches]
    cuts = sorted({0, len(prompt), *(s for s, _, _ in marks), *(e for _, e, _ in marks)})
    segments: list[Segment] = []
    for start, end in itertools.pairwise(cuts):
        labels = tuple(dict.fromkeys(label for s, e, label in marks if s <= start and end <= e))
        if segments and segments[-1].labels == labels:
            segments[-1] = Segment(segments[-1].text + prompt[start:end], labels)
        else:
            segments.append(Segment(prompt[start:end], labels))
    return segments


@dataclass(frozen=True)
class Report:
    prompt: str
    duration_s: float
    comparison: list[PlatformScore]
    chosen: PlatformScore | None
    best: PlatformScore | None
    segments: list[Segment]
    suggestion: Suggestion | None = None

    @property
    def chosen_is_best(self) -> bool:
        """The chosen platform is documented and no other documented one scores lower."""
        return bool(
            self.chosen
            and self.chosen.documented
            and self.best
            and self.chosen.score <= self.best.score
        )

    @property
    def has_marks(self) -> bool:
        return any(segment.labels for segment in self.segments)


def build_report(prompt: str, *, platform: str | None, duration_s: float, rules: RuleSet) -> Report:
    """Everything the pre-flight page shows for one prompt; ``platform=None`` compares all."""
    comparison = compare_platforms(prompt, duration_s=duration_s, rules=rules)
    chosen = next((s for s in comparison if s.platform.slug == platform), None)
    shown = [chosen] if chosen else comparison
    reasons = [r for s in shown for m in s.modes for r in m.reasons]
    return Report(
        prompt=prompt,
        duration_s=duration_s,
        comparison=comparison,
        chosen=chosen,
        best=best_platform(comparison),
        segments=highlight(prompt, reasons),
        suggestion=suggest_platform(chosen, comparison) if chosen else None,
    )


def api_result(report: Report) -> dict[str, Any]:
    """The JSON answer for one platform: its worst failure mode, and the others ranked."""
    assert report.chosen is not None
    worst = report.chosen.worst
    reasons = worst.reasons if worst else ()
    return {
        "platform": report.chosen.platform.slug,
        "duration_s": report.duration_s,
        "failure_mode": worst.failure_mode.slug if worst else None,
        "failure_term": worst.failure_mode.term if worst else None,
        "level": report.chosen.level,
        "score": report.chosen.score,
        "reasons": [
            {
                "rule": r.rule,
                "label": r.label,
                "text": r.explanation,
                "points": r.points,
                "matches": [{"start": m.start, "end": m.end, "text": m.text} for m in r.matches],
            }
            for r in reasons
        ],
        "rewrite": worst.rewrite if worst else None,
        "rewrite_duration_s": worst.rewrite_duration_s if worst else None,
        "rewrite_score": worst.rewrite_score if worst else None,
        "rewrite_level": worst.rewrite_level if worst else None,
        "alternatives": [
            {
                "platform": s.platform.slug,
                "level": s.level,
                "score": s.score,
                "documented": s.documented,
            }
            for s in report.comparison
            if s.platform.slug != report.chosen.platform.slug
        ],
    }
