"""Opening a font file: one face, checked to have outlines and the tables we read and to allow embedding, or a
FontError naming the file and the problem."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

#: Outline tables we know how to use.
OUTLINE_TABLES = ("glyf", "CFF ", "CFF2")


class FontError(Exception):
    """A font file that is missing, unreadable, not a font, or has no usable outlines."""


def check_file(path: Path) -> os.stat_result:
    """The file's stat, or a FontError when it is missing, cannot be reached or is not a regular file."""
    try:
        st = path.stat()
    except FileNotFoundError:
        raise FontError(f"{path}: font file not found") from None
    except OSError as e:
        raise FontError(f"{path}: cannot access font file ({e.strerror or e})") from None
    if not path.is_file():
        raise FontError(f"{path}: not a regular file")
    return st


def read_file(path: Path) -> bytes:
    check_file(path)
    try:
        return path.read_bytes()
    except OSError as e:
        raise FontError(f"{path}: cannot read font file ({e.strerror or e})") from None


@contextmanager
def open_face(path: Path, index: int, *, lazy: bool, data: bytes | None = None) -> Iterator[Any]:
    """Open and validate one face (a fontTools TTFont, closed afterwards); raises FontError with the path and
    the problem. `data`: the file's contents, when already read."""
    from fontTools.ttLib import TTFont, TTLibError

    path = Path(path)
    if data is None:
        check_file(path)
    if index < 0:
        raise FontError(f"{path}: invalid face index {index}")
    try:
        file: object = io.BytesIO(data) if data is not None else str(path)
        font = TTFont(file, fontNumber=index, lazy=lazy, recalcTimestamp=False)
    except FileNotFoundError:
        raise FontError(f"{path}: font file not found") from None
    except OSError as e:
        raise FontError(f"{path}: cannot read font file ({e.strerror or e})") from None
    except Exception as e:  # fontTools raises assorted errors for junk input
        if isinstance(e, TTLibError) and "font number" in str(e).lower():
            raise FontError(f"{path}: face index {index} out of range ({e})") from None
        raise FontError(f"{path}: not a usable font file ({type(e).__name__}: {e})") from None
    try:
        if index and not _is_collection(path, data):
            # fontTools silently ignores fontNumber for a single-font file.
            raise FontError(f"{path}: face index {index} given, but the file is not a font collection")
        if not any(tag in font for tag in OUTLINE_TABLES):
            raise FontError(f"{path}: font has no usable outlines (no glyf, CFF or CFF2 table)")
        for tag in ("cmap", "head", "hhea", "hmtx", "maxp"):
            if tag not in font:
                raise FontError(f"{path}: font has no {tag!r} table")
        if "OS/2" in font:
            fs_type = font["OS/2"].fsType
            if fs_type == 0x0002 or fs_type & 0x0300:
                raise FontError(
                    f"{path}: font licence forbids embedding or subsetting (OS/2 fsType 0x{fs_type:04X})"
                )
        yield font
    finally:
        font.close()


def _is_collection(path: Path, data: bytes | None) -> bool:
    if data is not None:
        return data[:4] == b"ttcf"
    try:
        with open(path, "rb") as fh:
            return fh.read(4) == b"ttcf"
    except OSError:
        return False


def name_glyphs_by_index(font: Any) -> None:
    """Name a glyf font's glyphs by index: fontTools would otherwise derive 65k names from the post
    table or, for post format 3 fonts like Noto Sans SC, by decoding every cmap subtable (seconds).
    CFF fonts keep their names: their outlines are looked up by them."""
    if "glyf" in font:
        font.setGlyphOrder([".notdef"] + [f"glyph{i:05d}" for i in range(1, font["maxp"].numGlyphs)])


def best_cmap(font: Any, path: Path) -> dict[int, str]:
    """The face's Unicode character map (code point -> glyph name); a FontError when it has none."""
    try:
        cmap = font.getBestCmap()
    except Exception as e:
        raise FontError(f"{path}: cannot read the cmap table ({type(e).__name__}: {e})") from None
    if not cmap:
        raise FontError(f"{path}: font has no Unicode character map")
    return cmap
