"""Render case-file PDFs with WeasyPrint, reading only files we hand it.

WeasyPrint's default URL fetcher opens file://, http(s)://, ftp:// and data:
URLs. Case files contain user-supplied text (and the lead's templates may
one day contain a user-supplied URL), so an ``<img src="file:///etc/passwd">``
or ``<link rel="attachment">`` could pull server files into the PDF.
``CaseFileFetcher`` serves an explicit allow-list instead and refuses
everything else, data: URLs included. WeasyPrint logs a refused fetch and
skips that resource; the PDF is still produced.

Allow-listed resources are named with our own scheme, e.g.
``avadesk:screenshots/3f2a.jpg`` or ``avadesk:static/case.css``, so templates
need no base URL and a relative or file:// URL can never match by accident.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import weasyprint
from weasyprint.urls import URLFetcher, URLFetcherResponse, iri_to_uri

SCHEME = "avadesk"

type Resource = tuple[bytes | Path, str]  # (body or file to read, MIME type)


class FetchRefused(ValueError):
    """A URL outside the allow-list; WeasyPrint turns it into a skipped resource."""


def case_url(name: str) -> str:
    """The URL under which to register (and reference) one of our files."""
    return f"{SCHEME}:{name.lstrip('/')}"


class CaseFileFetcher(URLFetcher):
    """Serve only the given ``{url: (bytes or Path, mime_type)}`` resources.

    ``refused`` and ``served`` record every URL asked for, for tests and logs.
    """

    def __init__(self, resources: Mapping[str, Resource]) -> None:
        # Also deny every protocol to the base class, in case some WeasyPrint
        # code path ever reaches URLFetcher.fetch directly. fail_on_errors=False
        # makes a refusal skip the resource rather than abort the render.
        super().__init__(allowed_protocols=(), fail_on_errors=False)
        self._resources = {_normalise(url): resource for url, resource in resources.items()}
        self.refused: list[str] = []
        self.served: list[str] = []

    def fetch(self, url: str, headers: Mapping[str, str] | None = None) -> URLFetcherResponse:
        resource = self._resources.get(_normalise(url))
        if resource is None:
            self.refused.append(url)
            raise FetchRefused(f"Not part of this case file: {url[:200]}")
        body, mime_type = resource
        if isinstance(body, Path):
            body = body.read_bytes()
        self.served.append(url)
        return URLFetcherResponse(url, body, headers={"Content-Type": mime_type})


def render_pdf(html: str, *, fetcher: CaseFileFetcher, base_url: str | None = None) -> bytes:
    """Render ``html`` to PDF bytes, fetching resources only through ``fetcher``."""
    document = weasyprint.HTML(string=html, url_fetcher=fetcher, base_url=base_url)
    pdf = document.write_pdf()
    assert pdf is not None  # write_pdf() returns bytes when given no target
    return pdf


def _normalise(url: str) -> str:
    # Match the form WeasyPrint passes us: fragment dropped, IRI %-encoded.
    return iri_to_uri(url.split("#", 1)[0])
