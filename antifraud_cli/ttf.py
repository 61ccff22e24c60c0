"""Reading the prepared TrueType fonts: what layout measures and what the PDF writer embeds.

The numbers are the ones ReportLab reported for the same files (it did this job before), so no page moves:
lengths in 1000ths of an em, ascent and descent from OS/2's typographic values (head's box when a font has
no OS/2), and a character the cmap lacks measures as glyph 0 (.notdef). Parsing one prepared face takes about
a millisecond; faces are registered once per process under the names fonts.register gives them.
"""
from __future__ import annotations

import struct
import threading
from itertools import repeat

__all__ = ["Face", "FontFileError", "add", "face", "registered"]

FLAG_FIXED, FLAG_SYMBOLIC, FLAG_ITALIC, FLAG_FORCE_BOLD = 1, 4, 64, 1 << 18  # PDF font descriptor flags


class FontFileError(ValueError):
    """A file that is not a TrueType font this reader understands."""


class Face:
    """One TrueType face: its file, PostScript name, vertical metrics and the advance of each glyph and character.

    Lengths are in 1000ths of an em: integers when the font has 1000 units per em, else floats.
    """

    def __init__(self, data: bytes):
        try:
            self._read(data)
        except (struct.error, KeyError, IndexError, ValueError, ZeroDivisionError) as e:
            if isinstance(e, FontFileError):
                raise
            raise FontFileError(f"damaged or unsupported TrueType file ({type(e).__name__}: {e})") from None

    def _read(self, data: bytes) -> None:
        self.data = data
        version, count = struct.unpack_from(">LH", data, 0)
        if version not in (0x00010000, 0x74727565):  # 'true'
            raise FontFileError("not a TrueType (glyf) font")
        self.tables: dict[str, tuple[int, int]] = {}  # tag -> (offset, length)
        for k in range(count):
            tag, _, offset, length = struct.unpack_from(">4sLLL", data, 12 + 16 * k)
            if offset + length > len(data):
                raise FontFileError(f"table {tag!r} runs past the end of the file")
            self.tables[tag.decode("latin-1")] = (offset, length)

        head = self._table("head")
        if struct.unpack_from(">L", head, 12)[0] != 0x5F0F3CF5:
            raise FontFileError("bad head table")
        self.units_per_em = upem = struct.unpack_from(">H", head, 18)[0]
        scale = (lambda v: v) if upem == 1000 else (lambda v, k=1000 / upem: v * k)  # noqa: E731
        box = struct.unpack_from(">4h", head, 36)
        self.bbox = [scale(v) for v in box]
        self._loca_format, glyph_format = struct.unpack_from(">hh", head, 50)
        if glyph_format != 0:
            raise FontFileError(f"unknown glyph data format {glyph_format}")

        if "OS/2" in self.tables:
            os2 = self._table("OS/2")
            os2_version, weight = struct.unpack_from(">H2xH", os2, 0)
            ascender, descender = struct.unpack_from(">hh", os2, 68)
            self.ascent, self.descent = scale(ascender), scale(descender)
            self.cap_height = scale(struct.unpack_from(">h", os2, 88)[0]) if os2_version > 1 else self.ascent
        else:
            weight = 500
            self.ascent, self.descent = scale(box[3]), scale(box[1])
            self.cap_height = self.ascent
        self.stem_v = 50 + int((weight / 65.0) ** 2)  # a guess from the weight: no TrueType table records it
        post = self._table("post")
        whole, fraction, fixed_pitch = struct.unpack_from(">hH4xL", post, 4)
        self.italic_angle = whole + fraction / 65536.0
        self.flags = FLAG_SYMBOLIC | (FLAG_ITALIC if self.italic_angle else 0) \
            | (FLAG_FORCE_BOLD if weight >= 600 else 0) | (FLAG_FIXED if fixed_pitch else 0)
        self.name = self._ps_name()

        self.num_glyphs = struct.unpack_from(">H", self._table("maxp"), 4)[0]
        metric_count = struct.unpack_from(">H", self._table("hhea"), 34)[0]
        if not 0 < metric_count <= self.num_glyphs:
            raise FontFileError(f"hhea has {metric_count} metrics for {self.num_glyphs} glyphs")
        advances = list(struct.unpack_from(f">{2 * metric_count}H", self._table("hmtx"), 0)[::2])  # (advance, lsb)
        advances += [advances[-1]] * (self.num_glyphs - metric_count)  # the rest repeat the last advance
        #: each glyph's advance
        self.widths = [scale(a) for a in advances]
        self.default_width = self.widths[0]

        cmap = self._cmap()
        if 0x20 in cmap:  # a no-break space sets like a space
            cmap[0xA0] = cmap[0x20]
        elif 0xA0 in cmap:
            cmap[0x20] = cmap[0xA0]
        count, widths, default = self.num_glyphs, self.widths, self.default_width
        #: character -> glyph id; character -> advance (characters the cmap maps past the glyphs: none)
        self.glyphs = {chr(c): g for c, g in cmap.items()}
        self.char_widths = {ch: widths[g] if g < count else default for ch, g in self.glyphs.items()}

    def _table(self, tag: str) -> bytes:
        if tag not in self.tables:
            raise FontFileError(f"no {tag!r} table")
        offset, length = self.tables[tag]
        return self.data[offset:offset + length]

    def _ps_name(self) -> str:
        """The PostScript name (name id 6, else the full name, else the family), spaces made hyphens."""
        table = self._table("name")
        fmt, count, strings = struct.unpack_from(">3H", table, 0)
        found: dict[int, str] = {}
        for k in range(count):
            platform, encoding, language, name_id, length, offset = struct.unpack_from(">6H", table, 6 + 12 * k)
            if name_id in (1, 4, 6) and name_id not in found:
                raw = table[strings + offset:strings + offset + length]
                if (platform, encoding, language) == (3, 1, 0x409) and raw:
                    found[name_id] = raw.decode("utf-16-be", "replace")
                elif (platform, encoding, language) == (1, 0, 0) and raw:
                    found[name_id] = raw.decode("mac_roman")
        name = (found.get(6) or found.get(4) or found.get(1) or "").replace(" ", "-")
        if fmt not in (0, 1) or not name or any(ord(c) > 126 or c in "[](){}<>/%" for c in name):
            raise FontFileError(f"no usable PostScript name ({name!r})")
        return name

    def _cmap(self) -> dict[int, int]:
        """Code point -> glyph id from the Unicode subtable (the last Windows one, as ReportLab chose)."""
        table = self._table("cmap")
        count = struct.unpack_from(">H", table, 2)[0]
        chosen = None
        for k in range(count):
            platform, encoding, offset = struct.unpack_from(">HHL", table, 4 + 8 * k)
            if platform == 3 or (platform == 0 and encoding != 5):
                chosen = offset
        if chosen is None:
            raise FontFileError("no Unicode cmap")
        fmt = struct.unpack_from(">H", table, chosen)[0]
        out: dict[int, int] = {}
        if fmt == 4:
            length, = struct.unpack_from(">H", table, chosen + 2)
            n = struct.unpack_from(">H", table, chosen + 6)[0] // 2
            ends = struct.unpack_from(f">{n}H", table, chosen + 14)
            starts = struct.unpack_from(f">{n}H", table, chosen + 16 + 2 * n)
            deltas = struct.unpack_from(f">{n}h", table, chosen + 16 + 4 * n)
            at = chosen + 16 + 6 * n  # idRangeOffset[0]; an offset counts from its own position
            ranges = struct.unpack_from(f">{n}H", table, at)
            limit = chosen + length
            for k, (start, end, delta, rng) in enumerate(zip(starts, ends, deltas, ranges)):
                if rng == 0:
                    out.update((c, (c + delta) & 0xFFFF) for c in range(start, end + 1))
                    continue
                base = at + 2 * k + rng - 2 * start
                for c in range(start, end + 1):
                    g = struct.unpack_from(">H", table, base + 2 * c)[0] if base + 2 * c < limit else 0
                    out[c] = (g + delta) & 0xFFFF if g else 0
        elif fmt == 12:
            groups = struct.unpack_from(">L", table, chosen + 12)[0]
            for k in range(groups):
                start, end, glyph = struct.unpack_from(">3L", table, chosen + 16 + 12 * k)
                out.update(zip(range(start, end + 1), range(glyph, glyph + end - start + 1)))
        else:
            raise FontFileError(f"cmap format {fmt} (only 4 and 12 are read)")
        return out

    def glyph_offsets(self) -> list[int]:
        """Where each glyph starts in the glyf table (numGlyphs + 1 offsets: glyph n is [n] to [n + 1])."""
        loca = self._table("loca")
        if self._loca_format == 0:
            return [2 * v for v in struct.unpack_from(f">{self.num_glyphs + 1}H", loca, 0)]
        return list(struct.unpack_from(f">{self.num_glyphs + 1}L", loca, 0))

    def width(self, text: str) -> float:
        """Advance width of text at 1 pt (left to right sum, then / 1000, as ReportLab computed it)."""
        return sum(map(self.char_widths.get, text, repeat(self.default_width))) * 0.001


_FACES: dict[str, Face] = {}
_lock = threading.Lock()


def add(name: str, make) -> None:
    """Register the face make() reads under name, once (names carry their file's hash: one font for ever)."""
    with _lock:
        if name not in _FACES:
            _FACES[name] = make()


def registered(name: str) -> bool:
    return name in _FACES


def face(name: str) -> Face:
    """The face registered under name (fonts.register)."""
    try:
        return _FACES[name]
    except KeyError:
        raise KeyError(f"font {name!r} is not registered") from None
