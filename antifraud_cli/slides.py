"""Slides (`format: pptx`): the template writes the deck in a small slide vocabulary, this module checks it and
writes a PowerPoint file with python-pptx. Schools project PPTX and teachers edit it, so every text is a real,
editable text box (the title in the slide's title placeholder) and the story panels are pictures.

    <deck title= author= subject= keywords= font= min-size= primary= on-primary= accent= on-accent= text= muted=>
      <slide layout="cover|story|list|question|answer|numbers">
        <title>…</title> <subtitle>…</subtitle>           (subtitle: cover, question, answer, numbers)
        <item>…</item>…                                   (list: the points, in order)
        <panel figures="骗子 手机" kind="scam">…</panel>…  (story: 3–4 panels, drawn as pictures, line below)
        <number label="反诈专线">96110</number>…           (numbers: big numbers with what they are)
        <note>…</note>                                    (a small line at the bottom)
        <notes>…</notes>                                  (what the teacher says: the speaker notes)
      </slide>
    </deck>

Fonts are named (`font`, Noto Sans SC), not embedded: PowerPoint substitutes its own CJK face when the PC lacks
it. The file is deterministic: the core properties' dates are the build day's, the zip entries' times fixed.
"""
from __future__ import annotations

import datetime as dt
import io
import math
import re
import zipfile
from dataclasses import dataclass, field
from functools import lru_cache
from xml.parsers import expat

from .errors import AntifraudError, Location, Problem

ELEMENTS = {  # tag -> (attributes it may have, children it may have)
    "deck": ({"title", "author", "subject", "keywords", "font", "min-size", "primary", "on-primary", "accent",
              "on-accent", "text", "muted"}, {"slide"}),
    "slide": ({"layout"}, {"title", "subtitle", "item", "panel", "number", "note", "notes"}),
    "title": (set(), set()), "subtitle": (set(), {"br"}), "item": (set(), set()), "note": (set(), set()),
    "notes": (set(), {"br"}), "panel": ({"figures", "kind"}, set()), "number": ({"label"}, set()),
    "br": (set(), set()),  # a line break (the template's own line breaks are formatting)
}
LAYOUTS = ("cover", "story", "list", "question", "answer", "numbers")
COLOURS = {"primary": "#1B5E20", "on-primary": "#FFFFFF", "accent": "#FFD23F", "on-accent": "#1A1A1A",
           "text": "#1A1A1A", "muted": "#3F3F3F"}
EMU_PER_MM = 36000
NO_START = "，。、；：？！”）》"  # the preview keeps these with the line before them
MARGIN = 12.0  # mm around the slide's content
BAND = 30.0  # mm: the title band at the top of every slide but the cover


@dataclass
class El:
    tag: str
    attrs: dict[str, str]
    line: int
    children: list["El"] = field(default_factory=list)
    text: str = ""

    def all(self, tag: str) -> list["El"]:
        return [c for c in self.children if c.tag == tag]

    def one(self, tag: str) -> "El | None":
        found = self.all(tag)
        return found[0] if found else None


def parse(xml: str, origin: str) -> El:
    """The deck as a tree, checked against ELEMENTS; every problem at `origin:line`."""
    problems: list[Problem] = []
    stack: list[El] = []
    root: list[El] = []
    parser = expat.ParserCreate()

    def start(tag, attrs):
        line = parser.CurrentLineNumber
        if tag not in ELEMENTS:
            problems.append(Problem(Location(origin, line), f"unknown slide element <{tag}>",
                                    "slide elements: " + ", ".join(ELEMENTS)))
        elif stack and tag not in ELEMENTS[stack[-1].tag][1]:
            problems.append(Problem(Location(origin, line), f"<{tag}> cannot be inside <{stack[-1].tag}>"))
        elif not stack and tag != "deck":
            problems.append(Problem(Location(origin, line), "a slide document starts with <deck>"))
        else:
            unknown = sorted(set(attrs) - ELEMENTS[tag][0])
            if unknown:
                problems.append(Problem(Location(origin, line), f"<{tag}> has no attribute {', '.join(unknown)}",
                                        f"<{tag}> takes: {', '.join(sorted(ELEMENTS[tag][0])) or 'none'}"))
        if tag == "br" and stack:
            stack[-1].text += "\x00"
        node = El(tag, dict(attrs), line)
        (stack[-1].children if stack else root).append(node)
        stack.append(node)

    def end(tag):
        node = stack.pop()
        # a line break in the template is formatting; <br/> is one
        node.text = re.sub(r"\s*\n\s*", "", node.text).strip().replace("\x00", "\n")

    def chars(data):
        if stack:
            stack[-1].text += data

    def doctype(*_):
        raise AntifraudError(Problem(Location(origin, parser.CurrentLineNumber), "a slide document has no DOCTYPE"))

    parser.StartElementHandler, parser.EndElementHandler = start, end
    parser.CharacterDataHandler, parser.StartDoctypeDeclHandler = chars, doctype
    try:
        parser.Parse(xml, True)
    except expat.ExpatError as e:
        raise AntifraudError(Problem(Location(origin, e.lineno), f"slide document: {expat.errors.messages[e.code]}",
                                     "the template writes well-formed XML (autoescape keeps data text)")) from None
    if problems:
        raise AntifraudError(problems)
    return root[0]


# ---------------------------------------------------------------- checking

def text_width_em(text: str) -> float:
    """The width of a line in ems: CJK and full-width characters one em, the rest about half."""
    return sum(1.0 if ord(ch) >= 0x2E80 or ch in "●✓✗" else 0.55 for ch in text)


def lines_needed(text: str, size_pt: float, width_mm: float) -> int:
    per_line = width_mm / (size_pt * 25.4 / 72)  # ems that fit on a line
    return sum(max(1, math.ceil(text_width_em(part) / per_line)) for part in text.split("\n"))


def fits(text: str, size_pt: float, width_mm: float, height_mm: float, leading: float = 1.2) -> bool:
    """Whether the text fits its box as PowerPoint sets it (a little narrower than measured, for safety)."""
    return lines_needed(text, size_pt, width_mm * 0.96) * size_pt * leading * 25.4 / 72 <= height_mm


def check(deck: El, origin: str, slides: list[int] | None) -> None:
    problems: list[Problem] = []
    for name in COLOURS:
        if name in deck.attrs and not re.fullmatch(r"#[0-9A-Fa-f]{6}", deck.attrs[name]):
            problems.append(Problem(Location(origin, deck.line), f"<deck {name}=\"{deck.attrs[name]}\">: not a "
                                    "colour", "colours are #RRGGBB, e.g. {{ palette.primary }}"))
    if not re.fullmatch(r"\d+(\.\d+)?", deck.attrs.get("min-size", "20")):
        problems.append(Problem(Location(origin, deck.line), "<deck min-size>: not a size in pt"))
    found = deck.all("slide")
    if slides and not slides[0] <= len(found) <= slides[1]:
        problems.append(Problem(Location(origin, deck.line), f"the deck has {len(found)} slides; the product "
                                f"wants {slides[0]} to {slides[1]}", "add or remove slides in the template"))
    for n, slide in enumerate(found, 1):
        where = Location(origin, slide.line)
        layout = slide.attrs.get("layout", "list")
        if layout not in LAYOUTS:
            problems.append(Problem(where, f"slide {n}: unknown layout '{layout}'", "layouts: " + ", ".join(LAYOUTS)))
        if slide.one("title") is None or not slide.one("title").text:
            problems.append(Problem(where, f"slide {n} has no <title>", "every slide has a title (the outline)"))
        if slide.one("notes") is None or not slide.one("notes").text:
            problems.append(Problem(where, f"slide {n} has no <notes>", "write what the teacher says in <notes>"))
        panels = slide.all("panel")
        if layout == "story" and not 1 <= len(panels) <= 4:
            problems.append(Problem(where, f"slide {n}: a story slide has 1–4 panels, not {len(panels)}"))
        for panel in panels:
            figures = panel.attrs.get("figures", "").split()
            try:
                for name in figures:
                    _code(name)
            except ValueError as e:
                problems.append(Problem(Location(origin, panel.line), f"slide {n}: {e}"))
            if not figures:
                problems.append(Problem(Location(origin, panel.line), f"slide {n}: a panel names its figures"))
            if panel.attrs.get("kind", "event") not in ("scam", "event", "safe"):
                problems.append(Problem(Location(origin, panel.line), f"slide {n}: a panel's kind is scam, event "
                                        f"or safe, not '{panel.attrs['kind']}'"))
    if problems:
        raise AntifraudError(problems)


def _code(name: str) -> str:
    from .pictures import PictureError, code_of

    try:
        return code_of(name)
    except PictureError as e:
        raise ValueError(str(e)) from None


# ---------------------------------------------------------------- pictures

@lru_cache(maxsize=64)
def panel_png(figures: tuple[str, ...], kind: str, background: str, px: int = 480) -> bytes:
    """One story panel as a square PNG: the first figure large on the left, the others on the right, a ⚠ on
    the scammer's panel and a ✓ on the safe one. Drawn as vectors into a one-page PDF (pictures.py draws the
    OpenMoji SVGs), then rasterised with pypdfium2, as the WeChat image is."""
    from reportlab.lib.colors import HexColor
    from reportlab.pdfgen.canvas import Canvas

    from .pictures import art, draw
    from .raster import render_pages

    side = 200.0  # points: the panel's drawing space
    buf = io.BytesIO()
    canvas = Canvas(buf, pagesize=(side, side), invariant=1, pageCompression=1)
    canvas.setFillColor(HexColor(background))
    canvas.roundRect(0, 0, side, side, 14, stroke=0, fill=1)

    def place(code: str, x: float, y: float, h: float) -> None:
        a = art(code)
        x1, y1, x2, y2 = a.box
        scale = h / (y2 - y1)
        canvas.saveState()
        canvas.translate(x - (x2 - x1) * scale / 2 - x1 * scale, y - y1 * scale)
        canvas.scale(scale, scale)
        draw(canvas, code, True)
        canvas.restoreState()

    codes = [_code(name) for name in figures]
    if len(codes) == 1:
        place(codes[0], side / 2, 16, 150)
    else:
        place(codes[0], side * 0.34, 16, 140)
        rest = codes[1:]
        for i, code in enumerate(rest):  # the others stacked on the right, smaller
            h = 80 if len(rest) == 1 else 62
            y = 50 if len(rest) == 1 else 22 + i * 76
            place(code, side * 0.76, y, h)
    mark = {"scam": "warn", "safe": "ok"}.get(kind)
    if mark:
        place(_code(mark), side - 30, side - 52, 44)
    canvas.showPage()
    canvas.save()
    (image,) = render_pages(buf.getvalue(), width_px=px)
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=6)
    return out.getvalue()


# ---------------------------------------------------------------- writing

def render_slides(xml: str, origin: str, size, epoch: int | None, slides: list[int] | None = None) -> bytes:
    """The composed deck as PPTX bytes, or its problems. `size`: the product's Size (mm)."""
    deck = parse(xml, origin)
    check(deck, origin, slides)
    return _write(deck, origin, size, epoch)


def _write(deck: El, origin: str, size, epoch: int | None) -> bytes:
    from pptx import Presentation
    from pptx.util import Emu

    colours = {k: deck.attrs.get(k, v) for k, v in COLOURS.items()}
    pen = _Pen(deck.attrs.get("font", "Noto Sans SC"), float(deck.attrs.get("min-size", 20)), colours, origin)
    prs = Presentation()
    prs.slide_width, prs.slide_height = Emu(round(size.w * EMU_PER_MM)), Emu(round(size.h * EMU_PER_MM))
    _theme_font(prs, pen.face)
    W, H = size.w, size.h
    for n, slide_el in enumerate(deck.all("slide"), 1):
        layout = slide_el.attrs.get("layout", "list")
        pen.where = f"slide {n}"
        pen.line = slide_el.line
        slide = prs.slides.add_slide(prs.slide_layouts[0 if layout == "cover" else 5])  # title (+subtitle) / title only
        title = slide_el.one("title").text
        if layout == "cover":
            pen.rect(slide, 0, 0, W, H, colours["primary"])
            pen.rect(slide, 0, H - 34, W, 34, colours["accent"])
            text_w = W - 2 * MARGIN
            panel = slide_el.one("panel")
            if panel is not None:  # a picture on the right
                side = H - 34 - 2 * MARGIN - 8
                pen.picture(slide, panel_png(tuple(panel.attrs["figures"].split()), "event", "#FFFFFF"),
                            W - MARGIN - side, MARGIN + 4, side, side, "、".join(panel.attrs["figures"].split()))
                text_w -= side + 8
            pen.placeholder(slide.shapes.title, title, MARGIN, 30, text_w, 50, 54, colours["on-primary"], bold=True)
            sub = slide_el.one("subtitle")
            holder = slide.placeholders[1]
            if sub is not None:
                pen.placeholder(holder, sub.text, MARGIN, 84, text_w, 64, 30, colours["on-primary"])
            else:
                holder._element.getparent().remove(holder._element)
            note = slide_el.one("note")
            if note is not None:
                pen.box(slide, note.text, MARGIN, H - 30, W - 2 * MARGIN, 26, 24, colours["on-accent"],
                        anchor="middle")
        else:
            pen.rect(slide, 0, 0, W, BAND, colours["primary"])
            pen.placeholder(slide.shapes.title, title, MARGIN, 3, W - 2 * MARGIN, BAND - 6, 36, colours["on-primary"],
                            bold=True, anchor="middle")
            body_top, body_bottom = BAND + 8, H - MARGIN
            note = slide_el.one("note")
            if note is not None:
                body_bottom -= 14
                pen.box(slide, note.text, MARGIN, H - MARGIN - 12, W - 2 * MARGIN, 12, pen.min_size,
                        colours["muted"], anchor="bottom")
            getattr(pen, "layout_" + layout)(slide, slide_el, MARGIN, body_top, W - 2 * MARGIN, body_bottom - body_top)
        notes = slide_el.one("notes").text
        frame = slide.notes_slide.notes_text_frame
        frame.text = notes
        for paragraph in frame.paragraphs:
            for run in paragraph.runs:
                pen.font(run.font, 14)
    if pen.problems:
        raise AntifraudError(pen.problems)
    when = dt.datetime.fromtimestamp(epoch or 0, dt.timezone.utc).replace(tzinfo=None)
    core = prs.core_properties
    core.title = deck.attrs.get("title", "")
    core.author = core.last_modified_by = deck.attrs.get("author", "")
    core.subject = deck.attrs.get("subject", "")
    core.keywords = deck.attrs.get("keywords", "")
    core.language = "zh-CN"
    core.created = core.modified = when
    core.revision = 1
    core.comments = ""
    out = io.BytesIO()
    prs.save(out)
    # the thumbnail a file browser shows: the title slide, not python-pptx's stock picture
    (first,) = preview(out.getvalue(), width_px=256, only=1)
    thumb = io.BytesIO()
    first.save(thumb, format="JPEG", quality=85)
    return fixed_zip(out.getvalue(), when, {"docProps/thumbnail.jpeg": thumb.getvalue()})


def _theme_font(prs, face: str) -> None:
    """The theme's heading and body fonts (Latin and East Asian, with 宋体 for Simplified Chinese in the default
    theme) set to the deck's face: a text box a teacher adds looks like the rest."""
    from html import escape

    from pptx.opc.constants import RELATIONSHIP_TYPE as RT

    theme = prs.slide_masters[0].part.part_related_by(RT.THEME)
    named = f'typeface="{escape(face, quote=True)}"'
    xml = re.sub(r'(<a:(?:major|minor)Font><a:latin )typeface="[^"]*"(/><a:ea )typeface="[^"]*"',
                 lambda m: m[1] + named + m[2] + named, theme.blob.decode("utf-8"))
    xml = xml.replace('<a:font script="Hans" typeface="宋体"/>', f'<a:font script="Hans" {named}/>')
    theme._blob = xml.encode("utf-8")


def fixed_zip(data: bytes, when: dt.datetime, replace: dict[str, bytes] | None = None) -> bytes:
    """The same zip with every entry's time set to `when` (python-pptx stamps them with the clock), and the
    entries named in `replace` replaced."""
    replace = replace or {}
    stamp = (max(when.year, 1980), when.month, when.day, when.hour, when.minute, when.second)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=stamp)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            dst.writestr(entry, replace.get(info.filename) or src.read(info.filename))
    return out.getvalue()


class _Pen:
    """Draws the slides' shapes in the deck's font and colours; records text that would not fit."""

    def __init__(self, font: str, min_size: float, colours: dict[str, str], origin: str):
        self.face, self.min_size, self.colours, self.origin = font, min_size, colours, origin
        self.problems: list[Problem] = []
        self.where, self.line = "", 0
        self.behind, self.behind_slide = 0, None  # shapes put behind the text on the slide being drawn

    # ---- primitives
    def font(self, font, size: float, colour: str | None = None, bold: bool = False) -> None:
        from pptx.dml.color import RGBColor
        from pptx.enum.lang import MSO_LANGUAGE_ID
        from pptx.oxml.ns import qn
        from pptx.util import Pt

        font.size = Pt(size)
        font.bold = bold
        font.language_id = MSO_LANGUAGE_ID.SIMPLIFIED_CHINESE  # no spelling squiggles under Chinese
        font.name = self.face  # the Latin face; the East Asian one is `a:ea`, which python-pptx does not set
        rpr = font._rPr
        for tag in ("a:ea", "a:cs"):
            node = rpr.find(qn(tag))
            if node is None:
                node = rpr.makeelement(qn(tag), {})
                rpr.append(node)
            node.set("typeface", self.face)
        if colour:
            font.color.rgb = RGBColor.from_string(colour.lstrip("#").upper())

    def rect(self, slide, x, y, w, h, fill: str, line: str | None = None):
        from pptx.dml.color import RGBColor
        from pptx.enum.shapes import MSO_SHAPE

        shape = slide.shapes.add_shape(MSO_SHAPE.RECTANGLE, *_emu(x, y, w, h))
        shape.fill.solid()
        shape.fill.fore_color.rgb = RGBColor.from_string(fill.lstrip("#").upper())
        if line:
            shape.line.color.rgb = RGBColor.from_string(line.lstrip("#").upper())
        else:
            shape.line.fill.background()
        shape.shadow.inherit = False
        # behind the text (the placeholders come first in the tree), above the shapes put behind before it
        tree = slide.shapes._spTree
        tree.remove(shape._element)
        self.behind = self.behind + 1 if self.behind_slide is slide else 1
        self.behind_slide = slide
        tree.insert(1 + self.behind, shape._element)  # after nvGrpSpPr and grpSpPr
        return shape

    def _fill(self, frame, text: str, x, y, w, h, size, colour, bold=False, align="left", anchor="top",
              leading: float = 1.15) -> None:
        from pptx.enum.text import MSO_ANCHOR, MSO_AUTO_SIZE, PP_ALIGN
        from pptx.util import Emu

        if size < self.min_size:
            self.problems.append(Problem(Location(self.origin, self.line), f"{self.where}: text at {size:g} pt, "
                                         f"below the deck's {self.min_size:g} pt: '{text[:20]}'"))
        if not fits(text, size, w - 2.6, h - 1.4, leading):
            self.problems.append(Problem(Location(self.origin, self.line),
                                         f"{self.where}: '{text[:24]}' does not fit its box at {size:g} pt",
                                         "shorten it, or split the slide in two"))
        frame.word_wrap = True
        frame.auto_size = MSO_AUTO_SIZE.NONE
        frame.vertical_anchor = {"top": MSO_ANCHOR.TOP, "middle": MSO_ANCHOR.MIDDLE,
                                 "bottom": MSO_ANCHOR.BOTTOM}[anchor]
        frame.margin_left = frame.margin_right = Emu(round(1.3 * EMU_PER_MM))
        frame.margin_top = frame.margin_bottom = Emu(round(0.7 * EMU_PER_MM))
        parts = text.split("\n")
        frame.text = parts[0]
        for part in parts[1:]:
            frame.add_paragraph().text = part
        for paragraph in frame.paragraphs:
            paragraph.alignment = {"left": PP_ALIGN.LEFT, "center": PP_ALIGN.CENTER}[align]
            paragraph.line_spacing = leading
            for run in paragraph.runs:
                self.font(run.font, size, colour, bold)

    def box(self, slide, text, x, y, w, h, size, colour, **kw):
        shape = slide.shapes.add_textbox(*_emu(x, y, w, h))
        self._fill(shape.text_frame, text, x, y, w, h, size, colour, **kw)
        return shape

    def placeholder(self, holder, text, x, y, w, h, size, colour, **kw):
        holder.left, holder.top, holder.width, holder.height = _emu(x, y, w, h)
        self._fill(holder.text_frame, text, x, y, w, h, size, colour, **kw)

    def picture(self, slide, png: bytes, x, y, w, h, alt: str = ""):
        shape = slide.shapes.add_picture(io.BytesIO(png), *_emu(x, y, w, h))
        shape._element.nvPicPr.cNvPr.set("descr", alt)  # alt text, for screen readers and WPS

    # ---- layouts: the slide's body in the box x, y, w, h (mm)
    def layout_list(self, slide, el: El, x, y, w, h):
        items = [i.text for i in el.all("item")]
        if not items:
            return
        size = 32.0
        marker = lambda size: size * 25.4 / 72 + 4  # noqa: E731 - the marker's column, mm
        while size > self.min_size and not fits("\n".join(items), size, w - marker(size) - 3, h, 1.3):
            size -= 2
        bw = marker(size)
        row = min(h / len(items), size * 1.3 * 25.4 / 72 * max(lines_needed(t, size, w - bw - 3) for t in items) + 6)
        for i, text in enumerate(items):
            top = y + i * row
            self.box(slide, "●", x, top, bw, row, size, self.colours["primary"])
            self.box(slide, text, x + bw, top, w - bw, row, size, self.colours["text"], leading=1.3)

    def layout_story(self, slide, el: El, x, y, w, h):
        panels = el.all("panel")
        gap = 8.0
        sub = el.one("subtitle")
        side = min((w - gap * (len(panels) - 1)) / len(panels), h - 26 - (20 if sub is not None else 0))
        left = x + (w - side * len(panels) - gap * (len(panels) - 1)) / 2
        for i, panel in enumerate(panels):
            px = left + i * (side + gap)
            png = panel_png(tuple(panel.attrs["figures"].split()), panel.attrs.get("kind", "event"), "#F2F2F2")
            self.picture(slide, png, px, y, side, side, "、".join(panel.attrs["figures"].split()) + "：" + panel.text)
            colour = self.colours["primary"] if panel.attrs.get("kind") == "safe" else self.colours["text"]
            self.box(slide, panel.text, px - 3, y + side + 2, side + 6, 24, 24, colour,
                     bold=panel.attrs.get("kind") in ("scam", "safe"), align="center")
            if i < len(panels) - 1:  # an arrow on to the next panel
                self.box(slide, "→", px + side - 1, y + side / 2 - 8, gap + 2, 16, 28, self.colours["muted"],
                         align="center", anchor="middle")
        if sub is not None:  # what to remember, under the story
            self.box(slide, sub.text, x, y + side + 28, w, h - side - 28, 32, self.colours["primary"], bold=True,
                     align="center", anchor="middle")

    def layout_question(self, slide, el: El, x, y, w, h, answer: bool = False):
        sub = el.one("subtitle")
        text = sub.text if sub is not None else ""
        if answer:
            self.rect(slide, x, y + 8, w, h - 30, self.colours["accent"])
        self.box(slide, text, x + 8, y + 8, w - 16, h - 30, 44, self.colours["on-accent" if answer else "text"],
                 bold=True, align="center", anchor="middle", leading=1.3)

    def layout_answer(self, slide, el: El, x, y, w, h):
        self.layout_question(slide, el, x, y, w, h, answer=True)

    def layout_numbers(self, slide, el: El, x, y, w, h):
        numbers = el.all("number")
        sub = el.one("subtitle")
        if sub is not None:
            self.box(slide, sub.text, x, y, w, 16, 28, self.colours["text"], align="center")
            y, h = y + 20, h - 20
        col = w / max(1, len(numbers))
        for i, number in enumerate(numbers):
            cx = x + i * col
            self.rect(slide, cx + 4, y + 4, col - 8, h - 8, self.colours["accent"])
            self.box(slide, number.text, cx + 4, y + 10, col - 8, 44, 96, self.colours["on-accent"], bold=True,
                     align="center", anchor="middle")
            self.box(slide, number.attrs.get("label", ""), cx + 8, y + 56, col - 16, h - 66, 28,
                     self.colours["on-accent"], align="center")


def _emu(x, y, w, h):
    from pptx.util import Emu

    return tuple(Emu(round(v * EMU_PER_MM)) for v in (x, y, w, h))


# ---------------------------------------------------------------- reading back (tests, docs)

def slide_texts(pptx: bytes) -> list[dict]:
    """Each slide's title, the texts of its other shapes, its notes and its pictures' count: what a test reads."""
    from pptx import Presentation

    prs = Presentation(io.BytesIO(pptx))
    out = []
    for slide in prs.slides:
        title = slide.shapes.title.text_frame.text if slide.shapes.title is not None else ""
        texts = [s.text_frame.text for s in slide.shapes if s.has_text_frame and s != slide.shapes.title
                 and s.text_frame.text]
        pictures = sum(1 for s in slide.shapes if s.shape_type == 13)
        notes = slide.notes_slide.notes_text_frame.text if slide.has_notes_slide else ""
        out.append({"title": title, "texts": texts, "notes": notes, "pictures": pictures})
    return out


def preview(pptx: bytes, width_px: int = 960, font_path: str | None = None, only: int | None = None) -> list:
    """Each slide drawn from the PPTX as it is (shapes' boxes, fills, pictures, text wrapped at the box) as a
    Pillow image: a look at the deck without PowerPoint. Approximate: PowerPoint's own wrapping differs a little."""
    from PIL import Image, ImageDraw, ImageFont
    from pptx import Presentation
    from pptx.enum.text import PP_ALIGN

    if font_path is None:
        from .fonts import default_fontset

        font_path = str(default_fontset().regular.path)
    prs = Presentation(io.BytesIO(pptx))
    scale = width_px / prs.slide_width
    height_px = round(prs.slide_height * scale)
    images = []
    for slide in list(prs.slides)[:only]:
        image = Image.new("RGB", (width_px, height_px), "white")
        pen = ImageDraw.Draw(image)
        for shape in slide.shapes:
            box = [round(v * scale) for v in (shape.left, shape.top, shape.left + shape.width,
                                              shape.top + shape.height)]
            if shape.shape_type == 13:
                picture = Image.open(io.BytesIO(shape.image.blob)).convert("RGBA")
                picture = picture.resize((box[2] - box[0], box[3] - box[1]))
                image.paste(picture, (box[0], box[1]), picture)
                continue
            try:
                if shape.fill.type == 1:
                    pen.rectangle(box, fill="#" + str(shape.fill.fore_color.rgb))
            except (AttributeError, TypeError, NotImplementedError):
                pass
            if not shape.has_text_frame or not shape.text_frame.text:
                continue
            frame = shape.text_frame
            paragraphs = []
            for p in frame.paragraphs:
                run = p.runs[0] if p.runs else None
                size = run.font.size.pt if run and run.font.size else 18
                colour = "#" + str(run.font.color.rgb) if run and run.font.color and run.font.color.type else "#000000"
                paragraphs.append((p.text, size, colour, p.alignment, p.line_spacing or 1.2))
            lines = []
            inner = box[2] - box[0] - 2 * round(1.3 * EMU_PER_MM * scale)
            for text, size, colour, align, leading in paragraphs:
                px = max(6, round(size * 12700 * scale))
                font = ImageFont.truetype(font_path, px)
                line = ""
                for ch in text:
                    if pen.textlength(line + ch, font=font) > inner and line and ch not in NO_START:
                        lines.append((line, font, px, colour, align, leading))
                        line = ""
                    line += ch
                lines.append((line, font, px, colour, align, leading))
            total = sum(round(px * leading) for _, _, px, _, _, leading in lines)
            anchor = frame.vertical_anchor
            top = box[1] + (max(0, (box[3] - box[1] - total) // 2) if anchor == 3 else
                            max(0, box[3] - box[1] - total) if anchor == 4 else 0)
            for text, font, px, colour, align, leading in lines:
                width = pen.textlength(text, font=font)
                left = box[0] + round(1.3 * EMU_PER_MM * scale)
                if align == PP_ALIGN.CENTER:
                    left = box[0] + (box[2] - box[0] - width) / 2
                pen.text((left, top), text, font=font, fill=colour)
                top += round(px * leading)
        images.append(image)
    return images
