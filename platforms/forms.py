from __future__ import annotations

from django import forms

from platforms.models import Platform
from platforms.preflight import DEFAULT_DURATION_S, MAX_DURATION_S, MAX_PROMPT_CHARS

COMPARE_ALL = "all"


class PreflightForm(forms.Form):
    prompt = forms.CharField(
        label="Your prompt",
        required=False,
        max_length=MAX_PROMPT_CHARS,
        widget=forms.Textarea(
            attrs={
                "rows": 4,
                "placeholder": "e.g. Close-up of a woman smiling, soft window light",
                "autocomplete": "off",
            }
        ),
    )
    platform = forms.ChoiceField(label="Platform", required=False)
    duration_s = forms.FloatField(
        label="Clip length (seconds)",
        required=False,
        min_value=0.5,
        max_value=MAX_DURATION_S,
        widget=forms.NumberInput(attrs={"step": "0.5", "inputmode": "decimal"}),
    )

    def __init__(self, *args, platforms: list[Platform], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["platform"].choices = [
            (COMPARE_ALL, "Compare all platforms"),
            *((p.slug, p.name) for p in platforms),
        ]

    def clean_platform(self) -> str | None:
        """The chosen platform's slug, or None to compare them all."""
        value = self.cleaned_data["platform"]
        return None if value in ("", COMPARE_ALL) else value

    def clean_duration_s(self) -> float:
        value = self.cleaned_data["duration_s"]
        return DEFAULT_DURATION_S if value is None else value
