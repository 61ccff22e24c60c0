"""A static TrueType font from a loaded face: the glyphs of a character map drawn at one weight (a variable
font instanced, CFF curves made quadratic glyf outlines), only the tables we ship, and tidy names and style bits."""

from __future__ import annotations

import copy
import hashlib
import math
import operator
import re
import struct
from dataclasses import dataclass
from itertools import repeat
from pathlib import Path
from typing import Any

from .fontfile import FontError

#: Tables kept in a prepared font (loca is implied by glyf).
_KEEP_TABLES = frozenset({"cmap", "hmtx", "glyf", "loca", "head", "hhea", "maxp", "post", "name", "OS/2"})
#: name IDs copied from the source font (copyright, trademark, vendor, designer, URLs, licence).
_COPIED_NAME_IDS = (0, 5, 7, 8, 9, 10, 11, 12, 13, 14)
_WEIGHT_NAMES = {
    100: "Thin",
    200: "ExtraLight",
    300: "Light",
    400: "Regular",
    500: "Medium",
    600: "SemiBold",
    700: "Bold",
    800: "ExtraBold",
    900: "Black",
}


def static_face(font: Any, cmap: dict[int, str], wght: float | None, is_variable: bool) -> Any:
    """A new static glyf font (a fontTools TTFont) holding ``.notdef`` and the glyphs of ``cmap``, taken from
    ``font`` at weight ``wght`` (composites decomposed, CFF outlines made quadratic)."""
    from fontTools.ttLib import TTFont, newTable

    source_order = {name: i for i, name in enumerate(font.getGlyphOrder())}
    names = sorted({".notdef", *cmap.values()}, key=source_order.__getitem__)
    outlines = _GlyphSource(font, _normalized_location(font, wght) if is_variable else {})
    glyphs = {name: outlines.get(name) for name in names}

    glyf = newTable("glyf")
    glyf.glyphOrder = names
    glyf.glyphs = {name: _raw_glyph(g.data) for name, g in glyphs.items()}
    hmtx = newTable("hmtx")
    hmtx.metrics = {name: (g.advance, g.bounds[0] if g.bounds else 0) for name, g in glyphs.items()}

    # The glyphs are already compiled, so bounds and maxima are set here rather than recomputed
    # by fontTools (which would decompile every glyph again).
    out = TTFont(recalcTimestamp=False, recalcBBoxes=False)
    out.setGlyphOrder(names)
    for tag in ("head", "hhea", "OS/2", "post", "name", "maxp"):
        if tag in font:
            out[tag] = copy.deepcopy(font[tag])
    out["glyf"] = glyf
    out["loca"] = newTable("loca")
    out["hmtx"] = hmtx
    out["cmap"] = _cmap_table(cmap)

    inked = [(g.advance, g.bounds) for g in glyphs.values() if g.bounds is not None]  # (advance, bounds)
    head = out["head"]
    head.glyphDataFormat = 0
    head.indexToLocFormat = 0  # recomputed when loca is compiled
    head.xMin, head.yMin = min(b[0] for _, b in inked), min(b[1] for _, b in inked)
    head.xMax, head.yMax = max(b[2] for _, b in inked), max(b[3] for _, b in inked)
    hhea = out["hhea"]
    hhea.advanceWidthMax = max(g.advance for g in glyphs.values())
    hhea.minLeftSideBearing = min(b[0] for _, b in inked)
    hhea.minRightSideBearing = min(a - b[2] for a, b in inked)
    hhea.xMaxExtent = max(b[2] for _, b in inked)
    maxp = out["maxp"]
    maxp.tableVersion = 0x00010000
    maxp.numGlyphs = len(names)
    for attr in _MAXP_ZERO_FIELDS:  # no components and no hinting programs survive
        setattr(maxp, attr, 0)
    maxp.maxZones = 1
    maxp.maxPoints = max(g.points for g in glyphs.values())
    maxp.maxContours = max(g.contours for g in glyphs.values())
    post = out["post"]
    post.formatType = 3.0  # no glyph names
    for attr in ("extraNames", "mapping", "glyphOrder"):
        if hasattr(post, attr):
            delattr(post, attr)
    return out


_MAXP_ZERO_FIELDS = (
    "maxTwilightPoints", "maxStorage", "maxFunctionDefs", "maxInstructionDefs", "maxStackElements",
    "maxSizeOfInstructions", "maxComponentElements", "maxComponentDepth", "maxCompositePoints",
    "maxCompositeContours",
)


def _normalized_location(font: Any, wght: float | None) -> dict[str, float]:
    """The weight (other axes at their defaults) in normalized coordinates, avar applied."""
    from fontTools.varLib.models import normalizeLocation, piecewiseLinearMap

    axes = {a.axisTag: (a.minValue, a.defaultValue, a.maxValue) for a in font["fvar"].axes}
    user = {tag: default for tag, (_, default, _) in axes.items()}
    if wght is not None and "wght" in user:
        user["wght"] = wght
    location = normalizeLocation(user, axes)
    if "avar" in font:
        segments = font["avar"].segments
        location = {tag: piecewiseLinearMap(v, segments[tag]) if segments.get(tag) else v
                    for tag, v in location.items()}
    return {tag: v for tag, v in location.items() if v}


@dataclass(frozen=True)
class _Outline:
    """One glyph of a prepared font, already in glyf binary form."""

    data: bytes
    advance: int
    bounds: tuple[int, int, int, int] | None  # None: no outline (a space)
    points: int
    contours: int


def _raw_glyph(data: bytes):
    from fontTools.ttLib.tables._g_l_y_f import Glyph

    return Glyph(data)  # kept compiled: written out byte for byte


class _GlyphSource:
    """Outlines of a loaded font at one normalized location.

    Simple glyf glyphs (all of Noto Sans SC) take a fast path: the gvar deltas are applied to
    the points directly and the result is encoded with list operations, so only the glyphs a
    build needs are touched.  Composite glyphs and CFF/CFF2 outlines are drawn through
    fontTools pens (decomposed; cubic curves converted to quadratic).
    """

    def __init__(self, font, location: dict[str, float]) -> None:
        self.font = font
        self.location = location
        self.is_glyf = "glyf" in font
        if self.is_glyf:
            self.glyf = font["glyf"]
            self.hmtx = font["hmtx"].metrics
            self.gvar = font["gvar"].variations if location and "gvar" in font else {}
        self._glyph_set: Any = None  # fontTools glyph set at the location, made when first needed

    def get(self, name: str) -> _Outline:
        if self.is_glyf:
            glyph = self.glyf[name]
            if glyph.numberOfContours >= 0 and max(getattr(glyph, "flags", ()), default=0) < 0x80:  # no cubic
                return self._simple(name, glyph)
        return self._drawn(name)

    def _simple(self, name: str, glyph) -> _Outline:
        from fontTools.varLib.iup import iup_delta
        from fontTools.varLib.models import supportScalar

        advance, lsb = self.hmtx[name]
        if glyph.numberOfContours == 0:
            points: list[tuple[float, float]] = []
            left = -lsb
        else:
            coords = glyph.coordinates.array
            points = list(zip(coords[0::2], coords[1::2]))
            left = glyph.xMin - lsb
        n = len(points)
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        # gvar deltas cover the points plus four phantom points: left and right side (the advance), top, bottom.
        phantoms = [(left, 0), (left + advance, 0), (0, 0), (0, 0)]
        right = left + advance
        for var in self.gvar.get(name, ()):
            scalar = supportScalar(self.location, var.axes)
            if not scalar:
                continue
            delta = var.coordinates
            if None in delta:  # points without a delta are interpolated (IUP) from the original outline
                delta = iup_delta(delta, points + phantoms, list(glyph.endPtsOfContours) if n else [])
            xs = [x + scalar * d[0] for x, d in zip(xs, delta)]
            ys = [y + scalar * d[1] for y, d in zip(ys, delta)]
            left += scalar * delta[n][0]
            right += scalar * delta[n + 1][0]
        # Outlines sit relative to the (moved) left side point; round half up like fontTools (otRound).
        px = [math.floor(x - left + 0.5) for x in xs]
        py = [math.floor(y + 0.5) for y in ys]
        advance = max(0, math.floor(right - left + 0.5))
        if not n:
            return _Outline(b"", advance, None, 0, 0)
        ends = list(glyph.endPtsOfContours)
        return _Outline(_encode_simple(px, py, glyph.flags, ends), advance,
                        (min(px), min(py), max(px), max(py)), n, len(ends))

    def _drawn(self, name: str) -> _Outline:
        from fontTools.pens.cu2quPen import Cu2QuPen
        from fontTools.pens.filterPen import DecomposingFilterPointPen
        from fontTools.pens.ttGlyphPen import TTGlyphPen, TTGlyphPointPen

        if self._glyph_set is None:
            self._glyph_set = self.font.getGlyphSet(location=self.location or None, normalized=True)
        glyph = self._glyph_set[name]
        if self.is_glyf:  # same points, same on/off-curve flags: an exact copy of the outline
            pen = TTGlyphPointPen(None)
            glyph.drawPoints(DecomposingFilterPointPen(pen, self._glyph_set))
        else:  # CFF contours run counter-clockwise, TrueType clockwise: reverse while converting
            pen = TTGlyphPen(None)
            glyph.draw(Cu2QuPen(pen, max_err=1.0, reverse_direction=True))
        new = pen.glyph()
        new.recalcBounds(None)
        advance = max(0, round(glyph.width))
        if not new.numberOfContours:
            return _Outline(b"", advance, None, 0, 0)
        return _Outline(new.compile(None, recalcBBoxes=False), advance, (new.xMin, new.yMin, new.xMax, new.yMax),
                        len(new.coordinates), new.numberOfContours)


class _DeltaBytes(dict):
    """Coordinate delta -> its bytes in a glyf record: none for 0, one byte (the sign goes in the flag)
    up to 255, else two bytes.  A dict so that encoding a glyph is a C-level ``map``."""

    def __missing__(self, delta: int) -> bytes:
        return delta.to_bytes(2, "big", signed=True)


_DELTA_BYTES = _DeltaBytes({d: b"" if d == 0 else bytes([abs(d)]) for d in range(-255, 256)})
# Flag bits per delta: 0x02/0x04 short X/Y; with a short value 0x10/0x20 mean "positive", without it
# "same as the previous point" (a zero delta).  Long deltas have neither bit.
_X_FLAGS = {d: 0x10 if d == 0 else 0x12 if d > 0 else 0x02 for d in range(-255, 256)}
_Y_FLAGS = {d: 0x20 if d == 0 else 0x24 if d > 0 else 0x04 for d in range(-255, 256)}


def _encode_simple(xs: list[int], ys: list[int], flags, ends: list[int]) -> bytes:
    """A simple glyf glyph record: header, contour ends, no instructions, one flag byte per point
    (the source's on-curve and overlap bits plus the delta sizes), then the X and Y deltas."""
    dxs = list(map(operator.sub, xs, [0, *xs[:-1]]))
    dys = list(map(operator.sub, ys, [0, *ys[:-1]]))
    point_flags = map(operator.or_, map(operator.and_, flags, repeat(0x41)),
                      map(operator.or_, map(_X_FLAGS.get, dxs, repeat(0)), map(_Y_FLAGS.get, dys, repeat(0))))
    return b"".join([
        struct.pack(">hhhhh", len(ends), min(xs), min(ys), max(xs), max(ys)),
        struct.pack(f">{len(ends)}HH", *ends, 0),
        bytes(point_flags),
        b"".join(map(_DELTA_BYTES.__getitem__, dxs)),
        b"".join(map(_DELTA_BYTES.__getitem__, dys)),
    ])


def _cmap_table(mapping: dict[int, str]):
    """A minimal cmap: format 4 for the BMP, plus format 12 when astral characters are present."""
    from fontTools.ttLib import newTable
    from fontTools.ttLib.tables._c_m_a_p import CmapSubtable

    cmap = newTable("cmap")
    cmap.tableVersion = 0
    bmp = {cp: g for cp, g in mapping.items() if cp <= 0xFFFF}
    sub4 = CmapSubtable.newSubtable(4)
    sub4.platformID, sub4.platEncID, sub4.language, sub4.cmap = 3, 1, 0, bmp
    cmap.tables = [sub4]
    if len(bmp) != len(mapping):
        sub12 = CmapSubtable.newSubtable(12)
        sub12.platformID, sub12.platEncID, sub12.language, sub12.cmap = 3, 10, 0, dict(mapping)
        cmap.tables.append(sub12)
    return cmap


def _style_name(wght: float) -> str:
    w = round(wght)
    return _WEIGHT_NAMES.get(w, f"W{w}")


def _ps_safe(s: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "", s)[:63]


def finalize(font: Any, wght: float | None, path: Path, was_variable: bool) -> None:
    """Tidy up a static face from :func:`static_face` of the font at ``path``: only the tables we ship, sane
    names and style bits, deterministic output."""
    for tag in list(font.keys()):
        if tag != "GlyphOrder" and tag not in _KEEP_TABLES:
            del font[tag]
    for tag in ("cmap", "hmtx", "glyf", "head", "hhea", "maxp", "post"):
        if tag not in font:
            raise FontError(f"{path}: converted font lacks a {tag!r} table")

    old = font["name"] if "name" in font else None

    def old_name(*ids: int) -> str | None:
        if old is None:
            return None
        for i in ids:
            s = old.getDebugName(i)
            if s and s.strip():
                return s.strip()
        return None

    family = old_name(16, 1) or Path(path).stem
    if was_variable:
        if wght is not None:
            weight = wght
        else:
            weight = font["OS/2"].usWeightClass if "OS/2" in font else 400
        style = _style_name(weight)
        ps_family = old_name(25) or (old_name(6) or "").split("-")[0] or family
        ps_name = _ps_safe(f"{ps_family}-{style}")
    else:
        style = old_name(17, 2) or "Regular"
        ps_name = _ps_safe(old_name(6) or f"{family}-{style}")
    if not ps_name:
        ps_name = "Font-" + hashlib.sha256(family.encode()).hexdigest()[:8]
    ribbi = style in ("Regular", "Bold", "Italic", "Bold Italic")

    from fontTools.ttLib import newTable

    name = newTable("name")
    name.names = []
    for nid in _COPIED_NAME_IDS:
        s = old_name(nid)
        if s:
            name.setName(s, nid, 3, 1, 0x409)
    if ribbi:
        name.setName(family, 1, 3, 1, 0x409)
        name.setName(style, 2, 3, 1, 0x409)
    else:
        name.setName(f"{family} {style}", 1, 3, 1, 0x409)
        name.setName("Regular", 2, 3, 1, 0x409)
        name.setName(family, 16, 3, 1, 0x409)
        name.setName(style, 17, 3, 1, 0x409)
    name.setName(f"{ps_name};antifraud-subset", 3, 3, 1, 0x409)
    name.setName(f"{family} {style}" if style != "Regular" else family, 4, 3, 1, 0x409)
    name.setName(ps_name, 6, 3, 1, 0x409)
    name.names.sort(key=lambda r: (r.platformID, r.platEncID, r.langID, r.nameID))
    font["name"] = name

    if was_variable and "OS/2" in font:
        os2 = font["OS/2"]
        if wght is not None:
            os2.usWeightClass = int(min(max(round(wght), 1), 1000))
        bold = style.startswith("Bold")
        sel = os2.fsSelection & ~((1 << 0) | (1 << 5) | (1 << 6))
        italic = bool(font["post"].italicAngle)
        if bold:
            sel |= 1 << 5
        if italic:
            sel |= 1 << 0
        if not bold and not italic:
            sel |= 1 << 6
        os2.fsSelection = sel
        font["head"].macStyle = (1 if bold else 0) | (2 if italic else 0)

    font.flavor = None
    font.recalcTimestamp = False  # keep head.modified from the source: deterministic bytes
