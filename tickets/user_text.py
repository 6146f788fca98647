"""What every string a user typed goes through before a ticket, a page or the PDF shows it.

Bidirectional control characters (U+202E "right-to-left override" and its kin) make the
rest of a line display reversed: a prompt could then show an ID or a sentence that is not
what the text says. They never carry meaning in a ticket, so they are removed. Line endings
become ``\\n`` everywhere, so the page, the clipboard and the ``.txt`` are the same bytes.
"""

from __future__ import annotations

import re

from django import forms

# Unicode's explicit directional formatting characters (UAX #9, section 2) and the marks.
BIDI_CONTROLS = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_BIDI = re.compile(f"[{BIDI_CONTROLS}]")


def clean(text: str) -> str:
    """The text without bidi control characters, with ``\\n`` line endings."""
    if not text:
        return text
    return _BIDI.sub("", text).replace("\r\n", "\n").replace("\r", "\n")


class UserTextField(forms.CharField):
    """A CharField whose value is cleaned as above, so nothing stored carries those characters."""

    def to_python(self, value):
        return clean(super().to_python(value))
