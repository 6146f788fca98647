"""Forms of clip analysis. They validate; the workflow module stores and queues."""

from __future__ import annotations

from django import forms

from tickets.forms import ClipUploadForm


class AnalyseUploadForm(ClipUploadForm):
    """The same clip upload as for frames (type, size), worded for an analysis."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["clip"].label = "Clip to analyse"
        self.fields["clip"].error_messages["required"] = "Choose the clip to analyse."
        self.fields["keep"].help_text = "Otherwise it is deleted as soon as the analysis ends."


class UseResultsForm(forms.Form):
    times = forms.BooleanField(
        required=False,
        initial=True,
        label="Use the times found as “first visible” and “worst moment”",
    )
    frames = forms.BooleanField(
        required=False, initial=True, label="Add the frames below to your screenshots"
    )
    landmarks = forms.BooleanField(required=False, label="Draw the face landmarks on those frames")
