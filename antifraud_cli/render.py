"""Layout/render stage: a layout document (layoutdoc.Node) -> PDF bytes (pdfwriter). Writes nothing.

Coordinates in the layout document are millimetres from the top-left corner of the trim box; font sizes are
points. Every page gets a TrimBox (finished size), a BleedBox (+bleed on each side) and, with marks="crop",
a MediaBox wide enough for crop marks. Colours are given as RGB hex (the design colours, used for contrast
checks) and written as CMYK; a screen product (spec `colour: screen`) writes them as the palette's RGB.
Pages larger than 200 in (5080 mm) are written with a /UserUnit, so the page is still true size.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Callable

import qrcode
from qrcode.constants import ERROR_CORRECT_M

from . import __version__, ttf
from .colors import cmyk, contrast_ratio, hex_rgb, k_only, overprints
from .errors import AntifraudError, Location, Problem, ProblemList
from .icons import ICON_NAMES, draw_icon
from .layoutdoc import Node
from .memo import Memo
from .pdfwriter import Canvas
from .qrcheck import check_payload
from .typography import Run, paragraph

MM = 72 / 25.4
PAGE_SIZES = {"A2": (420, 594), "A3": (297, 420), "A4": (210, 297), "A5": (148, 210), "card": (90, 54)}
MARKS_SLUG = 10.0  # mm of paper outside the trim edge that holds the crop marks
REGISTRATION = (1.0, 1.0, 1.0, 1.0)  # crop marks print on every plate
MAX_PAGE_PT = 14400  # 200 in: the largest page PDF readers take in default units (bigger: /UserUnit)
SMALL_TEXT_PT = 12.0  # below this, text prints from the black plate only (issue 14)
_FITTED = Memo(4096)  # (frame XML, inherited style, min size, fonts) -> the scale fit-to-frame chose
_CLEAN = Memo(8192)  # texts whose colours and glyphs passed the checks (same runs, background, fonts, contrast)
SRC_RE = re.compile(r"^(?P<path>.+?):(?P<line>\d+)(?: \((?P<field>[^)]*)\))?$")


@dataclass(frozen=True)
class FontNames:
    regular: str
    bold: str
    covered: frozenset[int]  # code points the configured fonts cover
    ascent: float = 0.88  # the font's ascender as a share of its em box (ascender - descender): places baselines


@dataclass(frozen=True)
class Style:
    size: float
    color: str
    weight: str
    align: str
    background: str
    leading: float


def page_size(doc: Node) -> tuple[float, float]:
    spec = doc.attr("size")
    if spec in PAGE_SIZES:
        return PAGE_SIZES[spec]
    w, h = spec.split("x")
    return float(w), float(h)


class Renderer:
    """Draws one layout document. Problems (size, contrast, glyphs, overflow, QR) are collected, then raised."""

    def __init__(self, doc: Node, fonts: FontNames, origin: str, root=None, colour: str = "print"):
        self.doc = doc
        self.screen = colour == "screen"  # RGB from the palette, not CMYK
        self.fonts = fonts
        self.origin = origin
        self.root = root  # the project folder: <image> files are read from inside it only
        self.problems = ProblemList()  # layout problems: a fit-to-frame trial may take its own back
        self.min_size = doc.attr("min-size")
        self.min_contrast = doc.attr("min-contrast")
        self.min_qr = doc.attr("min-qr")
        self.trim_w, self.trim_h = page_size(doc)
        self.bleed = doc.attr("bleed")
        self.slug = MARKS_SLUG if doc.attr("marks") == "crop" else self.bleed
        self._runs: dict = {}  # (node, inherited style) -> its runs at 1 pt
        self.content_problems = ProblemList()  # colours and glyphs: the same at every scale
        self.overprint = not self.screen  # solid black text overprints (see draw_lines); screens have no plates

    # ---------- document ----------
    def render(self, epoch: int | None = None) -> bytes:
        w = (self.trim_w + 2 * self.slug) * MM
        h = (self.trim_h + 2 * self.slug) * MM
        unit = user_unit(w, h)  # drawing stays in points; the page's numbers are divided by the unit
        c = _canvas((w / unit, h / unit), self.doc, epoch, user_unit=unit)
        off = self.slug * MM
        c.setTrimBox(tuple(v / unit for v in (off, off, off + self.trim_w * MM, off + self.trim_h * MM)))
        b = (self.slug - self.bleed) * MM
        c.setBleedBox(tuple(v / unit for v in (b, b, w - b, h - b)))
        pages = [p for p in self.doc.elements() if p.tag == "page"]
        for page in pages:
            c.saveState()
            if unit != 1:
                c.scale(1 / unit, 1 / unit)
            self.draw_page(c, page, off, off, self.bleed)
            if self.slug > self.bleed:
                self.crop_marks(c, off, off, self.trim_w * MM, self.trim_h * MM, self.bleed * MM)
            c.restoreState()
            c.showPage()
        if self.content_problems or self.problems:
            raise AntifraudError(self.content_problems.items + self.problems.items)
        return c.save()

    def draw_page(self, c, page: Node, ox: float, oy: float, bleed_mm: float) -> None:
        """Draw one page with the trim box's bottom-left at (ox, oy) points."""
        self.ox, self.oy, self.page_bleed = ox, oy, bleed_mm
        background = page.attr("background")
        if background.upper() != "#FFFFFF":
            self._fill(c, background)
            bl = bleed_mm * MM
            c.rect(ox - bl, oy - bl, self.trim_w * MM + 2 * bl, self.trim_h * MM + 2 * bl, stroke=0, fill=1)
        style = Style(size=self.min_size, color="#1A1A1A", weight="regular", align="left",
                      background=background, leading=1.45)
        for el in page.elements():
            FIXED[el.tag](self, c, el, style)

    def crop_marks(self, c, ox, oy, w, h, bleed) -> None:
        c.saveState()
        c.setStrokeColorCMYK(*REGISTRATION)
        c.setLineWidth(0.25)
        start, end = bleed + 1 * MM, (self.slug - 1) * MM
        for x in (ox, ox + w):
            for y, sign in ((oy, -1), (oy + h, 1)):
                c.line(x, y + sign * start, x, y + sign * end)
        for y in (oy, oy + h):
            for x, sign in ((ox, -1), (ox + w, 1)):
                c.line(x + sign * start, y, x + sign * end, y)
        c.restoreState()

    # ---------- helpers ----------
    def X(self, x_mm: float) -> float:
        return self.ox + x_mm * MM

    def Y(self, y_mm: float) -> float:
        """PDF y of a point y_mm below the trim top."""
        return self.oy + (self.trim_h - y_mm) * MM

    def ink(self, color: str) -> tuple:
        """A design colour as the output writes it: CMYK for print, the palette's RGB for screens."""
        return hex_rgb(color) if self.screen else cmyk(color)

    def _fill(self, c, color: str) -> None:
        c.setFillColor(self.ink(color))

    def where(self, node: Node) -> tuple[Location, str]:
        src = node.get("src")
        if src and (m := SRC_RE.match(src)):
            return Location(m["path"], int(m["line"])), (f"field '{m['field']}'" if m["field"] else "")
        return Location(self.origin, node.line), ""

    def problem(self, node: Node, message: str, hint: str | None = None, into: ProblemList | None = None) -> None:
        loc, field = self.where(node)
        (self.problems if into is None else into).add(loc, f"{field}: {message}" if field else message, hint)

    def style_of(self, node: Node, parent: Style) -> Style:
        return Style(size=node.num("size", parent.size), color=node.get("color", parent.color),
                     weight=node.get("weight", parent.weight), align=node.get("align", parent.align),
                     background=node.get("background", node.get("fill", parent.background)),
                     leading=node.num("leading", parent.leading))

    # ---------- text ----------
    def runs(self, node: Node, style: Style, size: float) -> list[Run]:
        out: list[Run] = []

        def walk(n: Node, weight: str, color: str):
            for child in n.children:
                if isinstance(child, str):
                    if child:
                        out.append(Run(child, self._font(weight), size, color))
                elif child.tag == "br":
                    out.append(Run("\n", self._font(weight), size, color))
                elif child.tag == "b":
                    walk(child, "bold", color)
                elif child.tag == "em":
                    walk(child, weight, child.get("color", color))

        walk(node, style.weight, style.color)
        return out

    def _font(self, weight: str) -> str:
        return self.fonts.bold if weight == "bold" else self.fonts.regular

    def check_size(self, node: Node, size: float) -> None:
        if size < self.min_size - 1e-6:
            self.problem(node, f"text at {size:g} pt is smaller than the minimum {self.min_size:g} pt for this audience",
                         "raise size= in the template")

    def check_plates(self, node: Node, size: float, runs: tuple[Run, ...]) -> None:
        """Small print text comes from the black plate alone: on three or four plates, the slightest
        misregistration of the press blurs thin strokes into coloured fringes."""
        if self.screen or size >= SMALL_TEXT_PT - 1e-6:
            return
        for colour in {run.style for run in runs}:
            if not k_only(cmyk(colour)):
                self.problem(node, f"text at {size:g} pt in {colour} would print from colour plates; text under "
                             f"{SMALL_TEXT_PT:g} pt prints from the black plate alone",
                             f"use black or a grey for small text, or set it at {SMALL_TEXT_PT:g} pt or more")

    def check_text(self, node: Node, style: Style, size: float, runs: list[Run]) -> None:
        self.check_size(node, size)
        self.check_plates(node, size, tuple(runs))
        self.check_content(node, style, tuple(runs))

    def check_content(self, node: Node, style: Style, runs: tuple[Run, ...]) -> None:
        # font names are content hashes, so they stand for the coverage set (cheap to compare, unlike the set)
        key = (runs, style.background, self.fonts.regular, self.fonts.bold, self.min_contrast)
        if key not in _CLEAN:  # colours and glyphs: checked once per text, not at every scale or in every document
            found = ProblemList()
            self._check_colour_and_glyphs(node, style, runs, found)
            if found:
                self.content_problems.extend(found.items)
            else:
                _CLEAN.keep(key, True)

    def _check_colour_and_glyphs(self, node: Node, style: Style, runs: tuple[Run, ...], found: ProblemList) -> None:
        """Content problems: kept apart from layout problems, which fit-to-frame's trial layouts discard."""
        for run in runs:
            ratio = contrast_ratio(run.style, style.background)
            if ratio < self.min_contrast - 1e-6:
                self.problem(node, f"text colour {run.style} on {style.background} has contrast {ratio:.1f}:1, "
                             f"below {self.min_contrast:g}:1", "use a darker text colour or a lighter background",
                             into=found)
            for ch in dict.fromkeys(run.text):  # each character once, in order
                if ord(ch) not in self.fonts.covered and not ch.isspace():
                    self.problem(node, f"character U+{ord(ch):04X} '{ch}' is not in any configured font",
                                 "replace the character, or name a font that has it under `fonts:` in antifraud.yaml",
                                 into=found)

    def text_lines(self, node: Node, style: Style, size: float, width_pt: float, align: str | None = None,
                   indent: float = 0.0):
        key = (id(node), style.weight, style.color, style.background)
        runs = self._runs.get(key)
        if runs is None:  # fit-to-frame lays the same text out again at several sizes: atomize once, at 1 pt
            runs = self._runs[key] = tuple(self.runs(node, style, 1.0))
            self.check_content(node, style, runs)
        lines = paragraph(runs, measure).breaks(width_pt, align=align or style.align, first_indent=indent, scale=size)
        self.check_size(node, size)
        self.check_plates(node, size, runs)
        return lines

    def draw_lines(self, c, lines, x: float, top: float, lead: float, size: float) -> None:
        """Draw broken lines; `top` is the PDF y of the first line box's top."""
        t = c.beginText()
        state = [None, None, None, False]  # font, colour, char space, overprint
        for i, line in enumerate(lines):
            line_size = max(size, line.height)
            baseline = top - i * lead - (lead - line_size) / 2 - self.fonts.ascent * line_size
            for piece in line.pieces:
                if state[0] != (piece.font, piece.size):
                    t.setFont(piece.font, piece.size)
                    state[0] = (piece.font, piece.size)
                if state[1] != piece.style:
                    ink = self.ink(piece.style)
                    t.setFillColor(ink)
                    state[1] = piece.style
                    if (self.overprint and overprints(ink)) != state[3]:  # solid black text overprints a colour band
                        state[3] = not state[3]
                        t.overprint(state[3])
                if state[2] != piece.char_space:
                    t.setCharSpace(piece.char_space)
                    state[2] = piece.char_space
                t.setTextOrigin(x + piece.x, baseline)
                t.textOut(piece.text)
        if state[3]:
            t.overprint(False)  # the state outlives the text object: later fills knock out again
        c.drawText(t)

    # ---------- flow ----------
    def lay(self, node: Node, width: float, style: Style, scale: float) -> tuple[float, Callable]:
        """Measure a flow element at `scale` (fit-to-frame shrink); returns (height pt, draw(c, x, top))."""
        return FLOW[node.tag](self, node, width, self.style_of(node, style), scale)

    def scaled(self, size: float, scale: float) -> float:
        return size if size < self.min_size else max(self.min_size, size * scale)

    def lay_children(self, nodes: list[Node], width: float, style: Style, scale: float, gap_mm: float = 0.0):
        laid = [self.lay(n, width, style, scale) for n in nodes]
        gap = gap_mm * MM * scale
        height = sum(h for h, _ in laid) + gap * max(0, len(laid) - 1)

        def draw(c, x, top):
            y = top
            for h, fn in laid:
                fn(c, x, y)
                y -= h + gap
        return height, draw

    def _text_block(self, node: Node, width: float, style: Style, scale: float):
        size = self.scaled(style.size, scale)
        lead = size * (node.attr("leading") or style.leading)  # <h> declares 1.25; <p> inherits
        before = node.attr("space-before") * MM * scale
        after = node.attr("space-after") * MM * scale
        indent = (node.attr("indent") or 0.0) * size  # <h> has none
        lines = self.text_lines(node, style, size, width, indent=indent)
        height = before + len(lines) * lead + after

        def draw(c, x, top):
            self.draw_lines(c, lines, x, top - before, lead, size)
        return height, draw

    def flow_h(self, node, width, style, scale):
        style = replace(style, weight=node.attr("weight"))
        return self._text_block(node, width, style, scale)

    def flow_p(self, node, width, style, scale):
        return self._text_block(node, width, style, scale)

    def flow_list(self, node, width, style, scale):
        size = self.scaled(style.size, scale)
        marker = node.attr("marker")
        lead = size * style.leading
        gap = node.attr("gap") * MM * scale
        before = node.attr("space-before") * MM * scale
        after = node.attr("space-after") * MM * scale
        marker_color = node.get("marker-color", style.color)
        items = [i for i in node.elements() if i.tag == "item"]
        numbered = marker == "1"
        labels = [f"{n}." if numbered else marker for n in range(1, len(items) + 1)]
        label_w = max(measure(lbl, self.fonts.bold, size) for lbl in labels) + size * 0.4 \
            if items else 0
        laid = []
        for item, label in zip(items, labels):
            if label != "●":  # a bullet is drawn as a disc: no glyph, no small type
                self.check_text(item, style, size, [Run(label, self.fonts.bold, size, marker_color)])
            lines = self.text_lines(item, style, size, width - label_w)
            laid.append((label, lines))
        height = before + after + sum(len(lines) * lead for _, lines in laid) + gap * max(0, len(laid) - 1)

        def draw(c, x, top):
            y = top - before
            for label, lines in laid:
                baseline = y - (lead - size) / 2 - self.fonts.ascent * size
                self._fill(c, marker_color)
                if label == "●":  # a bullet is a shape, not a small glyph below the audience's minimum size
                    c.circle(x + size * 0.3, baseline + size * 0.36, size * 0.22, stroke=0, fill=1)
                else:
                    c.saveState()
                    c.setFont(self.fonts.bold, size)
                    if self.overprint and overprints(cmyk(marker_color)):  # like the text it labels
                        c.overprint(True)
                    c.drawString(x, baseline, label)
                    c.restoreState()
                self.draw_lines(c, lines, x + label_w, y, lead, size)
                y -= len(lines) * lead + gap
        return height, draw

    def flow_space(self, node, width, style, scale):
        return node.attr("h") * MM * scale, lambda c, x, top: None

    def flow_rule(self, node, width, style, scale):
        lw = node.attr("width")
        color = node.get("color", style.color)
        pad = 1.5 * MM * scale

        def draw(c, x, top):
            c.saveState()
            c.setStrokeColor(self.ink(color))
            c.setLineWidth(lw)
            c.line(x, top - pad - lw / 2, x + width, top - pad - lw / 2)
            c.restoreState()
        return 2 * pad + lw, draw

    def flow_icon(self, node, width, style, scale):
        # icons shrink with the text (to 60 %) but never grow past their size or their column
        size = min(node.attr("size") * MM * min(1.0, max(scale, 0.6)), width)
        color = node.get("color", style.color)
        align = node.attr("align")

        def draw(c, x, top):
            dx = {"left": 0, "center": (width - size) / 2, "right": width - size}[align]
            self.icon(c, node, x + dx, top - size, size, color, style.background)
        return size, draw

    def flow_box(self, node, width, style, scale):
        pad = node.attr("padding") * MM * min(1.0, scale)
        inner_h, inner = self.lay_children(node.elements(), width - 2 * pad, style, scale, node.attr("gap"))
        height = inner_h + 2 * pad
        fill, stroke = node.get("fill"), node.get("stroke")
        radius = node.attr("radius") * MM

        def draw(c, x, top):
            if fill or stroke:
                c.saveState()
                if fill:
                    self._fill(c, fill)
                if stroke:
                    c.setStrokeColor(self.ink(stroke))
                    c.setLineWidth(1.2)
                c.roundRect(x, top - height, width, height, radius, stroke=1 if stroke else 0, fill=1 if fill else 0)
                c.restoreState()
            inner(c, x + pad, top - pad)
        return height, draw

    def flow_row(self, node, width, style, scale):
        cols = [c for c in node.elements() if c.tag == "col"]
        gap = node.attr("gap") * MM * min(1.0, scale)
        fixed = sum(c.attr("w") * MM for c in cols if "w" in c.attrs)
        flexible = [c for c in cols if "w" not in c.attrs]
        flex_w = (width - fixed - gap * (len(cols) - 1)) / max(1, len(flexible))
        laid = []
        for col in cols:
            w = col.attr("w") * MM if "w" in col.attrs else flex_w
            h, fn = self.lay_children(col.elements(), w, self.style_of(col, style), scale)
            laid.append((w, h, fn))
        height = max((h for _, h, _ in laid), default=0)
        valign = node.attr("valign")

        def draw(c, x, top):
            for w, h, fn in laid:
                dy = {"top": 0, "middle": (height - h) / 2, "bottom": height - h}[valign]
                fn(c, x, top - dy)
                x += w + gap
        return height, draw

    # ---------- fixed elements ----------
    def fixed_rect(self, c, node: Node, style: Style) -> None:
        x, y, w, h = (node.attr(k) for k in ("x", "y", "w", "h"))
        if node.attr("bleed") == "yes":  # edges on the trim edge run out to the bleed edge
            b = self.page_bleed
            x2, y2 = x + w, y + h
            x = x - b if x <= 0.01 else x
            y = y - b if y <= 0.01 else y
            x2 = x2 + b if x2 >= self.trim_w - 0.01 else x2
            y2 = y2 + b if y2 >= self.trim_h - 0.01 else y2
            w, h = x2 - x, y2 - y
        fill, stroke = node.get("fill"), node.get("stroke")
        c.saveState()
        if fill:
            self._fill(c, fill)
        if stroke:
            c.setStrokeColor(self.ink(stroke))
            c.setLineWidth(node.attr("stroke-width"))
        radius = node.attr("radius") * MM
        c.roundRect(self.X(x), self.Y(y + h), w * MM, h * MM, radius, stroke=1 if stroke else 0,
                    fill=1 if fill else 0)
        c.restoreState()

    def fixed_line(self, c, node: Node, style: Style) -> None:
        c.saveState()
        c.setStrokeColor(self.ink(node.get("color", style.color)))
        c.setLineWidth(node.attr("width"))
        if "dash" in node.attrs:
            c.setDash(node.attr("dash"), node.attr("dash"))
        c.line(self.X(node.attr("x1")), self.Y(node.attr("y1")), self.X(node.attr("x2")), self.Y(node.attr("y2")))
        c.restoreState()

    def fixed_frame(self, c, node: Node, style: Style) -> None:
        style = self.style_of(node, style)
        x, y, w, h = (node.attr(k) for k in ("x", "y", "w", "h"))
        width, avail = w * MM, h * MM
        children, gap = node.elements(), node.attr("gap")
        laid: dict[float, tuple] = {}  # scale -> (height, draw, problems found at that scale)
        mark = self.problems.mark()

        def measure(scale: float) -> float:
            if scale not in laid:  # each trial layout keeps its own problems; only the chosen one's count
                height, draw = self.lay_children(children, width, style, scale, gap)
                laid[scale] = (height, draw, self.problems.take_back(mark))
            return laid[scale][0]

        # the scale a frame fits at depends on its own XML, the style it inherits and the document's limits:
        # documents of one audience share most frames, so their trial layouts are done once per process
        key = (node.source, style, self.min_size, self.fonts.regular, self.fonts.bold)
        scale = _FITTED.get(key) if node.source is not None else None
        if scale is None:
            scale = fit_scale(measure, avail, node.attr("fit"))
            if node.source is not None:
                _FITTED.keep(key, scale)
        measure(scale)  # the smallest scale is returned unmeasured when nothing fits
        height, draw, found = laid[scale]
        self.problems.extend(found)
        if height > avail + 0.01:
            # the longest texts first: the likeliest culprit leads the list
            texts = {n.get("src"): len(n.text()) for n in _texts(node) if n.get("src")}
            fields = sorted(texts, key=lambda f: (-texts[f], f))
            name = node.attr("name")
            how = "even at the minimum size" if node.get("fit") != "error" else "at size"
            self.problems.add(Location(self.origin, node.line),
                              f"text does not fit in {name} ({height / MM:.0f} mm needed, {h:g} mm "
                              f"available) {how} {self.min_size:g} pt",
                              "shorten: " + "; ".join(fields) if fields else "shorten the text or enlarge the frame")
            return
        dy = {"top": 0, "middle": (avail - height) / 2, "bottom": avail - height}[node.attr("valign")]
        draw(c, self.X(x), self.Y(y) - dy)

    def fixed_text(self, c, node: Node, style: Style) -> None:
        style = self.style_of(node, style)
        x, y, w = node.attr("x"), node.attr("y"), node.attr("w")
        h = node.attr("h")
        width = w * MM

        def layout(scale: float):
            size = self.scaled(style.size, scale)
            lead = size * node.attr("leading")
            return size, lead, self.text_lines(node, style, size, width)  # checks size, colours and glyphs

        def needed(scale: float) -> float:  # the same fitting as a frame's: height, or lines when one is allowed
            _, lead, lines = layout(scale)
            return len(lines) if h is None else len(lines) * lead

        avail = 1 if h is None else h * MM + 0.01
        mark = self.problems.mark()
        scale = fit_scale(needed, avail, "shrink")
        self.problems.take_back(mark)  # the trial sizes' problems (small coloured text, say) do not count
        size, lead, lines = layout(scale)
        if (len(lines) if h is None else len(lines) * lead) > avail:
            need = "one line" if h is None else f"{h:g} mm"
            self.problem(node, f"text does not fit in {need} at the minimum size {self.min_size:g} pt",
                         "shorten the text")
            return
        top = self.Y(y)
        if h is not None:
            dy = {"top": 0, "middle": (h * MM - len(lines) * lead) / 2, "bottom": h * MM - len(lines) * lead}
            top -= dy[node.attr("valign")]
        self.draw_lines(c, lines, self.X(x), top, lead, size)

    def fixed_image(self, c, node: Node, style: Style) -> None:
        from .photos import PhotoError, inside, placed

        x, y, w, h = (node.attr(k) for k in ("x", "y", "w", "h"))
        name = node.get("file")
        try:
            if self.root is None:
                raise PhotoError(f"cannot place '{name}': no project folder to read it from",
                                 "images are read from the project folder; build the project with antifraud")
            data = placed(inside(self.root, name), name, w, h, node.attr("min-dpi"), node.attr("dpi"),
                          cmyk=not self.screen)
        except PhotoError as e:
            self.problem(node, str(e), e.hint)
            return
        # a JPEG passes into the PDF as it is (DCTDecode); drawImage stores one XObject per distinct image
        c.drawImage(data, self.X(x), self.Y(y + h), w * MM, h * MM)

    def fixed_icon(self, c, node: Node, style: Style) -> None:
        size = node.attr("size") * MM
        self.icon(c, node, self.X(node.attr("x")), self.Y(node.attr("y")) - size, size,
                  node.get("color", style.color), style.background)

    def icon(self, c, node: Node, x: float, y: float, size: float, color: str, background: str) -> None:
        name = node.get("name")
        if name not in ICON_NAMES:
            self.problem(node, f"unknown icon '{name}'", "known icons: " + ", ".join(ICON_NAMES))
            return
        draw_icon(c, name, x, y, size, self.ink(color), knockout=self.ink(background))

    def fixed_qr(self, c, node: Node, style: Style) -> None:
        payload = node.get("payload")
        size_mm = node.attr("size")
        if size_mm < self.min_qr:
            self.problem(node, f"QR code is {size_mm:g} mm, smaller than the minimum {self.min_qr:g} mm",
                         "make size= larger in the template")
        why = check_payload(payload, size_mm)
        if why:  # over capacity, or modules too fine to scan: report at qr.url, draw nothing
            self.problem(node, why, "use a shorter link (e.g. from a link-shortening service) or a larger QR code")
            return
        matrix = qr_matrix(payload)
        n = len(matrix)
        module = size_mm * MM / n
        x0, top = self.X(node.attr("x")), self.Y(node.attr("y"))
        quiet = 4 * module
        c.saveState()
        c.setFillColor(self.ink("#FFFFFF"))
        c.rect(x0 - quiet, top - size_mm * MM - quiet, size_mm * MM + 2 * quiet, size_mm * MM + 2 * quiet,
               stroke=0, fill=1)
        c.setFillColor(self.ink(node.attr("color")))
        c.translate(x0, top - size_mm * MM)
        c.scale(module, module)  # modules drawn in whole units: exact edges, short numbers
        path = c.beginPath()
        for r, row in enumerate(matrix):
            start = None
            for col, dark in enumerate([*row, False]):
                if dark and start is None:
                    start = col
                elif not dark and start is not None:
                    path.rect(start, n - 1 - r, col - start, 1)
                    start = None
        c.drawPath(path, stroke=0, fill=1)
        c.restoreState()


    def fixed_chart(self, c, node: Node, style: Style) -> None:
        """A bar chart as vector shapes in the output's inks; its labels are text, over the bars."""
        labels, raw = node.get("labels").split("|"), node.get("values").split("|")
        try:
            values = [float(v) for v in raw]
        except ValueError:
            values = []
        if len(values) != len(labels) or any(v < 0 or not math.isfinite(v) for v in values):
            self.problem(node, f"chart: {len(labels)} labels need as many numbers of 0 or more, got '{node.get('values')}'",
                         "write values=\"3|5|2\" for labels=\"9月|10月|11月\"")
            return
        size, kind = node.attr("size"), node.attr("kind")
        text_colour, bar_colour = node.attr("label-color"), node.get("color", style.color)
        background = node.get("background", style.background)
        shown = [f"{v:g}" for v in values]
        runs = [Run(t, self.fonts.regular, size, text_colour) for t in labels + shown]
        self.check_text(node, replace(style, background=background), size, runs)
        w, h = node.attr("w") * MM, node.attr("h") * MM
        top = max(values, default=0) or 1
        width = lambda t: measure(t, self.fonts.regular, size)  # noqa: E731
        if kind != "column":
            label_w = max((width(t) for t in labels), default=0) + size * 0.8
            value_w = max((width(t) for t in shown), default=0) + size * 0.6
            slot, room = h / max(1, len(values)), w - label_w - value_w
            if room < w * 0.2:
                self.problem(node, "chart: the labels leave no room for the bars", "shorten the labels or widen the chart")
                return
        c.saveState()
        c.translate(self.X(node.attr("x")), self.Y(node.attr("y")) - h)
        c.setFillColor(self.ink(bar_colour))
        texts = []  # (x, y, text, anchor: the share of its width left of x)
        if kind == "column":
            slot, base, room = w / max(1, len(values)), size * 1.8, h - size * 3.4
            for i, (label, value, text) in enumerate(zip(labels, values, shown)):
                cx, bar_h = slot * (i + 0.5), room * value / top
                c.rect(cx - slot * 0.3, base, slot * 0.6, bar_h, stroke=0, fill=1)
                texts += [(cx, base + bar_h + size * 0.4, text, 0.5), (cx, base - size * 1.2, label, 0.5)]
                if width(label) > slot:
                    self.problem(node, f"chart: the label '{label}' is wider than its column", "shorten the label")
            axis = (0, base, w, base)
        else:
            for i, (label, value, text) in enumerate(zip(labels, values, shown)):
                cy, bar_w = h - slot * (i + 0.5), room * value / top
                thick = min(slot * 0.6, size * 2.2)
                c.rect(label_w, cy - thick / 2, bar_w, thick, stroke=0, fill=1)
                texts += [(label_w - size * 0.5, cy - size * 0.35, label, 1.0),
                          (label_w + bar_w + size * 0.3, cy - size * 0.35, text, 0.0)]
            axis = (label_w, 0, label_w, h)
        text_ink = self.ink(text_colour)
        c.setStrokeColor(text_ink)
        c.setLineWidth(0.6)
        c.line(*axis)
        t = c.beginText()
        t.setFont(self.fonts.regular, size)
        t.setFillColor(text_ink)
        t.setCharSpace(0)
        if self.overprint and overprints(text_ink):  # like all solid black text (restoreState ends it)
            t.overprint(True)
        for x, y, text, anchor in texts:
            t.setTextOrigin(x - width(text) * anchor, y)
            t.textOut(text)
        c.drawText(t)
        c.restoreState()


# Each layout element's drawing function, by tag (the elements and their attributes: vocabulary.ELEMENTS).
FIXED = {"rect": Renderer.fixed_rect, "line": Renderer.fixed_line, "frame": Renderer.fixed_frame,
         "text": Renderer.fixed_text, "icon": Renderer.fixed_icon, "qr": Renderer.fixed_qr,
         "image": Renderer.fixed_image, "chart": Renderer.fixed_chart}
FLOW = {"h": Renderer.flow_h, "p": Renderer.flow_p, "list": Renderer.flow_list, "space": Renderer.flow_space,
        "rule": Renderer.flow_rule, "icon": Renderer.flow_icon, "box": Renderer.flow_box, "row": Renderer.flow_row}


def font_ascent(font_name: str) -> float:
    """The registered font's ascender as a share of ascender + descender (Noto Sans SC: 880 / 1000)."""
    face = ttf.face(font_name)
    return face.ascent / (face.ascent - face.descent) if face.ascent > face.descent else 0.88


def fit_scale(measure: Callable[[float], float], avail: float, mode: str) -> float:
    """The text scale for a frame: 1 when the content fits (with fit="grow" up to 1.5), else the largest scale
    in [0.35, 1] that fits, to within about 3 %. Layout height grows with the scale, roughly with its square
    (more lines of taller type), so a first guess from the square root usually leaves one bisection step."""
    h1 = measure(1.0)
    fits = h1 <= avail
    if (fits and mode != "grow") or (not fits and mode == "error"):
        return 1.0
    lo, hi = (1.0, 1.5) if fits else (0.35, 1.0)
    guess = round(min(hi, max(lo, (avail / h1) ** 0.5)), 4)
    for candidate in (guess, round(min(hi, max(lo, guess * (1.03 if fits else 0.97))), 4)):
        if lo < candidate < hi:
            if measure(candidate) <= avail:
                lo = candidate
            else:
                hi = candidate
    if fits and hi == 1.5 and measure(1.5) <= avail:
        return 1.5
    while hi - lo > 0.03:
        mid = round((lo + hi) / 2, 4)
        if measure(mid) <= avail:
            lo = mid
        else:
            hi = mid
    return lo


@lru_cache(maxsize=65536)
def _width_1pt(text: str, font: str) -> float:
    return ttf.face(font).width(text)


def measure(text: str, font: str, size: float) -> float:
    """Advance width in pt: TrueType widths scale linearly with the size, so cache them at 1 pt."""
    return _width_1pt(text, font) * size


@lru_cache(maxsize=64)
def qr_matrix(payload: str) -> list[list[bool]]:
    """QR modules for payload (error correction M, no border: the renderer draws the 4-module quiet zone)."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=0, box_size=1)
    code.add_data(payload.encode("utf-8"))
    code.make(fit=True)
    return code.get_matrix()


def _texts(node: Node):
    for child in node.elements():
        yield child
        yield from _texts(child)


def user_unit(w_pt: float, h_pt: float) -> int:
    """1, or the smallest whole user unit that brings a page of w x h points within 200 in."""
    return max(1, math.ceil(max(w_pt, h_pt) / MAX_PAGE_PT - 1e-9))


def _canvas(size, doc: Node, epoch: int | None, title_suffix: str = "", user_unit: int = 1) -> Canvas:
    """A canvas with the document's metadata, date (the build's) and language: one place for every product."""
    c = Canvas(size, user_unit=user_unit, epoch=epoch)
    c.setCreator(f"antifraud {__version__}")
    c.setProducer(f"antifraud {__version__}")
    c.setTitle(doc.get("title", "") + title_suffix)
    c.setAuthor(doc.get("author", ""))
    c.setSubject(doc.get("subject", ""))
    c.setKeywords(doc.get("keywords", ""))
    c.setLang(doc.get("lang") or "")  # so screen readers and text extraction treat the text as Chinese
    return c


def render_document(docs: list[Node], fonts: FontNames, origin: str, epoch: int | None, size,
                    pages: int | None = None, root=None, colour: str = "print") -> bytes:
    """Render composed documents at their product's size variant (`products.Size`): one document on pages
    of that size, or the documents' cards imposed on sheets of that size. `pages`: what the spec promises."""
    for doc in docs:
        count = sum(1 for p in doc.elements() if p.tag == "page")
        if pages is not None and count != pages:
            raise AntifraudError(Problem(Location(origin, doc.line), f"the template draws {count} page(s) but "
                                         f"the product has {pages}", "make the template and the spec's `pages:` agree"))
    if size.impose is None:
        doc = docs[0]
        w, h = page_size(doc)
        if abs(w - size.w) > 0.5 or abs(h - size.h) > 0.5:
            raise AntifraudError(Problem(Location(origin, doc.line),
                                         f"the template draws {w:g}×{h:g} mm but the product's size is "
                                         f"{size.w:g}×{size.h:g} mm",
                                         'set <document size="{{ page.w }}x{{ page.h }}"> in the template'))
        return render_pdf(doc, fonts, origin, epoch, root, colour)
    i = size.impose
    return render_sheet(docs, fonts, origin, epoch, i.cols, i.rows, (size.w, size.h), i.gutter, i.bleed, root)


def render_pdf(doc: Node, fonts: FontNames, origin: str, epoch: int | None = None, root=None,
               colour: str = "print") -> bytes:
    return Renderer(doc, fonts, origin, root, colour).render(epoch)


def render_sheet(docs: list[Node], fonts: FontNames, origin: str, epoch: int | None = None,
                 cols: int = 2, rows: int = 5, sheet: tuple[float, float] = (210, 297),
                 gutter: float = 0.0, bleed: float = 0.0, root=None) -> bytes:
    """Impose small documents (contact cards) cols x rows on sheets, with crop marks at every cut line.
    One document fills every cell; several get a cell each, in reading order, on as many sheets as they
    need. Sheet page n holds the cards' page n; backs are mirrored for long-edge duplex. Without a gutter
    the cards abut (one guillotine cut between neighbours); with one, each card keeps `bleed` mm of its
    background round it, for print shops that cut card by card."""
    renderers = [Renderer(doc, fonts, origin, root) for doc in docs]
    first = renderers[0]
    sw, sh = sheet[0] * MM, sheet[1] * MM
    c = _canvas((sw, sh), docs[0], epoch, title_suffix="（裁切版）")
    cw, ch = first.trim_w * MM, first.trim_h * MM
    step_x, step_y = cw + gutter * MM, ch + gutter * MM
    grid_w, grid_h = cols * cw + (cols - 1) * gutter * MM, rows * ch + (rows - 1) * gutter * MM
    if grid_w > sw - 2 * bleed * MM + 0.01 or grid_h > sh - 2 * bleed * MM + 0.01:
        raise AntifraudError(Problem(Location(origin, docs[0].line),
                                     f"{cols}×{rows} cards of {first.trim_w:g}×{first.trim_h:g} mm do not fit on a "
                                     f"{sheet[0]:g}×{sheet[1]:g} mm sheet", "use fewer rows or columns"))
    gx, gy = (sw - grid_w) / 2, (sh - grid_h) / 2
    c.setTrimBox((0, 0, sw, sh))
    c.setBleedBox((0, 0, sw, sh))
    b = bleed * MM
    per_sheet = cols * rows
    cells = [0] * per_sheet if len(docs) == 1 else list(range(len(docs)))
    pages = [[p for p in doc.elements() if p.tag == "page"] for doc in docs]
    drawn: set[str] = set()
    for start in range(0, len(cells), per_sheet):
        for n in range(len(pages[0])):
            for k, d in enumerate(cells[start:start + per_sheet]):
                form = f"card{d}p{n}"
                if form not in drawn:  # each card page is drawn once and placed as often as needed
                    drawn.add(form)
                    c.beginForm(form, -b, -b, cw + b, ch + b)
                    clip = c.beginPath()
                    clip.rect(-b, -b, cw + 2 * b, ch + 2 * b)
                    c.clipPath(clip, stroke=0, fill=0)
                    renderers[d].draw_page(c, pages[d][n], 0, 0, bleed)
                    c.endForm()
                row, col = divmod(k, cols)
                place = col if n % 2 == 0 else cols - 1 - col
                c.saveState()
                c.translate(gx + place * step_x, gy + (rows - 1 - row) * step_y)
                c.doForm(form)
                c.restoreState()
            _sheet_marks(c, gx, gy, cw, ch, cols, rows, gutter * MM)
            c.showPage()
    problems = [p for r in renderers for p in r.content_problems.items + r.problems.items]
    if problems:
        raise AntifraudError(problems)
    return c.save()


def _sheet_marks(c, gx, gy, cw, ch, cols, rows, gutter: float = 0.0) -> None:
    """Crop marks outside the grid, in line with every cut (both edges of each gutter)."""
    c.saveState()
    c.setStrokeColorCMYK(*REGISTRATION)
    c.setLineWidth(0.25)
    length = 6 * MM
    gap = 2 * MM + (gutter / 2 if gutter else 0)  # keep the marks clear of the outer cards' bleed
    top, right = gy + rows * ch + (rows - 1) * gutter, gx + cols * cw + (cols - 1) * gutter
    xs = sorted({gx + i * (cw + gutter) for i in range(cols)} | {gx + i * (cw + gutter) + cw for i in range(cols)})
    ys = sorted({gy + j * (ch + gutter) for j in range(rows)} | {gy + j * (ch + gutter) + ch for j in range(rows)})
    for x in xs:
        c.line(x, gy - gap, x, gy - gap - length)
        c.line(x, top + gap, x, top + gap + length)
    for y in ys:
        c.line(gx - gap, y, gx - gap - length, y)
        c.line(right + gap, y, right + gap + length, y)
    c.restoreState()
