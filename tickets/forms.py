"""One form per wizard step. Forms validate and normalise; they do not save."""

from __future__ import annotations

import re

from django import forms
from django.core.exceptions import ValidationError

from platforms.models import FailureMode, PlanTier, Platform, Symptom
from tickets.evidence import MAX_SCREENSHOTS, parse_blur_boxes, too_many_files_message
from tickets.models import Case, Screenshot
from tickets.timestamps import TimestampError, parse_clip_length, parse_clip_time

MAX_PROMPT = 20_000
MAX_OBSERVATIONS = 20_000


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

    plan_name = forms.CharField(
        max_length=60,
        required=False,
        label="Your plan's name (optional)",
        help_text="Only if your plan is not listed: type it as your account shows it.",
    )

    def __init__(self, *args, only_platform: Platform | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        plans = list(self.fields["plan"].queryset)
        if only_platform:
            # htmx asked for one platform's plans: a short list, preselected when there is one.
            plans = [plan for plan in plans if plan.platform_id == only_platform.pk]
            self.fields["plan"].choices = [("", "Choose your plan")] + [
                (plan.pk, plan.name) for plan in plans
            ]
            if len(plans) == 1:
                self.initial["plan"] = plans[0].pk
            return
        # Without JavaScript, plans are grouped under their platform.
        groups: dict[str, list[tuple[int, str]]] = {}
        for plan in plans:
            groups.setdefault(plan.platform.name, []).append((plan.pk, plan.name))
        self.fields["plan"].choices = [("", "Choose your plan"), *groups.items()]

    def clean(self):
        data = super().clean()
        platform, plan = data.get("platform"), data.get("plan")
        if platform and plan and plan.platform_id != platform.pk:
            self.add_error("plan", f"“{plan.name}” is not a {platform.name} plan.")
        return data


class ResultForm(forms.Form):
    result = forms.ChoiceField(
        choices=Case.Result.choices,
        widget=forms.RadioSelect,
        label="How did the generation end?",
        error_messages={"required": "Tell us whether it ended in an error or completed."},
    )
    credits_returned = forms.TypedChoiceField(
        choices=[("no", "No, the credits were not returned"), ("yes", "Yes, they came back")],
        coerce=lambda value: value == "yes",
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
        label="Did the credits come back?",
    )

    def clean(self):
        data = super().clean()
        if data.get("result") == Case.Result.ERROR and data.get("credits_returned") is None:
            self.add_error("credits_returned", "Tell us whether the credits came back.")
        if data.get("result") == Case.Result.DEFECTIVE:
            data["credits_returned"] = None
        return data


class SymptomsForm(forms.Form):
    symptoms = forms.MultipleChoiceField(
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="What do you see in the clip?",
        help_text="Tick everything that matches.",
    )
    failure_mode = forms.ChoiceField(
        widget=forms.RadioSelect,
        label="The failure term for your ticket",
        error_messages={"required": "Confirm the failure term that describes your clip."},
    )

    def __init__(self, *args, platform: Platform, **kwargs):
        super().__init__(*args, **kwargs)
        self.symptom_rows = list(
            Symptom.objects.filter(profile__platform=platform).select_related(
                "profile__failure_mode"
            )
        )
        self.fields["symptoms"].choices = [(str(s.pk), s.text) for s in self.symptom_rows]
        self.modes = list(FailureMode.objects.filter(profiles__platform=platform).order_by("term"))
        self.fields["failure_mode"].choices = [(m.slug, m.term) for m in self.modes]

    def clean_symptoms(self) -> list[str]:
        chosen = set(self.cleaned_data["symptoms"])
        return [s.text for s in self.symptom_rows if str(s.pk) in chosen]

    def clean_failure_mode(self) -> FailureMode:
        slug = self.cleaned_data["failure_mode"]
        return next(m for m in self.modes if m.slug == slug)


class GenerationForm(forms.Form):
    generation_id = forms.CharField(max_length=2000)
    prompt = forms.CharField(
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

    def __init__(self, *args, platform: Platform, **kwargs):
        super().__init__(*args, **kwargs)
        self.platform = platform
        field = self.fields["generation_id"]
        field.label = platform.id_label
        paste_hint = (
            f" You can paste the {platform.id_label} or the link to the generation."
            if platform.id_url_patterns
            else ""
        )
        field.help_text = f"{platform.id_location}{paste_hint}".strip()
        field.error_messages["required"] = f"Enter the {platform.id_label}."

    def clean_generation_id(self) -> str:
        text = self.cleaned_data["generation_id"].strip()
        generation_id = self.platform.extract_id(text)
        if generation_id is None and re.match(r"(?:https?://|www\.)", text, re.IGNORECASE):
            label = self.platform.id_label
            raise ValidationError(
                f"AVA cannot read the {label} out of a {self.platform.name} link yet. Open "
                f"the generation and copy the {label} itself."
                if not self.platform.id_url_patterns
                else f"This link does not contain a {self.platform.name} {label}. Paste the "
                f"link to the generation itself, or the {label}."
            )
        if generation_id is None:
            where = " or the link to the generation" if self.platform.id_url_patterns else ""
            raise ValidationError(
                f"That does not look like a {self.platform.name} {self.platform.id_label}. "
                f"Paste the {self.platform.id_label} itself{where}: letters, digits, "
                "dashes or underscores, no spaces."
            )
        return generation_id

    def clean_clip_length(self) -> float:
        try:
            return parse_clip_length(self.cleaned_data["clip_length"])
        except TimestampError as exc:
            raise ValidationError(str(exc)) from None

    def clean(self):
        data = super().clean()
        length = data.get("clip_length")
        for name in ("first_visible", "worst"):
            text = data.get(name)
            if not text:
                data[name] = None
                continue
            try:
                data[name] = parse_clip_time(text, clip_length_s=length)
            except TimestampError as exc:
                self.add_error(name, str(exc))
        return data


class NotesForm(forms.Form):
    observations = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=MAX_OBSERVATIONS,
        required=False,
        label="What you noticed, in your own words (optional)",
        help_text="For example what changed, and what you expected instead.",
    )


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
    clip_length_s: float | None

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
    role = forms.ChoiceField(
        choices=[
            (GUESS, "Guess from their order (you can change each one)"),
            *Screenshot.Role.choices,
        ],
        initial=GUESS,
        required=False,
        label="What they show",
    )
    time = _clip_time_field("Time in the clip (optional)")

    def __init__(self, *args, clip_length_s: float | None, room: int = MAX_SCREENSHOTS, **kwargs):
        super().__init__(*args, **kwargs)
        self.clip_length_s = clip_length_s
        self.room = room

    def clean_screenshots(self) -> list:
        files = self.cleaned_data["screenshots"]
        if len(files) > self.room:
            raise ValidationError(too_many_files_message(len(files), self.room))
        return files


class ScreenshotEditForm(ScreenshotTimeMixin, forms.Form):
    role = forms.ChoiceField(choices=Screenshot.Role.choices, label="What it shows")
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

    def __init__(self, *args, clip_length_s: float | None, **kwargs):
        super().__init__(*args, **kwargs)
        self.clip_length_s = clip_length_s

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
