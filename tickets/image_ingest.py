"""Validate and sanitise uploaded screenshots.

Uploads are untrusted bytes. Everything here works on bytes and returns plain
dataclasses, so views, tasks and tests can use it without Django.

Limits (module constants, so tests can monkeypatch them):

- ``MAX_UPLOAD_BYTES`` = 15 MiB, checked before anything is decoded.
- ``MAX_PIXELS`` = 40 megapixels (40,000,000), checked from the header before
  the pixels are decoded. A 4K screenshot (3840x2160, 8.3 MP) and an 8K one
  (7680x4320, 33.2 MP) pass; decoding 40 MP costs at most ~160 MB of RAM.
- ``MIN_SIDE`` = 16 px and ``MAX_SIDE`` = 10,000 px per side.

Only PNG, JPEG and WebP are accepted, recognised by their magic bytes (the
filename and the browser's content type are never trusted). Every accepted
image is decoded and re-encoded, which drops EXIF (including GPS), XMP,
comments and PNG text chunks, and anything smuggled after the pixel data. An
RGB ICC profile is kept so colours stay right (grey and CMYK images become RGB,
so their profiles are dropped).

Output formats: PNG stays PNG, JPEG stays JPEG (quality 90), WebP stays WebP
(lossless if the upload was lossless, otherwise quality 90), so we never turn a
small lossy file into a huge PNG nor degrade a lossless one. PNGs are written
by ``_png_bytes`` (unfiltered rows, zlib level 1, two cores) rather than by
Pillow, which brings a 4K screenshot from ~400 ms to ~220 ms on our 2-core VM.
If that would store more than twice the upload (smooth gradients), Pillow's
slower, filtered encoder is used instead.

Decoding runs under one process-wide lock; see ``_strict_decoding``.
"""

from __future__ import annotations

import hashlib
import io
import math
import re
import struct
import threading
import unicodedata
import warnings
import zlib
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass

from PIL import Image, ImageFile, ImageFilter, ImageOps

MAX_UPLOAD_BYTES = 15 * 1024 * 1024
MAX_PIXELS = 40_000_000
MIN_SIDE = 16
MAX_SIDE = 10_000
MAX_FILENAME_CHARS = 120

PNG_COMPRESS_LEVEL = 1
_BANDS = 8
JPEG_QUALITY = 90
WEBP_QUALITY = 90

EXTENSIONS = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp"}
CONTENT_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}

_DAMAGED = "The image is damaged or incomplete."

# Anything Pillow raises for a malformed or cut-off file.
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, IndexError, KeyError)
_BOMB_ERRORS = (Image.DecompressionBombError, Image.DecompressionBombWarning)
_RGB_MODES = {"RGB", "RGBA", "RGBX", "RGBa", "P", "PA"}

# WeasyPrint sets ImageFile.LOAD_TRUNCATED_IMAGES = True for the whole process
# when it is imported, so we switch it off around our own decoding. The lock
# stops two uploads from restoring the flag under each other, and also caps
# memory at one full-size decode per process.
_decode_lock = threading.Lock()


class ImageRejected(Exception):
    """The upload is not an image we accept; ``message`` is safe to show the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class IngestedImage:
    content: bytes
    format: str  # "PNG", "JPEG" or "WEBP"
    extension: str  # without the dot
    width: int
    height: int
    sha256_original: str
    sha256_stored: str
    size: int
    original_filename: str

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.format]


def ingest_image(data: bytes, *, filename: str) -> IngestedImage:
    """Check an uploaded screenshot and return a clean, metadata-free copy."""
    if not data:
        raise ImageRejected("The file is empty.")
    if len(data) > MAX_UPLOAD_BYTES:
        raise ImageRejected(
            f"This file is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB. "
            "Please upload a smaller screenshot."
        )
    fmt = sniff_format(data)
    if fmt is None:
        raise ImageRejected(refusal_message(data))

    with _strict_decoding():
        image = _decode(data, fmt)
        # An RGB profile stays valid after our conversions; a grey or CMYK one would not.
        icc = image.info.get("icc_profile") if image.mode in _RGB_MODES else None
        ImageOps.exif_transpose(image, in_place=True)
        image = _convert(image, _target_mode(image, fmt))
        # A fresh info dict is what keeps EXIF, XMP, comments and text chunks out.
        image.info = {"icc_profile": icc} if icc else {}
        content = _encode(image, fmt, source=data)

    return IngestedImage(
        content=content,
        format=fmt,
        extension=EXTENSIONS[fmt],
        width=image.width,
        height=image.height,
        sha256_original=hashlib.sha256(data).hexdigest(),
        sha256_stored=hashlib.sha256(content).hexdigest(),
        size=len(content),
        original_filename=clean_filename(filename),
    )


def embeddable_jpeg(
    content: bytes, *, max_side: int = 1600, quality: int = 82
) -> tuple[bytes, int, int]:
    """Return a downscaled JPEG (bytes, width, height) to embed in a PDF.

    ``content`` is an image as stored by ``ingest_image`` (already upright;
    EXIF orientation is not looked at here). Transparent areas are flattened
    onto white, as they would show on paper.
    """
    fmt = _require_format(content)
    with _strict_decoding():
        image = _open_checked(content, fmt)
        # JPEG can decode straight at 1/2, 1/4 or 1/8 scale: much faster.
        image.draft("RGB", (max_side, max_side))
        _load(image)
        # Bicubic is a third faster than Lanczos; on screenshots the two differ by
        # under 1/255 on average at these ratios.
        image.thumbnail((max_side, max_side), Image.Resampling.BICUBIC)
        image = _flatten_on_white(image)
        # No chroma subsampling (4:4:4): coloured text such as red error messages
        # stays crisp, for ~5% more bytes.
        options = {"quality": quality, "subsampling": 0}
        out = io.BytesIO()
        try:
            image.save(out, "JPEG", optimize=True, **options)
        except OSError:
            # An optimised JPEG is written in one buffer that Pillow sizes at one byte
            # a pixel; a high-entropy image (colour noise) needs more, and Pillow
            # ignores a larger bufsize. Such images gain nothing from optimising.
            out = io.BytesIO()
            image.save(out, "JPEG", **options)
    return out.getvalue(), image.width, image.height


def apply_blur_boxes(content: bytes, boxes: Sequence[tuple[float, float, float, float]]) -> bytes:
    """Pixelate the given boxes so any text in them is unreadable.

    Boxes are ``(x, y, width, height)`` as fractions (0..1) of the image, the
    way the browser reports a rectangle drawn over a scaled-down preview. They
    are clamped to the image. Returns the image re-encoded in its own format.
    Raises ``ValueError`` for a box that is not four finite numbers.
    """
    fmt = _require_format(content)
    with _strict_decoding():
        image = _decode(content, fmt)
        icc = image.info.get("icc_profile")
        image = _convert(image, _target_mode(image, fmt))
        # Bigger images get bigger blocks, so the redaction looks the same on screen.
        block = max(12, max(image.size) // 60)
        for box in boxes:
            left, top, right, bottom = _pixel_box(box, image.size)
            if right > left and bottom > top:
                region = image.crop((left, top, right, bottom))
                image.paste(_pixelate(region, block), (left, top))
        image.info = {"icc_profile": icc} if icc else {}
        return _encode(image, fmt, source=content)


# Formats people often have but we do not take, by their first bytes, with how to convert.
_REFUSED_FORMATS = (
    (
        lambda head: head[4:8] == b"ftyp" and head[8:12] in {b"heic", b"heix", b"mif1", b"msf1"},
        "a HEIC photo (the iPhone's usual format)",
        "On an iPhone, take a screenshot instead (screenshots are PNG), or choose "
        "Settings › Camera › Formats › Most Compatible; on a Mac, open it in Preview and "
        "use File › Export › JPEG.",
    ),
    (
        lambda head: head[4:8] == b"ftyp" and head[8:12] in {b"avif", b"avis"},
        "an AVIF image",
        "Open it in your browser or image viewer and save or export it as PNG or JPEG.",
    ),
    (
        lambda head: head[:4] in {b"II*\x00", b"MM\x00*"},
        "a TIFF image",
        "Open it in Preview, Photos or Paint and export or save it as PNG.",
    ),
    (
        lambda head: head[:2] == b"BM",
        "a BMP image",
        "Open it in Paint or Preview and save it as PNG.",
    ),
    (
        lambda head: head[:6] in {b"GIF87a", b"GIF89a"},
        "a GIF image",
        "Take a screenshot of the frame you want to show (screenshots are PNG).",
    ),
)


def refusal_message(data: bytes) -> str:
    """Why a file that is not PNG, JPEG or WebP is refused, and how to convert it."""
    accepted = "We take PNG, JPEG and WebP screenshots."
    for matches, name, how in _REFUSED_FORMATS:
        if matches(data[:16]):
            return f"This file is {name}. {accepted} {how}"
    return (
        f"This file is not an image we can read. {accepted} Take a screenshot of the "
        "frame (your device saves screenshots as PNG), or export the image as PNG or JPEG."
    )


def sniff_format(data: bytes) -> str | None:
    """Identify PNG, JPEG or WebP by their magic bytes; ``None`` for anything else."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return None


def clean_filename(filename: str) -> str:
    """Keep only a printable basename, at most MAX_FILENAME_CHARS long."""
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    name = unicodedata.normalize("NFC", name)
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip()
    if name in {"", ".", ".."}:
        return "screenshot"
    if len(name) <= MAX_FILENAME_CHARS:
        return name
    stem, dot, ext = name.rpartition(".")
    if dot and stem and len(ext) <= 10:
        return stem[: MAX_FILENAME_CHARS - len(ext) - 1] + "." + ext
    return name[:MAX_FILENAME_CHARS]


@contextmanager
def _strict_decoding() -> Iterator[None]:
    """Refuse truncated files and treat Pillow's bomb warnings as errors."""
    with _decode_lock, warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        previous = ImageFile.LOAD_TRUNCATED_IMAGES
        ImageFile.LOAD_TRUNCATED_IMAGES = False
        try:
            yield
        finally:
            ImageFile.LOAD_TRUNCATED_IMAGES = previous


def _require_format(content: bytes) -> str:
    fmt = sniff_format(content)
    if fmt is None:
        raise ImageRejected("This is not a PNG, JPEG or WebP image.")
    return fmt


def _decode(data: bytes, fmt: str) -> ImageFile.ImageFile:
    """Open, check the header's size, then decode all pixels."""
    image = _open_checked(data, fmt)
    if fmt == "PNG":
        # load() accepts a PNG that lost its last bytes (IEND and checksums);
        # verify() walks every chunk and its CRC, so run it first.
        try:
            image.verify()
        except _DECODE_ERRORS as exc:
            raise ImageRejected(_DAMAGED) from exc
        image = _open_checked(data, fmt)  # verify() leaves the image unusable
    _load(image)
    return image


def _open_checked(data: bytes, fmt: str) -> ImageFile.ImageFile:
    """Read only the header (Image.open is lazy) and enforce the size limits."""
    try:
        image = Image.open(io.BytesIO(data), formats=[fmt])
    except _BOMB_ERRORS as exc:
        raise ImageRejected(_too_large(_pixels_from_bomb_error(exc))) from exc
    except _DECODE_ERRORS as exc:
        raise ImageRejected(_DAMAGED) from exc
    assert isinstance(image, ImageFile.ImageFile)
    width, height = image.size
    if width * height > MAX_PIXELS:
        raise ImageRejected(_too_large(width * height))
    if max(width, height) > MAX_SIDE:
        raise ImageRejected(
            f"This image is {width}x{height} pixels; each side must be at most {MAX_SIDE} pixels."
        )
    if min(width, height) < MIN_SIDE:
        raise ImageRejected(
            f"This image is only {width}x{height} pixels; "
            f"each side must be at least {MIN_SIDE} pixels."
        )
    return image


def _load(image: ImageFile.ImageFile) -> None:
    try:
        image.load()
    except _BOMB_ERRORS as exc:
        raise ImageRejected(_too_large(_pixels_from_bomb_error(exc))) from exc
    except _DECODE_ERRORS as exc:
        raise ImageRejected(_DAMAGED) from exc


def _too_large(pixels: int | None) -> str:
    limit = f"{MAX_PIXELS / 1_000_000:g}"
    if pixels is None:
        return f"This image is too large to process (the limit is {limit} megapixels)."
    megapixels = f"{round(pixels / 1_000_000, 1):g}"
    return f"This image is too large to process ({megapixels} megapixels; the limit is {limit})."


def _pixels_from_bomb_error(exc: Exception) -> int | None:
    # Pillow only reports the size inside its message: "Image size (N pixels) ...".
    match = re.search(r"\((\d+) pixels\)", str(exc))
    return int(match[1]) if match else None


def _target_mode(image: Image.Image, fmt: str) -> str:
    """RGB, or RGBA when a PNG/WebP really uses transparency."""
    if fmt == "JPEG":
        return "RGB"
    has_alpha = image.mode in {"RGBA", "LA", "PA", "La", "RGBa"} or "transparency" in image.info
    if not has_alpha:
        return "RGB"
    # Many screenshot tools write an alpha channel that is fully opaque;
    # dropping it makes the file smaller and faster to encode.
    rgba = image if image.mode == "RGBA" else image.convert("RGBA")
    return "RGB" if rgba.getchannel("A").getextrema() == (255, 255) else "RGBA"


def _convert(image: Image.Image, mode: str) -> Image.Image:
    if image.mode == mode:
        return image  # convert() would copy 30+ MB for nothing
    if image.mode in _WIDE_GREY_MODES:
        image = _grey_to_8_bits(image)
    try:
        return image.convert(mode)
    except ValueError as exc:  # exotic modes Pillow cannot map to RGB
        raise ImageRejected(_DAMAGED) from exc


# 16-bit (and 32-bit) grey: Pillow's convert() clips these to 0..255 rather than scaling,
# so a 16-bit grey screenshot would turn almost white.
_WIDE_GREY_MODES = {"I;16", "I;16L", "I;16B", "I;16N", "I", "F"}


def _grey_to_8_bits(image: Image.Image) -> Image.Image:
    """Scale a 16-bit grey image (0..65535) onto 0..255, as an 8-bit grey image."""
    wide = image if image.mode in {"I", "F"} else image.convert("I")
    high = wide.getextrema()[1]
    # PNG only stores 16-bit grey as 0..65535; a 32-bit "I" image that stays within
    # 0..255 is already 8-bit in disguise.
    scale = 1 / 257 if isinstance(high, int | float) and high > 255 else 1
    return wide.point(lambda value: value * scale).convert("L")


def _encode(image: Image.Image, fmt: str, *, source: bytes) -> bytes:
    """Encode ``image`` in ``fmt``; ``source`` is the file it was decoded from."""
    out = io.BytesIO()
    if fmt == "PNG":
        content = _png_bytes(image)
        # Unfiltered rows compress badly on smooth gradients (a 0.3 MB 8K gradient
        # became 5 MB) and on noise (a 13.7 MB 4K PNG became 18.9 MB): when the fast
        # file is over a tenth larger than the upload (a typical screenshot is ~5 %
        # larger), Pillow's filtered encoder is tried too and the smaller is kept.
        if len(content) <= len(source) * 1.1 + 16 * 1024:
            return content
        image.save(out, "PNG", compress_level=6)  # Pillow filters every row
        return min(content, out.getvalue(), key=len)
    elif fmt == "JPEG":
        image.save(out, "JPEG", quality=JPEG_QUALITY)
    elif _is_lossless_webp(source):
        # For lossless WebP "quality" is effort; 20 with method 1 is ~3x faster
        # than the default and barely larger.
        image.save(out, "WEBP", lossless=True, quality=20, method=1)
    else:
        image.save(out, "WEBP", quality=WEBP_QUALITY)
    return out.getvalue()


def _png_bytes(image: Image.Image) -> bytes:
    """Write an 8-bit RGB or RGBA PNG (plus iCCP if ``info`` has a profile).

    Pillow's PNG encoder tries four row filters on every line on one core, and
    that was two thirds of the time to ingest a 4K screenshot. We write rows
    unfiltered, which compresses about as well for flat UI pixels (noisy areas
    come out ~25% bigger), and deflate on two cores.
    """
    assert image.mode in {"RGB", "RGBA"}
    colour_type = 6 if image.mode == "RGBA" else 2
    chunks = [_png_chunk(b"IHDR", struct.pack(">IIBBBBB", *image.size, 8, colour_type, 0, 0, 0))]
    if icc := image.info.get("icc_profile"):
        chunks.append(_png_chunk(b"iCCP", b"ICC profile\x00\x00" + zlib.compress(icc)))
    chunks.append(_png_chunk(b"IDAT", _deflate_scanlines(image)))
    chunks.append(_png_chunk(b"IEND", b""))
    return b"\x89PNG\r\n\x1a\n" + b"".join(chunks)


def _deflate_scanlines(image: Image.Image) -> bytes:
    """The zlib stream of every row, each prefixed with filter type 0 (None).

    As in pigz, the rows are cut into bands deflated on two cores. Each band is
    a raw deflate stream of its own that ends with a sync flush rather than a
    final block (except the last), so the bands concatenate into one valid
    stream. Eight bands keep both cores busy when the detail sits in one half.
    """
    stride = image.width * len(image.mode)
    raw = memoryview(image.tobytes())
    rows = [raw[y * stride : (y + 1) * stride] for y in range(image.height)]
    size = -(-len(rows) // _BANDS)  # ceiling division
    bands = [rows[start : start + size] for start in range(0, len(rows), size)]
    ends = [zlib.Z_SYNC_FLUSH] * (len(bands) - 1) + [zlib.Z_FINISH]
    with ThreadPoolExecutor(max_workers=2) as pool:
        deflated = pool.map(_deflate_rows, bands, ends)
        checksum = 1  # zlib's Adler-32 covers the whole uncompressed stream
        for row in rows:
            checksum = zlib.adler32(row, zlib.adler32(b"\x00", checksum))
        body = b"".join(deflated)
    # 0x78 0x01: deflate with a 32 KiB window, "fastest" level hint.
    return b"\x78\x01" + body + checksum.to_bytes(4, "big")


def _deflate_rows(rows: list[memoryview], end: int) -> bytes:
    deflate = zlib.compressobj(PNG_COMPRESS_LEVEL, zlib.DEFLATED, -15)  # raw, no header
    parts = []
    for row in rows:
        parts.append(deflate.compress(b"\x00"))
        parts.append(deflate.compress(row))
    parts.append(deflate.flush(end))
    return b"".join(parts)


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    crc = zlib.crc32(payload, zlib.crc32(kind))
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)


def _is_lossless_webp(data: bytes) -> bool:
    """True if the first image chunk is VP8L (lossless) rather than "VP8 " (lossy)."""
    offset = 12
    while offset + 8 <= len(data):
        fourcc = data[offset : offset + 4]
        if fourcc in {b"VP8L", b"VP8 "}:
            return fourcc == b"VP8L"
        size = int.from_bytes(data[offset + 4 : offset + 8], "little")
        offset += 8 + size + (size & 1)  # chunks are padded to even sizes
    return False


def _flatten_on_white(image: Image.Image) -> Image.Image:
    if image.mode in {"RGBA", "LA", "PA"} or "transparency" in image.info:
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    return image.convert("RGB")


def _pixel_box(
    box: tuple[float, float, float, float], size: tuple[int, int]
) -> tuple[int, int, int, int]:
    """Turn a fractional (x, y, w, h) box into pixel edges, rounded outwards."""
    if len(box) != 4 or not all(math.isfinite(v) for v in box):
        raise ValueError(f"A blur box must be four finite numbers, got {box!r}.")
    x, y, w, h = box
    width, height = size
    left = math.floor(min(max(x, 0.0), 1.0) * width)
    top = math.floor(min(max(y, 0.0), 1.0) * height)
    right = math.ceil(min(max(x + w, 0.0), 1.0) * width)
    bottom = math.ceil(min(max(y + h, 0.0), 1.0) * height)
    return left, top, right, bottom


def _pixelate(region: Image.Image, block: int) -> Image.Image:
    # Averaging into big blocks destroys the glyph shapes; blurring the tiny
    # version mixes neighbouring blocks too, so the word shapes go as well.
    small_size = (max(1, math.ceil(region.width / block)), max(1, math.ceil(region.height / block)))
    small = region.resize(small_size, Image.Resampling.BOX)
    small = small.filter(ImageFilter.GaussianBlur(1))
    return small.resize(region.size, Image.Resampling.NEAREST)
