"""The painter: a display list (display.py) -> PDF bytes, every object written by ReportLab's canvas.

Colours go out as CMYK for print (solid black text overprints, crop marks in registration colour) and as
RGB for screens. Text is set in the faces cidfont.py registers with ReportLab (one Type0 font per face).
A page larger than PDF's 200 inches is drawn at the display list's stated scale (1:2, 1:10), which the
title and the subject say. Output is deterministic: the date is the build's, the file /ID a digest of the
content (ReportLab's invariant mode).
"""
from __future__ import annotations

import io
import os
from contextlib import contextmanager

from reportlab import rl_config
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase.pdfdoc import PDFResourceDictionary
from reportlab.pdfgen.canvas import Canvas

from . import __version__, icons, pictures
from .colors import cmyk, hex_rgb, overprints
from .display import QR, DisplayDoc, Disc, Glyphs, Group, Icon, Image, Line, Picture, Polygon, Rect, Use, walk

rl_config.useA85 = 0  # streams stay binary: ASCII85 only makes files larger and slower to write
PDF_VERSION = (1, 4)  # /Lang (1.4); TrimBox, BleedBox and overprint (1.3)
REGISTRATION = (1.0, 1.0, 1.0, 1.0)  # crop marks print on every plate


def paint(doc: DisplayDoc, font: str, epoch: int | None = None) -> bytes:
    """The display list as a PDF; `font` (a registered face) is the canvas's initial font, so no page
    names an unembedded standard font."""
    out = io.BytesIO()
    first = doc.pages[0]
    s = doc.scale
    with _build_date(epoch):  # ReportLab reads the reproducible-builds date when the document is made
        c = Canvas(out, pagesize=(first.w / s, first.h / s), invariant=1, pageCompression=1,
                   pdfVersion=PDF_VERSION, initialFontName=font, initialFontSize=10,
                   lang=doc.meta.get("lang") or None)
    title = doc.meta.get("title", "")
    subject = doc.meta.get("subject", "")
    if s != 1:  # a print shop must know to enlarge it
        title += f"（1:{s} 比例）"
        subject = f"drawn at 1:{s}, print at {s}00 %" + (f"; {subject}" if subject else "")
    c.setCreator(f"antifraud {__version__}")
    c.setTitle(title)
    c.setAuthor(doc.meta.get("author", ""))
    c.setSubject(subject)
    c.setKeywords(doc.meta.get("keywords", ""))
    painter = _Painter(c, doc.screen)
    painter.define_forms(doc)
    for page in doc.pages:
        c.setPageSize((page.w / s, page.h / s))
        c.setTrimBox(tuple(v / s for v in page.trim))
        c.setBleedBox(tuple(v / s for v in page.bleed))
        if s != 1:
            c.scale(1 / s, 1 / s)
        painter.items(page.items, 0.0, 0.0)
        c.showPage()
    c.save()
    return out.getvalue()


@contextmanager
def _build_date(epoch: int | None):
    """SOURCE_DATE_EPOCH for the moment ReportLab reads it (its documents' dates; the reproducible-builds
    convention), then as it was."""
    if epoch is None:
        yield
        return
    before = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = str(int(epoch))
    try:
        yield
    finally:
        if before is None:
            del os.environ["SOURCE_DATE_EPOCH"]
        else:
            os.environ["SOURCE_DATE_EPOCH"] = before


class _Painter:
    def __init__(self, canvas: Canvas, screen: bool):
        self.c = canvas
        self.screen = screen
        self.overprint = False  # black overprinting (print only), as the canvas has it now

    def ink(self, colour: str) -> tuple:
        return hex_rgb(colour) if self.screen else cmyk(colour)

    # ---------- forms: icons and imposed cards, drawn once, placed many times ----------
    def define_forms(self, doc: DisplayDoc) -> None:
        icons_used: dict[str, Icon] = {}
        pictures_used: set[str] = set()
        for items in [p.items for p in doc.pages] + [f.items for f in doc.forms.values()]:
            for item, _, _ in walk(items):
                if isinstance(item, Icon):
                    icons_used.setdefault(_icon_form(item), item)
                elif isinstance(item, Picture):
                    pictures_used.add(item.code)
        for code in sorted(pictures_used):  # in the SVG's own points, its ink box as the form's box
            self.c.beginForm(_picture_form(code), *pictures.art(code).box)
            pictures.draw(self.c, code, self.screen)
            self.c.endForm(Resources=_form_resources(self.c))
        for name, icon in icons_used.items():  # in a 100-unit square, as icons.py designs them
            self.c.beginForm(name, 0, 0, 100, 100)
            icons.draw_icon(self.c, icon.name, 0, 0, 100, self.ink(icon.colour), self.ink(icon.knockout))
            self.c.endForm()
        for name, form in doc.forms.items():
            self.c.beginForm(name, *form.box)
            self.items(form.items, 0.0, 0.0)  # ends with overprint off, as the form began
            self.c.endForm(Resources=_form_resources(self.c))

    # ---------- items ----------
    def items(self, items, dx: float, dy: float) -> None:
        text = None  # consecutive glyph runs share one text object, which keeps font, fill and spacing
        font: tuple[str, float] | None = None
        fill: tuple | None = None
        space: float | None = None
        for item in items:
            if isinstance(item, Glyphs):
                ink = self.ink(item.colour)
                black = not self.screen and overprints(ink)  # solid black text overprints a colour band
                if text is not None and black != self.overprint:
                    self.c.drawText(text)
                    text = None
                if text is None:
                    self._set_overprint(black)
                    text, font, fill, space = self.c.beginText(), None, None, None
                if font != (item.font, item.size):
                    font = (item.font, item.size)
                    text.setFont(item.font, item.size)
                if fill != ink:
                    fill = ink
                    text.setFillColor(ink)
                if space != item.char_space:
                    space = item.char_space
                    text.setCharSpace(item.char_space)
                text.setTextOrigin(item.x + dx, item.y + dy)
                text.textOut(item.text)
                continue
            if text is not None:
                self.c.drawText(text)
                text = None
            self._set_overprint(False)
            self.item(item, dx, dy)
        if text is not None:
            self.c.drawText(text)
        self._set_overprint(False)

    def _set_overprint(self, on: bool) -> None:
        if on != self.overprint:
            self.c.setFillOverprint(on)
            self.c.setOverprintMask(on)
            self.overprint = on

    def item(self, item, dx: float, dy: float) -> None:
        c = self.c
        if isinstance(item, Group):
            if item.clip is None:
                self.items(item.items, dx + item.dx, dy + item.dy)
                return
            c.saveState()
            x, y, w, h = item.clip
            clip = c.beginPath()
            clip.rect(x + dx + item.dx, y + dy + item.dy, w, h)
            c.clipPath(clip, stroke=0, fill=0)
            self.items(item.items, dx + item.dx, dy + item.dy)
            c.restoreState()
        elif isinstance(item, Rect):
            if item.fill:
                c.setFillColor(self.ink(item.fill))
            if item.stroke:
                c.setStrokeColor(self.ink(item.stroke))
                c.setLineWidth(item.stroke_width)
            stroke, fill = (1 if item.stroke else 0), (1 if item.fill else 0)
            if item.radius > 0:
                c.roundRect(item.x + dx, item.y + dy, item.w, item.h, item.radius, stroke=stroke, fill=fill)
            else:
                c.rect(item.x + dx, item.y + dy, item.w, item.h, stroke=stroke, fill=fill)
        elif isinstance(item, Line):
            c.setStrokeColor(REGISTRATION if item.registration and not self.screen else self.ink(item.colour))
            c.setLineWidth(item.width)
            if item.dash:
                c.setDash(item.dash, item.dash)
            c.line(item.x1 + dx, item.y1 + dy, item.x2 + dx, item.y2 + dy)
            if item.dash:
                c.setDash()
        elif isinstance(item, Disc):
            c.setFillColor(self.ink(item.colour))
            c.circle(item.x + dx, item.y + dy, item.r, stroke=0, fill=1)
        elif isinstance(item, Icon):
            c.saveState()
            c.translate(item.x + dx, item.y + dy)
            c.scale(item.size / 100, item.size / 100)
            c.doForm(_icon_form(item))
            c.restoreState()
        elif isinstance(item, Picture):
            x1, y1, x2, y2 = pictures.art(item.code).box
            k = item.h / (y2 - y1)  # evenly: the layout made w/h the art's own aspect
            c.saveState()
            c.translate(item.x + dx - x1 * k, item.y + dy - y1 * k)
            c.scale(k, k)
            c.doForm(_picture_form(item.code))
            c.restoreState()
        elif isinstance(item, Polygon):
            path = c.beginPath()
            path.moveTo(item.points[0] + dx, item.points[1] + dy)
            for i in range(2, len(item.points), 2):
                path.lineTo(item.points[i] + dx, item.points[i + 1] + dy)
            path.close()
            if item.fill:
                c.setFillColor(self.ink(item.fill))
            if item.stroke:
                c.setStrokeColor(self.ink(item.stroke))
                c.setLineWidth(item.stroke_width)
                c.setLineJoin(1)
            c.drawPath(path, stroke=1 if item.stroke else 0, fill=1 if item.fill else 0)
        elif isinstance(item, QR):
            self.qr(item, dx, dy)
        elif isinstance(item, Image):
            # a JPEG passes into the PDF as it is (DCTDecode); ReportLab stores one XObject per distinct image
            c.drawImage(ImageReader(io.BytesIO(item.jpeg)), item.x + dx, item.y + dy, item.w, item.h)
        elif isinstance(item, Use):
            c.saveState()
            c.translate(item.dx + dx, item.dy + dy)
            c.doForm(item.name)
            c.restoreState()
        else:
            raise TypeError(f"cannot paint {type(item).__name__}")

    def qr(self, qr: QR, dx: float, dy: float) -> None:
        c = self.c
        n = len(qr.matrix)
        quiet = qr.quiet * qr.module
        c.setFillColor(self.ink("#FFFFFF"))
        c.rect(qr.x + dx - quiet, qr.y + dy - quiet, qr.size + 2 * quiet, qr.size + 2 * quiet, stroke=0, fill=1)
        c.setFillColor(self.ink(qr.colour))
        c.saveState()
        c.translate(qr.x + dx, qr.y + dy)
        c.scale(qr.module, qr.module)  # modules drawn in whole units: exact edges, short numbers
        path = c.beginPath()
        for r, row in enumerate(qr.matrix):
            start = None
            for col, dark in enumerate([*row, False]):
                if dark and start is None:
                    start = col
                elif not dark and start is not None:
                    path.rect(start, n - 1 - r, col - start, 1)
                    start = None
        c.drawPath(path, stroke=0, fill=1)
        c.restoreState()


def _icon_form(icon: Icon) -> str:
    return f"icon-{icon.name}-{icon.colour[1:]}-{icon.knockout[1:]}"


def _picture_form(code: str) -> str:
    return f"pic-{code}"


def _form_resources(canvas: Canvas) -> PDFResourceDictionary:
    """A form's resources with the graphics states it uses. ReportLab (4.4 to 5.1) gives a form the fonts and
    XObjects but leaves out the ExtGState dictionary, so the black overprint set inside a card would name a
    state the form does not have; the states are read from the canvas's private `_extgstate` (a test fails
    loudly if ReportLab renames it)."""
    resources = PDFResourceDictionary()
    resources.basicFonts()
    resources.allProcs()
    resources.XObject = _forms_in_use(canvas)
    states = canvas._extgstate.getState()  # private: see the docstring
    if states is not None:  # none yet (a picture drawn before any overprint): no entry, not a null one
        resources.ExtGState = states
    return resources


def _forms_in_use(canvas: Canvas):
    """The XObjects (icon forms, images) the form being ended draws, as ReportLab would give it."""
    forms = canvas._formsinuse  # private: ReportLab's own endForm reads the same list
    return canvas._doc.xobjDict(forms) if forms else {}
