"""Layout: a layout document (layoutdoc.Node) -> a display list (display.py). Draws nothing, writes nothing.

Coordinates in the layout document are millimetres from the top-left corner of the trim box; font sizes are
points. Every page gets a TrimBox (finished size), a BleedBox (+bleed on each side) and, with marks="crop",
a media box wide enough for crop marks. Flow elements (inside a <frame>) are laid out as `Block`s: a height
and items placed relative to the block's top-left corner, which the parent moves into place with a `Group`.
Line breaking, compression, justification and hanging punctuation are typography.py's (clreq).

An element's `src` attribute is an id (`s7`) into the composed document's source table (compose.Composed.sources):
the YAML field its text comes from, which messages about it name instead of the document's line.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import TYPE_CHECKING, Callable

from . import cidfont, pictures
from .display import (QR, Disc, DisplayDoc, Form, Glyphs, Group, Icon, Image, Item, Line, Page, Picture, Rect, Source,
                      Use, print_scale)
from .errors import AntifraudError, Location, Problem, ProblemList
from .layoutdoc import Node
from .memo import Memo
from .qrcheck import check_payload, qr_code
from .storyboard import story_block
from .typography import Run, paragraph
from .vocabulary import ICON_NAMES

if TYPE_CHECKING:  # compose (Jinja, the data models) is not needed to lay out
    from .compose import SourceField

SourceTable = Mapping[str, "SourceField"]  # a composed document's src ids -> the YAML fields they stand for

MM = 72 / 25.4
PAGE_SIZES = {"A2": (420, 594), "A3": (297, 420), "A4": (210, 297), "A5": (148, 210), "card": (90, 54)}
MARKS_SLUG = 10.0  # mm of paper outside the trim edge that holds the crop marks
_FITTED = Memo(4096)  # (frame XML, inherited style, min size, fonts) -> the scale fit-to-frame chose


class TooFull(Exception):
    """A frame with `overflow="fewer-cases"` does not fit its cases: the build composes the document again with
    fewer cases (build.render_job), so everything the page says about its cases matches what it prints. It
    carries what the build needs to drop enough of them at once: how much too tall the frame's content is, the
    height of each of its children and the gap between them (its last children are the cases, one each)."""

    def __init__(self, problem: Problem, excess: float = 0.0, heights: tuple[float, ...] = (), gap: float = 0.0):
        super().__init__(problem.message)
        self.problem = problem
        self.excess, self.heights, self.gap = excess, heights, gap


@dataclass(frozen=True)
class FontNames:
    regular: str
    bold: str
    covered: frozenset[int]  # code points the configured fonts cover (a missing glyph's hint)
    ascent: float = 0.88  # the font's ascender as a share of its em box (ascender - descender): places baselines


@dataclass(frozen=True)
class Style:
    size: float
    color: str
    weight: str
    align: str
    background: str
    leading: float


@dataclass(frozen=True, slots=True)
class Block:
    """A laid-out flow element: its height and its items, placed from its top-left corner (y grows upwards, so
    everything in it has y <= 0)."""
    height: float
    items: tuple[Item, ...]


def page_size(doc: Node) -> tuple[float, float]:
    spec = doc.attr("size")
    if spec in PAGE_SIZES:
        return PAGE_SIZES[spec]
    w, h = spec.split("x")
    return float(w), float(h)


class Layout:
    """Lays out one layout document. Layout problems (overflow, unknown icons, QR capacity) are collected here;
    what the items themselves must satisfy (sizes, colours, glyphs) is checked on the display list (checks.py)."""

    def __init__(self, doc: Node, fonts: FontNames, origin: str, root=None, colour: str = "print",
                 sources: SourceTable | None = None):
        self.doc = doc
        self.source_table: SourceTable = sources or {}  # what the document's src ids stand for
        self.screen = colour == "screen"  # photos in RGB, not CMYK
        self.fonts = fonts
        self.origin = origin
        self.root = root  # the project folder: <image> files are read from inside it only
        self.problems = ProblemList()  # a fit-to-frame trial may take its own back
        self.min_size = doc.attr("min-size")
        self.trim_w, self.trim_h = page_size(doc)
        self.bleed = doc.attr("bleed")
        self.slug = MARKS_SLUG if doc.attr("marks") == "crop" else self.bleed
        self._runs: dict = {}  # (node, inherited style) -> its runs at 1 pt
        self._sources: dict[int, Source] = {}
        self.ox = self.oy = 0.0  # the trim box's bottom-left on the page being laid out
        self.page_bleed = self.bleed

    # ---------- document ----------
    def pages(self) -> list[Page]:
        w = (self.trim_w + 2 * self.slug) * MM
        h = (self.trim_h + 2 * self.slug) * MM
        off = self.slug * MM
        trim = (off, off, off + self.trim_w * MM, off + self.trim_h * MM)
        b = (self.slug - self.bleed) * MM
        bleed = (b, b, w - b, h - b)
        out = []
        for page in (p for p in self.doc.elements() if p.tag == "page"):
            items = self.page_items(page, off, off, self.bleed)
            if self.slug > self.bleed:
                items += crop_marks(off, off, self.trim_w * MM, self.trim_h * MM, self.bleed * MM, self.slug * MM)
            out.append(Page(w, h, trim, bleed, tuple(items)))
        return out

    def page_items(self, page: Node, ox: float, oy: float, bleed_mm: float) -> list[Item]:
        """One page's items with the trim box's bottom-left at (ox, oy) points."""
        self.ox, self.oy, self.page_bleed = ox, oy, bleed_mm
        background = page.attr("background")
        items: list[Item] = []
        if background.upper() != "#FFFFFF":
            bl = bleed_mm * MM
            items.append(Rect(ox - bl, oy - bl, self.trim_w * MM + 2 * bl, self.trim_h * MM + 2 * bl, fill=background))
        style = Style(size=self.min_size, color="#1A1A1A", weight="regular", align="left",
                      background=background, leading=1.45)
        for el in page.elements():
            FIXED[el.tag](self, el, style, items)
        return items

    # ---------- helpers ----------
    def X(self, x_mm: float) -> float:
        return self.ox + x_mm * MM

    def Y(self, y_mm: float) -> float:
        """PDF y of a point y_mm below the trim top."""
        return self.oy + (self.trim_h - y_mm) * MM

    def field(self, node: Node) -> SourceField | None:
        """The YAML field the node's src= id stands for, if it has one with a file."""
        src = node.get("src")
        return self.source_table.get(src) if src else None

    def source(self, node: Node) -> Source:
        """The node's data field (its src= id, looked up in the document's source table) or its line in the
        document."""
        found = self._sources.get(id(node))
        if found is None:
            field = self.field(node)
            if field is not None:
                found = Source(field.location, f"field '{field.name}'" if field.name else "")
            else:
                found = Source(Location(self.origin, node.line))
            self._sources[id(node)] = found
        return found

    def problem(self, node: Node, message: str, hint: str | None = None) -> None:
        src = self.source(node)
        self.problems.add(src.location, f"{src.field}: {message}" if src.field else message, hint)

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

    def text_lines(self, node: Node, style: Style, size: float, width_pt: float, align: str | None = None,
                   indent: float = 0.0):
        key = (id(node), style.weight, style.color, style.background)
        runs = self._runs.get(key)
        if runs is None:  # fit-to-frame lays the same text out again at several sizes: atomize once, at 1 pt
            runs = self._runs[key] = tuple(self.runs(node, style, 1.0))
        return paragraph(runs, measure).breaks(width_pt, align=align or style.align, first_indent=indent, scale=size)

    def glyphs(self, node: Node, lines, x: float, top: float, lead: float, size: float, background: str) -> list[Item]:
        """Broken lines as glyph runs; `top` is the y of the first line box's top."""
        source = self.source(node)
        out: list[Item] = []
        for i, line in enumerate(lines):
            line_size = max(size, line.height)
            baseline = top - i * lead - (lead - line_size) / 2 - self.fonts.ascent * line_size
            for piece in line.pieces:
                width = measure(piece.text, piece.font, piece.size) + piece.char_space * len(piece.text)
                out.append(Glyphs(x + piece.x, baseline, piece.text, piece.font, piece.size, piece.style,
                                  background, source, piece.char_space, width))
        return out

    # ---------- flow ----------
    def lay(self, node: Node, width: float, style: Style, scale: float) -> Block:
        """Lay a flow element out at `scale` (fit-to-frame shrink) in a column `width` points wide."""
        return FLOW[node.tag](self, node, width, self.style_of(node, style), scale)

    def scaled(self, size: float, scale: float) -> float:
        return size if size < self.min_size else max(self.min_size, size * scale)

    def lay_children(self, nodes: list[Node], width: float, style: Style, scale: float, gap_mm: float = 0.0) -> Block:
        gap = gap_mm * MM * scale
        items: list[Item] = []
        y = 0.0
        for i, node in enumerate(nodes):
            block = self.lay(node, width, style, scale)
            if block.items:
                items.append(Group(0.0, y, block.items))
            y -= block.height + (gap if i < len(nodes) - 1 else 0.0)
        return Block(-y, tuple(items))

    def _text_block(self, node: Node, width: float, style: Style, scale: float) -> Block:
        size = self.scaled(style.size, scale)
        lead = size * (node.attr("leading") or style.leading)  # <h> declares 1.25; <p> inherits
        before = node.attr("space-before") * MM * scale
        after = node.attr("space-after") * MM * scale
        indent = (node.attr("indent") or 0.0) * size  # <h> has none
        lines = self.text_lines(node, style, size, width, indent=indent)
        items = self.glyphs(node, lines, 0.0, -before, lead, size, style.background)
        return Block(before + len(lines) * lead + after, tuple(items))

    def flow_h(self, node, width, style, scale):
        return self._text_block(node, width, replace(style, weight=node.attr("weight")), scale)

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
        elements = [i for i in node.elements() if i.tag == "item"]
        labels = [f"{n}." if marker == "1" else marker for n in range(1, len(elements) + 1)]
        label_w = max(measure(lbl, self.fonts.bold, size) for lbl in labels) + size * 0.4 if elements else 0
        items: list[Item] = []
        y = -before
        for element, label in zip(elements, labels):
            lines = self.text_lines(element, style, size, width - label_w)
            baseline = y - (lead - size) / 2 - self.fonts.ascent * size
            if label == "●":  # a bullet is a shape, not a small glyph below the audience's minimum size
                items.append(Disc(size * 0.3, baseline + size * 0.36, size * 0.22, marker_color))
            else:
                items.append(Glyphs(0.0, baseline, label, self.fonts.bold, size, marker_color, style.background,
                                    self.source(element), 0.0, measure(label, self.fonts.bold, size)))
            items += self.glyphs(element, lines, label_w, y, lead, size, style.background)
            y -= len(lines) * lead + gap
        height = before + after + (-y - before - (gap if elements else 0.0))
        return Block(height, tuple(items))

    def flow_space(self, node, width, style, scale):
        return Block(node.attr("h") * MM * scale, ())

    def flow_rule(self, node, width, style, scale):
        lw = node.attr("width")
        pad = 1.5 * MM * scale
        y = -pad - lw / 2
        return Block(2 * pad + lw, (Line(0.0, y, width, y, node.get("color", style.color), lw),))

    def flow_icon(self, node, width, style, scale):
        # icons shrink with the text (to 60 %) but never grow past their size or their column
        size = min(node.attr("size") * MM * min(1.0, max(scale, 0.6)), width)
        dx = {"left": 0, "center": (width - size) / 2, "right": width - size}[node.attr("align")]
        return Block(size, self.icon(node, dx, -size, size, node.get("color", style.color), style.background))

    def flow_picture(self, node, width, style, scale):
        # pictures shrink with the text (to 60 %) but never grow past their size or their column
        h = node.attr("h") * MM * min(1.0, max(scale, 0.6))
        item = self.picture(node, 0.0, -h, width, h)
        if item is None:
            return Block(0.0, ())
        dx = {"left": 0, "center": (width - item.w) / 2, "right": width - item.w}[node.attr("align")]
        return Block(item.h, (replace(item, x=dx, y=-item.h),))

    def flow_story(self, node, width, style, scale):
        # a story keeps its height whatever the text around it does: its bubbles are set at their own size, its
        # people must stay large, and a taller panel only adds empty space above them (its width sets their size)
        return story_block(self, node, width, node.attr("h") * MM, style, 1.0)

    def flow_box(self, node, width, style, scale):
        pad = node.attr("padding") * MM * min(1.0, scale)
        inner = self.lay_children(node.elements(), width - 2 * pad, style, scale, node.attr("gap"))
        height = inner.height + 2 * pad
        fill, stroke = node.get("fill"), node.get("stroke")
        items: list[Item] = []
        if fill or stroke:
            items.append(Rect(0.0, -height, width, height, fill=fill, stroke=stroke, stroke_width=1.2,
                              radius=node.attr("radius") * MM))
        if inner.items:
            items.append(Group(pad, -pad, inner.items))
        return Block(height, tuple(items))

    def flow_row(self, node, width, style, scale):
        cols = [c for c in node.elements() if c.tag == "col"]
        gap = node.attr("gap") * MM * min(1.0, scale)
        fixed = sum(c.attr("w") * MM for c in cols if "w" in c.attrs)
        flexible = [c for c in cols if "w" not in c.attrs]
        flex_w = (width - fixed - gap * (len(cols) - 1)) / max(1, len(flexible))
        laid = []
        for col in cols:
            w = col.attr("w") * MM if "w" in col.attrs else flex_w
            laid.append((w, self.lay_children(col.elements(), w, self.style_of(col, style), scale)))
        height = max((block.height for _, block in laid), default=0)
        valign = node.attr("valign")
        items: list[Item] = []
        x = 0.0
        for w, block in laid:
            dy = {"top": 0, "middle": (height - block.height) / 2, "bottom": height - block.height}[valign]
            if block.items:
                items.append(Group(x, -dy, block.items))
            x += w + gap
        return Block(height, tuple(items))

    # ---------- fixed elements ----------
    def fixed_rect(self, node: Node, style: Style, out: list[Item]) -> None:
        x, y, w, h = (node.attr(k) for k in ("x", "y", "w", "h"))
        if node.attr("bleed") == "yes":  # edges on the trim edge run out to the bleed edge
            b = self.page_bleed
            x2, y2 = x + w, y + h
            x = x - b if x <= 0.01 else x
            y = y - b if y <= 0.01 else y
            x2 = x2 + b if x2 >= self.trim_w - 0.01 else x2
            y2 = y2 + b if y2 >= self.trim_h - 0.01 else y2
            w, h = x2 - x, y2 - y
        out.append(Rect(self.X(x), self.Y(y + h), w * MM, h * MM, fill=node.get("fill"), stroke=node.get("stroke"),
                        stroke_width=node.attr("stroke-width"), radius=node.attr("radius") * MM))

    def fixed_line(self, node: Node, style: Style, out: list[Item]) -> None:
        out.append(Line(self.X(node.attr("x1")), self.Y(node.attr("y1")), self.X(node.attr("x2")),
                        self.Y(node.attr("y2")), node.get("color", style.color), node.attr("width"),
                        node.attr("dash") if "dash" in node.attrs else None))

    def fixed_frame(self, node: Node, style: Style, out: list[Item]) -> None:
        style = self.style_of(node, style)
        x, y, w, h = (node.attr(k) for k in ("x", "y", "w", "h"))
        width, avail = w * MM, h * MM
        children, gap = node.elements(), node.attr("gap")
        laid: dict[float, tuple[Block, list[Problem]]] = {}  # scale -> (block, problems found at that scale)
        mark = self.problems.mark()

        def measure_at(scale: float) -> float:
            if scale not in laid:  # each trial layout keeps its own problems; only the chosen one's count
                block = self.lay_children(children, width, style, scale, gap)
                laid[scale] = (block, self.problems.take_back(mark))
            return laid[scale][0].height

        # the scale a frame fits at depends on its own XML, the style it inherits and the document's limits:
        # documents of one audience share most frames, so their trial layouts are done once per process
        key = (node.source, style, self.min_size, self.fonts.regular, self.fonts.bold)
        scale = _FITTED.get(key) if node.source is not None else None
        if scale is None:
            scale = fit_scale(measure_at, avail, node.attr("fit"), max(0.35, min(1.0, node.attr("min-scale"))))
            if node.source is not None:
                _FITTED.keep(key, scale)
        measure_at(scale)  # the smallest scale is returned unmeasured when nothing fits
        block, found = laid[scale]
        self.problems.extend(found)
        if block.height > avail + 0.01:
            # the longest texts first: the likeliest culprit leads the list
            texts = {str(f): len(n.text()) for n in _texts(node) if (f := self.field(n)) is not None}
            fields = sorted(texts, key=lambda f: (-texts[f], f))
            how = "even at the minimum size" if node.get("fit") != "error" else "at size"
            problem = Problem(Location(self.origin, node.line),
                              f"text does not fit in {node.attr('name')} ({block.height / MM:.0f} mm needed, "
                              f"{h:g} mm available) {how} {self.min_size:g} pt",
                              "shorten: " + "; ".join(fields) if fields else "shorten the text or enlarge the frame")
            if node.attr("overflow") == "fewer-cases":
                heights = tuple(self.lay(child, width, style, scale).height for child in children)
                raise TooFull(problem, block.height - avail, heights, gap * MM * scale)
            self.problems.add(problem.location, problem.message, problem.hint)
            return
        dy = {"top": 0, "middle": (avail - block.height) / 2, "bottom": avail - block.height}[node.attr("valign")]
        if block.items:
            out.append(Group(self.X(x), self.Y(y) - dy, block.items))

    def fixed_text(self, node: Node, style: Style, out: list[Item]) -> None:
        style = self.style_of(node, style)
        x, y, w = node.attr("x"), node.attr("y"), node.attr("w")
        h = node.attr("h")
        width = w * MM

        def layout(scale: float):
            size = self.scaled(style.size, scale)
            return size, size * node.attr("leading"), self.text_lines(node, style, size, width)

        def needed(scale: float) -> float:  # the same fitting as a frame's: height, or lines when one is allowed
            _, lead, lines = layout(scale)
            return len(lines) if h is None else len(lines) * lead

        avail = 1 if h is None else h * MM + 0.01
        size, lead, lines = layout(fit_scale(needed, avail, "shrink"))
        if (len(lines) if h is None else len(lines) * lead) > avail:
            need = "one line" if h is None else f"{h:g} mm"
            self.problem(node, f"text does not fit in {need} at the minimum size {self.min_size:g} pt",
                         "shorten the text")
            return
        shift = 0.0
        if style.align == "center" and len(lines) > 1:  # a centred caption over two lines: lines of even length
            narrow = self.balanced_width(node, style, size, width, len(lines))
            lines, shift = self.text_lines(node, style, size, narrow), (width - narrow) / 2
        top = self.Y(y)
        if h is not None:
            dy = {"top": 0, "middle": (h * MM - len(lines) * lead) / 2, "bottom": h * MM - len(lines) * lead}
            top -= dy[node.attr("valign")]
        out += self.glyphs(node, lines, self.X(x) + shift, top, lead, size, style.background)

    def balanced_width(self, node: Node, style: Style, size: float, width: float, count: int) -> float:
        """The narrowest column (to 0.5 pt) that sets the text in as many lines as `width` does: its lines come
        out of even length ("扫码拨打96110 / 反诈专线", not "扫码拨打96110反 / 诈专线")."""
        lo, hi = width / count, width
        while hi - lo > 0.5:
            mid = (lo + hi) / 2
            if len(self.text_lines(node, style, size, mid)) <= count:
                hi = mid
            else:
                lo = mid
        return hi

    def fixed_image(self, node: Node, style: Style, out: list[Item]) -> None:
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
        out.append(Image(self.X(x), self.Y(y + h), w * MM, h * MM, data))

    def fixed_icon(self, node: Node, style: Style, out: list[Item]) -> None:
        size = node.attr("size") * MM
        out += self.icon(node, self.X(node.attr("x")), self.Y(node.attr("y")) - size, size,
                         node.get("color", style.color), style.background)

    def icon(self, node: Node, x: float, y: float, size: float, color: str, background: str) -> tuple[Item, ...]:
        name = node.get("name")
        if name not in ICON_NAMES:
            self.problem(node, f"unknown icon '{name}'", "known icons: " + ", ".join(ICON_NAMES))
            return ()
        return (Icon(name, x, y, size, color, background),)

    def picture(self, node: Node, x: float, y: float, w: float, h: float) -> Picture | None:
        """The named picture, evenly scaled to the largest size that fits w×h points (bottom-left x, y), centred
        across; None (and a problem) for a name not in the set."""
        name = node.get("name")
        try:
            code = pictures.code_of(name)
            aspect = pictures.art(code).aspect
        except pictures.PictureError as e:
            self.problem(node, str(e), "use a name from antifraud_cli/picture_names.py")
            return None
        ph = min(h, w / aspect)
        return Picture(name, code, x + (w - ph * aspect) / 2, y, ph * aspect, ph, pictures.is_figure(name),
                       self.source(node))

    def fixed_picture(self, node: Node, style: Style, out: list[Item]) -> None:
        h = node.attr("h") * MM
        w = node.attr("w") * MM if "w" in node.attrs else self.trim_w * MM
        item = self.picture(node, self.X(node.attr("x")), self.Y(node.attr("y")) - h, w, h)
        if item is not None:
            out.append(item)

    def fixed_story(self, node: Node, style: Style, out: list[Item]) -> None:
        style = self.style_of(node, style)
        x = node.attr("x")
        w = node.attr("w") if "w" in node.attrs else self.trim_w - 2 * x
        block = story_block(self, node, w * MM, node.attr("h") * MM, style)
        out.append(Group(self.X(x), self.Y(node.attr("y")), block.items))

    def fixed_qr(self, node: Node, style: Style, out: list[Item]) -> None:
        payload = node.get("payload")
        size_mm = node.attr("size")
        why = check_payload(payload, size_mm)
        if why:  # over capacity, or modules too fine to scan: report at qr.url, draw nothing
            self.problem(node, why, "use a shorter link (e.g. from a link-shortening service) or a larger QR code")
            return
        matrix = qr_matrix(payload)
        out.append(QR(self.X(node.attr("x")), self.Y(node.attr("y")) - size_mm * MM, size_mm * MM / len(matrix),
                      matrix, node.attr("color"), payload, self.source(node)))

    def fixed_chart(self, node: Node, style: Style, out: list[Item]) -> None:
        """A bar chart as vector shapes; its labels are text, over the bars."""
        labels, raw = node.get("labels").split("|"), node.get("values").split("|")
        try:
            values = [float(v) for v in raw]
        except ValueError:
            values = []
        if len(values) != len(labels) or any(v < 0 or not math.isfinite(v) for v in values):
            self.problem(node, f"chart: {len(labels)} labels need as many numbers of 0 or more, got "
                         f"'{node.get('values')}'", "write values=\"3|5|2\" for labels=\"9月|10月|11月\"")
            return
        size, kind = node.attr("size"), node.attr("kind")
        text_colour, bar_colour = node.attr("label-color"), node.get("color", style.color)
        background = node.get("background", style.background)
        shown = [f"{v:g}" for v in values]
        w, h = node.attr("w") * MM, node.attr("h") * MM
        top = max(values, default=0) or 1
        font = self.fonts.regular
        width = lambda t: measure(t, font, size)  # noqa: E731
        items: list[Item] = []
        texts = []  # (x, y, text, anchor: the share of its width left of x)
        if kind == "column":
            slot, base, room = w / max(1, len(values)), size * 1.8, h - size * 3.4
            for i, (label, value, text) in enumerate(zip(labels, values, shown)):
                cx, bar_h = slot * (i + 0.5), room * value / top
                items.append(Rect(cx - slot * 0.3, base, slot * 0.6, bar_h, fill=bar_colour))
                texts += [(cx, base + bar_h + size * 0.4, text, 0.5), (cx, base - size * 1.2, label, 0.5)]
                if width(label) > slot:
                    self.problem(node, f"chart: the label '{label}' is wider than its column", "shorten the label")
            axis = Line(0, base, w, base, text_colour, 0.6)
        else:
            label_w = max((width(t) for t in labels), default=0) + size * 0.8
            value_w = max((width(t) for t in shown), default=0) + size * 0.6
            slot, room = h / max(1, len(values)), w - label_w - value_w
            if room < w * 0.2:
                self.problem(node, "chart: the labels leave no room for the bars",
                             "shorten the labels or widen the chart")
                return
            for i, (label, value, text) in enumerate(zip(labels, values, shown)):
                cy, bar_w = h - slot * (i + 0.5), room * value / top
                thick = min(slot * 0.6, size * 2.2)
                items.append(Rect(label_w, cy - thick / 2, bar_w, thick, fill=bar_colour))
                texts += [(label_w - size * 0.5, cy - size * 0.35, label, 1.0),
                          (label_w + bar_w + size * 0.3, cy - size * 0.35, text, 0.0)]
            axis = Line(label_w, 0, label_w, h, text_colour, 0.6)
        items.append(axis)
        source = self.source(node)
        items += [Glyphs(x - width(t) * anchor, y, t, font, size, text_colour, background, source, 0.0, width(t))
                  for x, y, t, anchor in texts]
        out.append(Group(self.X(node.attr("x")), self.Y(node.attr("y")) - h, tuple(items)))


# Each layout element's function, by tag (the elements and their attributes: vocabulary.ELEMENTS).
FIXED: dict[str, Callable] = {
    "rect": Layout.fixed_rect, "line": Layout.fixed_line, "frame": Layout.fixed_frame, "text": Layout.fixed_text,
    "icon": Layout.fixed_icon, "qr": Layout.fixed_qr, "image": Layout.fixed_image, "chart": Layout.fixed_chart,
    "picture": Layout.fixed_picture, "story": Layout.fixed_story}
FLOW: dict[str, Callable] = {
    "h": Layout.flow_h, "p": Layout.flow_p, "list": Layout.flow_list, "space": Layout.flow_space,
    "rule": Layout.flow_rule, "icon": Layout.flow_icon, "box": Layout.flow_box, "row": Layout.flow_row,
    "picture": Layout.flow_picture, "story": Layout.flow_story}


def crop_marks(ox: float, oy: float, w: float, h: float, bleed: float, slug: float) -> list[Item]:
    """Crop marks in the slug, in line with the trim edges, clear of the bleed."""
    start, end = bleed + 1 * MM, slug - 1 * MM
    out: list[Item] = []
    for x in (ox, ox + w):
        for y, sign in ((oy, -1), (oy + h, 1)):
            out.append(Line(x, y + sign * start, x, y + sign * end, "#000000", 0.25, registration=True))
    for y in (oy, oy + h):
        for x, sign in ((ox, -1), (ox + w, 1)):
            out.append(Line(x + sign * start, y, x + sign * end, y, "#000000", 0.25, registration=True))
    return out


def sheet_marks(gx, gy, cw, ch, cols, rows, gutter: float = 0.0) -> list[Item]:
    """Crop marks outside a grid of cards, in line with every cut (both edges of each gutter)."""
    length = 6 * MM
    gap = 2 * MM + (gutter / 2 if gutter else 0)  # keep the marks clear of the outer cards' bleed
    top, right = gy + rows * ch + (rows - 1) * gutter, gx + cols * cw + (cols - 1) * gutter
    xs = sorted({gx + i * (cw + gutter) for i in range(cols)} | {gx + i * (cw + gutter) + cw for i in range(cols)})
    ys = sorted({gy + j * (ch + gutter) for j in range(rows)} | {gy + j * (ch + gutter) + ch for j in range(rows)})
    mark = lambda x1, y1, x2, y2: Line(x1, y1, x2, y2, "#000000", 0.25, registration=True)  # noqa: E731
    out: list[Item] = [m for x in xs for m in (mark(x, gy - gap, x, gy - gap - length),
                                               mark(x, top + gap, x, top + gap + length))]
    out += [m for y in ys for m in (mark(gx - gap, y, gx - gap - length, y),
                                    mark(right + gap, y, right + gap + length, y))]
    return out


def fit_scale(measure: Callable[[float], float], avail: float, mode: str, floor: float = 0.35) -> float:
    """The text scale for a frame: 1 when the content fits (with fit="grow" up to 1.5), else the largest scale
    in [floor, 1] that fits, to within about 3 % (`floor` when none does). Layout height grows with the scale,
    roughly with its square (more lines of taller type), so a first guess from the square root usually leaves one
    bisection step."""
    h1 = measure(1.0)
    fits = h1 <= avail
    if (fits and mode != "grow") or (not fits and mode == "error"):
        return 1.0
    lo, hi = (1.0, 1.5) if fits else (floor, 1.0)
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


def font_ascent(font_name: str) -> float:
    """The registered font's ascender as a share of ascender + descender (Noto Sans SC: 880 / 1000)."""
    face = cidfont.face(font_name)
    return face.ascent / (face.ascent - face.descent) if face.ascent > face.descent else 0.88


@lru_cache(maxsize=65536)
def _width_1pt(text: str, font: str) -> float:
    return cidfont.face(font).width_1pt(text)


def measure(text: str, font: str, size: float) -> float:
    """Advance width in pt: TrueType widths scale linearly with the size, so cache them at 1 pt."""
    return _width_1pt(text, font) * size


@lru_cache(maxsize=64)
def qr_matrix(payload: str) -> tuple[tuple[bool, ...], ...]:
    """QR modules for payload (error correction M, no border: the QR item keeps its 4-module quiet zone)."""
    code = qr_code(payload)  # made as the checks measured it (a long run of digits: see qrcheck.qr_code)
    return tuple(tuple(row) for row in code.get_matrix())


def _texts(node: Node):
    for child in node.elements():
        yield child
        yield from _texts(child)


def document(doc: Node, fonts: FontNames, origin: str, root=None, colour: str = "print",
             sources: SourceTable | None = None) -> DisplayDoc:
    """A layout document's pages as a display list; layout problems raise. `sources`: what its src ids stand for."""
    layout = Layout(doc, fonts, origin, root, colour, sources)
    pages = layout.pages()
    if layout.problems:
        raise AntifraudError(layout.problems.items)
    return DisplayDoc(tuple(pages), _meta(doc), screen=colour == "screen",
                      scale=print_scale(pages[0].w, pages[0].h) if pages else 1)


def sheet(docs: list[Node], fonts: FontNames, origin: str, cols: int = 2, rows: int = 5,
          size: tuple[float, float] = (210, 297), gutter: float = 0.0, bleed: float = 0.0, root=None,
          sources: Sequence[SourceTable] | None = None) -> DisplayDoc:
    """Small documents (contact cards) imposed cols x rows on sheets, with crop marks at every cut line.
    One document fills every cell; several get a cell each, in reading order, on as many sheets as they
    need. Sheet page n holds the cards' page n; backs are mirrored for long-edge duplex. Without a gutter
    the cards abut (one guillotine cut between neighbours); with one, each card keeps `bleed` mm of its
    background round it, for print shops that cut card by card. Each card page is laid out once, as a form.
    `sources`: each document's source table (what its src ids stand for), in the order of `docs`."""
    tables = list(sources) if sources is not None else [{}] * len(docs)
    layouts = [Layout(doc, fonts, origin, root, sources=table) for doc, table in zip(docs, tables, strict=True)]
    first = layouts[0]
    sw, sh = size[0] * MM, size[1] * MM
    cw, ch = first.trim_w * MM, first.trim_h * MM
    step_x, step_y = cw + gutter * MM, ch + gutter * MM
    grid_w, grid_h = cols * cw + (cols - 1) * gutter * MM, rows * ch + (rows - 1) * gutter * MM
    if grid_w > sw - 2 * bleed * MM + 0.01 or grid_h > sh - 2 * bleed * MM + 0.01:
        raise AntifraudError(Problem(Location(origin, docs[0].line),
                                     f"{cols}×{rows} cards of {first.trim_w:g}×{first.trim_h:g} mm do not fit on a "
                                     f"{size[0]:g}×{size[1]:g} mm sheet", "use fewer rows or columns"))
    gx, gy = (sw - grid_w) / 2, (sh - grid_h) / 2
    b = bleed * MM
    per_sheet = cols * rows
    cells = [0] * per_sheet if len(docs) == 1 else list(range(len(docs)))
    card_pages = [[p for p in doc.elements() if p.tag == "page"] for doc in docs]
    forms: dict[str, Form] = {}
    pages = []
    for start in range(0, len(cells), per_sheet):
        for n in range(len(card_pages[0])):
            items: list[Item] = []
            for k, d in enumerate(cells[start:start + per_sheet]):
                name = f"card{d}p{n}"
                if name not in forms:  # each card page is laid out once and placed as often as needed
                    drawn = layouts[d].page_items(card_pages[d][n], 0, 0, bleed)
                    forms[name] = Form((-b, -b, cw + b, ch + b), (Group(0, 0, tuple(drawn), (-b, -b, cw + 2 * b,
                                                                                              ch + 2 * b)),))
                row, col = divmod(k, cols)
                place = col if n % 2 == 0 else cols - 1 - col
                items.append(Use(name, gx + place * step_x, gy + (rows - 1 - row) * step_y))
            items += sheet_marks(gx, gy, cw, ch, cols, rows, gutter * MM)
            pages.append(Page(sw, sh, (0, 0, sw, sh), (0, 0, sw, sh), tuple(items)))
    problems = [p for layout in layouts for p in layout.problems.items]
    if problems:
        raise AntifraudError(problems)
    meta = _meta(docs[0])
    meta["title"] += "（裁切版）"
    return DisplayDoc(tuple(pages), meta, forms=forms)


def _meta(doc: Node) -> dict[str, str]:
    return {key: doc.get(key, "") or "" for key in ("title", "author", "subject", "keywords", "lang")}
