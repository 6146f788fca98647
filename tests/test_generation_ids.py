from __future__ import annotations

import pytest

from platforms.models import Platform
from tickets.forms import DetailsForm

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


def form_for(platform: Platform, generation_id: str) -> DetailsForm:
    return DetailsForm(
        data={
            "generation_id": generation_id,
            "prompt": "p",
            "clip_length": "5",
            "first_visible": "1",
        },
        platform=platform,
        outcome="defect",
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
        "the link to the generation: 36 characters, five groups of digits and letters a to f "
        "joined by dashes (8-4-4-4-12)."
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("pasted", ["abc", "a" * 129, "two words"])
def test_a_bad_id_on_a_platform_of_unknown_id_shape_is_told_the_length_it_needs(pasted):
    # "abc" is letters only: a message naming only the characters would not say what is wrong.
    form = form_for(Platform.objects.get(slug="kling"), pasted)
    assert not form.is_valid()
    assert form.errors["generation_id"] == [
        "That does not look like a Kling AI Generation ID. Paste the Generation ID itself or "
        "the link to the generation: 6 to 128 letters, digits, dashes or underscores, with "
        "no spaces."
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
        "AVA cannot find the Generation ID in this link. Open the generation on Pika and "
        "copy the Generation ID itself, or its share link."
    ]


@pytest.mark.django_db
def test_a_link_without_anything_id_shaped_says_to_copy_the_id(runway):
    form = form_for(runway, "https://app.runwayml.com/video-tools/teams/me/ai-tools/abc")
    assert not form.is_valid()
    assert form.errors["generation_id"] == [
        "AVA cannot find the Generation ID in this link. Open the generation on Runway and "
        "copy the Generation ID itself, or its share link."
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "pasted",
    [
        "https://app.runwayml.com/video-tools/teams/me/assets/gen_8f2a91c4",
        "app.runwayml.com/share/gen_8f2a91c4?utm_source=copy",
        "https://runwayml.com/s/abc?generation=gen_8f2a91c4",
        "https://app.runwayml.com/generations/gen_8f2a91c4/",
    ],
)
def test_the_id_is_found_in_every_link_shape_the_help_tells_users_to_paste(runway, pasted):
    # The help says the ID is in the generation's web address or share link: accept both.
    form = form_for(runway, pasted)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["generation_id"] == "gen_8f2a91c4"


@pytest.mark.django_db
def test_a_link_on_another_domain_is_never_read_for_an_id(runway):
    form = form_for(runway, "https://runwayml.com.evil.example/share/gen_8f2a91c4")
    assert not form.is_valid()


@pytest.mark.django_db
def test_a_luma_link_without_an_asset_id_says_so(luma):
    form = form_for(luma, "https://lumalabs.ai/dream-machine/ideas")
    assert not form.is_valid()
    assert form.errors["generation_id"] == [
        "AVA cannot find the Asset ID in this link. Open the generation on Luma Dream Machine "
        "and copy the Asset ID itself, or its share link. It is 36 characters, five groups of "
        "digits and letters a to f joined by dashes (8-4-4-4-12)."
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "pasted, message",
    [
        (
            "my flow project",
            "That does not look like a Google Flow Project ID. Paste the Project ID itself "
            "or the link to the generation: the 36-character code at the end of the project's "
            "address (labs.google/fx/tools/flow/project/…).",
        ),
        (
            "https://labs.google/fx/tools/flow/project/abc",
            "AVA cannot find the Project ID in this link. Open the generation on Google Flow "
            "and copy the Project ID itself, or its share link. It is the 36-character code at "
            "the end of the project's address (labs.google/fx/tools/flow/project/…).",
        ),
    ],
)
def test_a_platform_whose_id_sits_in_a_link_describes_where(pasted, message):
    form = form_for(Platform.objects.get(slug="google-flow"), pasted)
    assert not form.is_valid()
    assert form.errors["generation_id"] == [message]
    ok = form_for(
        Platform.objects.get(slug="google-flow"),
        f"https://labs.google/fx/tools/flow/project/{UUID}",
    )
    assert ok.is_valid(), ok.errors
