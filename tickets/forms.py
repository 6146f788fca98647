"""One form per wizard step. Forms validate and normalise; they do not save."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlsplit

from django import forms
from django.core.exceptions import ValidationError

from platforms.models import PlanTier, Platform, PlatformModel
from platforms.outcomes import Outcome
from tickets.catalogue import Catalogue
from tickets.evidence import MAX_SCREENSHOTS, parse_blur_boxes, too_many_files_message
from tickets.models import CREDIT_OUTCOMES, UNLISTED_PLAN, Case, Screenshot
from tickets.timestamps import TimestampError, parse_clip_length, parse_clip_time
from tickets.user_text import UserTextField

MAX_PROMPT = 20_000
MAX_OBSERVATIONS = 20_000
SOMETHING_ELSE = "something-else"  # the failure step's choice when no catalogue term fits


class PlanChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: PlanTier) -> str:
        return obj.name


class PlatformForm(forms.Form):
    platform = forms.ModelChoiceField(
        Platform.objects.all(),
        widget=forms.RadioSelect,
        empty_label=None,
        error_messages={"required": "Choose the platform you generated on."},
    )
    plan = PlanChoiceField(
        PlanTier.objects.select_related("platform").order_by("platform__position", "position"),
        label="Your plan",
        help_text="Your plan decides which support channel you can reach.",
        error_messages={"required": "Choose your plan.", "invalid_choice": "Choose your plan."},
    )

    ai_model = forms.ModelChoiceField(
        PlatformModel.objects.select_related("platform").order_by("platform__position", "position"),
        required=False,
        label="Model (optional)",
        help_text="Which generator made the clip, where the platform offers several.",
        error_messages={"invalid_choice": "Choose a model from the list."},
    )
    plan_name = UserTextField(
        max_length=60,
        required=False,
        label="Your plan's name (optional)",
        help_text="Only if your plan is not listed: type it as your account shows it.",
    )

    def __init__(self, *args, only_platform: Platform | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        plans = list(self.fields["plan"].queryset)
        models = list(self.fields["ai_model"].queryset)
        if only_platform:
            # htmx asked for one platform's plans: a short list, preselected when there is one.
            plans = [plan for plan in plans if plan.platform_id == only_platform.pk]
            self.fields["plan"].choices = [("", "Choose your plan")] + [
                (plan.pk, plan.name) for plan in plans
            ]
            if len(plans) == 1:
                self.initial["plan"] = plans[0].pk
            if all(plan.slug == UNLISTED_PLAN for plan in plans):
                self.fields["plan"].help_text = (
                    f"AVA has no list of {only_platform.name}'s plans yet: keep “Plan not "
                    "listed” and type your plan's name below."
                )
            models = [m for m in models if m.platform_id == only_platform.pk]
            if hosts_several_models(models):
                self.fields["ai_model"].choices = [("", "Not sure")] + [
                    (m.pk, m.name) for m in models
                ]
            else:
                del self.fields["ai_model"]  # one generator: nothing to ask
            return
        # Without JavaScript, plans and models are grouped under their platform.
        groups: dict[str, list[tuple[int, str]]] = {}
        for plan in plans:
            groups.setdefault(plan.platform.name, []).append((plan.pk, plan.name))
        self.fields["plan"].choices = [("", "Choose your plan"), *groups.items()]
        by_platform: dict[str, list[PlatformModel]] = {}
        for model in models:
            by_platform.setdefault(model.platform.name, []).append(model)
        self.fields["ai_model"].choices = [("", "Not sure")] + [
            (name, [(m.pk, m.name) for m in group])
            for name, group in by_platform.items()
            if hosts_several_models(group)
        ]

    def clean(self):
        data = super().clean()
        platform, plan = data.get("platform"), data.get("plan")
        if platform and plan and plan.platform_id != platform.pk:
            self.add_error("plan", f"“{plan.name}” is not a {platform.name} plan.")
        model = data.get("ai_model")
        if platform and model and model.platform_id != platform.pk:
            self.add_error("ai_model", f"“{model.name}” is not a model on {platform.name}.")
        return data


def hosts_several_models(models: list[PlatformModel]) -> bool:
    """Whether asking for the model tells support anything ("other" is not a model)."""
    return len([m for m in models if m.slug != "other"]) >= 2


class OutcomeForm(forms.Form):
    outcome = forms.ChoiceField(
        choices=Outcome.choices,
        widget=forms.RadioSelect,
        label="How did the generation end?",
        error_messages={"required": "Choose how the generation ended."},
    )
    credits_returned = forms.TypedChoiceField(
        choices=[("no", "No, they were not returned"), ("yes", "Yes, they came back")],
        coerce=lambda value: value == "yes",
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
        label="Did the credits come back?",
        help_text="Check your credit balance or billing history.",
    )
    spec_aspect = forms.ChoiceField(
        choices=Case.SpecAspect.choices,
        required=False,
        widget=forms.RadioSelect,
        label="What is not as you paid for?",
    )

    def clean(self):
        data = super().clean()
        outcome = data.get("outcome")
        if outcome in CREDIT_OUTCOMES:
            if data.get("credits_returned") is None:
                self.add_error("credits_returned", "Tell us whether the credits came back.")
        else:
            data["credits_returned"] = None
        if outcome == Outcome.ENTITLEMENT:
            if not data.get("spec_aspect"):
                self.add_error("spec_aspect", "Choose what is not as you paid for.")
        else:
            data["spec_aspect"] = ""
        return data


class FailureForm(forms.Form):
    """What went wrong: symptoms from the catalogue, and the term they point to."""

    symptoms = forms.MultipleChoiceField(
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="What do you see in the clip?",
        help_text="Tick everything that matches.",
    )
    failure_mode = forms.ChoiceField(
        widget=forms.RadioSelect,
        required=False,
        label="The failure term for your ticket",
    )
    own_words = UserTextField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=MAX_OBSERVATIONS,
        required=False,
        label="Describe it in your own words",
        help_text="Only if you chose “Something else”: what you see, and when in the clip.",
    )

    def __init__(self, *args, catalogue: Catalogue, **kwargs):
        super().__init__(*args, **kwargs)
        self.catalogue = catalogue
        self.fields["symptoms"].choices = [(key, text) for key, text, _ in catalogue.symptoms]
        self.fields["failure_mode"].choices = [
            *((mode.slug, mode.term) for mode in catalogue.modes),
            (SOMETHING_ELSE, "Something else: none of these fits"),
        ]

    def clean_symptoms(self) -> list[str]:
        chosen = set(self.cleaned_data["symptoms"])
        return [text for key, text, _ in self.catalogue.symptoms if key in chosen]

    def clean(self):
        data = super().clean()
        slug = data.get("failure_mode")
        if not slug and "symptoms" in data:
            # Nothing chosen by hand: the best match of the ticked symptoms, as the page shows.
            best = self.catalogue.suggest(self.data_symptom_keys())
            slug = best[0].slug if best else ""
        if slug == SOMETHING_ELSE:
            data["failure_mode"] = None
            if not data.get("own_words"):
                self.add_error("own_words", "Describe what went wrong in a few words.")
        elif slug:
            data["failure_mode"] = self.catalogue.mode(slug)
            data["own_words"] = ""
        else:
            self.add_error(
                "failure_mode",
                "Tick what you see, or choose a term, or “Something else” to describe it.",
            )
        return data

    def data_symptom_keys(self) -> list[str]:
        getlist = getattr(self.data, "getlist", None)
        return getlist("symptoms") if getlist else list(self.data.get("symptoms", []))


def _credits_field(label: str) -> forms.FloatField:
    return forms.FloatField(
        min_value=0,
        max_value=10_000_000,
        required=False,
        label=label,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "any"}),
        error_messages={"invalid": "Enter a number of credits, for example 25."},
    )


CLIP_TIMES = ("first_visible", "worst")  # moments in the clip: a time or a range each


# Words that date a run from the day the ticket was written, which support will not know.
RELATIVE_DAY = re.compile(
    r"\b(?:today|yesterday|tonight|tomorrow|last night|this (?:morning|afternoon|evening)"
    r"|\d+\s*(?:min(?:ute)?s?|h(?:ou)?rs?|hours?|days?)\s+ago)\b",
    re.IGNORECASE,
)


class DetailsForm(forms.Form):
    """The facts of one generation. Which fields an outcome asks for: DETAIL_FIELDS."""

    generation_id = forms.CharField(max_length=2000)
    error_text = UserTextField(
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        required=False,
        label="The error message, as shown",
        help_text="Copy it word for word if you can.",
    )
    attempted_at = UserTextField(
        max_length=80,
        label="When you tried",
        help_text="Date and time with your time zone, for example 1 Dec, 14:05 CET.",
        error_messages={"required": "Enter when you tried, for example 1 Dec, 14:05 CET."},
    )
    credits_charged = _credits_field("Credits charged (optional)")
    balance_before = _credits_field("Credit balance before (optional)")
    balance_after = _credits_field("Credit balance after (optional)")
    waited = UserTextField(
        max_length=80,
        required=False,
        label="How long you waited (optional)",
        help_text="For example 40 minutes.",
    )
    spec_expected = UserTextField(
        max_length=200,
        required=False,
        label="What your plan or settings promised (optional)",
        help_text="For example 1080p, 10 seconds, 24 fps, with sound.",
    )
    spec_delivered = UserTextField(
        max_length=200,
        label="What you got",
        help_text="For example 720p, 5 seconds, no sound.",
        error_messages={"required": "Say what you got instead, for example 720p."},
    )
    prompt = UserTextField(
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=MAX_PROMPT,
        label="The prompt you used",
        help_text="Paste it exactly as you submitted it.",
        error_messages={"required": "Paste the prompt you used."},
    )
    clip_length = forms.CharField(
        max_length=20,
        label="Clip length",
        help_text="For example 5s or 0:10.",
        error_messages={"required": "Enter how long the clip is, for example 5s."},
    )
    first_visible = forms.CharField(
        max_length=40,
        label="When does the failure first become visible?",
        help_text="A time like 1.2s or 0:02, or a range like 0:01-0:03.",
        error_messages={"required": "Enter when the failure first becomes visible, e.g. 1.2s."},
    )
    worst = forms.CharField(
        max_length=40,
        required=False,
        label="The worst moment (optional)",
        help_text="When the failure looks worst, if that is later.",
    )
    observations = UserTextField(
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=MAX_OBSERVATIONS,
        required=False,
        label="Anything else support should know (optional)",
        help_text="In your own words, for example what you expected instead.",
    )

    def __init__(
        self,
        *args,
        platform: Platform,
        outcome: str,
        spec_aspect: str = "",
        **kwargs,
    ):
        wanted = detail_fields(outcome, platform)
        # Copy only the fields this outcome asks for (BaseForm copies ``base_fields`` for
        # each form): a step page builds its form on every request.
        self.base_fields = {n: f for n, f in type(self).base_fields.items() if n in wanted}
        super().__init__(*args, **kwargs)
        self.platform = platform
        for name, label in DETAIL_LABELS.get(outcome, {}).items():
            if name in self.fields:
                self.fields[name].label, self.fields[name].help_text = label
        if spec_aspect == Case.SpecAspect.WATERMARK and "spec_delivered" in self.fields:
            field = self.fields["spec_delivered"]
            field.label, field.help_text = "Where the watermark shows", "For example bottom right."
            self.fields.pop("spec_expected", None)
        if "prompt" in self.fields and outcome not in PROMPT_REQUIRED:
            self.fields["prompt"].required = False
            self.fields["prompt"].label = "The prompt you used (optional)"
        field = self.fields["generation_id"]
        field.required = outcome in ID_REQUIRED
        field.label = platform.id_label if field.required else f"{platform.id_label} (optional)"
        paste_hint = (
            f" You can paste the {platform.id_label} or the link to the generation."
            if platform.id_url_patterns or platform.official_domains
            else ""
        )
        field.help_text = f"{platform.id_location}{paste_hint}".strip()
        field.error_messages["required"] = f"Enter the {platform.id_label}."

    def clean_generation_id(self) -> str:
        text = self.cleaned_data["generation_id"].strip()
        if not text:
            return ""
        generation_id = self.platform.extract_id(text) or id_from_link(self.platform, text)
        if generation_id is None and re.match(r"(?:https?://|www\.)", text, re.IGNORECASE):
            label = self.platform.id_label
            shape = f" It is {self.platform.id_shape}." if self.platform.id_shape else ""
            raise ValidationError(
                f"AVA cannot find the {label} in this link. Open the generation on "
                f"{self.platform.name} and copy the {label} itself, or its share link.{shape}"
            )
        if generation_id is None:
            where = (
                " or the link to the generation"
                if self.platform.id_url_patterns or self.platform.official_domains
                else ""
            )
            raise ValidationError(
                f"That does not look like a {self.platform.name} {self.platform.id_label}. "
                f"Paste the {self.platform.id_label} itself{where}: "
                f"{self.platform.id_shape_text}."
            )
        return generation_id

    def clean_attempted_at(self) -> str:
        text = self.cleaned_data["attempted_at"]
        if found := RELATIVE_DAY.search(text):
            raise ValidationError(
                f"Write the date itself, for example 1 Dec, 14:05 CET: “{found[0]}” will mean "
                "another day by the time support reads your ticket."
            )
        return text

    def clean_clip_length(self) -> float:
        try:
            return parse_clip_length(self.cleaned_data["clip_length"])
        except TimestampError as exc:
            raise ValidationError(str(exc)) from None

    def clean(self):
        data = super().clean()
        length = data.get("clip_length")
        for name in CLIP_TIMES:
            if name not in self.fields:
                continue
            text = data.get(name)
            if not text:
                data[name] = None
                continue
            try:
                data[name] = parse_clip_time(text, clip_length_s=length)
            except TimestampError as exc:
                self.add_error(name, str(exc))
        before, after = data.get("balance_before"), data.get("balance_after")
        if before is not None and after is not None and after > before:
            self.add_error("balance_after", "The balance after is higher than before: check both.")
        return data


# Which facts each outcome asks for, in the order the step shows them. The ticket shows the
# same facts, so a ticket never carries a field its outcome did not ask for.
DETAIL_FIELDS: dict[str, tuple[str, ...]] = {
    Outcome.ERROR: (
        "generation_id",
        "error_text",
        "attempted_at",
        "credits_charged",
        "balance_before",
        "balance_after",
        "waited",
        "prompt",
        "observations",
    ),
    Outcome.DEFECT: (
        "generation_id",
        "prompt",
        "clip_length",
        "first_visible",
        "worst",
        "observations",
    ),
    Outcome.MODERATION: (
        "generation_id",
        "error_text",
        "attempted_at",
        "credits_charged",
        "prompt",
        "observations",
    ),
    Outcome.STALLED: (
        "generation_id",
        "error_text",
        "attempted_at",
        "waited",
        "credits_charged",
        "prompt",
        "observations",
    ),
    Outcome.ENTITLEMENT: ("generation_id", "spec_expected", "spec_delivered", "observations"),
}
ID_REQUIRED = (Outcome.DEFECT, Outcome.ENTITLEMENT)
# What is judged is in the prompt for a defect or a block; for an error or a stall it helps.
PROMPT_REQUIRED = (Outcome.DEFECT, Outcome.MODERATION)
DETAIL_LABELS: dict[str, dict[str, tuple[str, str]]] = {
    Outcome.MODERATION: {
        "error_text": ("The message you were shown", "Copy it word for word if you can."),
        "attempted_at": (
            "When it was blocked",
            "Date and time with your time zone, for example 1 Dec, 14:05 CET.",
        ),
    },
    Outcome.STALLED: {
        "error_text": (
            "What the page shows (optional)",
            "For example “In queue” or a progress bar stuck at 90 %.",
        ),
        "attempted_at": ("When you started it", "Date and time with your time zone."),
        "waited": ("How long you have waited", "For example 3 hours."),
    },
}


def detail_fields(outcome: str, platform: Platform | None = None) -> tuple[str, ...]:
    """The facts an outcome asks for; a moderation block asks about credits only when the
    platform charges for blocks (or nobody knows whether it does)."""
    names = DETAIL_FIELDS.get(outcome, DETAIL_FIELDS[Outcome.DEFECT])
    if outcome == Outcome.MODERATION and platform and charges_for_blocks(platform) is False:
        names = tuple(name for name in names if name != "credits_charged")
    return names


def credit_rule(platform: Platform, outcome: str):
    """What the platform says happens to the credits when a generation ends this way."""
    getter = getattr(platform, "credit_rule", None)
    return getter(outcome) if getter else None


def charges_for_blocks(platform: Platform) -> bool | None:
    """Does the platform keep the credits of a generation moderation blocked? None: unknown."""
    rule = credit_rule(platform, Outcome.MODERATION)
    if rule is None or rule.returns_credits is None:
        return None
    return not rule.returns_credits


def id_from_link(platform: Platform, text: str) -> str | None:
    """An ID-shaped part of a link on one of the platform's own domains, or None.

    The help tells users the ID is in the generation's address or share link, but for most
    platforms nobody has recorded the link's exact shape: take the last part of the path (or
    a query value) that looks like an ID, and show it back, rather than refuse the paste.
    """
    url = text if "://" in text else f"https://{text}"
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    if not any(host == d or host.endswith(f".{d}") for d in platform.official_domains):
        return None
    candidates = [value for _, value in parse_qsl(parts.query)]
    candidates += reversed([segment for segment in parts.path.split("/") if segment])
    for candidate in candidates:
        if re.search(r"\d", candidate) and len(candidate) >= 8:
            found = platform.extract_id(candidate)
            if found:
                return found
    return None


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Django's documented pattern for an <input type=file multiple>."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        # Empty files are refused per file, with their name, by the ingest step.
        kwargs.setdefault("allow_empty_file", True)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single_clean = super().clean
        if isinstance(data, list | tuple):
            return [single_clean(item, initial) for item in data]
        return [single_clean(data, initial)]


def _clip_time_field(label: str) -> forms.CharField:
    return forms.CharField(
        max_length=40, required=False, label=label, help_text="For example 0:02 or 1.2s."
    )


class ScreenshotTimeMixin:
    """What a screenshot of this case may show, and the clip time it shows where the
    generation left a clip; a case with no clip is asked no time."""

    clip_length_s: float | None
    fields: dict[str, forms.Field]

    def _fit_to(self, case: Case, *, keep_role: str = "", first: tuple | None = None) -> None:
        self.clip_length_s = case.clip_length_s
        role = self.fields["role"]
        assert isinstance(role, forms.ChoiceField)
        role.choices = [*([first] if first else []), *Screenshot.roles_for(case, keep=keep_role)]
        if not case.left_a_clip:
            del self.fields["time"]

    def clean_time(self) -> float | None:
        text = self.cleaned_data["time"]
        if not text:
            return None
        try:
            clip_time = parse_clip_time(text, clip_length_s=self.clip_length_s)
        except TimestampError as exc:
            raise ValidationError(str(exc)) from None
        if clip_time.end is not None:
            raise ValidationError("A screenshot shows one moment: enter one time, not a range.")
        return clip_time.start


class ScreenshotUploadForm(ScreenshotTimeMixin, forms.Form):
    GUESS = ""
    screenshots = MultipleFileField(
        label="Screenshots",
        help_text=f"PNG, JPEG or WebP, up to 15 MB each, at most {MAX_SCREENSHOTS} per case. "
        "You can pick several at once.",
        widget=MultipleFileInput(attrs={"accept": "image/png,image/jpeg,image/webp"}),
        error_messages={"required": "Choose one or more screenshots to upload."},
    )
    role = forms.ChoiceField(required=False, label="What they show")
    time = _clip_time_field("Time in the clip (optional)")

    def __init__(self, *args, case: Case, room: int = MAX_SCREENSHOTS, **kwargs):
        super().__init__(*args, **kwargs)
        if case.left_a_clip:
            self._fit_to(
                case, first=(self.GUESS, "Guess from their order (you can change each one)")
            )
        else:
            self._fit_to(case)
            self.fields["role"].initial = Screenshot.Role.MESSAGE
        self.room = room

    def clean_screenshots(self) -> list:
        files = self.cleaned_data["screenshots"]
        if len(files) > self.room:
            raise ValidationError(too_many_files_message(len(files), self.room))
        return files


class ScreenshotEditForm(ScreenshotTimeMixin, forms.Form):
    role = forms.ChoiceField(label="What it shows")
    time = _clip_time_field("Time in the clip")
    blur_boxes = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Blur boxes (optional)",
        help_text="Hide account names or e-mails before the PDF: one box per line as "
        "left, top, width, height in percent of the image, e.g. 70, 2, 28, 6. "
        "With JavaScript on, you can also drag on the picture.",
    )
    focus_box = forms.CharField(
        required=False,
        max_length=100,
        label="Where the failure shows (optional)",
        help_text="One area as left, top, width, height in percent, e.g. 30, 20, 40, 40: "
        "page 1 of the PDF shows it enlarged. With JavaScript on, choose “Mark the failure” "
        "and drag on the picture.",
    )

    def __init__(self, *args, case: Case, role: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self._fit_to(case, keep_role=role)

    def clean_blur_boxes(self) -> list[list[float]]:
        try:
            return parse_blur_boxes(self.cleaned_data["blur_boxes"])
        except ValueError as exc:
            raise ValidationError(str(exc)) from None

    def clean_focus_box(self) -> list[float]:
        try:
            boxes = parse_blur_boxes(self.cleaned_data["focus_box"])
        except ValueError as exc:
            raise ValidationError(str(exc)) from None
        if len(boxes) > 1:
            raise ValidationError("Mark one area where the failure shows, not several.")
        return boxes[0] if boxes else []


class ClipUploadForm(forms.Form):
    clip = forms.FileField(
        label="Your clip",
        help_text="MP4, MOV or WebM, up to 200 MB and 2 minutes.",
        widget=forms.ClearableFileInput(attrs={"accept": "video/mp4,video/quicktime,video/webm"}),
        error_messages={"required": "Choose the clip to upload."},
    )
    keep = forms.BooleanField(
        required=False,
        label="Keep the clip with this case",
        help_text="Otherwise it is deleted as soon as the frames are taken.",
    )


class PlanFieldQuery(forms.Form):
    """The query of the plan drop-down's htmx request: ?platform=<pk>."""

    platform = forms.ModelChoiceField(
        Platform.objects.all(),
        error_messages={
            "required": "Choose a platform first.",
            "invalid_choice": "That platform is not one we know: choose one from the list.",
        },
    )
