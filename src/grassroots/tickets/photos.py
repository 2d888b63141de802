"""Photos on requests: checked by content, size-limited, stripped of metadata (DESIGN.md rule 9).

An upload is accepted only if Pillow reads it as JPEG, PNG or WebP whatever its name or declared
type says. It is then re-encoded from its pixels: EXIF (GPS position, camera serial, time),
XMP and comments are not carried over; the EXIF orientation is applied first so the picture
stays upright.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from grassroots.core.errors import ValidationFailed

MAX_BYTES = 10 * 1024 * 1024
MAX_PHOTOS = 9
MAX_PIXELS = 40_000_000  # 40 megapixels: larger than any phone camera, smaller than a bomb
FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}


@dataclass(frozen=True)
class CleanPhoto:
    content: ContentFile
    content_type: str
    size: int
    width: int
    height: int
    sha256: str


def _read(upload: Any) -> bytes:
    if hasattr(upload, "size") and upload.size is not None and upload.size > MAX_BYTES:
        raise ValueError("too_large")
    if hasattr(upload, "seek"):
        upload.seek(0)
    data: bytes = upload.read(MAX_BYTES + 1) if hasattr(upload, "read") else bytes(upload)
    if len(data) > MAX_BYTES:
        raise ValueError("too_large")
    return data


def clean_photo(upload: Any) -> CleanPhoto:
    """One checked, re-encoded photo, or ValueError with a code ('too_large', 'not_image')."""
    data = _read(upload)
    try:
        with Image.open(io.BytesIO(data)) as probe:
            fmt = probe.format
            probe.verify()
        if fmt not in FORMATS:
            raise ValueError("not_image")
        with Image.open(io.BytesIO(data)) as img:
            if img.width * img.height > MAX_PIXELS:
                raise ValueError("too_large")
            img.load()
            upright = ImageOps.exif_transpose(img)
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError) as exc:
        raise ValueError("not_image") from exc
    out = io.BytesIO()
    if fmt == "JPEG":
        upright.convert("RGB").save(out, "JPEG", quality=88, optimize=True)
    elif fmt == "PNG":
        upright.save(out, "PNG", optimize=True)
    else:
        upright.save(out, "WEBP", quality=88)
    body = out.getvalue()
    return CleanPhoto(
        content=ContentFile(body),
        content_type=FORMATS[fmt],
        size=len(body),
        width=upright.width,
        height=upright.height,
        sha256=hashlib.sha256(body).hexdigest(),
    )


def clean_photos(uploads: list[Any], field: str = "photos") -> list[CleanPhoto]:
    """Every photo checked; all errors reported by position (第 N 张), nothing kept on error."""
    if len(uploads) > MAX_PHOTOS:
        raise ValidationFailed(fields={field: [_("最多上传 %(n)d 张照片。") % {"n": MAX_PHOTOS}]})
    cleaned, errors = [], []
    for index, upload in enumerate(uploads, start=1):
        try:
            cleaned.append(clean_photo(upload))
        except ValueError as exc:
            if str(exc) == "too_large":
                errors.append(_("第 %(n)d 张照片超过 10 MB，请压缩后再传。") % {"n": index})
            else:
                errors.append(
                    _("第 %(n)d 张不是可识别的图片，请上传 JPG、PNG 或 WebP 照片。") % {"n": index}
                )
    if errors:
        raise ValidationFailed(fields={field: errors})
    return cleaned


def store_photos(model: Any, photos: Sequence[CleanPhoto], actor: Any, **owner: Any) -> list[Any]:
    """Save cleaned photos as rows of `model` (a ticket's or a whistle's photo), each under a
    random name, with `owner` (the ticket or whistle, and the event) set on every row."""
    saved = []
    for photo in photos:
        row = model(
            **owner,
            content_type=photo.content_type,
            size=photo.size,
            width=photo.width,
            height=photo.height,
            sha256=photo.sha256,
            uploaded_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        row.image.save("photo", photo.content, save=False)
        row.save()
        saved.append(row)
    return saved
