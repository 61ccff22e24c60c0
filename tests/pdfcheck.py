"""Read a built PDF back: text, fonts, boxes, QR codes and line breaks, as a print shop and a reader would."""
from __future__ import annotations

import ctypes
from dataclasses import dataclass

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from pypdf import PdfReader

from antifraud_cli.typography import NO_LINE_END, NO_LINE_START

MM = 72 / 25.4


def page_text(path) -> list[str]:
    pdf = pdfium.PdfDocument(str(path))
    return [page.get_textpage().get_text_range() for page in pdf]


def boxes_mm(path) -> list[dict[str, tuple[float, float, float, float]]]:
    out = []
    for page in PdfReader(str(path)).pages:
        out.append({name: tuple(round(float(v) / MM, 2) for v in getattr(page, name))
                    for name in ("mediabox", "bleedbox", "trimbox")})
    return out


def fonts(path) -> list[dict]:
    """Every font resource on every page (and in forms): name, subtype, embedded file."""
    found = {}
    reader = PdfReader(str(path))

    def visit(resources):
        if not resources:
            return
        resources = resources.get_object()
        for ref in (resources.get("/Font") or {}).values():
            font = ref.get_object()
            descriptor = font.get("/FontDescriptor")
            descendants = font.get("/DescendantFonts")
            if descendants:
                descriptor = descendants[0].get_object().get("/FontDescriptor")
            descriptor = descriptor.get_object() if descriptor else {}
            embedded = any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
            found[str(font.get("/BaseFont"))] = {"subtype": str(font.get("/Subtype")), "embedded": embedded}
        for xobj in (resources.get("/XObject") or {}).values():
            visit(xobj.get_object().get("/Resources"))

    for page in reader.pages:
        visit(page.get("/Resources"))
    return [{"name": k, **v} for k, v in found.items()]


@dataclass
class Char:
    ch: str
    x0: float
    y0: float
    x1: float
    y1: float
    size: float
    baseline: float


def chars(path, page_index: int) -> list[Char]:
    pdf = pdfium.PdfDocument(str(path))
    tp = pdf[page_index].get_textpage()
    out = []
    for i in range(tp.count_chars()):
        ch = chr(pdfium_c.FPDFText_GetUnicode(tp, i))
        if ch.isspace() or ch in "\r\n\x00\ufffe":
            continue
        x0, y0, x1, y1 = tp.get_charbox(i)  # left, bottom, right, top of the glyph's ink
        ox, oy = ctypes.c_double(), ctypes.c_double()
        pdfium_c.FPDFText_GetCharOrigin(tp, i, ctypes.byref(ox), ctypes.byref(oy))
        out.append(Char(ch, x0, y0, x1, y1, pdfium_c.FPDFText_GetFontSize(tp, i), oy.value))
    return out


def text_lines(path, page_index: int) -> list[str]:
    """Chars grouped into visual lines: same baseline band, split where a gap is wider than 1.5 em."""
    rows: list[list[Char]] = []
    for c in sorted(chars(path, page_index), key=lambda c: (-round(c.baseline, 1), c.x0)):
        if rows and abs(rows[-1][0].baseline - c.baseline) < 0.05 * c.size:
            rows[-1].append(c)
        else:
            rows.append([c])
    lines = []
    for row in rows:
        row.sort(key=lambda c: c.x0)
        current = [row[0]]
        for prev, c in zip(row, row[1:]):
            if c.x0 - prev.x1 > 1.5 * max(c.size, prev.size):
                lines.append("".join(x.ch for x in current))
                current = []
            current.append(c)
        lines.append("".join(x.ch for x in current))
    return lines


def clreq_violations(lines: list[str]) -> list[str]:
    bad = []
    for line in lines:
        if line[0] in NO_LINE_START:
            bad.append(f"starts with {line[0]}: {line}")
        if line[-1] in NO_LINE_END:
            bad.append(f"ends with {line[-1]}: {line}")
    return bad


def decode_qr(path, page_index: int, dpi: int = 150) -> list[str]:
    import zxingcpp

    pdf = pdfium.PdfDocument(str(path))
    image = pdf[page_index].render(scale=dpi / 72).to_pil()
    return [r.text for r in zxingcpp.read_barcodes(image)]
