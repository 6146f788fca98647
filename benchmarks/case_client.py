"""A person's whole case over HTTP, as a browser without JavaScript sends it.

Used by ``bench_cases.py`` (many at once) and by the production smoke test. It reads each
page's forms rather than knowing their fields: on every step it keeps what the page already
holds, fills the fields it has an answer for, ticks the first choice where a choice is
required, and presses the button that continues. So a reworded step or a new field does
not break it; a step that no longer continues does, loudly.
"""

from __future__ import annotations

import http.cookiejar
import io
import secrets
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from html.parser import HTMLParser

# What a person types; everything else on the pages keeps its first or current choice.
ANSWERS = {
    "plan_name": "",
    "outcome": "defect",
    "generation_id": "",  # per case: see Answers
    "prompt": "",
    "clip_length": "5s",
    "first_visible": "1.2s",
    "worst": "2.5s",
    "observations": "",
}


@dataclass
class Answers:
    """One case's typed answers, unique per case so the database check can tell them apart."""

    platform: str = "Runway"
    generation_id: str = field(
        default_factory=lambda: "0f8e7d6c-5b4a-4321-9abc-" + secrets.token_hex(6)
    )
    prompt: str = field(
        default_factory=lambda: (
            f"A news anchor at a desk, looking into camera {secrets.token_hex(4)}"
        )
    )
    observations: str = field(
        default_factory=lambda: f"The left eye slides upwards ({secrets.token_hex(4)})."
    )

    def for_fields(self) -> dict[str, str]:
        return {
            **ANSWERS,
            "generation_id": self.generation_id,
            "prompt": self.prompt,
            "observations": self.observations,
        }


class CaseFailed(Exception):
    pass


@dataclass
class Control:
    kind: str  # text, hidden, radio, checkbox, select, textarea, file, submit
    name: str
    value: str = ""
    checked: bool = False
    label: str = ""
    options: list[tuple[str, str, bool]] = field(default_factory=list)  # value, text, selected


@dataclass
class Form:
    action: str
    method: str
    enctype: str
    controls: list[Control] = field(default_factory=list)


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._text_target: Control | None = None  # a textarea, option or button being read
        self._option: list | None = None
        self._label_for: Control | None = None
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "title":
            self._in_title = True
        if tag == "form":
            self._form = Form(
                action=a.get("action", ""),
                method=a.get("method", "get").lower(),
                enctype=a.get("enctype", ""),
            )
            self.forms.append(self._form)
            return
        form = self._form
        if form is None or ("name" not in a and tag not in ("option", "button")):
            return
        if tag == "input":
            kind = a.get("type", "text").lower()
            # A checkbox or radio button without a value sends "on", as browsers do.
            default = "on" if kind in ("checkbox", "radio") else ""
            control = Control(kind, a["name"], a.get("value", default), "checked" in a)
            if kind in ("submit", "image") or "disabled" in a:
                control.kind = "submit" if "disabled" not in a else "disabled"
            form.controls.append(control)
        elif tag == "textarea":
            control = Control("textarea", a["name"])
            form.controls.append(control)
            self._text_target = control
        elif tag == "select":
            form.controls.append(Control("select", a["name"]))
        elif tag == "option" and form.controls and form.controls[-1].kind == "select":
            self._option = [a.get("value"), "", "selected" in a]
        elif tag == "button" and "disabled" not in a:
            control = Control("submit", a.get("name", ""), a.get("value", ""))
            if a.get("type", "submit") == "submit":
                form.controls.append(control)
                self._text_target = control

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
        if self._option is not None:
            self._option[1] += data
        elif self._text_target is not None:
            if self._text_target.kind == "textarea":
                self._text_target.value += data
            else:
                self._text_target.label += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        if tag == "form":
            self._form = None
        elif tag in ("textarea", "button"):
            self._text_target = None
        elif tag == "option" and self._option is not None and self._form is not None:
            value, text, selected = self._option
            self._form.controls[-1].options.append(
                (text.strip() if value is None else value, text.strip(), selected)
            )
            self._option = None


def parse_forms(html: str) -> tuple[str, list[Form]]:
    parser = _FormParser()
    parser.feed(html)
    return parser.title.strip(), parser.forms


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@dataclass
class Response:
    status: int
    url: str
    body: bytes
    headers: dict[str, str]

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


class _ProxiedPolicy(http.cookiejar.DefaultCookiePolicy):
    # Behind the TLS proxy the browser speaks HTTPS, so it sends the Secure cookies.
    def return_ok_secure(self, cookie, request):
        return True


class Browser:
    """Cookies, redirects followed by hand (so every status is seen), timings recorded.

    It talks plain HTTP to gunicorn as a TLS-terminating reverse proxy would, with the
    X-Forwarded-Proto header that scripts/serve's settings trust.
    """

    def __init__(self, base_url: str, *, timeout: float = 300) -> None:
        self.base_url = base_url.rstrip("/")
        self.cookies = http.cookiejar.CookieJar(_ProxiedPolicy())
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), NoRedirect()
        )
        self.timeout = timeout
        self.requests = 0
        self.seconds: list[float] = []

    def request(
        self, method: str, path: str, *, data: bytes | None = None, content_type: str = ""
    ) -> Response:
        url = path if path.startswith("http") else self.base_url + path
        request = urllib.request.Request(url, data=data, method=method)
        if content_type:
            request.add_header("Content-Type", content_type)
        request.add_header("X-Forwarded-Proto", "https")
        request.add_header("Referer", self.base_url.replace("http://", "https://", 1) + "/")
        started = time.perf_counter()
        try:
            with self.opener.open(request, timeout=self.timeout) as answer:
                response = Response(answer.status, url, answer.read(), dict(answer.headers))
        except urllib.error.HTTPError as error:
            response = Response(error.code, url, error.read(), dict(error.headers))
        self.seconds.append(time.perf_counter() - started)
        self.requests += 1
        return response

    def get(self, path: str) -> Response:
        return self.follow(self.request("GET", path))

    def follow(self, response: Response) -> Response:
        for _ in range(5):
            if response.status not in (301, 302, 303):
                return response
            response = self.request(
                "GET", urllib.parse.urljoin(response.url, response.headers["Location"])
            )
        raise CaseFailed(f"too many redirects from {response.url}")

    def submit(self, form: Form, fields: list[tuple[str, str]], files=()) -> Response:
        action = urllib.parse.urljoin(self.base_url + "/", form.action)
        if files or form.enctype == "multipart/form-data":
            body, content_type = _multipart(fields, files)
        else:
            body = urllib.parse.urlencode(fields).encode()
            content_type = "application/x-www-form-urlencoded"
        return self.follow(self.request("POST", action, data=body, content_type=content_type))


def _multipart(fields, files) -> tuple[bytes, str]:
    boundary = secrets.token_hex(16)
    out = io.BytesIO()
    for name, value in fields:
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode())
        out.write(value.encode() + b"\r\n")
    for name, filename, content, mime in files:
        out.write(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{filename}"\r\nContent-Type: {mime}\r\n\r\n'.encode()
        )
        out.write(content + b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"


def fill(form: Form, answers: dict[str, str], *, press: str = "Continue") -> list[tuple[str, str]]:
    """The fields a person would send: answers where given, else what the page holds."""
    fields: list[tuple[str, str]] = []
    radios: dict[str, list[Control]] = {}
    checkboxes: dict[str, list[Control]] = {}
    for control in form.controls:
        if control.kind == "radio":
            radios.setdefault(control.name, []).append(control)
        elif control.kind == "checkbox":
            checkboxes.setdefault(control.name, []).append(control)
        elif control.kind == "select":
            options = [o for o in control.options if o[0]]
            wanted = answers.get(control.name)
            chosen = next((o for o in options if wanted in (o[0], o[1])), None) if wanted else None
            chosen = (
                chosen
                or next((o for o in options if o[2]), None)
                or (options[0] if options else None)
            )
            if chosen:
                fields.append((control.name, chosen[0]))
        elif control.kind in ("text", "hidden", "textarea", "number", "email", "url", "search"):
            value = answers.get(control.name)
            fields.append(
                (
                    control.name,
                    control.value if value is None or (value == "" and control.value) else value,
                )
            )
    for name, group in radios.items():
        wanted = answers.get(name)
        radio = next((c for c in group if wanted and c.value == wanted), None)
        radio = radio or next((c for c in group if c.checked), None) or group[0]
        fields.append((name, radio.value))
    for name, group in checkboxes.items():
        ticked = [c for c in group if c.checked] or group[:2]
        fields.extend((name, c.value) for c in ticked)
    buttons = [c for c in form.controls if c.kind == "submit"]
    button = next((b for b in buttons if _says(b, press)), None)
    if button is None:
        raise CaseFailed(f"no “{press}” button on the form to {form.action}")
    if button.name:
        fields.append((button.name, button.value))
    return fields


def _says(button: Control, press: str) -> bool:
    """Whether a button's words include ``press`` ("Save and continue" says "continue")."""
    return press.lower() in " ".join(button.label.split()).lower()


def continue_form(forms: list[Form], press: str = "Continue") -> Form:
    for form in forms:
        if form.method == "post" and any(
            c.kind == "submit" and _says(c, press) for c in form.controls
        ):
            return form
    raise CaseFailed(f"no form with a “{press}” button on this page")


def png_screenshot(seed: int) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (320, 180), (seed * 37 % 256, 90, 160)).save(buffer, "PNG")
    return buffer.getvalue()


@dataclass
class CaseRun:
    answers: Answers
    token: str = ""
    error: str = ""
    browser: Browser | None = None


def walk_to_evidence(browser: Browser, answers: Answers) -> tuple[str, Response]:
    """Start a case and walk the steps up to the screenshots step: its token and that page."""
    typed = answers.for_fields()
    page = browser.get("/escalate/")
    _expect(page, 200)
    _, forms = parse_forms(page.text)
    form = continue_form(forms)
    # The platform radio is labelled by its name; its value is a key we learn from the page.
    platform = _radio_value(page.text, "platform", answers.platform)
    fields = fill(form, {**typed, "platform": platform})
    page = browser.submit(form, _plan_of(page.text, fields, answers.platform))
    _expect(page, 200)
    token = page.url.split("/cases/")[1].split("/")[0]
    steps = 0
    while "/evidence/" not in page.url:
        _, forms = parse_forms(page.text)
        form = continue_form(forms)
        page = browser.submit(form, fill(form, typed))
        _expect(page, 200)
        steps += 1
        if steps > 10:
            raise CaseFailed(f"the wizard never reached the screenshots step ({page.url})")
    return token, page


def whole_case(
    base_url: str,
    answers: Answers,
    *,
    screenshot: bytes | None = None,
    clip: bytes | None = None,
    want_pdf: bool = True,
) -> CaseRun:
    """Start a case, walk every step, upload evidence, read the ticket and the PDF."""
    run = CaseRun(answers)
    browser = run.browser = Browser(base_url)
    typed = answers.for_fields()
    run.token, page = walk_to_evidence(browser, answers)
    if screenshot is not None:
        _, forms = parse_forms(page.text)
        upload = continue_form(forms, press="Upload")
        fields = fill(upload, typed, press="Upload")
        page = browser.submit(
            upload, fields, files=[("screenshots", "shot.png", screenshot, "image/png")]
        )
        _expect(page, 200)
    if clip is not None:
        page = analyse_clip(browser, run.token, clip)
    _, forms = parse_forms(page.text)
    form = continue_form(forms)
    page = browser.submit(form, fill(form, typed))
    _expect(page, 200)
    if "/review/" not in page.url:
        raise CaseFailed(f"continuing from the screenshots step led to {page.url}")
    ticket = browser.request("GET", f"/cases/{run.token}/ticket.txt")
    _expect(ticket, 200)
    if answers.generation_id not in ticket.text:
        raise CaseFailed("the ticket does not name the generation ID")
    if want_pdf:
        pdf = browser.request("GET", f"/cases/{run.token}/report.pdf")
        _expect(pdf, 200)
        if not pdf.body.startswith(b"%PDF"):
            raise CaseFailed("report.pdf is not a PDF")
    return run


def analyse_clip(browser: Browser, token: str, clip: bytes, *, wait_s: float = 300) -> Response:
    """From the screenshots step: upload a clip for analysis, wait for it, use its times."""
    evidence = f"/cases/{token}/evidence/"
    page = browser.get(evidence)
    _expect(page, 200)
    _, forms = parse_forms(page.text)
    form = continue_form(forms, press="Analyse")
    fields = fill(form, {}, press="Analyse")
    page = browser.submit(form, fields, files=[("clip", "clip.mp4", clip, "video/mp4")])
    _expect(page, 200)
    deadline = time.monotonic() + wait_s
    while "Use these results" not in page.text:
        if time.monotonic() > deadline:
            raise CaseFailed(f"the analysis did not finish within {wait_s:g} s")
        time.sleep(1)
        page = browser.get(evidence)
        _expect(page, 200)
    _, forms = parse_forms(page.text)
    form = continue_form(forms, press="Use these results")
    page = browser.submit(form, fill(form, {}, press="Use these results"))
    _expect(page, 200)
    return browser.get(evidence)


def _radio_value(html: str, name: str, label: str) -> str:
    """The value of the radio button whose label text is ``label``."""
    # Labels wrap the input: find 'value="X"' just before the label text.
    marker = f'name="{name}" value="'
    for chunk in html.split(marker)[1:]:
        value, rest = chunk.split('"', 1)
        if f"<span>{label}</span>" in rest[:400]:
            return value
    raise CaseFailed(f"no {name} choice labelled {label!r}")


def _plan_of(
    html: str, fields: list[tuple[str, str]], platform_label: str
) -> list[tuple[str, str]]:
    """Without JavaScript the plan list is grouped by platform: take that platform's first plan."""
    group = html.split(f'<optgroup label="{platform_label}">', 1)
    if len(group) == 2:
        first = group[1].split('value="', 1)[1].split('"', 1)[0]
        fields = [(k, first if k == "plan" else v) for k, v in fields]
    return fields


def _expect(response: Response, status: int) -> None:
    if response.status != status:
        raise CaseFailed(f"HTTP {response.status} from {response.url}: {response.text[:300]}")
