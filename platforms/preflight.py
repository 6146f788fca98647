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
import string
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from django.db.models import Prefetch
from django.urls import reverse

from platforms import knowledge_cache
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


# Case-insensitive matching costs Python's re about three times a case-sensitive one. On
# ASCII text, lowercased, a pattern finds exactly what it finds case-insensitively on the
# text itself when it names no upper-case letter, no character that folds to an ASCII
# one (the Kelvin sign, the long s), no escaped code point and no inline flag; such a
# pattern gets a case-sensitive twin. Positions are the same, as lowercasing ASCII keeps
# the length; the matched words are taken from the text as typed.
_UNSAFE_TO_FOLD = re.compile(r"\\[0-9xuUNpP]|\(\?[aiLmsux-]")


def _folds_to_ascii(char: str) -> bool:
    return any(re.fullmatch(re.escape(char), a, re.IGNORECASE) for a in string.ascii_letters)


def _lowercase_twin(patterns: list[str]) -> re.Pattern | None:
    return _twin_of(WHOLE.format(_alternation(patterns)))


def _twin_of(source: str) -> re.Pattern | None:
    letters = re.sub(r"\\.", "", source)
    if (
        _UNSAFE_TO_FOLD.search(source)
        or any(c.isupper() and c.isascii() for c in letters)
        or any(not c.isascii() and _folds_to_ascii(c) for c in set(source))
    ):
        return None
    return re.compile(source)


@dataclass(frozen=True)
class Folded:
    """A case-insensitive pattern and, where it is exact, its case-sensitive twin."""

    pattern: re.Pattern
    lowercase: re.Pattern | None

    @classmethod
    def compile(cls, source: str) -> Folded:
        return cls(re.compile(source, re.IGNORECASE), _twin_of(source))

    def on(self, text: str, lowered: str | None) -> tuple[re.Pattern, str]:
        """The pattern to use and the text to use it on (``lowered``: the text lowercased,
        when it is ASCII); positions are the same in both texts."""
        if lowered is not None and self.lowercase is not None:
            return self.lowercase, lowered
        return self.pattern, text


@dataclass(frozen=True)
class Words:
    """Whole words or phrases, matched case-insensitively."""

    pattern: re.Pattern
    lowercase: re.Pattern | None  # the same, case-sensitive, for lowercased ASCII text

    @classmethod
    def of(cls, patterns: list[str]) -> Words | None:
        compiled = _whole(patterns)
        return cls(compiled, _lowercase_twin(patterns)) if compiled else None

    def spans(self, text: str, lowered: str | None) -> Iterator[tuple[int, int]]:
        if lowered is not None and self.lowercase is not None:
            return (m.span() for m in self.lowercase.finditer(lowered))
        return (m.span() for m in self.pattern.finditer(text))

    def found_in(self, text: str, lowered: str | None) -> bool:
        if lowered is not None and self.lowercase is not None:
            return self.lowercase.search(lowered) is not None
        return self.pattern.search(text) is not None


# --- The rules, compiled once per request ------------------------------------------------


@dataclass(frozen=True)
class RewriteStep:
    pattern: re.Pattern | None
    replacement: str = ""
    append: str = ""
    # The pattern's case-sensitive twin (see ``_lowercase_twin``): most steps find nothing,
    # and finding that on the lowercased text costs a third of a case-insensitive sub.
    lowercase: re.Pattern | None = None

    def apply(self, text: str, lowered: str | None = None) -> str:
        """The text after this step; ``lowered``: the text lowercased, when it is ASCII."""
        if self.pattern is None:
            ending = "." if text.rstrip().endswith(".") else ""
            return f"{text.rstrip(' .\n')}, {self.append}{ending}"
        twin = self.lowercase
        if lowered is not None and twin is not None and twin.search(lowered) is None:
            return text
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
    pattern: Words | None
    unless: Words | None
    requires: str | None
    over_seconds: float | None
    rewrite: tuple[RewriteStep, ...]
    rewrite_note: str
    multipliers: dict[str, tuple[float, str]] = field(default_factory=dict)

    @classmethod
    def from_model(cls, rule: RiskRule) -> Rule:
        steps = tuple(
            RewriteStep(
                re.compile(WHOLE.format(s["replace"]), re.IGNORECASE),
                s["with"],
                lowercase=_lowercase_twin([s["replace"]]),
            )
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
            pattern=Words.of(rule.patterns),
            unless=Words.of(rule.unless),
            requires=rule.requires.slug if rule.requires else None,
            over_seconds=rule.over_seconds,
            rewrite=steps,
            rewrite_note=rule.rewrite_note,
            multipliers={m.platform.slug: (m.multiplier, m.reason) for m in rule.modifiers.all()},
        )


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[Rule, ...]
    negated_before: Folded
    negated_after: Folded
    clause_break: Folded
    platforms: dict[str, Platform]
    modes: tuple[FailureMode, ...] = ()

    @property
    def platform_list(self) -> list[Platform]:
        return list(self.platforms.values())

    # What does not depend on the prompt is worked out once per rule set (the rule set is
    # cached per process), so that scoring a prompt only looks at the rules that fired.

    @cached_property
    def rules_by_mode(self) -> dict[str, tuple[Rule, ...]]:
        """The rules that can add points to each mode, in the rules' order."""
        return {
            mode.slug: tuple(r for r in self.rules if mode.slug in r.modes and r.weight != 0)
            for mode in self.modes
        }

    @cached_property
    def modes_of(self) -> dict[str, frozenset[str]]:
        """The modes each rule can add points to."""
        return {r.slug: r.modes for r in self.rules if r.weight != 0}

    @cached_property
    def weighting(self) -> dict[str, dict[str, tuple[tuple[float, str], ...]]]:
        """How each platform weighs each mode's rules (multiplier, reason): platforms
        that weigh a mode alike score it alike for every prompt."""
        return {
            slug: {
                mode: tuple(rule.multipliers.get(slug, (1.0, "")) for rule in mode_rules)
                for mode, mode_rules in self.rules_by_mode.items()
            }
            for slug in self.platforms
        }

    @cached_property
    def requires(self) -> dict[str, str | None]:
        return {rule.slug: rule.requires for rule in self.rules}

    @cached_property
    def by_slug(self) -> dict[str, Rule]:
        return {rule.slug: rule for rule in self.rules}

    @cached_property
    def profiles(self) -> dict[str, dict[str, FailureProfile]]:
        """Each platform's own profiles, by failure-mode slug."""
        return {
            slug: {profile.failure_mode.slug: profile for profile in platform.profiles.all()}
            for slug, platform in self.platforms.items()
        }

    @cached_property
    def unscored(self) -> dict[str, tuple[ModeScore, ...]]:
        """Each platform's scores for a prompt that fires no rule: the same for every
        prompt, so built once; scoring replaces only the modes a fired rule touches."""
        result = {}
        for slug in self.platforms:
            profiles = self.profiles[slug]
            result[slug] = tuple(
                ModeScore(
                    failure_mode=mode,
                    profile=profiles.get(mode.slug),
                    platform_slug=slug,
                    score=0,
                    level=level_for(0) if mode.predictable else NOT_ASSESSED,
                    reasons=(),
                )
                for mode in self.modes
            )
        return result


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

    def anchored(template: str, patterns: list[str]) -> Folded:
        if not patterns:
            return Folded(_NEVER, _NEVER)
        return Folded.compile(template.format(_alternation(patterns)))

    return RuleSet(
        rules=tuple(Rule.from_model(rule) for rule in rules),
        negated_before=anchored(r"(?:{})\s*$", cues[NegationCue.Side.BEFORE]),
        negated_after=anchored(r"\s*(?:{})", cues[NegationCue.Side.AFTER]),
        clause_break=anchored("{}", cues[NegationCue.Side.CLAUSE_BREAK]),
        platforms={p.slug: p for p in platforms},
        modes=tuple(FailureMode.objects.order_by("term")),
    )


def current_rules() -> RuleSet:
    """The rule set, kept per process until the knowledge changes: loading costs ~8 ms."""
    return knowledge_cache.cached("preflight rules", load_rules)


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
        self.lowered = text.lower() if text.isascii() else None
        self.rules = rules
        pattern, on = rules.clause_break.on(text, self.lowered)
        spans = [m.span() for m in pattern.finditer(on)]
        self.starts = [s for s, _ in spans]
        self.ends = [e for _, e in spans]

    def negated(self, start: int, end: int) -> bool:
        i = bisect.bisect_right(self.ends, start)
        clause_start = self.ends[i - 1] if i else 0
        j = bisect.bisect_left(self.starts, end)
        clause_end = self.starts[j] if j < len(self.starts) else len(self.text)
        before, text = self.rules.negated_before.on(self.text, self.lowered)
        if before.search(text[clause_start:start]):
            return True
        after, text = self.rules.negated_after.on(self.text, self.lowered)
        return after.match(text[end:clause_end]) is not None


def _cues(rule: Rule, clauses: _Clauses) -> tuple[Match, ...]:
    text, lowered = clauses.text, clauses.lowered
    if rule.pattern is None:
        return ()
    matches = tuple(
        Match(start, end, text[start:end])
        for start, end in rule.pattern.spans(text, lowered)
        if not clauses.negated(start, end)
    )
    # The rule's exceptions are looked for only when its words are there: most rules
    # find nothing in a prompt.
    if matches and rule.unless and rule.unless.found_in(text, lowered):
        return ()
    return matches


def _own_hit(rule: Rule, clauses: _Clauses, duration_s: float) -> tuple[Match, ...] | None:
    """What fires the rule by itself (its gate aside), or None when it does not fire."""
    matches = _cues(rule, clauses)
    by_text = rule.pattern is None or bool(matches)
    by_time = rule.over_seconds is None or duration_s > rule.over_seconds
    if by_text and by_time and (rule.pattern or rule.over_seconds is not None):
        return matches
    return None


def _fires(slug: str, own: Callable[[str], bool], requires: dict[str, str | None]) -> bool:
    """A rule fires when its own cues do and, in turn, the rule it requires (at most 8 deep)."""
    depth = 0
    while own(slug):
        needed = requires.get(slug)
        if needed is None:
            return True
        if depth >= 8:
            return False
        slug, depth = needed, depth + 1
    return False


def find_hits(prompt: str, duration_s: float, rules: RuleSet) -> dict[str, tuple[Match, ...]]:
    """The rules that fire for this prompt and clip length, with the text that fired them."""
    clauses = _Clauses(prompt, rules)
    own: dict[str, tuple[Match, ...]] = {}
    for rule in rules.rules:
        matches = _own_hit(rule, clauses, duration_s)
        if matches is not None:
            own[rule.slug] = matches
    fired = own.__contains__
    return {slug: hit for slug, hit in own.items() if _fires(slug, fired, rules.requires)}


class _LazyHits:
    """``find_hits`` of a text, each rule looked for only when asked about: scoring a
    rewrite for one failure mode asks about that mode's rules (and the rules they
    require), not about all of them. The same answers as ``find_hits``."""

    def __init__(self, text: str, duration_s: float, rules: RuleSet) -> None:
        self.clauses = _Clauses(text, rules)
        self.duration_s = duration_s
        self.rules = rules
        self.own: dict[str, tuple[Match, ...] | None] = {}
        self.fired: dict[str, bool] = {}

    def _own(self, slug: str) -> bool:
        if slug not in self.own:
            rule = self.rules.by_slug.get(slug)
            self.own[slug] = _own_hit(rule, self.clauses, self.duration_s) if rule else None
        return self.own[slug] is not None

    def __contains__(self, slug: str) -> bool:
        if slug not in self.fired:
            self.fired[slug] = _fires(slug, self._own, self.rules.requires)
        return self.fired[slug]

    def __getitem__(self, slug: str) -> tuple[Match, ...]:
        if slug not in self:
            raise KeyError(slug)
        matches = self.own[slug]
        assert matches is not None
        return matches


# The rules that fired for a text, with their matches: all of them or found when asked.
Hits = dict[str, tuple[Match, ...]] | _LazyHits


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
class Rewrite:
    text: str
    duration_s: float
    score: int
    level: str
    notes: tuple[str, ...]


@dataclass(frozen=True)
class ModeScore:
    failure_mode: FailureMode
    profile: FailureProfile | None  # None: the platform has no profile of its own for it
    platform_slug: str
    score: int
    level: str
    reasons: tuple[Reason, ...]
    # The safer rewrite, worked out when first asked for: a score of one platform (the
    # API, the page for one platform) never shows the others' rewrites. None: nothing fired.
    rewritten: Callable[[], Rewrite] | None = field(default=None, compare=False, repr=False)
    # Set once on creation: ranking the platforms of one prompt reads them hundreds of times.
    assessed: bool = field(init=False, compare=False, repr=False)
    # This platform has its own documented profile of this failure, with risk factors.
    documented: bool = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "assessed", self.level != NOT_ASSESSED)
        object.__setattr__(self, "documented", bool(self.profile and self.profile.risk_factors))

    @cached_property
    def _rewrite(self) -> Rewrite | None:
        return self.rewritten() if self.rewritten else None

    @property
    def rewrite(self) -> str | None:
        return self._rewrite.text if self._rewrite else None

    @property
    def rewrite_duration_s(self) -> float | None:
        return self._rewrite.duration_s if self._rewrite else None

    @property
    def rewrite_score(self) -> int | None:
        return self._rewrite.score if self._rewrite else None

    @property
    def rewrite_level(self) -> str | None:
        return self._rewrite.level if self._rewrite else None

    @property
    def rewrite_notes(self) -> tuple[str, ...]:
        return self._rewrite.notes if self._rewrite else ()

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

    # Computed once per score (the scores never change once made); ``worst`` is asked
    # for many times while platforms are ranked.
    @cached_property
    def assessed(self) -> list[ModeScore]:
        return [m for m in self.modes if m.assessed]

    @property
    def at_risk(self) -> list[ModeScore]:
        return sorted((m for m in self.modes if m.reasons), key=lambda m: -m.score)

    @property
    def not_assessed(self) -> list[ModeScore]:
        return [m for m in self.modes if not m.assessed]

    @cached_property
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

    @cached_property
    def documented(self) -> bool:
        """Enough is known about this platform's failures to recommend it for a shot."""
        return any(mode.documented for mode in self.modes)


def _round(value: float) -> int:
    return math.floor(value + 0.5)


def _reasons(
    hits: Hits,
    mode: str,
    platform: str,
    rules: RuleSet,
    made: dict[tuple[str, float, str], Reason] | None = None,
) -> list[tuple[Rule, Reason]]:
    """The fired rules that add points to ``mode`` on ``platform``, with why. ``made``:
    the reasons already made for these hits (a rule touches several modes, and platforms
    often weigh it alike; reasons are immutable, so they are shared)."""
    made = {} if made is None else made
    found = []
    for rule in rules.rules_by_mode[mode]:
        if rule.slug not in hits:
            continue
        multiplier, why = rule.multipliers.get(platform, (1.0, ""))
        key = (rule.slug, multiplier, why)
        if key not in made:
            made[key] = Reason(
                rule=rule.slug,
                label=rule.label,
                explanation=rule.explanation,
                points=_points(rule, multiplier),
                matches=hits[rule.slug],
                over_seconds=rule.over_seconds,
                multiplier=multiplier,
                modifier_reason=why,
            )
        found.append((rule, made[key]))
    return found


def _points(rule: Rule, multiplier: float) -> int:
    return _round(rule.weight * multiplier)


def _total(reasons: list[Reason]) -> int:
    return min(MAX_SCORE, sum(r.points for r in reasons))


def _score(hits: Hits, mode: str, platform: str, rules: RuleSet) -> int:
    """``_total`` of ``_reasons``, without making the reasons."""
    points = (
        _points(rule, rule.multipliers.get(platform, (1.0, ""))[0])
        for rule in rules.rules_by_mode[mode]
        if rule.slug in hits
    )
    return min(MAX_SCORE, sum(points))


def rewrite_prompt(
    prompt: str, duration_s: float, fired: list[Rule], rules: RuleSet
) -> tuple[str, float]:
    """Apply each fired rule's rewrite steps, in order, while that rule still fires."""
    text = prompt
    clauses = None  # the clauses of ``text``, found again only after a step changed it
    for rule in fired:
        if rule.over_seconds is not None:
            duration_s = min(duration_s, rule.over_seconds)
        checked = None  # most steps change nothing, so only look again after a change
        for step in rule.rewrite:
            if text != checked:
                if clauses is None or clauses.text != text:
                    clauses = _Clauses(text, rules)
                if not _cues(rule, clauses):
                    break
                checked = text
            lowered = clauses.lowered if clauses and clauses.text == text else None
            text = step.apply(text, lowered)
    return tidy(text), duration_s


def tidy(text: str) -> str:
    # Two rewrites may each add the same word ("slow slow pan"): say it once.
    text = re.sub(r"\b(\w+)(\s+\1\b)+", r"\1", text, flags=re.IGNORECASE)
    text = re.sub(r"[ \t]{2,}", " ", text)
    text = re.sub(r"[ \t]+([,.;:!?])", r"\1", text)
    text = re.sub(r",(?:\s*,)+", ",", text)
    return text.strip(" ,;")


# Rewrites already made for this prompt, by the rules that fired: platforms often share them.
Rewrites = dict[tuple[str, ...], tuple[str, float, _LazyHits]]


class _Scoring:
    """One prompt scored on any number of platforms. What platforms share is worked out
    once: the cues found, each rewrite, and a mode's whole score where two platforms
    weigh that mode's rules alike (scores are immutable, so they can be shared)."""

    def __init__(self, prompt: str, duration_s: float, rules: RuleSet) -> None:
        self.prompt = prompt
        self.duration_s = duration_s
        self.rules = rules
        self.hits = find_hits(prompt, duration_s, rules)
        self.touched = {mode for slug in self.hits for mode in rules.modes_of.get(slug, ())}
        # Where the catalogue's modes that this prompt scores sit in each platform's list.
        self.scored = [
            (i, mode)
            for i, mode in enumerate(rules.modes)
            if mode.predictable and mode.slug in self.touched
        ]
        self.rewrites: Rewrites = {}
        self.reasons: dict[tuple[str, float, str], Reason] = {}
        self.shared: dict[tuple[str, tuple[tuple[float, str], ...]], dict[str, Any]] = {}

    def platform(self, platform: Platform) -> PlatformScore:
        # Every mode of the catalogue on every platform; the platform's own profile, where
        # it has one, is what makes a score "documented". A mode no fired rule touches
        # scores as it does for every such prompt: the rule set's score, made once.
        rules, slug = self.rules, platform.slug
        profiles = rules.profiles[slug]
        modes = list(rules.unscored[slug])
        for i, mode in self.scored:
            modes[i] = self.mode(mode, profiles.get(mode.slug), slug)
        return PlatformScore(platform=platform, modes=tuple(modes))

    def mode(
        self, failure_mode: FailureMode, profile: FailureProfile | None, platform: str
    ) -> ModeScore:
        key = (failure_mode.slug, self.rules.weighting[platform][failure_mode.slug])
        if key not in self.shared:
            self.shared[key] = self._mode_score(failure_mode, platform)
        return ModeScore(
            failure_mode=failure_mode, profile=profile, platform_slug=platform, **self.shared[key]
        )

    def _mode_score(self, failure_mode: FailureMode, platform: str) -> dict[str, Any]:
        rules, mode = self.rules, failure_mode.slug
        if not failure_mode.predictable:
            return {"score": 0, "level": NOT_ASSESSED, "reasons": ()}
        found = _reasons(self.hits, mode, platform, rules, self.reasons)
        reasons = sorted((r for _, r in found), key=lambda r: -r.points)
        score = _total(reasons)
        if not reasons:
            return {"score": score, "level": level_for(score), "reasons": ()}
        fired = [rule for rule, _ in found]
        return {
            "score": score,
            "level": level_for(score),
            "reasons": tuple(reasons),
            "rewritten": lambda: self._rewrite(fired, mode, platform),
        }

    def _rewrite(self, fired: list[Rule], mode: str, platform: str) -> Rewrite:
        rules, key = self.rules, tuple(rule.slug for rule in fired)
        if key not in self.rewrites:
            text, new_duration = rewrite_prompt(self.prompt, self.duration_s, fired, rules)
            self.rewrites[key] = (text, new_duration, _LazyHits(text, new_duration, rules))
        text, new_duration, new_hits = self.rewrites[key]
        new_score = _score(new_hits, mode, platform, rules)
        return Rewrite(
            text=text,
            duration_s=new_duration,
            score=new_score,
            level=level_for(new_score),
            notes=tuple(dict.fromkeys(r.rewrite_note for r in fired if r.rewrite_note)),
        )


def score_prompt(
    prompt: str, *, platform: str, duration_s: float, rules: RuleSet
) -> list[ModeScore]:
    """One score per failure mode that can be read from a prompt, worst first."""
    result = _Scoring(prompt, duration_s, rules).platform(rules.platforms[platform])
    return sorted(result.assessed, key=lambda m: (-m.score, not m.documented))


def compare_platforms(prompt: str, *, duration_s: float, rules: RuleSet) -> list[PlatformScore]:
    """Every platform scored for this shot, lowest documented risk first."""
    scoring = _Scoring(prompt, duration_s, rules)
    scores = [scoring.platform(p) for p in rules.platform_list]
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

    # Worked out when first shown: the API shows none of them.
    @cached_property
    def best(self) -> PlatformScore | None:
        return best_platform(self.comparison)

    @cached_property
    def segments(self) -> list[Segment]:
        """The prompt, with the words that raised the shown platforms' risks marked."""
        shown = [self.chosen] if self.chosen else self.comparison
        return highlight(self.prompt, [r for s in shown for m in s.modes for r in m.reasons])

    @cached_property
    def suggestion(self) -> Suggestion | None:
        return suggest_platform(self.chosen, self.comparison) if self.chosen else None

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
    return Report(prompt=prompt, duration_s=duration_s, comparison=comparison, chosen=chosen)


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
