from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.management import call_command

from platforms.models import PlanTier, SourceSnapshot, SupportChannel
from platforms.source_check import check_sources, main_text


def page(main: str, *, nav: str = "Home · Pricing", footer: str = "© 2026") -> str:
    return (
        f"<html><head><title>Help</title><style>p {{ color: red }}</style></head><body>"
        f"<header><nav>{nav}</nav></header><main><h1>Credits</h1><p>{main}</p></main>"
        f"<footer>{footer}</footer><script>var t = {len(nav)};</script></body></html>"
    )


class Site:
    """A local web server whose pages a test can change between two checks."""

    def __init__(self) -> None:
        self.pages: dict[str, tuple[int, str]] = {}
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                status, body = site.pages.get(self.path, (404, "<p>Not found</p>"))
                data = body.encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def site():
    running = Site()
    yield running
    running.close()


@pytest.fixture
def cited(site, runway):
    """A Runway plan cites the local pricing page, a channel the local help page."""
    plan = runway.plans.get(slug="pro")
    channel = runway.channels.get(slug="help-icon")
    PlanTier.objects.filter(pk=plan.pk).update(source=f"{site.base}/pricing (plan list)")
    SupportChannel.objects.filter(pk=channel.pk).update(source=f"{site.base}/help; seed:x")
    site.pages["/pricing"] = (200, page("Pro has 2,250 credits a month."))
    site.pages["/help"] = (200, page("Contact support through the ? icon."))
    return plan, channel


def flagged() -> set[str]:
    plans = PlanTier.objects.filter(needs_review=True).values_list("slug", flat=True)
    channels = SupportChannel.objects.filter(needs_review=True).values_list("slug", flat=True)
    return {*plans, *channels}


def test_the_main_text_leaves_out_navigation_header_footer_scripts_and_styles():
    text = main_text(page("Pro has 2,250 credits a month.", nav="Menu", footer="Legal"))
    assert text == "Credits Pro has 2,250 credits a month."


def test_a_page_without_main_or_article_is_read_whole_minus_its_frame():
    html = "<body><nav>Menu</nav><div>Refunds  within\n 30 days</div><footer>x</footer></body>"
    assert main_text(html) == "Refunds within 30 days"


@pytest.mark.django_db
def test_the_first_check_records_each_page_and_flags_nothing(site, cited):
    report = check_sources(only=site.base, timeout=5)
    assert (report.checked, report.first_seen, report.flagged) == (2, 2, 0)
    assert SourceSnapshot.objects.filter(url__startswith=site.base).count() == 2
    assert flagged() == set()


@pytest.mark.django_db
def test_a_change_in_navigation_or_footer_alone_is_not_a_change(site, cited):
    check_sources(only=site.base, timeout=5)
    site.pages["/pricing"] = (
        200,
        page("Pro has 2,250 credits a month.", nav="New menu", footer="©"),
    )
    report = check_sources(only=site.base, timeout=5)
    assert (report.unchanged, report.changed, report.flagged) == (2, [], 0)
    assert flagged() == set()


@pytest.mark.django_db
def test_a_changed_page_marks_only_the_facts_that_cite_it_for_review(site, cited):
    plan, _ = cited
    check_sources(only=site.base, timeout=5)
    site.pages["/pricing"] = (200, page("Pro has 2,000 credits a month."))
    report = check_sources(only=site.base, timeout=5)
    assert report.changed == [f"{site.base}/pricing"]
    assert flagged() == {"pro"}
    plan.refresh_from_db()
    assert plan.review_note.startswith("Source changed on ")
    assert f"{site.base}/pricing" in plan.review_note
    snapshot = SourceSnapshot.objects.get(url=f"{site.base}/pricing")
    assert (snapshot.state, snapshot.http_status) == ("changed", 200)
    assert snapshot.changed_at is not None
    # The next check compares with the new text: nothing more changed.
    assert check_sources(only=site.base, timeout=5).changed == []


@pytest.mark.django_db
def test_a_page_that_disappeared_marks_its_facts_for_review(site, cited):
    check_sources(only=site.base, timeout=5)
    del site.pages["/help"]
    report = check_sources(only=site.base, timeout=5)
    assert report.gone == [f"{site.base}/help"]
    assert flagged() == {"help-icon"}
    channel = SupportChannel.objects.get(slug="help-icon", platform__slug="runway")
    assert "Source gone (HTTP 404)" in channel.review_note


@pytest.mark.django_db
def test_an_unreachable_server_is_reported_but_flags_nothing(site, cited):
    check_sources(only=site.base, timeout=5)
    base = site.base
    site.close()
    report = check_sources(only=base, timeout=2)
    assert len(report.failed) == 2
    assert report.flagged == 0
    assert flagged() == set()


@pytest.mark.django_db
def test_the_command_reports_what_changed(site, cited, capsys):
    call_command("check_sources", "--only", site.base, "--timeout", "5")
    site.pages["/pricing"] = (200, page("Pro is gone."))
    call_command("check_sources", "--only", site.base, "--timeout", "5")
    out = capsys.readouterr().out
    assert "2 URLs checked: 2 recorded for the first time" in out
    assert f"Changed: {site.base}/pricing" in out
    assert "1 facts marked for review" in out


@pytest.mark.django_db
def test_a_reload_with_a_new_check_date_clears_the_review_mark(site, cited):
    from django.conf import settings

    from platforms.knowledge_loader import load_knowledge

    plan, _ = cited
    check_sources(only=site.base, timeout=5)
    site.pages["/pricing"] = (200, page("Changed."))
    check_sources(only=site.base, timeout=5)
    PlanTier.objects.filter(pk=plan.pk).update(verified_on="2020-01-01")
    load_knowledge(settings.KNOWLEDGE_DIR)
    plan.refresh_from_db()
    assert (plan.needs_review, plan.review_note) == (False, "")
