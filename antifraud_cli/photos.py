"""Photos on printed products (the officer's photo on the contact board): checked where they are named,
placed by the renderer's `<image>` element.

At load: the file exists, is inside the project folder (symlinks resolved) and is a JPEG or PNG Pillow can
read; only the header is read, so a no-op build stays fast. At render, where the printed size is known:
the resolution there (an error with the pixel size it needs), EXIF orientation, a crop that fills the box
(never a stretch), at most `dpi` pixels per inch, CMYK, embedded once as a JPEG.
"""
from __future__ import annotations

import hashlib
import html
import io
import math
import re
from functools import lru_cache
from pathlib import Path

FORMATS = ("JPEG", "PNG")
MIN_DPI = 150.0  # below this a face prints soft at reading distance
MAX_DPI = 300.0  # more is wasted on paper and only makes the file large
JPEG_QUALITY = 90
_MAX_PIXELS = 80_000_000  # a photo bigger than this is a mistake (or a decompression bomb)


class PhotoError(ValueError):
    def __init__(self, message: str, hint: str):
        super().__init__(message)
        self.hint = hint


def inside(root: Path, name: str) -> Path:
    """The real path of `name` (relative to the project folder); refused unless it stays inside the folder."""
    real_root = Path(root).resolve()
    path = (real_root / name).resolve()
    if not path.is_relative_to(real_root):
        raise PhotoError(f"'{name}' is outside the project folder",
                         "copy the photo into the project folder (e.g. photos/) and name it by its path there")
    return path


def check(root: Path, name: str) -> Path:
    """Load-time check of a named photo: its real path, or PhotoError saying what is wrong."""
    path = inside(root, name)
    if not path.is_file():
        raise PhotoError(f"photo '{name}' not found", "put the photo in the project folder or fix the path")
    size = _header(path, name)
    if size[0] < 1 or size[1] < 1:
        raise PhotoError(f"photo '{name}' has no pixels", "use a JPEG or PNG photo")
    return path


def _header(path: Path, name: str) -> tuple[int, int]:
    """Open the file far enough to know its format and size (the pixels are decoded when it is printed)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as img:
            if img.format not in FORMATS:
                raise PhotoError(f"photo '{name}' is a {img.format} file, not a JPEG or PNG",
                                 "save it as JPEG (.jpg) or PNG (.png)")
            return img.size
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as e:
        if isinstance(e, PhotoError):
            raise
        raise PhotoError(f"photo '{name}' cannot be read as an image", "save it again as JPEG (.jpg) or PNG (.png)") \
            from None


def needed_px(w_mm: float, h_mm: float, dpi: float) -> tuple[int, int]:
    return math.ceil(w_mm / 25.4 * dpi), math.ceil(h_mm / 25.4 * dpi)


def placed(path: Path, name: str, w_mm: float, h_mm: float, min_dpi: float = MIN_DPI,
           max_dpi: float = MAX_DPI, cmyk: bool = True) -> bytes:
    """The photo as it prints in a w_mm x h_mm box: a JPEG (CMYK for print, RGB for screens), cropped to fill,
    at most max_dpi."""
    try:
        st = path.stat()
    except OSError:
        raise PhotoError(f"photo '{name}' not found", "put the photo in the project folder or fix the path") from None
    return _placed(str(path), st.st_mtime_ns, st.st_size, name, round(w_mm, 3), round(h_mm, 3), min_dpi, max_dpi,
                   cmyk)


@lru_cache(maxsize=32)  # one officer serves several units: their boards share the prepared photo
def _placed(path: str, _mtime: int, _size: int, name: str, w_mm: float, h_mm: float, min_dpi: float,
            max_dpi: float, cmyk: bool) -> bytes:
    from PIL import Image, ImageOps

    try:
        with Image.open(path) as img:
            if img.width * img.height > _MAX_PIXELS:
                raise PhotoError(f"photo '{name}' is {img.width}×{img.height} px, too large to print",
                                 "make it smaller (a few thousand pixels a side is plenty)")
            turned = _turned(img)
            w, h = (img.height, img.width) if turned else img.size  # as the photo is meant to be seen
            dpi = 25.4 * min(w / w_mm, h / h_mm)  # filling the box uses the photo's narrower side fully
            if dpi < min_dpi - 1e-6:
                nw, nh = needed_px(w_mm, h_mm, min_dpi)
                raise PhotoError(f"photo '{name}' is {w}×{h} px: printed {w_mm:g}×{h_mm:g} mm it has {dpi:.0f} dpi, "
                                 f"under {min_dpi:g} dpi; it needs at least {nw}×{nh} px",
                                 "use the original photo from the camera or phone, not a small copy")
            tw, th = needed_px(w_mm, h_mm, min(dpi, max_dpi))
            scale = max(tw / w, th / h)
            if img.format == "JPEG" and scale < 1:  # decode at 1/2, 1/4 or 1/8 size when that is still enough
                want = (math.ceil(w * scale), math.ceil(h * scale))
                img.draft("RGB", want[::-1] if turned else want)
            upright = ImageOps.exif_transpose(img)
            rgb = _flatten(upright)
    except PhotoError:
        raise
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise PhotoError(f"photo '{name}' cannot be read as an image (damaged or cut short?)",
                         "save it again as JPEG (.jpg) or PNG (.png)") from None
    # crop the middle to the box's proportions, then scale down: never stretched
    fitted = ImageOps.fit(rgb, (tw, th), method=Image.Resampling.LANCZOS, centering=(0.5, 0.4))
    out = io.BytesIO()
    (to_cmyk(fitted) if cmyk else fitted).save(out, "JPEG", quality=JPEG_QUALITY, dpi=(min(dpi, max_dpi),) * 2)
    return out.getvalue()


def _turned(img) -> bool:
    """EXIF orientations 5-8 swap width and height."""
    try:
        return img.getexif().get(0x0112, 1) in (5, 6, 7, 8)
    except Exception:  # noqa: BLE001 - a damaged EXIF block: print the pixels as stored
        return False


def _flatten(img):
    """RGB pixels; transparency is laid on white paper."""
    from PIL import Image

    if img.mode in ("RGBA", "LA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        paper = Image.new("RGB", rgba.size, (255, 255, 255))
        paper.paste(rgba, mask=rgba.getchannel("A"))
        return paper
    return img.convert("RGB")


def to_cmyk(rgb):
    """RGB -> CMYK with full grey replacement, as colors.cmyk does for the design colours: greys and the dark
    parts print from the black plate (sharp, no colour fringes), colours from C, M and Y."""
    from PIL import Image, ImageChops, ImageMath

    r, g, b = rgb.split()
    top = ImageChops.lighter(ImageChops.lighter(r, g), b)  # max(R, G, B) = 255 - K
    k = ImageChops.invert(top)

    def plate(channel):  # (max - c) / max, in 0..255
        return ImageMath.lambda_eval(lambda a: ((a["m"] - a["c"]) * 255 / (a["m"] + (a["m"] == 0))),
                                     m=top, c=channel).convert("L")

    return Image.merge("CMYK", (plate(r), plate(g), plate(b), k))


_IMAGE_FILE = re.compile(r'<image\b[^>]*?\bfile="([^"]*)"')


def digest_of_images(root: Path, xml: str) -> str:
    """A hash of the files a layout document's `<image>` elements print: a photo replaced under the same
    name makes the output stale."""
    h = hashlib.sha256()
    for name in map(html.unescape, _IMAGE_FILE.findall(xml)):
        h.update(name.encode() + b"\0")
        try:
            path = inside(root, name)
            st = path.stat()
            h.update(_file_digest(str(path), st.st_mtime_ns, st.st_size).encode())
        except (OSError, PhotoError):
            h.update(b"unreadable")  # the renderer reports it
    return h.hexdigest()


@lru_cache(maxsize=256)  # an officer's photo on the boards of all their units is read once
def _file_digest(path: str, _mtime: int, _size: int) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()
