"""The prepared TrueType faces as ReportLab fonts: what layout measures, and one Type0/CIDFontType2 font per
face in each PDF ReportLab writes.

CIDFont is a "dynamic" ReportLab font, like ReportLab's TTFont: the canvas has it encode text per document
(splitString) and, as the file is written, add its objects (addObjects). Codes are 2-byte glyph ids
(Identity-H); the embedded program keeps the glyph ids (unused glyphs empty) and is assembled from pieces
deflated once per process (_program): fontTools' subsetter, or TTFont, would cost ~20 ms a leaflet.
Lengths are in 1000ths of an em, as ReportLab reports them. A face is read on first use.
"""
from __future__ import annotations

import hashlib
import struct
import sys
import threading
import unicodedata
import weakref
import zlib
from array import array
from functools import lru_cache
from io import BytesIO
from itertools import accumulate, groupby, repeat
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Callable

from reportlab.lib.rl_accel import fp_str
from reportlab.pdfbase import pdfdoc, pdfmetrics
from reportlab.pdfbase.pdfdoc import PDFArray, PDFDictionary, PDFName, PDFStream, PDFString

from .fontfile import name_glyphs_by_index
from .memo import Memo, Recent

__all__ = ["CIDFont", "FontFileError", "face", "register", "registered"]

FONT_LEVEL = 6  # zlib level of the glyphs and ToUnicode entries (each piece deflated once per process)
SUBSET_LEVEL = 1  # zlib level of the tables deflated for each subset: twice as fast as 6, 0.3 % larger
FLAG_FIXED, FLAG_SYMBOLIC, FLAG_ITALIC, FLAG_FORCE_BOLD = 1, 4, 64, 1 << 18  # font descriptor /Flags
_U32 = "L" if array("L").itemsize == 4 else "I"
_CMAP_HEAD = "\n".join(["/CIDInit /ProcSet findresource begin", "12 dict begin", "begincmap",
                        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
                        "/CMapName /Adobe-Identity-UCS def", "/CMapType 2 def",
                        "1 begincodespacerange", "<0000> <FFFF>", "endcodespacerange\n"]).encode()
_CMAP_TAIL = b"endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend"
_KEPT = ("head", "hhea", "maxp", "hmtx", "cvt ", "fpgm", "prep")  # with loca and glyf: a CIDFontType2 program


class FontFileError(ValueError):
    """A font file that cannot be read, or is not a TrueType (glyf) font this module understands."""


class CIDFont(pdfmetrics.Font):
    """A registered face: ReportLab's Font interface plus what layout measures. The attributes annotated
    below are read from the file when one is first asked for."""

    _multiByte = 1  # ReportLab: the font measures its own text
    _dynamicFont = 1  # ReportLab: text encoded per document (splitString), objects added at save (addObjects)
    shapable = False

    name: str  # PostScript name + "-" + a suffix of the registered name: /BaseFont after the subset tag
    units_per_em: int
    ascent: float  # OS/2 typographic ascender and descender (head's box without OS/2)
    descent: float
    cap_height: float
    stem_v: int  # a guess from the weight: no TrueType table records it
    italic_angle: float
    flags: int
    bbox: list[float]
    widths: list[float]  # glyph id -> advance
    glyphs: dict[str, int]  # character -> glyph id
    char_widths: dict[str, float]
    default_width: float  # glyph 0's: what a character the cmap lacks measures (and draws)
    _codes: _Lazy  # code point -> its glyph id as two latin-1 characters (a str.translate table)
    _w: _Lazy  # glyph id -> its advance as /W writes it
    _parts: _Lazy  # glyph id -> the glyphs a composite glyph is drawn from
    _glyf: bytes
    _loca: list[int]  # glyph g is _glyf[_loca[g]:_loca[g + 1]]
    _fixed: dict[str, tuple[bytes, int]]  # tables copied into every subset, with their checksums
    _buckets: Memo  # 32 glyph ids -> (their bytes, deflated, checksum, lengths): see _bucket
    _LAZY = frozenset(__annotations__)

    def __init__(self, name: str, path: Path) -> None:
        self.fontName, self.path, self.encName = name, Path(path), "Identity-H"
        # registerFont keeps one dynamic font per face.name: the registered name, unique and known unread
        self.face = SimpleNamespace(name=name)
        self.substitutionFonts: list[Any] = []
        self._suffix = hashlib.sha256(name.encode()).hexdigest()[:6]
        self._lock = threading.RLock()
        self._docs: weakref.WeakKeyDictionary[Any, _Use] = weakref.WeakKeyDictionary()
        self._last: tuple[weakref.ref[Any], _Use] | None = None  # the document met last: most calls are for it
        self._runs = Memo(16384)  # text -> its codes: a template's fixed text comes back in every document
        self._widths = Memo(16384)  # text -> its width at 1 pt
        self._subsets = Recent(32)  # characters -> what the font's objects hold for them (_subset)
        self._maps = Memo(4096)  # 32 (glyph id, character) pairs -> their /W and ToUnicode pieces (_map_piece)

    def __repr__(self) -> str:
        return f"<CIDFont {self.fontName} {self.path}>"

    def __getattr__(self, attr: str) -> Any:  # called only for attributes not set: the face's, until read
        if attr not in CIDFont._LAZY:
            raise AttributeError(attr)
        return self.load().__dict__[attr]

    def load(self) -> CIDFont:
        with self._lock:
            if "_buckets" not in self.__dict__:
                self.__dict__.update(_read(self.path, self._suffix))
        return self

    # ---------- metrics
    def width_1pt(self, text: str) -> float:
        """Advance width of text at 1 pt: the sum in 1000ths of an em, then / 1000, as ReportLab computes it.
        Remembered: layout measures each piece, and ReportLab's textOut measures it again to move on."""
        width = self._widths.get(text)
        if width is None:
            width = self._widths.keep(text, sum(map(self.char_widths.get, text, repeat(self.default_width))) * 0.001)
        return width

    def stringWidth(self, text: str | bytes, size: float, encoding: str = "utf8") -> float:
        return self.width_1pt(text if isinstance(text, str) else text.decode(encoding)) * size

    def ink_x(self, ch: str) -> tuple[float, float]:
        """Where the character's ink starts and ends across its advance, in 1000ths of an em (the glyph's
        xMin and xMax; (0, 0) for a blank glyph)."""
        g = self.glyphs.get(ch, 0)
        start, end = self._loca[g], self._loca[g + 1]
        if end - start < 10:
            return 0.0, 0.0
        x_min, _, x_max = struct.unpack(">hhh", self._glyf[start + 2:start + 8])
        k = 1000 / self.units_per_em
        return x_min * k, x_max * k

    def missing(self, text: str) -> list[str]:
        """The characters of text the face has no glyph for, each once, in order; whitespace and invisible
        format characters (U+200B, U+FEFF, …) are never missing."""
        seen: set[str] = set()
        out = []
        for ch in text:
            if ch not in seen and not self.glyphs.get(ch) and not _ignorable(ch):
                out.append(ch)
            seen.add(ch)
        return out

    # ---------- ReportLab's dynamic-font protocol (textobject._formatText)
    def splitString(self, text: str | bytes, doc: Any, encoding: str = "utf-8") -> list[tuple[int, bytes]]:
        """text as one run of codes ("subset" 0: one font has every glyph); its characters noted for doc."""
        if not isinstance(text, str):
            text = text.decode(encoding)
        last = self._last
        use = last[1] if last is not None and last[0]() is doc else self._use(doc)
        use.chars.update(text)
        codes = self._runs.get(text)
        if codes is None:
            codes = self._runs.keep(text, text.translate(self._codes).encode("latin-1"))
        return [(0, codes)]

    def getSubsetInternalName(self, subset: int, doc: Any) -> str:
        use = self._use(doc)
        if use.resource is None:
            use.resource = _enter(doc, self)
        return "/" + use.resource

    def _use(self, doc: Any) -> _Use:
        use = self._docs.get(doc)
        if use is None:
            use = self._docs[doc] = _Use()
        self._last = (weakref.ref(doc), use)
        return use

    def addObjects(self, doc: Any) -> None:
        """The font's objects in doc, for the characters doc used (ReportLab calls this as it writes doc)."""
        use, self._last = self._docs.pop(doc, None), None
        if use is None or use.resource is None:
            return
        base, w, program, length, to_unicode = self._subset(frozenset(use.chars))
        descriptor = PDFDictionary({
            "Type": PDFName("FontDescriptor"), "FontName": PDFName(base), "Flags": self.flags,
            "FontBBox": PDFArray(self.bbox), "ItalicAngle": self.italic_angle, "Ascent": self.ascent,
            "Descent": self.descent, "CapHeight": self.cap_height, "StemV": self.stem_v,
            "FontFile2": doc.Reference(_deflated(program, Length1=length))})
        cid = PDFDictionary({
            "Type": PDFName("Font"), "Subtype": PDFName("CIDFontType2"), "BaseFont": PDFName(base),
            "CIDSystemInfo": PDFDictionary({"Registry": PDFString("Adobe"), "Ordering": PDFString("Identity"),
                                            "Supplement": 0}),
            "FontDescriptor": doc.Reference(descriptor), "DW": 1000, "W": w, "CIDToGIDMap": PDFName("Identity")})
        font = PDFDictionary({
            "Type": PDFName("Font"), "Subtype": PDFName("Type0"), "BaseFont": PDFName(base),
            "Encoding": PDFName("Identity-H"), "DescendantFonts": PDFArray([doc.Reference(cid)]),
            "ToUnicode": doc.Reference(_deflated(to_unicode))})
        _font_resources(doc)[use.resource] = doc.Reference(font, use.resource)

    # ---------- subsets
    def _subset(self, chars: frozenset[str]) -> tuple[str, bytes, bytes, int, bytes]:
        """(/BaseFont, /W, program deflated, its length, ToUnicode deflated) for these characters, remembered:
        a village's leaflet has the characters of the last one, give or take a name."""
        with self._lock:
            found = self._subsets.find(chars)
            return found if found is not None else self._subsets.keep(chars, self._make_subset(chars))

    def _make_subset(self, chars: frozenset[str]) -> tuple[str, bytes, bytes, int, bytes]:
        by_glyph: dict[int, str] = {}
        for ch in sorted(chars):  # a glyph drawn for two characters reads back as the first
            by_glyph.setdefault(self.glyphs.get(ch, 0), ch)
        by_glyph.pop(0, None)
        ids = sorted(by_glyph)
        tag = "".join(chr(65 + b % 26) for b in hashlib.md5(" ".join(map(str, ids)).encode()).digest()[:6])
        # /W and ToUnicode in pieces of 32 glyph ids, as the program: each piece made (and its ToUnicode
        # entries deflated) once per process, a document's map joined from them
        pieces = [self._map_piece(tuple((g, by_glyph[g]) for g in group))
                  for _, group in groupby(ids, key=lambda g: g >> 5)]
        w = b"[" + b" ".join(piece[0] for piece in pieces) + b"]"
        head, tail = _cmap_ends()
        to_unicode = _join_deflated([head, *((raw, packed) for _, raw, packed in pieces), tail])
        return (f"{tag}+{self.name}", w, *self._program({0, *ids}), to_unicode)

    def _map_piece(self, pairs: tuple[tuple[int, str], ...]) -> tuple[bytes, bytes, bytes]:
        """For up to 32 (glyph id, character) pairs: their /W entries, and their ToUnicode block as text and
        deflated (remembered)."""
        found = self._maps.get(pairs)
        if found is None:
            runs: list[tuple[int, list[str]]] = []
            for g, _ in pairs:  # /W: consecutive glyph ids share one array
                if runs and runs[-1][0] + len(runs[-1][1]) == g:
                    runs[-1][1].append(self._w[g])
                else:
                    runs.append((g, [self._w[g]]))
            w = " ".join(f"{start} [{' '.join(ws)}]" for start, ws in runs).encode()
            block = "\n".join([f"{len(pairs)} beginbfchar", *(_bfchar(g, ch) for g, ch in pairs), "endbfchar\n"])
            raw = block.encode()
            found = self._maps.keep(pairs, (w, raw, _deflate(raw)))
        return found

    def _program(self, keep: set[int]) -> tuple[bytes, int]:
        """The font program drawing only the `keep` glyphs (and their components), glyph ids kept: a zlib
        stream, and its length inflated. The glyf table goes last, as buckets of 32 glyph ids each deflated
        on its own and remembered; only the small tables before them are deflated again. loca has long
        offsets; checkSumAdjustment is set per subset."""
        todo = list(keep)
        while todo:  # composite glyphs draw other glyphs: keep those too
            for part in self._parts[todo.pop()]:
                if part not in keep and part < len(self.widths):
                    keep.add(part)
                    todo.append(part)
        lengths = [0] * len(self.widths)
        buckets = []
        for _, group in groupby(sorted(keep), key=lambda g: g >> 5):
            ids = tuple(group)
            buckets.append(bucket := self._bucket(ids))
            for g, n in zip(ids, bucket[3]):
                lengths[g] = n
        glyf_len = sum(len(raw) for raw, *_ in buckets)
        glyf_sum = sum(b[2] for b in buckets) & 0xFFFFFFFF  # 4-byte aligned: glyf's checksum is theirs summed
        loca = _u32(accumulate(lengths, initial=0))
        tables = {**self._fixed, "loca": (loca, _checksum(loca)), "glyf": (glyf_len, glyf_sum)}
        head, at, total = _sfnt(tables)
        adjust = struct.pack(">L", (0xB1B0AFBA - total) & 0xFFFFFFFF)
        head = head[:at + 8] + adjust + head[at + 12:]
        stream = _join_deflated([(head, _deflate(head, SUBSET_LEVEL)), *((b[0], b[1]) for b in buckets)])
        return stream, len(head) + glyf_len

    def _bucket(self, ids: tuple[int, ...]) -> tuple[bytes, bytes, int, tuple[int, ...]]:
        """These glyphs' bytes (each padded to 4), deflated on their own (byte-aligned and not final: they
        join other blocks), their checksum and each glyph's length: remembered."""
        found = self._buckets.get(ids)
        if found is None:
            glyf, loca = self._glyf, self._loca
            pieces = [glyf[loca[g]:loca[g + 1]] + b"\0" * (-(loca[g + 1] - loca[g]) % 4) for g in ids]
            raw = b"".join(pieces)
            found = self._buckets.keep(ids, (raw, _deflate(raw), _checksum(raw), tuple(map(len, pieces))))
        return found


class _Use:
    """One font in one document: its resource name there (once text is drawn) and the characters drawn."""

    __slots__ = ("resource", "chars")

    def __init__(self) -> None:
        self.resource: str | None = None
        self.chars: set[str] = set()


class _Lazy(dict[Any, Any]):
    """A mapping filled in as keys are met: key -> make(key)."""

    def __init__(self, make: Callable[[Any], Any]) -> None:
        super().__init__()
        self.make = make

    def __missing__(self, key: Any) -> Any:
        value = self[key] = self.make(key)
        return value


# ---------------------------------------------------------------------------------------------- ReportLab
# ReportLab's document attributes used below are undocumented (its TTFont uses them the same way); each is used
# in this one place, and tests/test_cidfont.py fails first if ReportLab changes them.

def _enter(doc: Any, font: CIDFont) -> str:
    """Give font its resource name in doc, numbered like ReportLab's own (F1, F2, … by doc.fontMapping), and
    have doc call font.addObjects as the file is written (doc.delayedFonts, in GetPDFData)."""
    resource = f"F{len(doc.fontMapping) + 1}"
    doc.fontMapping[font.fontName] = "/" + resource
    doc.delayedFonts.append(font)
    return resource


def _font_resources(doc: Any) -> dict[str, Any]:
    """The /Font resources every page and form of doc names: ReportLab's 'BasicFonts' dictionary object."""
    return doc.idToObject[pdfdoc.BasicFonts].dict


def _deflated(content: bytes, **entries: Any) -> PDFStream:
    """A stream deflated already: with /Filter in its dictionary, PDFStream.format applies no filter again
    (filters are applied "only if they haven't been applied elsewhere")."""
    return PDFStream(PDFDictionary({"Filter": PDFName("FlateDecode"), **entries}), content)


# ---------------------------------------------------------------------------------------------- reading


def _read(path: Path, suffix: str) -> dict[str, Any]:
    """A CIDFont's lazy attributes, read from the file with fontTools (only the tables they come from)."""
    try:
        data = path.read_bytes()
    except OSError as e:
        raise FontFileError(f"{path}: cannot read font file ({e.strerror or e})") from None
    from fontTools.ttLib import TTFont  # only a process that draws text needs it

    try:
        return _tables(TTFont(BytesIO(data), lazy=True), suffix)
    except FontFileError as e:
        raise FontFileError(f"{path}: {e}") from None
    except Exception as e:  # fontTools raises assorted errors for damaged files
        raise FontFileError(f"{path}: damaged or unsupported TrueType file ({type(e).__name__}: {e})") from None


def _tables(font: Any, suffix: str) -> dict[str, Any]:
    if font.sfntVersion not in ("\0\1\0\0", "true") or "glyf" not in font:
        raise FontFileError("not a TrueType (glyf) font")
    for tag in ("head", "hhea", "maxp", "hmtx", "cmap", "loca", "post", "name"):
        if tag not in font:
            raise FontFileError(f"no {tag!r} table")
    head, post, count = font["head"], font["post"], font["maxp"].numGlyphs
    if head.magicNumber != 0x5F0F3CF5 or head.glyphDataFormat != 0:
        raise FontFileError("bad head table")
    k = 1000 / head.unitsPerEm
    scale: Callable[[float], float] = (lambda v: v) if head.unitsPerEm == 1000 else (lambda v: v * k)
    bbox = [scale(v) for v in (head.xMin, head.yMin, head.xMax, head.yMax)]
    weight, ascent, descent, cap_height = 500, bbox[3], bbox[1], bbox[3]
    if "OS/2" in font:
        os2 = font["OS/2"]
        weight, ascent, descent = os2.usWeightClass, scale(os2.sTypoAscender), scale(os2.sTypoDescender)
        cap_height = scale(os2.sCapHeight) if os2.version > 1 else ascent
    flags = FLAG_SYMBOLIC | (FLAG_ITALIC if post.italicAngle else 0) | (FLAG_FORCE_BOLD if weight >= 600 else 0) \
        | (FLAG_FIXED if post.isFixedPitch else 0)
    name_glyphs_by_index(font)  # else fontTools derives names from the post table, or from the whole cmap
    order = font.getGlyphOrder()
    ids = dict(zip(order, range(count)))
    metrics = font["hmtx"].metrics  # glyphs past hhea's count repeat the last advance
    widths = [scale(metrics[g][0]) for g in order]
    cmap = font["cmap"].getBestCmap()
    if not cmap:
        raise FontFileError("no Unicode cmap")
    glyphs = {chr(c): ids.get(g, 0) for c, g in cmap.items()}  # a glyph past the end is no glyph
    if " " in glyphs or "\xa0" in glyphs:  # a no-break space sets like a space
        glyphs["\xa0"] = glyphs[" "] = glyphs.get(" ", glyphs.get("\xa0", 0))
    loca, glyf = list(font["loca"].locations), font.reader["glyf"]
    if len(loca) < count + 1 or loca[count] > len(glyf):
        raise FontFileError("loca and glyf tables disagree")
    kept = {tag: font.reader[tag] for tag in _KEPT if tag in font}
    # head: checkSumAdjustment zero (set per subset), indexToLocFormat 1 (long loca offsets)
    kept["head"] = kept["head"][:8] + b"\0\0\0\0" + kept["head"][12:50] + b"\0\1" + kept["head"][52:]
    return dict(
        name=f"{_ps_name(font.reader['name'])}-{suffix}", units_per_em=head.unitsPerEm, ascent=ascent,
        descent=descent, cap_height=cap_height, stem_v=50 + int((weight / 65.0) ** 2),
        italic_angle=post.italicAngle, flags=flags, bbox=bbox, widths=widths, glyphs=glyphs,
        char_widths={ch: widths[g] for ch, g in glyphs.items()}, default_width=widths[0],
        _codes=_Lazy(lambda cp: chr((g := glyphs.get(chr(cp), 0)) >> 8) + chr(g & 0xFF)),
        _w=_Lazy(lambda g: fp_str(widths[g])), _parts=_Lazy(lambda g: _components(glyf[loca[g]:loca[g + 1]])),
        _glyf=glyf, _loca=loca, _fixed={tag: (data, _checksum(data)) for tag, data in kept.items()},
        _buckets=Memo(4096))


def _ignorable(ch: str) -> bool:
    """Whitespace and control/format characters: never drawn, so never missing."""
    return ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp")


def _ps_name(table: bytes) -> str:
    """The PostScript name (name id 6, else the full name, else the family), spaces made hyphens; read from
    the bytes, as fontTools' name table would import its OpenType layout tables (35 ms)."""
    fmt, count, strings = struct.unpack_from(">3H", table, 0)
    found: dict[int, str] = {}
    for k in range(count):
        platform, encoding, language, name_id, length, offset = struct.unpack_from(">6H", table, 6 + 12 * k)
        raw = table[strings + offset:strings + offset + length]
        if name_id in (1, 4, 6) and name_id not in found and raw:
            if (platform, encoding, language) == (3, 1, 0x409):
                found[name_id] = raw.decode("utf-16-be", "replace")
            elif (platform, encoding, language) == (1, 0, 0):
                found[name_id] = raw.decode("mac_roman")
    name = (found.get(6) or found.get(4) or found.get(1) or "").replace(" ", "-")
    if fmt not in (0, 1) or not name or any(ord(c) > 126 or c in "[](){}<>/%" for c in name):
        raise FontFileError(f"no usable PostScript name ({name!r})")
    return name


# ---------------------------------------------------------------------------------------------- TrueType bytes


def _components(glyph: bytes) -> list[int]:
    """The glyph ids a composite glyph is drawn from (none for a simple or empty glyph)."""
    if len(glyph) < 10 or struct.unpack(">h", glyph[:2])[0] >= 0:
        return []
    out, i = [], 10
    while True:
        flags, index = struct.unpack(">HH", glyph[i:i + 4])
        out.append(index)
        i += 4 + (4 if flags & 0x1 else 2)  # arguments: words or bytes
        i += 8 if flags & 0x80 else 4 if flags & 0x40 else 2 if flags & 0x8 else 0  # the transform
        if not flags & 0x20:  # no more components
            return out


def _u32(values: Any) -> bytes:
    words = array(_U32, values)
    if sys.byteorder == "little":
        words.byteswap()
    return words.tobytes()


def _checksum(data: bytes) -> int:
    words = array(_U32, data + b"\0" * (-len(data) % 4))
    if sys.byteorder == "little":
        words.byteswap()
    return sum(words) & 0xFFFFFFFF


def _sfnt(tables: dict[str, tuple[Any, int]]) -> tuple[bytes, int, int]:
    """The start of a TrueType file: the directory and every table given as (data, checksum), 4-byte aligned;
    glyf, given as (length, checksum), is placed last for the caller to append. Returns those bytes, where
    head starts, and the whole file's checksum."""
    tags = sorted(tables)
    power = 1 << (len(tags).bit_length() - 1)
    entries, body, offset = [], [], 12 + 16 * len(tags)
    for tag in tags:  # glyf (sorted after cvt, fpgm, and before head, hhea, …) is placed at the end
        data, checksum = tables[tag]
        length = data if tag == "glyf" else len(data)
        entries.append((tag, checksum, length))
        if tag != "glyf":
            body.append((tag, data + b"\0" * (-len(data) % 4)))
    at: dict[str, int] = {}
    for tag, data in body:
        at[tag], offset = offset, offset + len(data)
    at["glyf"] = offset
    directory = struct.pack(">LHHHH", 0x00010000, len(tags), power * 16, power.bit_length() - 1,
                            (len(tags) - power) * 16)
    directory += b"".join(struct.pack(">4sLLL", tag.encode("latin-1"), checksum, at[tag], length)
                          for tag, checksum, length in entries)
    total = sum(checksum for _, checksum, _ in entries) + _checksum(directory)
    return directory + b"".join(data for _, data in body), at["head"], total & 0xFFFFFFFF


@lru_cache(maxsize=1)
def _cmap_ends() -> tuple[tuple[bytes, bytes], tuple[bytes, bytes]]:
    """The ToUnicode map's fixed start and end, as text and deflated."""
    return (_CMAP_HEAD, _deflate(_CMAP_HEAD)), (_CMAP_TAIL, _deflate(_CMAP_TAIL))


def _join_deflated(pieces: list[tuple[bytes, bytes]]) -> bytes:
    """One zlib stream from (raw, deflated) pieces, each deflated on its own by _deflate: their blocks, an empty
    final block and the Adler-32 of the whole."""
    adler = 1
    for raw, _ in pieces:
        adler = zlib.adler32(raw, adler)
    return b"".join([b"\x78\x9c", *(packed for _, packed in pieces), b"\x03\x00", struct.pack(">L", adler)])


def _deflate(data: bytes, level: int = FONT_LEVEL) -> bytes:
    """Raw deflate blocks of data, ending byte-aligned and not final: to be joined with others in one stream."""
    packer = zlib.compressobj(level, zlib.DEFLATED, -15)
    return packer.compress(data) + packer.flush(zlib.Z_SYNC_FLUSH)


@lru_cache(maxsize=8192)
def _bfchar(glyph: int, ch: str) -> str:
    """A ToUnicode entry: this glyph reads back as this character."""
    return f"<{glyph:04X}> <{ch.encode('utf-16-be').hex().upper()}>"


# ---------------------------------------------------------------------------------------------- registry

_FONTS: dict[str, CIDFont] = {}
_lock = threading.Lock()


def register(name: str, path: Path) -> None:
    """Register the face in path with ReportLab as name, once: a name is one font for ever (fonts.register
    derives it from the file's hash). The file is read on first use, and a bad one raises FontFileError then."""
    with _lock:
        if name not in _FONTS:
            font = CIDFont(name, path)
            pdfmetrics.registerFont(font)
            if pdfmetrics.getFont(name) is not font:  # registerFont keeps an earlier dynamic font of that name
                raise ValueError(f"ReportLab already has another font named {name!r}")
            _FONTS[name] = font


def registered(name: str) -> bool:
    return name in _FONTS


def face(name: str) -> CIDFont:
    """The font registered as name, its file read if it was not yet."""
    font = _FONTS.get(name)
    if font is None:
        raise KeyError(f"font {name!r} is not registered")
    return font.load()
