"""A small PDF writer: exactly the drawing the renderer and the icons need, written straight to PDF.

Text is set in the registered TrueType fonts (ttf.py reads them and keeps the metrics) as one
Type0/CIDFontType2 font per face: Identity-H, 2-byte codes that are the font's own glyph ids, a /W array, a
ToUnicode CMap (text extraction) and a subset font program that keeps the glyph ids (unused glyphs empty),
so a content stream never depends on the rest of the document's text. Colours: a 4-tuple is CMYK, a 3-tuple
RGB. Output is deterministic: dates come from the caller, the file /ID from the content.
"""
from __future__ import annotations

import hashlib
import math
import struct
import sys
import time
import zlib
from array import array
from functools import lru_cache
from itertools import accumulate, groupby

from .memo import Memo, Recent

CONTENT_LEVEL = 6  # zlib level of content streams: a leaflet page takes 0.07 ms at 6, 0.05 ms at 1
FONT_LEVEL = 6  # zlib level of font programs: their glyphs are deflated once per process (see _Program.subset)
FILL_EVEN_ODD, FILL_NON_ZERO = 0, 1
_KAPPA = 4 / 3 * (math.sqrt(2) - 1)  # Bézier control distance of a quarter circle of radius 1


def _n(v: float) -> str:
    """A number as a content stream writes it: no exponent, no trailing zeros."""
    if v == int(v):
        return str(int(v))
    s = (f"{v:.4f}" if abs(v) >= 1 else f"{v:.6f}").rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def _box(b) -> str:
    return "[" + " ".join(_n(v) for v in b) + "]"


@lru_cache(maxsize=256)  # a document uses a handful of inks, set again for every run of text
def _fill(ink) -> str:
    return f"{_n(ink[0])} {_n(ink[1])} {_n(ink[2])} " + (f"{_n(ink[3])} k" if len(ink) == 4 else "rg")


@lru_cache(maxsize=256)
def _stroke(ink) -> str:
    return f"{_n(ink[0])} {_n(ink[1])} {_n(ink[2])} " + (f"{_n(ink[3])} K" if len(ink) == 4 else "RG")


def _paint(stroke, fill, fill_mode=FILL_NON_ZERO) -> str:
    star = "*" if fill_mode == FILL_EVEN_ODD else ""
    if fill:
        return ("B" if stroke else "f") + star
    return "S" if stroke else "n"


def _text_string(s: str) -> bytes:
    """A PDF text string: literal when printable ASCII, else UTF-16BE with its byte-order mark."""
    if all(" " <= ch <= "~" for ch in s):
        return b"(" + s.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)").encode() + b")"
    return b"<FEFF" + s.encode("utf-16-be").hex().upper().encode() + b">"


def _arc(x1, y1, x2, y2, start, extent) -> list[tuple]:
    """Bézier segments (start point, 3 control/end points) of an elliptic arc in the box (x1,y1)-(x2,y2);
    angles in degrees, counter-clockwise, each segment at most 90 degrees."""
    cx, cy, rx, ry = (x1 + x2) / 2, (y1 + y2) / 2, abs(x2 - x1) / 2, abs(y2 - y1) / 2
    count = max(1, math.ceil(abs(extent) / 90 - 1e-9))
    step = math.radians(extent / count)
    k = 4 / 3 * math.tan(step / 4)
    out = []
    a = math.radians(start)
    for _ in range(count):
        b = a + step
        ca, sa, cb, sb = math.cos(a), math.sin(a), math.cos(b), math.sin(b)
        out.append((cx + rx * ca, cy + ry * sa,
                    cx + rx * (ca - k * sa), cy + ry * (sa + k * ca),
                    cx + rx * (cb + k * sb), cy + ry * (sb - k * cb),
                    cx + rx * cb, cy + ry * sb))
        a = b
    return out


class Path:
    """A path under construction: drawn by Canvas.drawPath, or made the clip by Canvas.clipPath."""

    def __init__(self):
        self.ops: list[str] = []

    def moveTo(self, x, y):
        self.ops.append(f"{_n(x)} {_n(y)} m")

    def lineTo(self, x, y):
        self.ops.append(f"{_n(x)} {_n(y)} l")

    def curveTo(self, x1, y1, x2, y2, x3, y3):
        self.ops.append(f"{_n(x1)} {_n(y1)} {_n(x2)} {_n(y2)} {_n(x3)} {_n(y3)} c")

    def arcTo(self, x1, y1, x2, y2, startAng=0, extent=90):
        """An arc of the ellipse in the box, joined to the current point by a line."""
        segments = _arc(x1, y1, x2, y2, startAng, extent)
        self.lineTo(*segments[0][:2])
        for s in segments:
            self.curveTo(*s[2:])

    def close(self):
        self.ops.append("h")

    def rect(self, x, y, w, h):
        self.ops.append(f"{_n(x)} {_n(y)} {_n(w)} {_n(h)} re")

    def roundRect(self, x, y, w, h, r):
        x0, x1, y0, y1 = min(x, x + w), max(x, x + w), min(y, y + h), max(y, y + h)
        r = min(r, (x1 - x0) / 2, (y1 - y0) / 2)
        if r <= 0:
            return self.rect(x, y, w, h)
        t = r * (1 - _KAPPA)  # control points sit this far from the corner
        self.moveTo(x0 + r, y0)
        self.lineTo(x1 - r, y0)
        self.curveTo(x1 - t, y0, x1, y0 + t, x1, y0 + r)
        self.lineTo(x1, y1 - r)
        self.curveTo(x1, y1 - t, x1 - t, y1, x1 - r, y1)
        self.lineTo(x0 + r, y1)
        self.curveTo(x0 + t, y1, x0, y1 - t, x0, y1 - r)
        self.lineTo(x0, y0 + r)
        self.curveTo(x0, y0 + t, x0 + t, y0, x0 + r, y0)
        self.close()

    def circle(self, x, y, r):
        segments = _arc(x - r, y - r, x + r, y + r, 0, 360)
        self.moveTo(*segments[0][:2])
        for s in segments:
            self.curveTo(*s[2:])
        self.close()


_unit = Path()
_unit.circle(0, 0, 1)
_UNIT_CIRCLE = " ".join(_unit.ops)
del _unit


class Text:
    """A text object (BT … ET): font, fill colour, character spacing, overprint, origin, text."""

    def __init__(self, canvas: Canvas):
        self._canvas = canvas
        self._font = None
        self.ops = ["BT"]

    def setFont(self, name: str, size: float):
        self._font = self._canvas._use_font(name)
        self.ops.append(f"/{self._font.resource} {_n(size)} Tf")

    def setFillColor(self, ink):
        self.ops.append(_fill(ink))

    def setCharSpace(self, space: float):
        self.ops.append(f"{_n(space)} Tc")

    def overprint(self, on: bool):
        self.ops.append(self._canvas._overprint_op(on))

    def setTextOrigin(self, x, y):
        self.ops.append(f"1 0 0 1 {_n(x)} {_n(y)} Tm")

    def textOut(self, text: str):
        self.ops.append(f"<{self._font.encode(text)}> Tj")


class _Stream:
    """A page's or a form's content and the resources it names."""

    def __init__(self):
        self.ops: list[str] = []
        self.fonts: dict[str, int] = {}
        self.gstates: dict[str, int] = {}
        self.xobjects: dict[str, int] = {}

    def resources(self) -> bytes:
        parts = []
        for key, names in (("Font", self.fonts), ("ExtGState", self.gstates), ("XObject", self.xobjects)):
            if names:
                parts.append(f"/{key} <<" + "".join(f" /{k} {v} 0 R" for k, v in sorted(names.items())) + " >>")
        return ("<< " + " ".join(parts) + " >>").encode()

    def content(self) -> bytes:
        return zlib.compress("\n".join(self.ops).encode("latin-1"), CONTENT_LEVEL)


class Canvas:
    """Pages of pagesize (points; with a user unit, in units of user_unit points), drawn with the ReportLab-like
    calls the renderer uses; save() returns the PDF."""

    def __init__(self, pagesize: tuple[float, float], user_unit: int = 1, epoch: int | None = None):
        self.width, self.height = pagesize
        self.user_unit = user_unit
        self.epoch = 946684800 if epoch is None else epoch  # 2000-01-01 when no build time is given
        self.info: dict[str, str] = {}
        self.lang = ""
        self.trim_box = self.bleed_box = None
        self._objects: dict[int, bytes] = {}
        self._next = 4  # 1 catalog, 2 page tree, 3 info
        self._pages: list[int] = []
        self._fonts: dict[str, _DocFont] = {}
        self._gstates: dict[bool, int] = {}
        self._images: dict[bytes, tuple[str, int]] = {}
        self._forms: dict[str, tuple[str, int]] = {}
        self._stack: list[_Stream] = []
        self._stream = _Stream()
        self._font_name, self._font_size = None, 0.0

    # ---------- document ----------
    def setTitle(self, s): self.info["Title"] = s  # noqa: E704
    def setAuthor(self, s): self.info["Author"] = s  # noqa: E704
    def setSubject(self, s): self.info["Subject"] = s  # noqa: E704
    def setKeywords(self, s): self.info["Keywords"] = s  # noqa: E704
    def setCreator(self, s): self.info["Creator"] = s  # noqa: E704
    def setProducer(self, s): self.info["Producer"] = s  # noqa: E704

    def setLang(self, lang: str):
        self.lang = lang

    def setTrimBox(self, box):
        self.trim_box = box

    def setBleedBox(self, box):
        self.bleed_box = box

    def _alloc(self) -> int:
        self._next += 1
        return self._next - 1

    def _op(self, op: str):
        self._stream.ops.append(op)

    # ---------- graphics state ----------
    def saveState(self): self._op("q")  # noqa: E704
    def restoreState(self): self._op("Q")  # noqa: E704

    def translate(self, dx, dy):
        self._op(f"1 0 0 1 {_n(dx)} {_n(dy)} cm")

    def scale(self, sx, sy):
        self._op(f"{_n(sx)} 0 0 {_n(sy)} 0 0 cm")

    def rotate(self, degrees):
        c, s = math.cos(math.radians(degrees)), math.sin(math.radians(degrees))
        self._op(f"{_n(c)} {_n(s)} {_n(-s)} {_n(c)} 0 0 cm")

    def setLineWidth(self, w): self._op(f"{_n(w)} w")  # noqa: E704
    def setLineCap(self, cap: int): self._op(f"{cap} J")  # noqa: E704
    def setLineJoin(self, join: int): self._op(f"{join} j")  # noqa: E704

    def setDash(self, on: float, off: float):
        self._op(f"[{_n(on)} {_n(off)}] 0 d")

    def setFillColor(self, ink): self._op(_fill(ink))  # noqa: E704
    def setStrokeColor(self, ink): self._op(_stroke(ink))  # noqa: E704

    def setStrokeColorCMYK(self, c, m, y, k):
        self._op(_stroke((c, m, y, k)))

    def overprint(self, on: bool):
        """Overprint (/OP, /op, /OPM 1): what follows does not knock out the other plates; or back to knock-out."""
        self._op(self._overprint_op(on))

    def _overprint_op(self, on: bool) -> str:
        num = self._gstates.get(on)
        if num is None:
            num = self._gstates[on] = self._alloc()
            flag = "true" if on else "false"
            self._objects[num] = f"<< /Type /ExtGState /OP {flag} /op {flag} /OPM {1 if on else 0} >>".encode()
        name = "GSop" if on else "GSko"
        self._stream.gstates[name] = num
        return f"/{name} gs"

    # ---------- shapes ----------
    def line(self, x1, y1, x2, y2):
        self._op(f"{_n(x1)} {_n(y1)} m {_n(x2)} {_n(y2)} l S")

    def rect(self, x, y, w, h, stroke=1, fill=0):
        self._op(f"{_n(x)} {_n(y)} {_n(w)} {_n(h)} re {_paint(stroke, fill)}")

    def roundRect(self, x, y, w, h, r, stroke=1, fill=0):
        p = Path()
        p.roundRect(x, y, w, h, r)
        self.drawPath(p, stroke, fill)

    def circle(self, x, y, r, stroke=1, fill=0):
        if stroke:  # an outline keeps its line width: drawn at size
            p = Path()
            p.circle(x, y, r)
            self.drawPath(p, stroke, fill)
        else:  # a disc (list bullets): the unit circle, placed and sized by a transform
            self._op(f"q {_n(r)} 0 0 {_n(r)} {_n(x)} {_n(y)} cm {_UNIT_CIRCLE} {_paint(stroke, fill)} Q")

    def beginPath(self) -> Path:
        return Path()

    def drawPath(self, path: Path, stroke=1, fill=0, fillMode=FILL_NON_ZERO):
        self._op("\n".join(path.ops) + " " + _paint(stroke, fill, fillMode))

    def clipPath(self, path: Path, stroke=0, fill=0, fillMode=FILL_NON_ZERO):
        self._op("\n".join(path.ops) + (" W* " if fillMode == FILL_EVEN_ODD else " W ") + _paint(stroke, fill, fillMode))

    # ---------- text ----------
    def _use_font(self, name: str) -> _DocFont:
        font = self._fonts.get(name)
        if font is None:
            font = self._fonts[name] = _DocFont(_program(name), f"F{len(self._fonts) + 1}", self._alloc())
        self._stream.fonts[font.resource] = font.num
        return font

    def beginText(self) -> Text:
        return Text(self)

    def drawText(self, text: Text):
        self._op("\n".join(text.ops) + "\nET")

    def setFont(self, name: str, size: float):
        self._font_name, self._font_size = name, size

    def drawString(self, x, y, s: str):
        t = Text(self)
        t.setFont(self._font_name, self._font_size)
        t.setTextOrigin(x, y)
        t.textOut(s)
        self.drawText(t)

    # ---------- snippets ----------
    def mark(self) -> tuple[int, int]:
        """Where the current stream stands: what is drawn from here on can be kept as a snippet."""
        st = self._stream
        return len(st.ops), len(st.fonts) + len(st.gstates) + len(st.xobjects)

    def snippet(self, since: tuple[int, int]) -> tuple[str, ...] | None:
        """The operators drawn since `since`, to replay elsewhere; None if they used a resource (a font, a
        graphics state, an image), which the other stream might not have."""
        if self.mark()[1] != since[1]:
            return None
        return tuple(self._stream.ops[since[0]:])

    def replay(self, snippet: tuple[str, ...]) -> None:
        self._stream.ops.extend(snippet)

    # ---------- images and forms ----------
    def drawImage(self, jpeg: bytes, x, y, w, h):
        """A JPEG as it is (DCTDecode): one image object per distinct file, however often it is placed."""
        name, num = self._images.get(jpeg) or (None, None)
        if name is None:
            name, num = f"Im{len(self._images) + 1}", self._alloc()
            self._images[jpeg] = (name, num)
            self._objects[num] = _jpeg_object(jpeg)
        self._stream.xobjects[name] = num
        self._op(f"q {_n(w)} 0 0 {_n(h)} {_n(x)} {_n(y)} cm /{name} Do Q")

    def beginForm(self, name: str, x1, y1, x2, y2):
        """Draw into a form XObject until endForm; it has its own resources (fonts, overprint, images)."""
        self._forms[name] = (f"Fm{len(self._forms) + 1}", self._alloc())
        self._form = (self._forms[name][1], (x1, y1, x2, y2))
        self._stack.append(self._stream)
        self._stream = _Stream()

    def endForm(self):
        form, self._stream = self._stream, self._stack.pop()
        num, box = self._form
        data = form.content()
        self._objects[num] = (f"<< /Type /XObject /Subtype /Form /BBox {_box(box)} /Resources ".encode()
                              + form.resources() + f" /Filter /FlateDecode /Length {len(data)} >>\nstream\n".encode()
                              + data + b"\nendstream")

    def doForm(self, name: str):
        resource, num = self._forms[name]
        self._stream.xobjects[resource] = num
        self._op(f"/{resource} Do")

    # ---------- pages and file ----------
    def showPage(self):
        stream, self._stream = self._stream, _Stream()
        data = stream.content()
        contents = self._alloc()
        self._objects[contents] = f"<< /Filter /FlateDecode /Length {len(data)} >>\nstream\n".encode() + data + \
            b"\nendstream"
        extra = "".join(f" /{k} {_box(b)}" for k, b in (("TrimBox", self.trim_box), ("BleedBox", self.bleed_box)) if b)
        if self.user_unit != 1:
            extra += f" /UserUnit {self.user_unit}"
        page = self._alloc()
        self._objects[page] = (f"<< /Type /Page /Parent 2 0 R /MediaBox {_box((0, 0, self.width, self.height))}{extra}"
                               f" /Resources ").encode() + stream.resources() + f" /Contents {contents} 0 R >>".encode()
        self._pages.append(page)

    def save(self) -> bytes:
        """The finished PDF: fonts subset to the glyphs used, info dated from the epoch, an /ID from the content."""
        if self._stream.ops:
            self.showPage()
        for font in self._fonts.values():
            font.write(self)
        kids = " ".join(f"{p} 0 R" for p in self._pages)
        self._objects[2] = f"<< /Type /Pages /Kids [{kids}] /Count {len(self._pages)} >>".encode()
        lang = b" /Lang " + _text_string(self.lang) if self.lang else b""
        self._objects[1] = b"<< /Type /Catalog /Pages 2 0 R" + lang + b" >>"
        date = "D:" + time.strftime("%Y%m%d%H%M%S", time.gmtime(self.epoch)) + "+00'00'"
        info = {**self.info, "CreationDate": date, "ModDate": date}
        self._objects[3] = b"<< " + b" ".join(b"/" + k.encode() + b" " + _text_string(v) for k, v in info.items()
                                              if v) + b" >>"
        version = "1.4" if self.user_unit == 1 else "1.6"  # /Lang, overprint: 1.4; /UserUnit: 1.6
        out = [f"%PDF-{version}\n%\xe2\xe3\xcf\xd3\n".encode("latin-1")]
        pos = len(out[0])
        offsets = []
        for num in range(1, self._next):
            offsets.append(pos)
            chunk = b"%d 0 obj\n" % num + self._objects[num] + b"\nendobj\n"
            out.append(chunk)
            pos += len(chunk)
        body = b"".join(out)
        file_id = hashlib.md5(body).hexdigest()
        xref = [b"xref\n0 %d\n0000000000 65535 f \n" % self._next] + [b"%010d 00000 n \n" % o for o in offsets]
        trailer = (f"trailer\n<< /Size {self._next} /Root 1 0 R /Info 3 0 R /ID [<{file_id}> <{file_id}>] >>\n"
                   f"startxref\n{pos}\n%%EOF\n").encode()
        return body + b"".join(xref) + trailer


# ---------------------------------------------------------------------------------------------- images


def _jpeg_object(data: bytes) -> bytes:
    """An image XObject for a baseline or progressive JPEG: size and colour space read from its SOF marker."""
    i, adobe, sof = 2, False, None
    while i + 4 <= len(data) and sof is None:
        if data[i] != 0xFF:
            raise ValueError("not a JPEG: no marker where one belongs")
        marker = data[i + 1]
        if marker == 0xFF:
            i += 1
            continue
        length = struct.unpack(">H", data[i + 2:i + 4])[0]
        if marker == 0xEE and data[i + 4:i + 9] == b"Adobe":
            adobe = True
        elif 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            sof = struct.unpack(">BHHB", data[i + 4:i + 10])
        i += 2 + length
    if sof is None:
        raise ValueError("not a JPEG: no frame header")
    bits, height, width, components = sof
    space = {1: "/DeviceGray", 3: "/DeviceRGB", 4: "/DeviceCMYK"}[components]
    decode = " /Decode [1 0 1 0 1 0 1 0]" if components == 4 and adobe else ""  # Adobe CMYK JPEGs are inverted
    return (f"<< /Type /XObject /Subtype /Image /Width {width} /Height {height} /ColorSpace {space}"
            f" /BitsPerComponent {bits}{decode} /Filter /DCTDecode /Length {len(data)} >>\nstream\n").encode() + \
        data + b"\nendstream"


# ---------------------------------------------------------------------------------------------- fonts


class _Program:
    """A registered TrueType font, read once per process: tables, glyph locations, cmap, widths."""

    def __init__(self, name: str):
        from .ttf import face as registered_face

        face = registered_face(name)
        data = face.data
        self.name = face.name
        self.face = face
        self.tables = {tag: data[offset:offset + length] for tag, (offset, length) in face.tables.items()}
        self.glyf = self.tables["glyf"]
        self.loca = face.glyph_offsets()  # glyph n is glyf[loca[n]:loca[n + 1]]
        self.num_glyphs = len(self.loca) - 1
        self.widths = face.widths  # 1000ths of an em
        self.width_text = _Lazy(lambda g: _n(self.widths[g]))  # glyph id -> its width as /W writes it
        self.parts = _Lazy(lambda g: _components(self._piece(g)[0]))  # glyph id -> the glyphs it is built from
        c2g = face.glyphs
        self.hex = _Lazy(lambda ch: f"{c2g.get(ch, 0):04X}")  # character -> its glyph id as 4 hex digits
        self.glyph = lambda ch: c2g.get(ch, 0)
        self.pieces: dict[int, tuple[bytes, int]] = {}  # glyph id -> (its bytes padded to 4, their checksum)
        self.buckets = Memo(4096)  # glyph ids -> their bytes, deflated, checksum (see _bucket)
        head = bytearray(self.tables["head"])
        head[8:12] = b"\0\0\0\0"  # checkSumAdjustment: set per subset
        head[50:52] = b"\0\1"  # indexToLocFormat: long offsets
        self.fixed = {tag: (bytes(head) if tag == "head" else self.tables[tag], 0)
                      for tag in ("head", "hhea", "maxp", "hmtx", "cvt ", "fpgm", "prep") if tag in self.tables}
        self.fixed = {tag: (data, _checksum(data)) for tag, (data, _) in self.fixed.items()}  # kept as they are

    def subset(self, keep: set[int]) -> tuple[bytes, int]:
        """The font program with only the `keep` glyphs (and their components) drawn, glyph ids kept, as a
        zlib stream, and its length uncompressed. The glyf table goes last, in buckets of 32 glyph ids, each
        deflated on its own and remembered: a village's leaflet differs from the next in a few names, so most
        buckets are found already compressed and only the small tables before them are deflated again."""
        todo = list(keep)
        while todo:  # composite glyphs draw other glyphs: keep those too
            for part in self.parts[todo.pop()]:
                if part not in keep and part < self.num_glyphs:
                    keep.add(part)
                    todo.append(part)
        lengths = [0] * self.num_glyphs
        buckets, glyf_sum, glyf_len = [], 0, 0
        for _, group in groupby(sorted(keep), key=lambda g: g >> 5):
            group = tuple(group)
            for g in group:
                lengths[g] = len(self._piece(g)[0])
            raw, packed, total = self._bucket(group)
            buckets.append((raw, packed))
            glyf_sum += total  # pieces are 4-byte aligned: the table's checksum is the sum of theirs
            glyf_len += len(raw)
        loca = struct.pack(f">{self.num_glyphs + 1}L", 0, *accumulate(lengths))
        tables = {**self.fixed, "loca": (loca, _checksum(loca)), "glyf": (glyf_len, glyf_sum & 0xFFFFFFFF)}
        head, at, total = _sfnt(tables)  # everything up to the glyf table, which comes last
        adjust = (0xB1B0AFBA - total) & 0xFFFFFFFF
        head = head[:at["head"] + 8] + struct.pack(">L", adjust) + head[at["head"] + 12:]
        adler = zlib.adler32(head)
        for raw, _ in buckets:
            adler = zlib.adler32(raw, adler)
        stream = [b"\x78\x9c", _deflate(head)] + [packed for _, packed in buckets]
        stream += [b"\x03\x00", struct.pack(">L", adler)]  # an empty final block, the check of the whole
        return b"".join(stream), len(head) + glyf_len

    def _bucket(self, group: tuple[int, ...]) -> tuple[bytes, bytes, int]:
        """These glyphs' bytes, deflated on their own (byte-aligned, not final: they join other blocks), and
        their checksum."""
        found = self.buckets.get(group)
        if found is None:
            pieces = [self._piece(g) for g in group]
            raw = b"".join(piece for piece, _ in pieces)
            found = self.buckets.keep(group, (raw, _deflate(raw), sum(total for _, total in pieces)))
        return found

    def _piece(self, g: int) -> tuple[bytes, int]:
        piece = self.pieces.get(g)
        if piece is None:
            data = self.glyf[self.loca[g]:self.loca[g + 1]]
            data += b"\0" * (-len(data) % 4)
            piece = self.pieces[g] = (data, _checksum(data))
        return piece


class _Lazy(dict):
    """A mapping filled in as keys are met: key -> make(key)."""

    def __init__(self, make):
        super().__init__()
        self.make = make

    def __missing__(self, key):
        value = self[key] = self.make(key)
        return value


def _components(glyph: bytes) -> list[int]:
    """The glyph ids a composite glyph is built from (none for a simple or empty glyph)."""
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


def _checksum(data: bytes) -> int:
    words = array("L" if array("L").itemsize == 4 else "I", data + b"\0" * (-len(data) % 4))
    if sys.byteorder == "little":
        words.byteswap()
    return sum(words) & 0xFFFFFFFF


def _sfnt(tables: dict[str, tuple]) -> tuple[bytes, dict[str, int], int]:
    """The start of a TrueType file: the directory (sorted by tag) and every table but glyf, 4-byte aligned,
    given as (data, checksum); glyf, given as (length, checksum), is placed last and left for the caller to
    append. Returns those bytes, where each table starts, and the whole file's checksum."""
    tags = sorted(tables)
    power = 1 << (len(tags).bit_length() - 1)
    header = struct.pack(">LHHHH", 0x00010000, len(tags), power * 16, power.bit_length() - 1,
                         len(tags) * 16 - power * 16)
    offset = 12 + 16 * len(tags)
    body, at, total = [], {}, 0
    lengths = {}
    for tag in [t for t in tags if t != "glyf"] + ["glyf"]:
        data, checksum = tables[tag]
        at[tag] = offset
        if tag == "glyf":
            lengths[tag] = data
        else:
            lengths[tag] = len(data)
            body.append(data + b"\0" * (-len(data) % 4))
            offset += len(body[-1])
        total += checksum
    directory = [header] + [struct.pack(">4sLLL", tag.encode("latin-1"), tables[tag][1], at[tag], lengths[tag])
                            for tag in tags]
    directory = b"".join(directory)
    return directory + b"".join(body), at, (total + _checksum(directory)) & 0xFFFFFFFF


def _deflate(data: bytes) -> bytes:
    """Raw deflate blocks of `data` ending byte-aligned and not final, to be joined with others in one stream."""
    packer = zlib.compressobj(FONT_LEVEL, zlib.DEFLATED, -15)
    return packer.compress(data) + packer.flush(zlib.Z_SYNC_FLUSH)


_PROGRAMS: dict[str, _Program] = {}
_SUBSETS = Recent(64)  # (font, characters) -> the finished objects' parts


def _program(name: str) -> _Program:
    program = _PROGRAMS.get(name)
    if program is None:  # font names carry their file's hash (fonts.register): a name is one font for ever
        program = _PROGRAMS[name] = _Program(name)
    return program


class _DocFont:
    """One face in one document: its resource name, its object number and the characters used."""

    def __init__(self, program: _Program, resource: str, num: int):
        self.program, self.resource, self.num = program, resource, num
        self.used: set[str] = set()
        self.hex = program.hex

    def encode(self, text: str) -> str:
        self.used.update(text)
        return "".join(map(self.hex.__getitem__, text))

    def write(self, canvas: Canvas) -> None:
        key = (self.program.name, frozenset(self.used))
        parts = _SUBSETS.find(key)
        if parts is None:
            parts = _SUBSETS.keep(key, _font_parts(self.program, self.used))
        base, widths, font_file, length1, to_unicode = parts
        face = self.program.face
        cid, desc, file_num, cmap = (canvas._alloc() for _ in range(4))
        objects = canvas._objects
        objects[self.num] = (f"<< /Type /Font /Subtype /Type0 /BaseFont /{base} /Encoding /Identity-H"
                             f" /DescendantFonts [{cid} 0 R] /ToUnicode {cmap} 0 R >>").encode()
        objects[cid] = (f"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /{base} /CIDSystemInfo << /Registry (Adobe)"
                        f" /Ordering (Identity) /Supplement 0 >> /FontDescriptor {desc} 0 R /DW 1000 /W {widths}"
                        f" /CIDToGIDMap /Identity >>").encode()
        bbox = " ".join(_n(v) for v in face.bbox)
        objects[desc] = (f"<< /Type /FontDescriptor /FontName /{base} /Flags {face.flags} /FontBBox [{bbox}]"
                         f" /ItalicAngle {_n(face.italic_angle)} /Ascent {_n(face.ascent)} /Descent {_n(face.descent)}"
                         f" /CapHeight {_n(face.cap_height)} /StemV {_n(face.stem_v)} /FontFile2 {file_num} 0 R >>"
                         ).encode()
        objects[file_num] = (f"<< /Filter /FlateDecode /Length {len(font_file)} /Length1 {length1} >>\nstream\n"
                             .encode() + font_file + b"\nendstream")
        objects[cmap] = (f"<< /Filter /FlateDecode /Length {len(to_unicode)} >>\nstream\n".encode() + to_unicode
                         + b"\nendstream")


@lru_cache(maxsize=8192)
def _bfchar(glyph: int, ch: str) -> str:
    """A ToUnicode entry: this glyph reads back as this character."""
    return f"<{glyph:04X}> <{ch.encode('utf-16-be').hex().upper()}>"


def _font_parts(program: _Program, used: set[str]) -> tuple:
    """What a face's objects hold for a set of characters: subset name, /W, font program, ToUnicode."""
    by_glyph: dict[int, str] = {}
    for ch in sorted(used):  # a glyph drawn for two characters reads back as the first
        by_glyph.setdefault(program.glyph(ch), ch)
    by_glyph.pop(0, None)
    glyphs = sorted(by_glyph)
    tag = "".join(chr(65 + b % 26) for b in hashlib.md5(" ".join(map(str, glyphs)).encode()).digest()[:6])
    base = f"{tag}+{program.name}"
    runs, widths = [], program.width_text
    for g in glyphs:  # /W: consecutive glyph ids share one array
        if runs and runs[-1][0] + len(runs[-1][1]) == g:
            runs[-1][1].append(widths[g])
        else:
            runs.append((g, [widths[g]]))
    w = "[" + " ".join(f"{start} [{' '.join(ws)}]" for start, ws in runs) + "]"
    font, length = program.subset({0, *glyphs})
    lines = ["/CIDInit /ProcSet findresource begin", "12 dict begin", "begincmap",
             "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
             "/CMapName /Adobe-Identity-UCS def", "/CMapType 2 def",
             "1 begincodespacerange", "<0000> <FFFF>", "endcodespacerange"]
    for at in range(0, len(glyphs), 100):  # at most 100 entries a block
        block = glyphs[at:at + 100]
        lines.append(f"{len(block)} beginbfchar")
        lines += [_bfchar(g, by_glyph[g]) for g in block]
        lines.append("endbfchar")
    lines += ["endcmap", "CMapName currentdict /CMap defineresource pop", "end", "end"]
    to_unicode = zlib.compress("\n".join(lines).encode(), FONT_LEVEL)
    return base, w, font, length, to_unicode
