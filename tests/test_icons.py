"""Tests for antifraud_cli.icons: every pictogram draws, stays inside its square and leaves no state behind."""
from __future__ import annotations

import io

import pytest
from pypdf import PdfReader
from pypdf.generic import ContentStream

pdfium = pytest.importorskip("pypdfium2")

from antifraud_cli.icons import ICON_NAMES, draw_icon  # noqa: E402
from reportlab.pdfgen.canvas import Canvas as _ReportLabCanvas  # noqa: E402

PAGE = 64          # page side (pt); rendered at scale 1 -> 64 x 64 px
X0, Y0, SIZE = 12, 12, 40
BLACK = (0.0, 0.0, 0.0, 1.0)


class Canvas(_ReportLabCanvas):
    """The painter's canvas (ReportLab's) writing to memory; save() returns the PDF."""

    def __init__(self, size):
        self._out = io.BytesIO()
        super().__init__(self._out, pagesize=size, invariant=1)

    def save(self) -> bytes:
        super().save()
        return self._out.getvalue()
WHITE = (0.0, 0.0, 0.0, 0.0)


def _render_pages(draw_page, count: int):
    c = Canvas((PAGE, PAGE))
    for i in range(count):
        draw_page(c, i)
        c.showPage()
    doc = pdfium.PdfDocument(c.save())
    try:
        return [doc[i].render(scale=1).to_pil().convert("L") for i in range(count)]
    finally:
        doc.close()


@pytest.fixture(scope="module")
def icon_bitmaps():
    images = _render_pages(lambda c, i: draw_icon(c, ICON_NAMES[i], X0, Y0, SIZE, BLACK), len(ICON_NAMES))
    return dict(zip(ICON_NAMES, images))


def test_names_are_unique_and_complete():
    assert len(ICON_NAMES) == len(set(ICON_NAMES)) == 22
    for name in ("phone", "warning", "shield", "no-transfer", "qr", "boss"):
        assert name in ICON_NAMES


@pytest.mark.parametrize("name", ICON_NAMES)
def test_icon_coverage_inside_square(icon_bitmaps, name):
    img = icon_bitmaps[name]
    px = img.load()
    # page y grows upwards, image rows grow downwards
    left, right = X0, X0 + SIZE
    top, bottom = PAGE - (Y0 + SIZE), PAGE - Y0
    inside = [px[x, y] for y in range(top, bottom) for x in range(left, right)]
    inked = sum(1 for v in inside if v < 160)
    fraction = inked / len(inside)
    assert 0.08 <= fraction <= 0.80, f"{name}: {fraction:.0%} of the square is inked"
    # nothing outside the square (one pixel of slack for anti-aliasing)
    for y in range(PAGE):
        for x in range(PAGE):
            if left - 1 <= x <= right and top - 1 <= y <= bottom:
                continue
            assert px[x, y] >= 250, f"{name}: ink outside the square at pixel ({x}, {y})"


def test_knockout_colour_is_used():
    # black icon with a black knockout must be a superset of the black-on-white icon
    imgs = _render_pages(lambda c, i: draw_icon(c, "warning", X0, Y0, SIZE, BLACK, knockout=(WHITE, BLACK)[i]), 2)
    plain = sum(imgs[0].histogram()[:160])
    solid = sum(imgs[1].histogram()[:160])
    assert solid > plain


def test_unknown_name_raises_keyerror_listing_names():
    c = Canvas((PAGE, PAGE))
    with pytest.raises(KeyError) as info:
        draw_icon(c, "unicorn", 0, 0, 10, BLACK)
    assert "unicorn" in str(info.value)
    assert "phone" in str(info.value) and "boss" in str(info.value)


def test_graphics_state_is_restored():
    before_fill = (0.7, 0.1, 0.0, 0.0)
    before_stroke = (0.0, 0.6, 0.2, 0.0)

    def page(c, i):
        c.setFillColor(before_fill)
        c.setStrokeColorCMYK(*before_stroke)
        c.setLineWidth(0.5)
        for name in ICON_NAMES:
            draw_icon(c, name, X0, Y0, SIZE, (0, 1, 1, 0), knockout=(0, 0, 0, 0.3))
        # no leaked transform or colour: a plain 4x4 square lands at the page corner in the earlier fill colour
        c.rect(0, 0, 4, 4, stroke=0, fill=1)

    c = Canvas((PAGE, PAGE))
    page(c, 0)
    reader = PdfReader(io.BytesIO(c.save()))
    depth, outside = 0, []  # every icon's state changes sit inside its own q ... Q
    for operands, op in ContentStream(reader.pages[0].get_contents(), reader).operations:
        depth += {b"q": 1, b"Q": -1}.get(op, 0)
        assert depth >= 0
        if op == b"cm" and [float(v) for v in operands] == [1, 0, 0, 1, 0, 0]:
            continue  # ReportLab's page preamble: the identity matrix
        if depth == 0 and op in (b"w", b"J", b"j", b"k", b"K", b"rg", b"RG", b"cm", b"gs"):
            outside.append(op)
    assert depth == 0 and outside == [b"k", b"K", b"w"]  # only the page's own settings
    (img,) = _render_pages(page, 1)
    rgb_corner = img.getpixel((1, PAGE - 2))
    rgb_elsewhere = img.getpixel((PAGE - 2, 1))
    assert rgb_elsewhere >= 250            # top-right corner untouched (no shifted/scaled square)
    assert 60 < rgb_corner < 250           # the cyan-ish fill colour, not the red icon or black


def test_rgb_colour_of_restored_fill():
    def page(c, i):
        c.setFillColor((1, 0, 0, 0))
        draw_icon(c, "heart", X0, Y0, SIZE, (0, 1, 1, 0))
        c.rect(0, 0, 4, 4, stroke=0, fill=1)

    c = Canvas((PAGE, PAGE))
    page(c, 0)
    doc = pdfium.PdfDocument(c.save())
    try:
        img = doc[0].render(scale=1).to_pil().convert("RGB")
    finally:
        doc.close()
    r, g, b = img.getpixel((1, PAGE - 2))
    assert r < 100 and b > 150            # cyan, i.e. the fill set before draw_icon
    hr, hg, hb = img.getpixel((X0 + SIZE // 2, PAGE - (Y0 + SIZE // 2)))
    assert hr > 150 and hg < 100          # the heart itself is red
