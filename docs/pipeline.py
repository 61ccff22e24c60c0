"""Draw docs/pipeline.svg, the README's picture of the build's stages, as plain SVG text.

    python docs/pipeline.py            # writes docs/pipeline.svg next to this file

The picture is written by hand (no drawing library) so that it stays small, diffs as text and shows on any
git forge. Stages are boxes, what passes between them is in italics beside the arrows; the side column holds
what branches off (text products, problems, PNG products) or feeds in (the prepared fonts).
"""
from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import escape

W = 820
MAIN_X, MAIN_W = 20, 440  # the stages
SIDE_X, SIDE_W = 540, 260  # what branches off or feeds in
FONT = "DejaVu Sans, Verdana, Arial, Helvetica, sans-serif"
INK, STAGE, PAINT, SIDE, ERROR = "#1B2A3A", "#E6EEF7", "#FDEBD0", "#F2F2F2", "#F8DEDC"


class Svg:
    def __init__(self) -> None:
        self.parts: list[str] = []

    def box(self, x: float, y: float, w: float, h: float, fill: str, title: str, lines: list[str],
            stroke: str = INK, dash: bool = False) -> None:
        extra = ' stroke-dasharray="5 3"' if dash else ""
        self.parts.append(f'<rect x="{x}" y="{y}" width="{w}" height="{h}" rx="6" fill="{fill}" '
                          f'stroke="{stroke}" stroke-width="1.2"{extra}/>')
        self.text(x + 10, y + 19, title, size=14, bold=True)
        for i, line in enumerate(lines):
            self.text(x + 10, y + 37 + 15 * i, line, size=12)

    def text(self, x: float, y: float, s: str, size: int = 12, bold: bool = False, italic: bool = False,
             anchor: str = "start", fill: str = INK) -> None:
        style = (' font-weight="bold"' if bold else "") + (' font-style="italic"' if italic else "")
        self.parts.append(f'<text x="{x}" y="{y}" font-size="{size}" text-anchor="{anchor}" fill="{fill}"'
                          f'{style}>{escape(s)}</text>')

    def arrow(self, x1: float, y1: float, x2: float, y2: float, dash: bool = False) -> None:
        extra = ' stroke-dasharray="4 3"' if dash else ""
        self.parts.append(f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="{INK}" stroke-width="1.4" '
                          f'marker-end="url(#head)"{extra}/>')

    def document(self, height: float) -> str:
        head = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{height}" '
                f'viewBox="0 0 {W} {height}" font-family="{FONT}">\n'
                '<title>antifraud: the stages of a build</title>\n'
                '<defs><marker id="head" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
                f'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{INK}"/></marker></defs>\n'
                f'<rect width="{W}" height="{height}" fill="white"/>\n')
        return head + "\n".join(self.parts) + "\n</svg>\n"


def draw() -> str:
    s = Svg()
    gap = 38  # between two stages: the arrow and what it carries
    y = 16
    s.text(MAIN_X, y + 12, "project: cases/*.yaml, audiences/*.yaml, antifraud.yaml, roster, templates/",
           italic=True)
    y += 22

    def stage(title: str, lines: list[str], fill: str = STAGE, carries: str = "") -> tuple[float, float]:
        """A stage box at the current y, after an arrow carrying `carries`; returns its top and bottom."""
        nonlocal y
        s.arrow(MAIN_X + 30, y, MAIN_X + 30, y + gap - 2)
        if carries:
            s.text(MAIN_X + 42, y + gap / 2 + 4, carries, italic=True)
        y += gap
        h = 28 + 15 * len(lines)
        s.box(MAIN_X, y, MAIN_W, h, fill, title, lines)
        top = y
        y += h
        return top, y

    def side(top: float, title: str, lines: list[str], fill: str = SIDE, into: bool = False) -> None:
        """A side box level with a stage (top), with an arrow from the stage to it (or into the stage)."""
        h = 28 + 15 * len(lines)
        s.box(SIDE_X, top, SIDE_W, h, fill, title, lines, dash=True)
        mid = top + 22
        if into:
            s.arrow(SIDE_X, mid, MAIN_X + MAIN_W + 2, mid)
        else:
            s.arrow(MAIN_X + MAIN_W, mid, SIDE_X - 2, mid)

    stage("load, plan", ["loader.py: YAML with line numbers → typed models",
                         "plan.py: audiences × products × units → jobs"])
    top, _ = stage("compose", ["compose.py: each product's Jinja2 template, sandboxed"], carries="jobs")
    side(top, "text products", ["textout.py → .txt (scripts, notices)"])
    top, _ = stage("layout", ["layout.py: frames, boxes, lists, QR, fit to frame",
                              "typography.py (ours): clreq line breaking, punctuation",
                              "squeezing and hanging, justification, widows"],
                   carries="layout document: XML (layoutdoc.py, vocabulary.py)")
    side(top, "fonts", ["fonts.py: prepared faces, cached", "cidfont.py: metrics and glyphs"], into=True)
    top, _ = stage("checks", ["checks.py: sizes, K-only small text, contrast,",
                              "a glyph for every character, QR, trim"],
                   carries="display list (display.py): Glyphs, Rect, QR, Form ...")
    side(top, "problems", ["file:line messages, all at once;", "nothing is written"], fill=ERROR)
    top, _ = stage("paint: ReportLab", ["paint.py: reportlab.pdfgen.canvas, CMYK, boxes",
                                        "cidfont.py: one Type0 font per face, subset"], fill=PAINT,
                   carries="the same display list")
    side(top, "PNG products", ["raster.py: the PDF through pypdfium2", "→ .png (sRGB)"])
    stage("write", ["write.py: staged, moved into place together,", "manifest last → dist/"],
          carries="PDF bytes")
    s.text(MAIN_X + MAIN_W + 20, y - 6, "The layout document's hash is the output's fingerprint.", size=11,
           italic=True)
    return s.document(y + 14)


def main() -> None:
    out = Path(__file__).resolve().parent / "pipeline.svg"
    out.write_text(draw(), encoding="utf-8")  # UTF-8: the arrows and × are characters, not entities


if __name__ == "__main__":
    main()
