"""Fetch every page the knowledge base cites and flag the facts whose page changed or went.

A page's *main text* is compared, not its HTML: navigation, headers, footers, scripts and
styles change on every deploy of a help centre and say nothing about the facts. Where the
page marks its content with <main> or <article>, only that is read. The text's SHA-256 is
kept in ``SourceSnapshot``; the first fetch of a URL only records it.
"""

from __future__ import annotations

import hashlib
import re
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from html.parser import HTMLParser

from django.apps import apps
from django.db import transaction
from django.utils import timezone

from platforms.models import Platform, Sourced, SourceSnapshot

URL = re.compile(r"https?://[^\s;)<>\"']+")
# Left out wherever they appear: they frame the content, they are not the content.
SKIPPED_TAGS = {"script", "style", "noscript", "template", "svg"} | {
    "nav",
    "header",
    "footer",
    "aside",
}
CONTENT_TAGS = {"main", "article"}
VOID_TAGS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}
GONE_STATUSES = {404, 410}
USER_AGENT = "AVA-Desk-check_sources/1.0 (+knowledge-base maintenance)"
MAX_BYTES = 5 * 1024 * 1024


class _MainText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.all_text: list[str] = []
        self.content_text: list[str] = []

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag not in VOID_TAGS:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self.stack:
            while self.stack and self.stack.pop() != tag:
                pass

    def handle_data(self, data: str) -> None:
        if any(tag in SKIPPED_TAGS for tag in self.stack):
            return
        self.all_text.append(data)
        if any(tag in CONTENT_TAGS for tag in self.stack):
            self.content_text.append(data)


def main_text(html: str) -> str:
    """The page's readable content, whitespace collapsed, without nav, header or footer."""
    parser = _MainText()
    parser.feed(html)
    parser.close()
    text = " ".join(parser.content_text or parser.all_text)
    return re.sub(r"\s+", " ", text).strip()


def fingerprint(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def cited_urls(text: str) -> list[str]:
    return [url.rstrip(".,") for url in URL.findall(text or "")]


def sourced_models() -> list[type[Sourced]]:
    return [m for m in apps.get_app_config("platforms").get_models() if issubclass(m, Sourced)]


def citations() -> dict[str, list[Sourced]]:
    """Every cited URL and the records that cite it."""
    found: dict[str, list[Sourced]] = {}
    for model in sourced_models():
        for row in model.objects.all():
            text = row.source
            if isinstance(row, Platform):
                text += " " + row.credit_policy_source
            for url in dict.fromkeys(cited_urls(text)):
                found.setdefault(url, []).append(row)
    return found


@dataclass
class Fetched:
    status: int | None
    text: str | None  # None: nothing usable came back
    detail: str = ""


def fetch(url: str, *, timeout: float) -> Fetched:
    if not url.startswith(("http://", "https://")):  # never file: or another scheme
        return Fetched(None, None, "not an http(s) URL")
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            body = response.read(MAX_BYTES)
            charset = response.headers.get_content_charset() or "utf-8"
            return Fetched(response.status, main_text(body.decode(charset, errors="replace")))
    except urllib.error.HTTPError as exc:
        return Fetched(exc.code, None, f"HTTP {exc.code}")
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return Fetched(None, None, f"not reachable: {reason}"[:400])


@dataclass
class CheckReport:
    checked: int = 0
    first_seen: int = 0
    unchanged: int = 0
    changed: list[str] = field(default_factory=list)
    gone: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    flagged: int = 0

    def __str__(self) -> str:
        return (
            f"{self.checked} URLs checked: {self.first_seen} recorded for the first time, "
            f"{self.unchanged} unchanged, {len(self.changed)} changed, {len(self.gone)} gone, "
            f"{len(self.failed)} could not be fetched; {self.flagged} facts marked for review"
        )


def _flag(rows: list[Sourced], note: str) -> int:
    for row in rows:
        type(row).objects.filter(pk=row.pk).update(needs_review=True, review_note=note[:400])
    return len(rows)


def check_sources(*, timeout: float = 15.0, only: str | None = None) -> CheckReport:
    """Fetch each cited URL once, compare it with the last fetch, flag the facts that cite it.

    A page that cannot be reached at all (DNS, timeout) is reported but flags nothing: that
    is more often the network here than the vendor's page.
    """
    report = CheckReport()
    now = timezone.now()
    for url, rows in sorted(citations().items()):
        if only and only not in url:
            continue
        report.checked += 1
        result = fetch(url, timeout=timeout)
        with transaction.atomic():
            snapshot = SourceSnapshot.objects.filter(url=url).first()
            if result.status in GONE_STATUSES:
                state, detail = SourceSnapshot.State.GONE, result.detail
                report.gone.append(url)
                note = f"Source gone ({result.detail}) on {now:%Y-%m-%d}: {url}"
                report.flagged += _flag(rows, note)
            elif result.text is None:
                state, detail = SourceSnapshot.State.ERROR, result.detail
                report.failed.append(url)
            else:
                new = fingerprint(result.text)
                if snapshot is None or not snapshot.fingerprint:
                    state, detail = SourceSnapshot.State.OK, "first fetch"
                    report.first_seen += 1
                elif snapshot.fingerprint == new:
                    state, detail = SourceSnapshot.State.OK, ""
                    report.unchanged += 1
                else:
                    state, detail = SourceSnapshot.State.CHANGED, "main text changed"
                    report.changed.append(url)
                    note = f"Source changed on {now:%Y-%m-%d}: {url}"
                    report.flagged += _flag(rows, note)
            values = {
                "state": state,
                "http_status": result.status,
                "detail": detail,
                "checked_at": now,
            }
            if result.text is not None:
                values["fingerprint"] = fingerprint(result.text)
            if state in (SourceSnapshot.State.CHANGED, SourceSnapshot.State.GONE):
                values["changed_at"] = now
            SourceSnapshot.objects.update_or_create(url=url, defaults=values)
    return report
