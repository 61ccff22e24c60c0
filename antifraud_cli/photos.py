"""Photos on printed products (the officer's photo on the contact board): checked where they are named,
placed by the renderer's `<image>` element.

At load: the file exists, is inside the project folder (symlinks resolved) and is a JPEG or PNG Pillow can
read, of at most MAX_PIXELS; only the header is read, so a no-op build stays fast. At render, where the
printed size is known: the resolution there (an error with the pixel size it needs), EXIF orientation, a crop
that fills the box (never a stretch), at most `dpi` pixels per inch, CMYK, embedded once as a JPEG.

Pillow is only ever asked to open JPEG, PNG and MPO (the multi-picture JPEG phones save): never EPS, which
Pillow hands to Ghostscript, nor any other of the formats it knows. Every colour mode those formats open in
is converted on purpose (16-bit grey scaled, transparency laid on white paper), or refused.
"""
from __future__ import annotations

import hashlib
import html
import io
import math
import re
import stat
import struct
from functools import lru_cache
from pathlib import Path

FORMATS = ("JPEG", "PNG", "MPO")  # MPO: a JPEG with a second picture after it (many phones); its first is printed
MIN_DPI = 150.0  # below this a face prints soft at reading distance
MAX_DPI = 300.0  # more is wasted on paper and only makes the file large
JPEG_QUALITY = 90
# A 50-megapixel phone photo (8160x6144) or a 61-megapixel camera fits; a PNG this size decodes to at most 256 MB
# (4 bytes a pixel) and is shrunk before anything else is done with it. More is a mistake or a decompression bomb.
MAX_PIXELS = 64_000_000
# What other files saved as .jpg or .png are, by their first bytes, to say so (Pillow never opens them)
_OTHER_FORMATS = ((b"GIF8", "GIF"), (b"%!PS", "PostScript (EPS)"), (b"\xc5\xd0\xd3\xc6", "PostScript (EPS)"),
                  (b"%PDF", "PDF"), (b"BM", "BMP"), (b"II*\x00", "TIFF"), (b"MM\x00*", "TIFF"), (b"<?xml", "SVG"),
                  (b"<svg", "SVG"), (b"\x00\x00\x01\x00", "ICO"), (b"8BPS", "PSD"))


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
    with _open(path, name) as img:
        return img.size


def _open(path: Path | str, name: str):
    """The photo opened by Pillow as JPEG, PNG or MPO only, header read, at most MAX_PIXELS; else PhotoError."""
    import warnings

    from PIL import Image, UnidentifiedImageError

    try:
        with open(path, "rb") as f:
            head = f.read(32)
    except OSError:
        raise PhotoError(f"photo '{name}' cannot be read", "put the photo in the project folder or fix the path") \
            from None
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        _refuse_format(name, "WEBP")
    if head[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1", b"ftypavif"):
        _refuse_format(name, "HEIC/AVIF")
    for magic, what in _OTHER_FORMATS:
        if head.lstrip().startswith(magic):
            _refuse_format(name, what)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # sizes are checked just below
            img = Image.open(path, formats=("JPEG", "PNG"))  # JPEG's opener returns MPO files as MPO
    except Image.DecompressionBombError as e:  # more than Pillow's own limit (about 179 Mpx): not even opened
        raise _too_large(name, _declared_size(head), e) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise PhotoError(f"photo '{name}' cannot be read as an image", "save it again as JPEG (.jpg) or PNG (.png)") \
            from None
    if img.format not in FORMATS:  # pragma: no cover - only JPEG and PNG openers were asked
        img.close()
        _refuse_format(name, str(img.format))
    if img.width * img.height > MAX_PIXELS:
        img.close()
        raise _too_large(name, img.size)
    return img


def _refuse_format(name: str, what: str):
    raise PhotoError(f"photo '{name}' is a {what} file, not a JPEG or PNG", "save it as JPEG (.jpg) or PNG (.png)")


def _declared_size(head: bytes) -> tuple[int, int] | None:
    """The width and height a PNG header declares (its IHDR chunk comes first)."""
    if head.startswith(b"\x89PNG") and head[12:16] == b"IHDR" and len(head) >= 24:
        return struct.unpack(">II", head[16:24])
    return None


def _too_large(name: str, size: tuple[int, int] | None, error: Exception | None = None) -> PhotoError:
    hint = f"make it smaller: {MAX_PIXELS // 1_000_000} megapixels at most (a few thousand pixels a side is plenty)"
    if size:
        return PhotoError(f"photo '{name}' is {size[0]}×{size[1]} px, too large to print", hint)
    found = re.search(r"\((\d+) pixels\)", str(error or ""))
    count = f"{int(found[1]):,} pixels" if found else f"more than {MAX_PIXELS:,} pixels"
    return PhotoError(f"photo '{name}' has {count}, too large to print", hint)


def needed_px(w_mm: float, h_mm: float, dpi: float) -> tuple[int, int]:
    return math.ceil(w_mm / 25.4 * dpi), math.ceil(h_mm / 25.4 * dpi)


def placed(path: Path, name: str, w_mm: float, h_mm: float, min_dpi: float = MIN_DPI,
           max_dpi: float = MAX_DPI, cmyk: bool = True) -> bytes:
    """The photo as it prints in a w_mm x h_mm box: a JPEG (CMYK for print, RGB for screens), cropped to fill,
    at most max_dpi."""
    try:
        st = path.stat()
    except OSError:
        st = None
    if st is None or not stat.S_ISREG(st.st_mode):  # a FIFO or device would block or never end
        raise PhotoError(f"photo '{name}' not found", "put the photo in the project folder or fix the path")
    return _placed(str(path), st.st_mtime_ns, st.st_size, name, round(w_mm, 3), round(h_mm, 3), min_dpi, max_dpi,
                   cmyk)


@lru_cache(maxsize=32)  # one officer serves several units: their boards share the prepared photo
def _placed(path: str, _mtime: int, _size: int, name: str, w_mm: float, h_mm: float, min_dpi: float,
            max_dpi: float, cmyk: bool) -> bytes:
    from PIL import Image, ImageOps

    try:
        with _open(path, name) as img:
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
            if img.format in ("JPEG", "MPO") and scale < 1:  # decode at 1/2, 1/4 or 1/8 size when still enough
                want = (math.ceil(w * scale), math.ceil(h * scale))
                img.draft("RGB" if img.mode != "CMYK" else "CMYK", want[::-1] if turned else want)
            img.load()
            small = _shrunk(img, scale)  # before any copy: a big PNG is held once, at its decoded size
            upright = ImageOps.exif_transpose(small) if turned or small.getexif().get(0x0112, 1) != 1 else small
            rgb = _to_rgb(upright, name)
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


def _shrunk(img, scale: float):
    """`img` reduced by a whole factor that keeps at least twice the pixels the print needs (LANCZOS does the
    rest), in the modes Image.reduce takes; else `img` itself."""
    factor = int(1 / (2 * scale)) if scale > 0 else 1
    if factor < 2 or img.mode not in ("L", "LA", "I", "RGB", "RGBA", "CMYK", "PA"):
        return img
    reduced = img.reduce(factor)
    if "exif" in img.info:
        reduced.info["exif"] = img.info["exif"]
    return reduced


def _turned(img) -> bool:
    """EXIF orientations 5-8 swap width and height."""
    try:
        return img.getexif().get(0x0112, 1) in (5, 6, 7, 8)
    except Exception:  # noqa: BLE001 - a damaged EXIF block: print the pixels as stored
        return False


# Pillow's modes for the JPEG, PNG and MPO files it opens, and how each becomes RGB for print
_PLAIN = ("1", "L", "P", "RGB", "CMYK", "YCbCr")   # convert("RGB") is exact (P without transparency)
_ALPHA = ("LA", "PA", "RGBA", "La", "RGBa")        # laid on white paper
_DEEP = ("I;16", "I;16B", "I;16L", "I;16N", "I")   # 16-bit grey: scaled to 8 bits (convert() clips it to white)


def _to_rgb(img, name: str):
    """RGB pixels for print, whatever mode the file is in; a mode not listed above is refused."""
    from PIL import Image

    if img.mode in _DEEP:
        return img.convert("I").point(lambda v: v / 256).convert("L").convert("RGB")
    if img.mode in _ALPHA or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        paper = Image.new("RGB", rgba.size, (255, 255, 255))
        paper.paste(rgba, mask=rgba.getchannel("A"))
        return paper
    if img.mode in _PLAIN:
        return img.convert("RGB")
    raise PhotoError(f"photo '{name}' has pixels of a kind antifraud does not print ({img.mode})",
                     "open it in a photo editor and save it again as an ordinary JPEG (.jpg)")



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
            if not stat.S_ISREG(st.st_mode):  # a FIFO would block the read; the renderer reports it
                raise OSError
            h.update(_file_digest(str(path), st.st_mtime_ns, st.st_size).encode())
        except (OSError, PhotoError):
            h.update(b"unreadable")  # the renderer reports it
    return h.hexdigest()


@lru_cache(maxsize=256)  # an officer's photo on the boards of all their units is read once
def _file_digest(path: str, _mtime: int, _size: int) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()
