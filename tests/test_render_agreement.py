"""Render agreement (issue 19): a sample of built pages — poster, two-sided leaflet, card sheet, the 8 m banner and
a display board, for two audiences with different palettes — is drawn by two independent PDF engines, pdfium
(pypdfium2) and MuPDF (`mutool draw`), and the two pictures must show the same page. A print shop's RIP is a third
engine we cannot run; two that agree make it likely that what we wrote means one thing, whichever program reads it.

The pictures are small (50 dpi, and at most 1200 px on the longer side: the 8 m banner is 1200 px wide) and equal in
size. Two differences are expected and forgiven, the rest fails:

- colour: the engines turn CMYK into RGB differently (pdfium's 100 K is RGB 35,31,32, MuPDF's 0,0,0; the
  elderly red is 161,52,36 in one and 155,0,0 in the other). Each picture is therefore compared with the other
  repainted in its colours: every colour of one picture (quantized to a 256-colour palette) becomes the median
  colour the other picture has at the same pixels. That forgives a different conversion of a colour, and not a
  missing or moved element: its pixels are a minority of their colour, so they keep the colour of the rest.
  Both directions are compared, so an element in a colour of its own is caught from the side that lacks it.
- anti-aliasing and glyph rasterising: both pictures are blurred by 2 px before they are compared.

What is measured, per page, on the larger difference of any RGB channel: the share of pixels that differ by more
than 48 levels, the mean difference, and the mean difference in the worst 13×13 px window (6.6 mm at 50 dpi)
— the last one catches a missing QR code or text block, which is too small a share of a page for the first two.
Nothing here depends on which PDF writer made the files: only the drawn pixels are compared."""
from __future__ import annotations

import io
import subprocess
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pypdfium2 as pdfium
import pytest
import zxingcpp
from PIL import Image, ImageChops, ImageFilter

from conftest import tool, STATION, invoke, write_files
from pdfcheck import chars

PRODUCTS = ("poster", "leaflet", "card-sheet", "banner", "board")
AUDIENCES = ("elderly", "students")
DPI = 50
MAX_SIDE = 1200  # px: the 8 m banner (and the 1.2 m board) at a fixed width instead of 50 dpi
BLUR = 2.0  # px of Gaussian blur before comparing: anti-aliasing and glyph rasterising differ between engines
LEVEL = 48  # a pixel "differs" when a channel differs by more than this
SHARE_LIMIT = 2.0  # % of the page's pixels that may differ
MEAN_LIMIT = 6.0  # mean difference, levels
WINDOW = 6  # px radius of the window: 13 x 13 px, 6.6 mm at 50 dpi
WINDOW_LIMIT = 45  # mean difference in the worst window, levels
# Measured on the sample, as the hand-written PDF writer (before ReportLab) built it: share at most 0.01 %, mean at
# most 3.2, worst window at most 27 (the crop marks, the poster's slogan band). The controls below: a QR code painted
# over gives a worst window of 136 or more, three lines of body text 74 or more (the students leaflet's small text).


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    """The sampled products built once for both audiences, the banner in its 8 m size (written at a user unit)."""
    tool("mutool")
    root = tmp_path_factory.mktemp("agreement")
    write_files(root, {"antifraud.yaml": STATION + "defaults: {sizes: {banner: 8000x900}}\n"})
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ANTIFRAUD_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "font-cache"))
        mp.setenv("SOURCE_DATE_EPOCH", "1799539200")
        result = invoke(root, "build", "-j", "2", *(f"-a{a}" for a in AUDIENCES), *(f"-p{p}" for p in PRODUCTS))
    assert result.exit_code == 0, result.output
    return root / "dist"


# ---------- drawing a page with each engine

def pixel_size(pdf: Path, index: int) -> tuple[int, int]:
    w, h = pdfium.PdfDocument(str(pdf))[index].get_size()
    scale = min(DPI / 72, MAX_SIDE / max(w, h))
    return round(w * scale), round(h * scale)


def page_count(pdf: Path) -> int:
    return len(pdfium.PdfDocument(str(pdf)))


def by_pdfium(pdf: Path, index: int, size: tuple[int, int]) -> Image.Image:
    page = pdfium.PdfDocument(str(pdf))[index]
    image = page.render(scale=size[0] / page.get_size()[0]).to_pil().convert("RGB")
    return image if image.size == size else image.resize(size, Image.Resampling.BILINEAR)


def by_mupdf(pdf: Path, index: int, size: tuple[int, int]) -> Image.Image:
    """`mutool draw` to exactly `size` px. -N: no colour management, so a MuPDF built with or without lcms2 draws
    the same (the comparison forgives the CMYK conversion anyway). Errors MuPDF reports while reading fail."""
    run = subprocess.run([tool("mutool"), "draw", "-q", "-N", "-c", "rgb", "-F", "pnm", "-o", "-",
                          "-w", str(size[0]), "-h", str(size[1]), "-f", str(pdf), str(index + 1)],
                         capture_output=True)
    said = run.stderr.decode(errors="replace").strip()
    assert run.returncode == 0 and "error" not in said.lower(), f"mutool draw {pdf.name} page {index + 1}: {said}"
    return Image.open(io.BytesIO(run.stdout)).convert("RGB")


# ---------- the comparison

def repainted(src: Image.Image, ref: Image.Image) -> Image.Image:
    """`src` with each of its colours (a 256-colour palette) replaced by the median colour `ref` has at the pixels
    where `src` has that colour, channel by channel."""
    paletted = src.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    index = Image.frombytes("L", src.size, paletted.tobytes())
    blank = Image.new("L", src.size)
    channels = []
    for band in ref.split():
        # the joint histogram of (palette index, ref's level), as the colours of a helper RGB picture
        seen: dict[int, list[tuple[int, int]]] = {}
        for count, (i, level, _) in Image.merge("RGB", (index, band, blank)).getcolors(256 * 256):
            seen.setdefault(i, []).append((level, count))
        medians = [0] * 256
        for i, levels in seen.items():
            levels.sort()
            half, total = sum(c for _, c in levels) / 2, 0
            for level, count in levels:
                total += count
                if total >= half:
                    medians[i] = level
                    break
        channels.append(medians)
    paletted.putpalette([channels[c][i] for i in range(256) for c in range(3)])
    return paletted.convert("RGB")


def difference(a: Image.Image, b: Image.Image) -> Image.Image:
    """Per pixel, the largest difference of any channel between the blurred pictures."""
    blur = ImageFilter.GaussianBlur(BLUR)
    r, g, b_ = ImageChops.difference(a.filter(blur), b.filter(blur)).split()
    return ImageChops.lighter(ImageChops.lighter(r, g), b_)


@dataclass
class Agreement:
    share: float  # % of pixels differing by more than LEVEL
    mean: float
    window: int  # mean difference in the worst window
    where: tuple[float, float]  # a worst window's centre, as fractions of the page's width and height
    diff: Image.Image

    @property
    def ok(self) -> bool:
        return self.share < SHARE_LIMIT and self.mean < MEAN_LIMIT and self.window < WINDOW_LIMIT

    def __str__(self) -> str:
        side = 2 * WINDOW + 1
        return (f"{self.share:.2f} % of pixels differ by more than {LEVEL} levels (limit {SHARE_LIMIT} %), "
                f"mean difference {self.mean:.2f} (limit {MEAN_LIMIT}), worst {side}×{side} px window "
                f"{self.window} (limit {WINDOW_LIMIT}) at {self.where[0]:.0%} across, {self.where[1]:.0%} down")


def agreement(a: Image.Image, b: Image.Image) -> Agreement:
    diff = ImageChops.lighter(difference(a, repainted(b, a)), difference(b, repainted(a, b)))
    histogram = diff.histogram()
    n = sum(histogram)
    windows = diff.filter(ImageFilter.BoxBlur(WINDOW))
    worst = windows.getextrema()[1]
    worst_pixels = windows.point(lambda v: 255 if v >= worst else 0)
    y = (worst_pixels.getbbox() or (0, 0, 0, 0))[1]
    x = (worst_pixels.crop((0, y, diff.width, y + 1)).getbbox() or (0, 0, 0, 0))[0]
    return Agreement(share=100 * sum(histogram[LEVEL + 1:]) / n,
                     mean=sum(level * count for level, count in enumerate(histogram)) / n,
                     window=worst, where=(x / diff.width, y / diff.height), diff=diff)


def both(pdf: Path, index: int) -> tuple[Image.Image, Image.Image]:
    size = pixel_size(pdf, index)
    return by_pdfium(pdf, index, size), by_mupdf(pdf, index, size)


# ---------- the tests

@pytest.mark.parametrize("audience", AUDIENCES)
@pytest.mark.parametrize("product", PRODUCTS)
def test_pdfium_and_mupdf_draw_the_same_pages(sample, product, audience, tmp_path):
    """Every page of the sampled product agrees; on failure both pictures and the difference are kept."""
    pdf = sample / audience / f"{product}.pdf"
    failures = []
    for index in range(page_count(pdf)):
        a, b = both(pdf, index)
        result = agreement(a, b)
        if not result.ok:
            stem = tmp_path / f"{audience}-{product}-{index + 1}"
            a.save(f"{stem}-pdfium.png")
            b.save(f"{stem}-mupdf.png")
            result.diff.point(lambda v: 255 - min(255, 4 * v)).save(f"{stem}-difference.png")
            failures.append(f"page {index + 1}: {result} (pictures: {stem}-*.png)")
    assert not failures, f"{audience}/{product}.pdf, pdfium and MuPDF disagree:\n" + "\n".join(failures)


def qr_box(image: Image.Image) -> tuple[int, int, int, int]:
    found = zxingcpp.read_barcodes(image)
    assert found, "no QR code found on the control page"
    p = found[0].position
    xs = [pt.x for pt in (p.top_left, p.top_right, p.bottom_left, p.bottom_right)]
    ys = [pt.y for pt in (p.top_left, p.top_right, p.bottom_left, p.bottom_right)]
    return min(xs), min(ys), max(xs) + 1, max(ys) + 1


def text_block(pdf: Path, index: int, size: tuple[int, int]) -> tuple[str, tuple[int, int, int, int]]:
    """The first three lines of body text (the page's most common font size) and their box in pixels."""
    cs = chars(pdf, index)
    body = Counter(round(c.size) for c in cs).most_common(1)[0][0]
    lines: dict[float, list] = {}
    for c in cs:
        if round(c.size) == body:
            lines.setdefault(round(c.baseline), []).append(c)
    block = [c for base in sorted(lines, reverse=True)[:3] for c in lines[base]]
    w, h = pdfium.PdfDocument(str(pdf))[index].get_size()
    sx, sy = size[0] / w, size[1] / h
    box = (int(min(c.x0 for c in block) * sx), int((h - max(c.y1 for c in block)) * sy),
           int(max(c.x1 for c in block) * sx) + 1, int((h - min(c.y0 for c in block)) * sy) + 1)
    return "".join(c.ch for c in block), box


def painted_over(image: Image.Image, box: tuple[int, int, int, int]) -> Image.Image:
    """`image` with `box` filled with the colour just outside its top-left corner: the element is gone, its
    background stays."""
    out = image.copy()
    out.paste(image.getpixel((max(box[0] - 2, 0), max(box[1] - 2, 0))), box)
    return out


@pytest.mark.parametrize("audience, product, index", [("students", "leaflet", 1), ("elderly", "card-sheet", 1)])
def test_the_comparison_catches_a_missing_qr_code_or_text_block(sample, audience, product, index):
    """Negative control: the same pair that agrees stops agreeing when the QR code, or three lines of body text,
    is painted over in either picture — so the tolerances above forgive the engines, not a missing element. The
    pages are the hardest cases of the sample: the students leaflet's small body text, the card sheet's 22 mm QR."""
    pdf = sample / audience / f"{product}.pdf"
    a, b = both(pdf, index)
    assert agreement(a, b).ok, agreement(a, b)
    text, text_box = text_block(pdf, index, a.size)
    for what, box in (("the QR code", qr_box(a)), (f"the text {text!r}", text_box)):
        for engine, pair in (("pdfium", (painted_over(a, box), b)), ("MuPDF", (a, painted_over(b, box)))):
            result = agreement(*pair)
            assert not result.ok, f"{what} painted over in {engine}'s picture of {pdf.name} went unnoticed: {result}"
