"""The drift chart is an SVG string built with escaping, fit for a strict CSP and WeasyPrint."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from analysis.chart import Series, drift_chart

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 - our own chart, not untrusted input


def chart(**overrides) -> str:
    arguments = {
        "series": [Series("Face 1", [0, 0.5, 1, 1.5, 2], [0.2, 0.3, 1.4, 2.0, 1.8])],
        "duration_s": 2.0,
        "threshold": 1.0,
        "title": "Face drift in clip.mp4",
        "description": "Eye spacing widened 14 % between 0:00 and 0:01.5.",
        "onset_s": 0.9,
        "worst_s": 1.5,
    }
    return drift_chart(**{**arguments, **overrides})


def test_the_chart_escapes_every_piece_of_text():
    svg = chart(
        title='Face drift in <script>alert("x")</script>.mp4',
        description="Tom & Jerry's <b>clip</b>",
        series=[
            Series('<img src=x onerror="y">', [0, 1], [0, 1]),
            Series("Face 2", [0, 1], [1, 0]),
        ],
    )
    assert "<script>" not in svg and "<img" not in svg and "<b>" not in svg
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;.mp4" in svg
    assert "Tom &amp; Jerry&#x27;s &lt;b&gt;clip&lt;/b&gt;" in svg
    root = parse(svg)  # well-formed XML, or WeasyPrint would drop it
    assert root.find(f"{SVG}title").text == 'Face drift in <script>alert("x")</script>.mp4'


def test_the_chart_uses_no_style_attributes_or_scripts_so_the_csp_allows_it_inline():
    svg = chart()
    assert "style=" not in svg and "<script" not in svg and "<style" not in svg
    assert " on" not in svg.replace(" onset", "")  # no event handler attributes


def test_the_chart_draws_each_face_the_threshold_and_both_moments():
    svg = chart(
        series=[Series("Face 1", [0, 1, 2], [0, 1, 2]), Series("Face 2", [0, 1, 2], [0, 0, 0])]
    )
    root = parse(svg)
    assert len(root.findall(f"{SVG}polyline")) == 2
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "threshold" in texts
    assert "first visible 0:00.9" in texts and "worst 0:01.5" in texts
    assert "Face 1" in texts and "Face 2" in texts  # a legend only when there are several


def test_a_stretch_not_assessed_just_after_the_onset_keeps_its_label_off_the_onsets():
    """Seen on a real clip: the head turned away 0.5 s after the change first showed, and
    the stretch's label was written over "first visible"."""
    svg = chart(onset_s=0.9, shaded=[(1.0, 2.0, "not assessed")])
    rows = {t.text: float(t.get("y", "nan")) for t in parse(svg).iter(f"{SVG}text")}
    assert abs(rows["not assessed"] - rows["first visible 0:00.9"]) >= 12


def test_a_clip_without_drift_has_no_moment_markers():
    texts = [t.text for t in parse(chart(onset_s=None, worst_s=None)).iter(f"{SVG}text")]
    assert not any(text.startswith(("first visible", "worst")) for text in texts)
