"""Photos and documents on a complaint: checked, stored, thumbnailed.

The type is decided by the content, never by the name: a file is kept only when
its first bytes are one of the kinds below, and an image only when it decodes.
SVG and HTML (which can carry script) and executables are never among them.
Files are stored under instance/attachments with names the server chooses; the
name the user gave is kept for display and download only. Images get a small
thumbnail and a screen-sized preview, both re-encoded as JPEG.

A batch is checked whole before anything is kept: one bad file refuses the
batch, with the reason per file, and nothing is saved.
"""
import hashlib
import os
import re
import secrets
import shutil
import tempfile
from dataclasses import dataclass, field

import filetype
from PIL import Image, ImageOps, UnidentifiedImageError

from i18n import lazy_gettext as _l

# What may be kept: mime type -> the extension it is stored with. RASTER images get thumbnails.
ALLOWED = {
    "image/jpeg": "jpg", "image/png": "png", "image/gif": "gif", "image/webp": "webp",
    "image/heic": "heic", "image/heif": "heif",
    "application/pdf": "pdf",
    "video/mp4": "mp4", "video/quicktime": "mov", "video/3gpp": "3gp",
    "audio/mpeg": "mp3", "audio/mp4": "m4a", "audio/amr": "amr", "audio/x-wav": "wav",
    "application/msword": "doc", "application/vnd.ms-excel": "xls",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
}
RASTER = {"image/jpeg", "image/png", "image/gif", "image/webp"}
THUMBNAIL, PREVIEW = (320, 320), (1600, 1600)
MAX_PIXELS = 60_000_000  # a 12-megapixel phone photo is 12M; more is a decompression bomb
SNIFF_BYTES = 8192
_UNSAFE_NAME = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069/\\\\]")


class Refused(Exception):
    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


@dataclass
class Checked:
    """A file that passed the checks, waiting in the temporary folder."""
    original_name: str
    content_type: str
    size: int
    sha256: str
    temp_path: str
    images: dict = field(default_factory=dict)  # "thumb"/"preview" -> temporary JPEG path


def display_name(name):
    """The user's file name made harmless for display and download: no folders, no controls."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = _UNSAFE_NAME.sub("", base).strip().strip(".")
    return base[:200] or "file"


def check(upload, folder, max_bytes):
    """Copy one upload (a werkzeug FileStorage) into `folder` and check it; Refused if it may not be kept."""
    name = display_name(upload.filename)
    fd, temp_path = tempfile.mkstemp(dir=folder)
    digest, size, head = hashlib.sha256(), 0, b""
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := upload.stream.read(1024 * 1024):
                size += len(chunk)
                if size > max_bytes:
                    raise Refused(_l("%(name)s is larger than %(mb)s MB.", name=name, mb=max_bytes // 2 ** 20))
                head = head if len(head) >= SNIFF_BYTES else (head + chunk)[:SNIFF_BYTES]
                digest.update(chunk)
                out.write(chunk)
        if size == 0:
            raise Refused(_l("%(name)s is empty.", name=name))
        kind = filetype.guess(head)
        if kind is None or kind.mime not in ALLOWED:
            raise Refused(_l("%(name)s is not a photo, video, recording, PDF or office document.", name=name))
        checked = Checked(name, kind.mime, size, digest.hexdigest(), temp_path)
        if kind.mime in RASTER:
            checked.images = _images(temp_path, folder, name)
        return checked
    except Exception:
        _remove(temp_path)
        raise


def _images(path, folder, name):
    """Thumbnail and preview as JPEG; Refused when the image does not decode."""
    made = {}
    try:
        with Image.open(path) as image:
            if image.width * image.height > MAX_PIXELS:
                raise Refused(_l("%(name)s has too many pixels.", name=name))
            image.draft("RGB", PREVIEW)  # JPEG decodes at a smaller scale: much faster
            image = ImageOps.exif_transpose(image)  # phones store portrait photos turned
            if image.mode in ("RGBA", "LA", "P"):
                image = image.convert("RGBA")
                image = Image.alpha_composite(Image.new("RGBA", image.size, "white"), image)
            image = image.convert("RGB")
            for kind, size in (("preview", PREVIEW), ("thumb", THUMBNAIL)):
                image.thumbnail(size)
                fd, made[kind] = tempfile.mkstemp(dir=folder, suffix=".jpg")
                with os.fdopen(fd, "wb") as out:
                    image.save(out, "JPEG", quality=85 if kind == "preview" else 80)
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as error:
        for temp in made.values():
            _remove(temp)
        raise Refused(_l("%(name)s looks like a picture but cannot be read.", name=name)) from error
    return made


def keep(checked, root, now):
    """Move a checked file (and its images) to its place; return its stored name."""
    stored = f"{now:%Y/%m}/{secrets.token_hex(16)}.{ALLOWED[checked.content_type]}"
    os.makedirs(os.path.join(root, os.path.dirname(stored)), exist_ok=True)
    os.replace(checked.temp_path, os.path.join(root, stored))
    for kind, temp in checked.images.items():
        os.replace(temp, os.path.join(root, image_path(stored, kind)))
    return stored


def image_path(stored, kind):
    return f"{stored.rsplit('.', 1)[0]}_{kind}.jpg"


def discard(checked_files, root=None, stored_names=()):
    """Remove what a failed batch left behind, kept or not."""
    for checked in checked_files:
        for path in (checked.temp_path, *checked.images.values()):
            _remove(path)
    for stored in stored_names:
        for path in (stored, image_path(stored, "thumb"), image_path(stored, "preview")):
            _remove(os.path.join(root, path))


def _remove(path):
    try:
        os.remove(path)
    except FileNotFoundError:
        pass


def copy_tree(source, destination, link_from=None):
    """Copy the attachments folder; files already in `link_from` (an earlier backup)
    are hard-linked there instead of copied, since a stored file never changes."""
    for folder, _dirs, files in os.walk(source):
        relative = os.path.relpath(folder, source)
        os.makedirs(os.path.join(destination, relative), exist_ok=True)
        for name in files:
            target = os.path.join(destination, relative, name)
            earlier = os.path.join(link_from, relative, name) if link_from else None
            try:
                if earlier and os.path.exists(earlier):
                    os.link(earlier, target)
                    continue
            except OSError:
                pass  # another file system: copy
            shutil.copy2(os.path.join(folder, name), target)
