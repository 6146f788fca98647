from __future__ import annotations

from django import forms

from accounts.magic_link import normalise


class SignInForm(forms.Form):
    email = forms.EmailField(
        label="Your e-mail address",
        max_length=150,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        help_text="We e-mail you a link that signs you in. No password.",
    )

    def clean_email(self) -> str:
        return normalise(self.cleaned_data["email"])
