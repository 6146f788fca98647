"""Tests for tickets.image_ingest. Every test image is built in memory."""

from __future__ import annotations

import hashlib
import io
import os
import struct
import zlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import ExifTags, Image, ImageCms, ImageDraw, ImageFile, ImageFilter, PngImagePlugin

from tickets import image_ingest
from tickets.image_ingest import (
    ImageRejected,
    apply_blur_boxes,
    clean_filename,
    embeddable_jpeg,
    ingest_image,
    sniff_format,
)

RED = (220, 20, 20)
BLUE = (20, 20, 220)

# --- helpers -----------------------------------------------------------------


def encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def left_red_right_blue(size: tuple[int, int] = (40, 20)) -> Image.Image:
    image = Image.new("RGB", size, RED)
    image.paste(BLUE, (size[0] // 2, 0, size[0], size[1]))
    return image


def exif_with_gps(orientation: int | None = None) -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneCo"
    if orientation:
        exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.IFD.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "N",
        ExifTags.GPS.GPSLatitude: (51.0, 30.0, 12.5),
        ExifTags.GPS.GPSLongitudeRef: "W",
        ExifTags.GPS.GPSLongitude: (0.0, 7.0, 39.0),
    }
    return exif


def busy_image(size: tuple[int, int] = (200, 120)) -> Image.Image:
    """Black-on-white stripes and text: lots of detail for blur tests."""
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    for x in range(0, size[0], 4):
        draw.line((x, 0, x, size[1]), fill="black")
    draw.text((10, 10), "password: hunter2", fill="red")
    return image


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims a size but holds a few bytes of pixel data."""

    def chunk(kind: bytes, payload: bytes) -> bytes:
        crc = zlib.crc32(kind + payload)
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 16))
        + chunk(b"IEND", b"")
    )


def reopen(content: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(content))
    image.load()
    return image


def spread(image: Image.Image, box: tuple[int, int, int, int]) -> int:
    """Max minus min brightness inside box: high for text, low once blurred."""
    low, high = image.convert("L").crop(box).getextrema()
    return high - low


# --- accepted images ---------------------------------------------------------


def test_a_png_is_stored_as_png_with_the_same_pixels() -> None:
    original = left_red_right_blue((64, 48))
    data = encode(original, "PNG")

    result = ingest_image(data, filename="shot.png")

    assert (result.format, result.extension, result.content_type) == ("PNG", "png", "image/png")
    assert (result.width, result.height) == (64, 48)
    assert reopen(result.content).tobytes() == original.tobytes()
    assert result.sha256_original == hashlib.sha256(data).hexdigest()
    assert result.sha256_stored == hashlib.sha256(result.content).hexdigest()
    assert result.size == len(result.content)
    assert result.original_filename == "shot.png"


def test_our_png_writer_produces_a_file_pillow_verifies() -> None:
    result = ingest_image(encode(busy_image(), "PNG"), filename="a.png")

    Image.open(io.BytesIO(result.content)).verify()
    assert reopen(result.content).tobytes() == busy_image().tobytes()


def test_a_smooth_gradient_png_is_not_stored_much_bigger_than_uploaded() -> None:
    size = (512, 512)
    gradient = Image.linear_gradient("L").resize(size)
    image = Image.merge(
        "RGB", (gradient, gradient.rotate(90), Image.radial_gradient("L").resize(size))
    )
    data = encode(image, "PNG")
    budget = 2 * len(data) + 64 * 1024
    assert len(image_ingest._png_bytes(image)) > budget  # the fast writer's weak spot

    result = ingest_image(data, filename="gradient.png")

    assert result.size <= budget
    assert reopen(result.content).tobytes() == image.tobytes()


def test_a_jpeg_is_stored_as_jpeg() -> None:
    result = ingest_image(encode(left_red_right_blue((64, 48)), "JPEG"), filename="a.jpg")

    assert (result.format, result.extension) == ("JPEG", "jpg")
    assert reopen(result.content).format == "JPEG"


def test_a_lossy_webp_is_stored_as_lossy_webp() -> None:
    data = encode(left_red_right_blue((64, 48)), "WEBP", quality=80)

    result = ingest_image(data, filename="a.webp")

    assert (result.format, result.extension) == ("WEBP", "webp")
    assert b"VP8 " in result.content[:64]


def test_a_lossless_webp_stays_lossless() -> None:
    original = busy_image()

    result = ingest_image(encode(original, "WEBP", lossless=True), filename="a.webp")

    assert b"VP8L" in result.content[:64]
    assert reopen(result.content).convert("RGB").tobytes() == original.tobytes()


def test_a_4k_screenshot_passes() -> None:
    result = ingest_image(encode(Image.new("RGB", (3840, 2160), "white"), "PNG"), filename="4k.png")

    assert (result.width, result.height) == (3840, 2160)


def test_an_8k_screenshot_passes() -> None:
    result = ingest_image(encode(Image.new("RGB", (7680, 4320), "white"), "PNG"), filename="8k.png")

    assert (result.width, result.height) == (7680, 4320)


def test_real_transparency_is_kept() -> None:
    image = Image.new("RGBA", (32, 32), (0, 0, 0, 0))
    image.paste((255, 0, 0, 255), (0, 0, 16, 32))

    stored = reopen(ingest_image(encode(image, "PNG"), filename="a.png").content)

    assert stored.mode == "RGBA"
    assert stored.getpixel((24, 10))[3] == 0


def test_a_fully_opaque_alpha_channel_is_dropped() -> None:
    image = Image.new("RGBA", (32, 32), (10, 20, 30, 255))

    assert reopen(ingest_image(encode(image, "PNG"), filename="a.png").content).mode == "RGB"


def test_a_grayscale_png_becomes_rgb() -> None:
    image = Image.new("L", (32, 32), 128)

    stored = reopen(ingest_image(encode(image, "PNG"), filename="a.png").content)

    assert stored.mode == "RGB"
    assert stored.getpixel((0, 0)) == (128, 128, 128)


def test_a_16_bit_png_is_accepted() -> None:
    image = Image.new("I;16", (32, 32), 40000)

    assert ingest_image(encode(image, "PNG"), filename="a.png").format == "PNG"


def test_a_cmyk_jpeg_becomes_rgb() -> None:
    image = Image.new("CMYK", (32, 32), (0, 255, 255, 0))

    assert reopen(ingest_image(encode(image, "JPEG"), filename="a.jpg").content).mode == "RGB"


def test_an_rgb_icc_profile_is_kept() -> None:
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    data = encode(left_red_right_blue(), "PNG", icc_profile=icc)

    assert reopen(ingest_image(data, filename="a.png").content).info.get("icc_profile") == icc


# --- metadata ------------------------------------------------------------------


def test_gps_exif_is_absent_from_the_stored_image() -> None:
    data = encode(left_red_right_blue(), "JPEG", exif=exif_with_gps())
    assert reopen(data).getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the fixture has GPS

    stored = reopen(ingest_image(data, filename="a.jpg").content)

    assert "exif" not in stored.info
    assert not stored.getexif()
    assert not stored.getexif().get_ifd(ExifTags.IFD.GPSInfo)


def test_png_exif_orientation_is_applied_and_then_stripped() -> None:
    # Orientation 6: the camera was turned, display rotated 90 degrees clockwise.
    data = encode(left_red_right_blue((40, 20)), "PNG", exif=exif_with_gps(orientation=6))
    assert reopen(data).getexif()[ExifTags.Base.Orientation] == 6

    result = ingest_image(data, filename="a.png")
    stored = reopen(result.content)

    assert (result.width, result.height) == (20, 40)
    assert stored.getpixel((10, 5)) == RED  # the left half is now on top
    assert stored.getpixel((10, 35)) == BLUE
    assert b"eXIf" not in result.content
    assert not stored.getexif()


def test_png_text_chunks_are_dropped() -> None:
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Jane Doe")
    info.add_itxt("Comment", "home address", zip=True)
    data = encode(left_red_right_blue(), "PNG", pnginfo=info)

    result = ingest_image(data, filename="a.png")

    for chunk in (b"tEXt", b"iTXt", b"zTXt"):
        assert chunk not in result.content
    assert reopen(result.content).text == {}


def test_jpeg_comments_and_xmp_are_dropped() -> None:
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/">secret-xmp</x:xmpmeta>'
    data = encode(left_red_right_blue(), "JPEG", comment=b"secret-comment", xmp=xmp)

    content = ingest_image(data, filename="a.jpg").content

    assert b"secret" not in content


def test_webp_exif_is_dropped() -> None:
    data = encode(left_red_right_blue(), "WEBP", exif=exif_with_gps())
    assert b"EXIF" in data

    content = ingest_image(data, filename="a.webp").content

    assert b"EXIF" not in content
    assert b"PhoneCo" not in content


def test_bytes_appended_after_the_image_are_not_stored() -> None:
    data = encode(left_red_right_blue(), "PNG") + b"<script>alert(1)</script>"

    assert b"script" not in ingest_image(data, filename="a.png").content


# --- rejected files ----------------------------------------------------------------


def reject(data: bytes, filename: str = "upload.png") -> str:
    with pytest.raises(ImageRejected) as info:
        ingest_image(data, filename=filename)
    return info.value.message


ACCEPTED_TYPES = "We take PNG, JPEG and WebP screenshots."


def test_an_empty_file_is_rejected() -> None:
    assert reject(b"") == "The file is empty."


def test_an_oversized_file_is_rejected_before_decoding(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(image_ingest, "MAX_UPLOAD_BYTES", 1024 * 1024)

    def must_not_decode(*args: object, **kwargs: object) -> None:
        raise AssertionError("decoded an oversized upload")

    monkeypatch.setattr(Image, "open", must_not_decode)

    message = reject(b"\x89PNG\r\n\x1a\n" + b"\x00" * 1024 * 1024)

    assert message.startswith("This file is larger than 1 MB.")


def test_a_text_file_is_rejected_naming_the_accepted_types() -> None:
    assert ACCEPTED_TYPES in reject(b"hello, this is not a picture\n", "notes.png")


def test_an_svg_is_rejected() -> None:
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><image href="file:///etc/passwd"/></svg>'

    assert ACCEPTED_TYPES in reject(svg, "shot.svg")


def test_a_gif_named_png_is_rejected() -> None:
    message = reject(encode(left_red_right_blue(), "GIF"), "shot.png")
    assert message.startswith("This file is a GIF image.")
    assert ACCEPTED_TYPES in message


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP"])
def test_an_image_cut_in_half_is_rejected_as_damaged(fmt: str) -> None:
    data = encode(Image.effect_noise((200, 150), 50).convert("RGB"), fmt)

    assert reject(data[: len(data) // 2]) == "The image is damaged or incomplete."


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_an_image_missing_its_last_bytes_is_rejected_as_damaged(fmt: str) -> None:
    data = encode(Image.effect_noise((200, 150), 50).convert("RGB"), fmt)

    assert reject(data[:-20]) == "The image is damaged or incomplete."


def test_pillow_verify_detects_a_png_missing_its_last_bytes() -> None:
    # Pillow's load() alone accepts this PNG, which is why ingest runs verify() on PNGs.
    data = encode(Image.effect_noise((200, 150), 50).convert("RGB"), "PNG")[:-20]

    with pytest.raises(OSError):
        Image.open(io.BytesIO(data)).verify()


def test_pillow_verify_does_not_detect_a_truncated_jpeg_so_load_must() -> None:
    data = encode(Image.effect_noise((200, 150), 50).convert("RGB"), "JPEG")
    truncated = data[: len(data) // 2]

    Image.open(io.BytesIO(truncated)).verify()  # passes: JPEG verify is a no-op
    assert reject(truncated) == "The image is damaged or incomplete."


def test_truncated_images_are_rejected_even_after_weasyprint_allows_them() -> None:
    import weasyprint  # noqa: F401  # importing it sets LOAD_TRUNCATED_IMAGES = True

    assert ImageFile.LOAD_TRUNCATED_IMAGES is True
    data = encode(Image.effect_noise((200, 150), 50).convert("RGB"), "JPEG")

    assert reject(data[: len(data) // 2]) == "The image is damaged or incomplete."
    assert ImageFile.LOAD_TRUNCATED_IMAGES is True  # restored for WeasyPrint


def test_a_decompression_bomb_header_is_rejected_without_decoding() -> None:
    message = reject(png_header_only(20000, 20000))

    assert message == "This image is too large to process (400 megapixels; the limit is 40)."


def test_images_over_our_pixel_limit_are_rejected_before_decoding() -> None:
    # 48 MP is under Pillow's own bomb threshold (89 MP), so this is our check.
    message = reject(png_header_only(8000, 6000))

    assert message == "This image is too large to process (48 megapixels; the limit is 40)."


def test_pillows_bomb_warning_is_treated_as_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    # 100 MP sits between Pillow's warning (89 MP) and error (179 MP) levels.
    monkeypatch.setattr(image_ingest, "MAX_PIXELS", 500_000_000)

    message = reject(png_header_only(10000, 10000))

    assert message.startswith("This image is too large to process (100 megapixels;")


def test_a_side_over_10000_pixels_is_rejected() -> None:
    message = reject(png_header_only(10001, 16))

    assert message == "This image is 10001x16 pixels; each side must be at most 10000 pixels."


def test_an_image_under_16_pixels_on_a_side_is_rejected() -> None:
    message = reject(encode(Image.new("RGB", (15, 100)), "PNG"))

    assert message == "This image is only 15x100 pixels; each side must be at least 16 pixels."


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    fmt=st.sampled_from(["PNG", "JPEG", "WEBP"]),
    flips=st.lists(st.tuples(st.integers(0, 10_000), st.integers(1, 255)), min_size=1, max_size=8),
)
def test_corrupted_images_either_pass_or_are_rejected_cleanly(
    fmt: str, flips: list[tuple[int, int]]
) -> None:
    data = bytearray(encode(busy_image((64, 48)), fmt))
    for position, mask in flips:
        data[position % len(data)] ^= mask

    try:
        result = ingest_image(bytes(data), filename="fuzz")
    except ImageRejected:
        return
    reopen(result.content)


def test_sniffing_uses_content_not_the_filename() -> None:
    assert sniff_format(encode(left_red_right_blue(), "PNG")) == "PNG"
    assert sniff_format(encode(left_red_right_blue(), "JPEG")) == "JPEG"
    assert sniff_format(encode(left_red_right_blue(), "WEBP")) == "WEBP"
    assert sniff_format(b"RIFF\x00\x00\x00\x00WAVEfmt ") is None
    assert sniff_format(b"GIF89a") is None


# --- filenames -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("shot.png", "shot.png"),
        ("C:\\Users\\jane\\Desktop\\shot.png", "shot.png"),
        ("../../etc/passwd", "passwd"),
        ("bad\x00name\r\n.png", "badname.png"),
        ("", "screenshot"),
        ("folder/", "screenshot"),
        ("..", "screenshot"),
    ],
)
def test_the_original_filename_is_reduced_to_a_safe_basename(given: str, expected: str) -> None:
    assert clean_filename(given) == expected


def test_a_long_filename_is_cut_to_120_characters_keeping_its_extension() -> None:
    name = clean_filename("x" * 300 + ".png")

    assert len(name) == 120
    assert name.endswith("x.png")


# --- embeddable_jpeg ---------------------------------------------------------------


def test_embeddable_jpeg_downscales_to_the_longest_side() -> None:
    content = encode(Image.new("RGB", (3200, 1000), "white"), "PNG")

    jpeg, width, height = embeddable_jpeg(content)

    assert (width, height) == (1600, 500)
    assert reopen(jpeg).format == "JPEG"
    assert reopen(jpeg).size == (1600, 500)


def test_embeddable_jpeg_does_not_upscale_small_images() -> None:
    _, width, height = embeddable_jpeg(encode(Image.new("RGB", (300, 200)), "JPEG"), max_side=1600)

    assert (width, height) == (300, 200)


def test_embeddable_jpeg_flattens_transparency_onto_white() -> None:
    image = Image.new("RGBA", (64, 64), (0, 0, 0, 0))

    jpeg, _, _ = embeddable_jpeg(encode(image, "PNG"))

    assert all(channel > 245 for channel in reopen(jpeg).getpixel((32, 32)))


# --- apply_blur_boxes ----------------------------------------------------------------


def test_a_blur_box_makes_its_area_flat_and_leaves_the_rest_alone() -> None:
    original = busy_image((200, 120))

    blurred = reopen(apply_blur_boxes(encode(original, "PNG"), [(0.0, 0.0, 0.5, 0.5)]))

    assert spread(original, (0, 0, 100, 60)) == 255
    assert spread(blurred, (0, 0, 100, 60)) < 60
    assert blurred.crop((100, 0, 200, 120)).tobytes() == original.crop((100, 0, 200, 120)).tobytes()
    assert blurred.crop((0, 60, 200, 120)).tobytes() == original.crop((0, 60, 200, 120)).tobytes()


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP"])
def test_blurring_keeps_the_image_format(fmt: str) -> None:
    blurred = apply_blur_boxes(encode(busy_image(), fmt), [(0.1, 0.1, 0.3, 0.3)])

    assert sniff_format(blurred) == fmt


def test_blur_boxes_are_clamped_to_the_image() -> None:
    original = busy_image((200, 120))

    blurred = reopen(apply_blur_boxes(encode(original, "PNG"), [(0.5, 0.5, 2.0, 2.0)]))

    assert blurred.size == (200, 120)
    assert spread(blurred, (100, 60, 200, 120)) < 60


def test_an_invalid_blur_box_raises_value_error() -> None:
    with pytest.raises(ValueError, match="four finite numbers"):
        apply_blur_boxes(encode(busy_image(), "PNG"), [(0.1, float("nan"), 0.2, 0.2)])


# --- high-entropy, 16-bit and refused formats ---------------------------------------


def noise_png(size: tuple[int, int] = (1920, 1080)) -> bytes:
    """A valid, high-detail PNG: colour noise compresses to about its raw size."""
    image = Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3))
    return encode(image, "PNG")


def test_a_full_hd_colour_noise_png_is_accepted_and_made_into_a_pdf_jpeg() -> None:
    data = noise_png()
    assert len(data) > 6_000_000  # the 6.2 MB upload that used to fail
    ingested = ingest_image(data, filename="noise.png")
    jpeg, width, height = image_ingest.embeddable_jpeg(ingested.content)
    assert (width, height) == (1600, 900)
    assert reopen(jpeg).format == "JPEG"


@pytest.mark.parametrize("blur", [0, 1.5])
def test_a_noisy_png_is_stored_at_most_a_tenth_larger_than_it_was_uploaded(blur: float) -> None:
    # Blurred noise (film grain) is what rows written unfiltered compress worst: ~1.5x.
    grey = Image.effect_noise((1280, 720), 60)
    if blur:
        grey = grey.filter(ImageFilter.GaussianBlur(blur))
    data = encode(Image.merge("RGB", (grey, grey.rotate(180), grey.transpose(0))), "PNG")
    ingested = ingest_image(data, filename="noise.png")
    assert ingested.size <= len(data) * 1.1 + 16 * 1024


def grey16_ramp(width: int = 1024, height: int = 16) -> Image.Image:
    values = [round(x * 65535 / (width - 1)) for x in range(width)] * height
    image = Image.new("I;16", (width, height))
    image.putdata(values)
    return image


def test_a_16_bit_grey_ramp_keeps_its_values_within_one_percent() -> None:
    source = grey16_ramp()
    data = encode(source, "PNG")
    assert reopen(data).mode == "I;16"
    stored = reopen(ingest_image(data, filename="ramp.png").content)
    assert stored.mode == "RGB"
    for x in range(0, 1024, 31):
        expected = source.getpixel((x, 0)) / 65535
        red, green, blue = stored.getpixel((x, 3))
        assert red == green == blue
        assert abs(red / 255 - expected) <= 0.01, (x, red, expected)


REFUSED = {
    "HEIC": (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", "HEIC photo", "Most Compatible"),
    "TIFF": (None, "TIFF image", "export or save it as PNG"),
    "BMP": (None, "BMP image", "save it as PNG"),
}


@pytest.mark.parametrize("kind", sorted(REFUSED))
def test_a_refused_format_is_named_with_what_we_take_and_how_to_convert(kind: str) -> None:
    data, name, how = REFUSED[kind]
    if data is None:
        data = encode(left_red_right_blue(), kind)
    message = reject(data, f"photo.{kind.lower()}")
    assert name in message
    assert "We take PNG, JPEG and WebP" in message
    assert how in message
