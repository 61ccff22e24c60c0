"""The booklet (宣传手册, issue 23): A5 pages in reading order, and the same pages imposed two to a sheet for saddle
stitching. Built through the CLI and read back: page sizes and counts, what each page carries, the imposed order
(each half of each sheet side matched to a reading-order page by its text), the marks, the QR code."""
from __future__ import annotations

import json
from collections import Counter

import pypdfium2 as pdfium
import pytest

from antifraud_cli.impose import saddle_order
from conftest import STATION, UNITS, invoke, write_files
from pdfcheck import boxes_mm, chars, clreq_violations, decode_qr, fonts, page_text, text_lines

AUDIENCES = ("elderly", "students")


@pytest.fixture(scope="module")
def kit(tmp_path_factory):
    """A project with two villages and their officers; the booklet and its imposed version for two audiences."""
    root = tmp_path_factory.mktemp("booklet")
    write_files(root, {"antifraud.yaml": UNITS})
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ANTIFRAUD_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "font-cache"))
        mp.setenv("SOURCE_DATE_EPOCH", "1799539200")  # 2027-01-10
        result = invoke(root, "build", "-j", "2", *[f"-a{a}" for a in AUDIENCES], "-p", "booklet",
                        "-p", "booklet-imposed", "-u", "dongguan")
    assert result.exit_code == 0, result.output
    return root / "dist" / "dongguan"


def halves(path, page: int) -> tuple[Counter, Counter]:
    """The characters on the left and on the right half of a sheet side."""
    pdf = pdfium.PdfDocument(str(path))
    middle = pdf[page].get_size()[0] / 2
    left, right = Counter(), Counter()
    for c in chars(path, page):
        (left if (c.x0 + c.x1) / 2 < middle else right)[c.ch] += 1
    return left, right


def reading_pages(path) -> list[Counter]:
    return [Counter(c.ch for c in chars(path, i)) for i in range(len(pdfium.PdfDocument(str(path))))]


def imposed_order(imposed, reading) -> list[tuple[int, int]]:
    """Each sheet side of the imposed PDF as (left page, right page), pages numbered from 1, found by matching
    each half's characters to the one reading-order page with exactly those characters."""
    pages = reading_pages(reading)
    order = []
    for side in range(len(pdfium.PdfDocument(str(imposed)))):
        found = []
        for half in halves(imposed, side):
            matches = [i + 1 for i, p in enumerate(pages) if p == half]
            assert len(matches) == 1, f"side {side + 1}: a half matches pages {matches}"
            found.append(matches[0])
        order.append(tuple(found))
    return order


def test_saddle_order_pairs_the_pages_a_folded_stack_reads_in():
    assert saddle_order(8) == [(8, 1), (2, 7), (6, 3), (4, 5)]
    assert saddle_order(4) == [(4, 1), (2, 3)]
    assert saddle_order(12) == [(12, 1), (2, 11), (10, 3), (4, 9), (8, 5), (6, 7)]
    sixteen = saddle_order(16)
    assert len(sixteen) == 8 and sixteen[0] == (16, 1) and sixteen[-1] == (8, 9)
    for n in (8, 12, 16):  # every page once; each pair of facing pages adds up to n + 1
        sides = saddle_order(n)
        assert sorted(p for side in sides for p in side) == list(range(1, n + 1))
        assert all(a + b == n + 1 for a, b in sides)
    with pytest.raises(ValueError):
        saddle_order(10)


@pytest.mark.parametrize("aid", AUDIENCES)
def test_the_booklet_is_twelve_a5_pages_in_reading_order(kit, aid):
    pdf = kit / aid / "booklet.pdf"
    boxes = boxes_mm(pdf)
    assert len(boxes) == 12
    for box in boxes:
        t, b = box["trimbox"], box["bleedbox"]
        assert (t[2] - t[0], t[3] - t[1]) == (pytest.approx(148, abs=0.1), pytest.approx(210, abs=0.1))
        assert (b[2] - b[0], b[3] - b[1]) == (pytest.approx(154, abs=0.1), pytest.approx(216, abs=0.1))
    assert fonts(pdf) and all(f["embedded"] for f in fonts(pdf))
    texts = [t.replace("\r", "").replace("\n", "") for t in page_text(pdf)]
    assert "防骗手册" in texts[0] and "新城派出所" in texts[0] and "东关村" in texts[0]  # the cover
    for n in range(2, 12):  # every inner page carries its number; the covers none
        assert str(n) in [line.strip() for line in text_lines(pdf, n - 1)], f"page {n} has no page number"
    assert "看到这些，要当心" in texts[7] and "遇到了，这样做" in texts[8] and "被骗了怎么办" in texts[8]
    for tool in ("国家反诈中心App", "96110", "12381", "一证通查"):
        assert tool in texts[9]
    assert "李明" in texts[10] and "138 0000 1111" in texts[10] and "0913-5212110" in texts[10]  # the unit's officer
    assert decode_qr(pdf, 11) == ["tel:96110"] and "插图：OpenMoji（CC BY-SA 4.0）" in texts[11]  # the back cover
    for page in range(12):
        assert not clreq_violations(text_lines(pdf, page))


@pytest.mark.parametrize("aid", AUDIENCES)
def test_each_case_takes_a_spread_its_story_on_the_left(kit, aid):
    from antifraud_cli.loader import load_project

    project = load_project(kit.parent.parent)
    outputs = json.loads((kit.parent / "manifest.json").read_text())["outputs"]
    shown = next(e["cases"] for e in outputs if e["path"] == f"dongguan/{aid}/booklet.pdf")
    assert len(shown) == 3
    texts = [t.replace("\r\n", "") for t in page_text(kit / aid / "booklet.pdf")]
    for spread, case_id in enumerate(shown):  # pages 2|3, 4|5, 6|7: facing pages when the booklet is open
        case = project.cases[case_id]
        left, right = texts[1 + 2 * spread], texts[2 + 2 * spread]
        assert f"骗局{spread + 1}" in left and f"骗局{spread + 1}" in right and case.title in left
        if case.story:  # the bubbles' lines on the left page
            assert all(p.line in left for p in case.story)
        assert "这样做" in right and case.advice[0] in right


@pytest.mark.parametrize("aid", AUDIENCES)
def test_the_imposed_booklet_reads_back_in_saddle_stitch_order(kit, aid):
    imposed, reading = kit / aid / "booklet-imposed.pdf", kit / aid / "booklet.pdf"
    boxes = boxes_mm(imposed)
    assert len(boxes) == 6  # 3 sheets, front and back
    for box in boxes:  # A4 landscape, the pages filling it: the paper's edges are the booklet's
        m = box["mediabox"]
        assert (m[2] - m[0], m[3] - m[1]) == (pytest.approx(297, abs=0.1), pytest.approx(210, abs=0.1))
    assert imposed_order(imposed, reading) == [(12, 1), (2, 11), (10, 3), (4, 9), (8, 5), (6, 7)]
    assert fonts(imposed) and all(f["embedded"] for f in fonts(imposed))
    assert decode_qr(imposed, 0) == ["tel:96110"]  # the back cover, on the first side


def test_an_eight_page_booklet_and_the_a3_sheet_with_crop_and_fold_marks(make_project):
    """A project's own 8-page booklet from the built-in template (one case, a spread): 8|1, 2|7, 6|3, 4|5; on A3 the
    pair sits in the middle of the sheet with its bleed, crop marks at the corners and fold marks on the spine."""
    spec = ("id: booklet8\nname: 八页手册\ntemplate: booklet.xml.j2\nsizes:\n  A5: {w: 148, h: 210}\npages: 8\n"
            "cases: 1\n")
    imposed = ("id: booklet8-imposed\nname: 八页手册拼版\ntemplate: booklet.xml.j2\nsizes:\n"
               "  A3: {w: 420, h: 297, impose: {cols: 2, rows: 1, order: saddle, bleed: 3}}\npages: 8\ncases: 1\n")
    root = make_project({"antifraud.yaml": STATION, "products/booklet8.yaml": spec,
                         "products/booklet8-imposed.yaml": imposed})
    result = invoke(root, "build", "-a", "elderly", "-p", "booklet8", "-p", "booklet8-imposed", "-j", "1")
    assert result.exit_code == 0, result.output
    reading, sheets = root / "dist/elderly/booklet8.pdf", root / "dist/elderly/booklet8-imposed.pdf"
    assert len(boxes_mm(reading)) == 8
    assert imposed_order(sheets, reading) == [(8, 1), (2, 7), (6, 3), (4, 5)]
    # no officer in this project: the contacts page leaves lines to write on
    assert "社区民警：" in page_text(reading)[6]
    image = pdfium.PdfDocument(str(sheets))[0].render(scale=150 / 72).to_pil().convert("L")
    px = lambda mm: round(mm * 150 / 25.4)  # noqa: E731
    pair_top, pair_left = (297 - 210) / 2, (420 - 296) / 2  # mm from the sheet's top-left corner

    def ink(x0, y0, x1, y1):  # the darkest pixel in a box given in mm
        return image.crop((px(x0), px(y0), px(x1), px(y1))).getextrema()[0]

    assert ink(209.5, pair_top - 9, 210.5, pair_top - 4) < 100  # fold mark above the spine
    assert ink(209.5, pair_top + 214, 210.5, pair_top + 219) < 100  # and below it
    assert ink(pair_left - 0.4, pair_top - 10, pair_left + 0.4, pair_top - 4.5) < 100  # a crop mark at a corner
    assert ink(pair_left - 2.9, pair_top + 20, pair_left - 0.5, pair_top + 190) < 200  # the cover's colour bleeds
    assert ink(pair_left - 20, pair_top + 20, pair_left - 10, pair_top + 190) > 250  # paper beyond it


def test_a_saddle_booklet_needs_a_multiple_of_four_pages(make_project):
    spec = ("id: booklet10\nname: 十页\ntemplate: booklet.xml.j2\nsizes:\n"
            "  A4: {w: 297, h: 210, impose: {cols: 2, rows: 1, order: saddle}}\npages: 10\n")
    root = make_project({"products/booklet10.yaml": spec})
    result = invoke(root, "list", "products")
    assert result.exit_code == 1 and "multiple of 4" in result.output and "products/booklet10.yaml" in result.output
