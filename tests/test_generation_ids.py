from __future__ import annotations

import pytest

from platforms.models import Platform
from tickets.forms import GenerationForm

UUID = "0f8e7d6c-5b4a-4321-9abc-def012345678"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "pasted",
    [
        UUID,
        f"  {UUID}\n",
        f"https://lumalabs.ai/dream-machine/creations/{UUID}",
        f"lumalabs.ai/dream-machine/creations/{UUID}?share=1#top",
        f"Look: https://lumalabs.ai/dream-machine/creations/{UUID.upper()} thanks",
    ],
)
def test_a_luma_asset_id_is_found_in_a_pasted_id_or_link(luma, pasted):
    assert luma.extract_id(pasted).lower() == UUID


@pytest.mark.django_db
@pytest.mark.parametrize(
    "pasted",
    [
        "",
        "hello",
        "12345",
        "0f8e7d6c-5b4a-4321-9abc",
        "https://lumalabs.ai/dream-machine/",
        UUID + "x",
    ],
)
def test_what_cannot_be_a_luma_asset_id_is_refused(luma, pasted):
    assert luma.extract_id(pasted) is None


@pytest.mark.django_db
@pytest.mark.parametrize("slug", ["runway", "dreamina", "kling", "sora", "google-flow"])
def test_platforms_with_an_unknown_id_shape_accept_a_plain_token_trimmed(slug):
    platform = Platform.objects.get(slug=slug)
    assert platform.extract_id("  gen_8f2a91c4-77 ") == "gen_8f2a91c4-77"
    assert platform.extract_id(UUID) == UUID


@pytest.mark.django_db
@pytest.mark.parametrize(
    "pasted",
    [
        "abc",
        "two words here",
        "https://example.com/some/page",
        "<script>x</script>",
        "a" * 200,
        "é" * 10,
    ],
)
@pytest.mark.parametrize("slug", ["runway", "dreamina", "kling", "sora", "google-flow"])
def test_what_cannot_be_an_id_is_refused_on_every_platform(slug, pasted):
    assert Platform.objects.get(slug=slug).extract_id(pasted) is None


def form_for(platform: Platform, generation_id: str) -> GenerationForm:
    return GenerationForm(
        data={
            "generation_id": generation_id,
            "prompt": "p",
            "clip_length": "5",
            "first_visible": "1",
        },
        platform=platform,
    )


@pytest.mark.django_db
def test_the_form_labels_the_id_as_the_platform_does(luma, runway):
    assert form_for(luma, "").fields["generation_id"].label == "Asset ID"
    assert form_for(runway, "").fields["generation_id"].label == "Generation ID"


@pytest.mark.django_db
def test_a_bad_id_gets_a_clear_message(luma):
    form = form_for(luma, "not an id")
    assert not form.is_valid()
    assert form.errors["generation_id"] == [
        "That does not look like a Luma Dream Machine Asset ID. Paste the Asset ID itself or "
        "the link to the generation: letters, digits, dashes or underscores, no spaces."
    ]


@pytest.mark.django_db
def test_the_form_keeps_only_the_id_from_a_pasted_link(luma):
    form = form_for(luma, f"https://lumalabs.ai/dream-machine/creations/{UUID}")
    assert form.is_valid(), form.errors
    assert form.cleaned_data["generation_id"] == UUID


@pytest.mark.django_db
def test_a_link_from_a_platform_whose_links_are_unknown_says_to_copy_the_id():
    pika = Platform.objects.get(slug="pika")
    form = form_for(pika, "https://pika.art/video/abc")
    assert not form.is_valid()
    assert form.errors["generation_id"] == [
        "AVA cannot read the Generation ID out of a Pika link yet. Open the generation and "
        "copy the Generation ID itself."
    ]


@pytest.mark.django_db
def test_a_luma_link_without_an_asset_id_says_so(luma):
    form = form_for(luma, "https://lumalabs.ai/dream-machine/ideas")
    assert not form.is_valid()
    assert form.errors["generation_id"] == [
        "This link does not contain a Luma Dream Machine Asset ID. Paste the link to the "
        "generation itself, or the Asset ID."
    ]
