"""Forms of clip analysis. They validate; the workflow module stores and queues."""

from __future__ import annotations

from django import forms


class AnalyseUploadForm(forms.Form):
    clip = forms.FileField(
        label="Clip to analyse",
        help_text="MP4, MOV or WebM, up to 200 MB and 2 minutes.",
        widget=forms.ClearableFileInput(attrs={"accept": "video/mp4,video/quicktime,video/webm"}),
        error_messages={"required": "Choose the clip to analyse."},
    )
    keep = forms.BooleanField(
        required=False,
        label="Keep the clip with this case",
        help_text="Otherwise it is deleted as soon as the analysis ends.",
    )


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
