"""Forms for what happens after the ticket: they validate and normalise, the views save."""

from __future__ import annotations

from datetime import datetime, time

from django import forms
from django.utils import timezone

from platforms.models import SupportChannel
from tickets.models import Case, now
from tickets.status import CREDITED
from tickets.ticket_text import channels_for

MAX_CREDITS = 10_000_000


class CaseForm(forms.Form):
    """A form about one case: every form of the status page is built the same way."""

    def __init__(self, *args, case: Case, **kwargs):
        super().__init__(*args, **kwargs)
        self.case = case


class DatedForm(CaseForm):
    """A day the user names (today by default), never in the future."""

    on = forms.DateField(
        label="When",
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
        help_text="Leave today's date if it happened today.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["on"].initial = timezone.localdate(now())

    def clean_on(self):
        day = self.cleaned_data["on"]
        today = timezone.localdate(now())
        if day > today:
            raise forms.ValidationError("That date is in the future: use today or an earlier day.")
        return day

    @property
    def happened(self) -> datetime:
        """The day as a moment: now for today, noon for an earlier day (no invented hour)."""
        day = self.cleaned_data["on"]
        if day == timezone.localdate(now()):
            return now()
        return timezone.make_aware(datetime.combine(day, time(12)))


class ChannelChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: SupportChannel) -> str:
        return obj.name  # the platform is the case's: no need to repeat it


class SentForm(DatedForm):
    channel = ChannelChoiceField(
        queryset=SupportChannel.objects.none(),
        required=False,
        label="Where you sent it",
        empty_label="Somewhere else",
    )
    credits_asked = forms.IntegerField(
        label="Credits the generation used (optional)",
        required=False,
        min_value=0,
        max_value=MAX_CREDITS,
        help_text="Counts in your own chart of credits asked and credited.",
    )

    def __init__(self, *args, case: Case, **kwargs):
        super().__init__(*args, case=case, **kwargs)
        # A "not yet known" placeholder is no place to send to: that is "Somewhere else".
        channels = case.platform.channels.exclude(kind=SupportChannel.Kind.UNKNOWN)
        channel_field = self.fields["channel"]
        assert isinstance(channel_field, ChannelChoiceField)
        channel_field.queryset = channels
        # The channel the ticket was written for: the first one this plan may use.
        plan_channels = [c for c in channels_for(case) if c.is_known]
        channel_field.initial = plan_channels[0].pk if plan_channels else None
        # What the wizard recorded as charged, unless the user already said otherwise.
        charged = round(case.credits_charged) if case.credits_charged is not None else None
        self.fields["credits_asked"].initial = (
            case.credits_asked if case.credits_asked is not None else charged
        )


class AnswerForm(DatedForm):
    note = forms.CharField(
        label="Their reply in short",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="In your own words; leave out names and e-mail addresses.",
    )


class OutcomeForm(DatedForm):
    resolution = forms.ChoiceField(
        label="Outcome", choices=Case.Resolution.choices, widget=forms.RadioSelect
    )
    credits = forms.IntegerField(
        label="Credits you got back",
        required=False,
        min_value=1,
        max_value=MAX_CREDITS,
        help_text="Only for “credited” and “partly credited”.",
    )
    note = forms.CharField(
        label="Note (optional)",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean(self):
        data = super().clean() or {}
        if data.get("resolution") in CREDITED and data.get("credits") is None:
            self.add_error("credits", "How many credits came back? Enter a number.")
        return data


class FiguresForm(CaseForm):
    count_in_figures = forms.BooleanField(
        label="Count this case in the outcome figures",
        required=False,
        help_text="Only the platform, plan, how it ended, the failure category, the dates and "
        "the credits are counted; never your ID, prompt, notes or files.",
    )

    def __init__(self, *args, case: Case, **kwargs):
        super().__init__(*args, case=case, **kwargs)
        self.fields["count_in_figures"].initial = case.count_in_figures


class EmailLinkForm(forms.Form):
    email = forms.EmailField(
        label="Your e-mail address",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        help_text="We send the link once and do not keep the address unless you sign in.",
    )


class FollowUpForm(DatedForm):
    """ "I sent the follow-up": only the day."""
