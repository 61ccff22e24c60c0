"""Banners, display boards, roll-ups and WeChat images (issue 10), built through the CLI and read back: true trim
sizes (the 8 m banner drawn at a stated 1:2), character sizes, the roll-up's hidden zones, QR codes, the PNG itself."""
from __future__ import annotations

import io
import json
import re

import pypdfium2 as pdfium
import pytest
import zxingcpp
from PIL import Image
from pypdf import PdfReader


from conftest import STATION, invoke, write_files
from pdfcheck import MM, chars, fonts, page_text

AUDIENCES = ("elderly", "students")




@pytest.fixture(scope="module")
def kit(tmp_path_factory):
    """One project with a station, every new product built for two audiences (the slow part, done once)."""
    root = tmp_path_factory.mktemp("channels")
    write_files(root, {"antifraud.yaml": STATION})
    env = {"ANTIFRAUD_CACHE_DIR": str(tmp_path_factory.getbasetemp() / "font-cache"),
           "SOURCE_DATE_EPOCH": "1799539200"}
    with pytest.MonkeyPatch.context() as mp:
        for k, v in env.items():
            mp.setenv(k, v)
        args = ["build", "-j", "2"] + [f"-a{a}" for a in AUDIENCES] + \
            ["-p", "banner", "-p", "board", "-p", "rollup", "-p", "wechat"]
        result = invoke(root, *args)
    assert result.exit_code == 0, result.output
    return root / "dist"


def drawn_scale(reader: PdfReader) -> int:
    """The scale a large page is drawn at, as the PDF states it to the print shop (its subject: "drawn at 1:N")."""
    found = re.search(r"drawn at 1:(\d+)", reader.metadata.subject or "")
    return int(found[1]) if found else 1


def true_boxes(path) -> list[dict]:
    """Each page's trim box in mm as the print shop prints it: PDF units times the stated scale."""
    out = []
    reader = PdfReader(str(path))
    for page in reader.pages:
        unit = drawn_scale(reader)
        t = [float(v) * unit / MM for v in page.trimbox]
        out.append({"w": t[2] - t[0], "h": t[3] - t[1], "unit": unit})
    return out


def trim_chars(path, page=0):
    """Characters with their size (pt) and box in mm from the trim box's top-left corner."""
    reader = PdfReader(str(path))
    unit = drawn_scale(reader)
    x0, _, _, y1 = (float(v) for v in reader.pages[page].trimbox)
    out = []
    for c in chars(path, page):
        out.append({"ch": c.ch, "size": c.size, "left": (c.x0 - x0) * unit / MM, "right": (c.x1 - x0) * unit / MM,
                    "top": (y1 - c.y1) * unit / MM, "bottom": (y1 - c.y0) * unit / MM,
                    "ink_h": (c.y1 - c.y0) * unit / MM})
    return out


def qr_codes(image):
    return [(r.text, r.position) for r in zxingcpp.read_barcodes(image)]


# ---------- banner

def test_banner_is_one_line_of_large_characters_on_red(kit):
    from antifraud_cli.loader import load_project

    project = load_project(kit.parent)
    for aid in AUDIENCES:
        pdf = kit / aid / "banner.pdf"
        assert true_boxes(pdf) == [{"w": pytest.approx(5000, abs=0.1), "h": pytest.approx(700, abs=0.1), "unit": 1}]
        line = project.audiences[aid].voice.banner
        main, issuer = banner_parts(pdf, 700)
        assert "".join(c["ch"] for c in main) == line.replace(" ", "")  # the one line, no hotline at 5 m
        assert issuer_text(issuer) == "新城派出所宣"  # and the station as issuer, smaller, at the right end
        assert main and min(c["size"] for c in main) >= 350 * MM - 0.01  # half of 700 mm
        assert max(c["bottom"] for c in main) - min(c["top"] for c in main) < 700 * 0.75  # one line
        # red behind white text for every audience (a cloth banner is red); no QR code anywhere
        image = pdfium.PdfDocument(str(pdf))[0].render(scale=10 / 72).to_pil().convert("RGB")
        r, g, b = image.getpixel((40, 30))  # printed as CMYK: red dominates, clearly
        assert r > 120 and r - max(g, b) > 60
        assert not qr_codes(image)


def test_banner_sizes_the_8_m_one_is_drawn_at_1_to_2_says_so_and_carries_the_hotline(make_project):
    root = make_project({"antifraud.yaml": STATION + "defaults: {sizes: {banner: 8000x900}}\n"})
    assert invoke(root, "build", "-a", "housewives", "-p", "banner", "-j", "1").exit_code == 0
    pdf = root / "dist/housewives/banner.pdf"
    box = true_boxes(pdf)[0]
    assert box["unit"] == 2 and box["w"] == pytest.approx(8000, abs=0.1) and box["h"] == pytest.approx(900, abs=0.1)
    meta = PdfReader(str(pdf)).metadata
    assert "1:2" in meta.title and "print at 200 %" in meta.subject  # what the print shop reads
    listed = invoke(root, "list", "products", "--json")
    assert "8000x900 8000×900 mm (drawn at 1:2)" in listed.output
    # a short line leaves room for the hotline on an 8 m banner, beside the issuer's column
    main, issuer = banner_parts(pdf, 900)
    assert "".join(c["ch"] for c in main).endswith("反诈专线96110") and issuer_text(issuer) == "新城派出所宣"
    assert min(c["size"] for c in main) >= 450 * MM - 0.01
    # at true size the glyphs' ink is most of the character size
    assert max(c["ink_h"] for c in main) > 0.8 * 450

    write_files(root, {"antifraud.yaml": STATION + "defaults: {sizes: {banner: 3000x500}}\n"})
    assert invoke(root, "build", "-a", "housewives", "-p", "banner", "-j", "1").exit_code == 0
    assert true_boxes(pdf)[0] == {"w": pytest.approx(3000, abs=0.1), "h": pytest.approx(500, abs=0.1), "unit": 1}
    assert "96110" not in page_text(pdf)[0]


BANNER_SIZES = {"5000x700": (5000, 700), "3000x500": (3000, 500), "8000x900": (8000, 900)}
ALL_AUDIENCES = ("bank-staff", "elderly", "housewives", "migrant-workers", "pupils", "shop-owners", "students")
FIT_3_M = ("bank-staff", "housewives", "pupils")  # lines of 9-11 characters; the others have 12


def banner_parts(pdf, height_mm: float) -> tuple[list[dict], list[dict]]:
    """A banner's characters (true mm, see `trim_chars`): the main line (at least half the banner's height), left to
    right, and the rest: the issuer."""
    found = trim_chars(pdf)
    main = sorted((c for c in found if c["size"] >= height_mm / 2 * MM - 0.01), key=lambda c: c["left"])
    return main, [c for c in found if c["size"] < height_mm / 2 * MM - 0.01]


def issuer_columns(issuer: list[dict]) -> list[str]:
    """The issuer as it is read: set in columns at the banner's right end, columns right to left, each top to
    bottom (a character belongs to the column whose centre is within half a character of its own)."""
    columns: list[list[dict]] = []
    for c in sorted(issuer, key=lambda c: -(c["left"] + c["right"])):
        centre = (c["left"] + c["right"]) / 2
        if columns and abs((columns[-1][0]["left"] + columns[-1][0]["right"]) / 2 - centre) < c["size"] / MM / 2:
            columns[-1].append(c)
        else:
            columns.append([c])
    return ["".join(c["ch"] for c in sorted(column, key=lambda c: c["top"])) for column in columns]


def issuer_text(issuer: list[dict]) -> str:
    return "".join(issuer_columns(issuer))


def ink_colours(pdf, found: list[dict]) -> list[tuple[int, int, int]]:
    """For each character, the lightest pixel inside its ink box, the page rendered 2000 px wide."""
    page = pdfium.PdfDocument(str(pdf))[0]
    image = page.render(scale=2000 / page.get_width()).to_pil().convert("RGB")
    px = image.width / page.get_width()  # pixels per PDF unit
    unit = drawn_scale(PdfReader(str(pdf)))
    trim = PdfReader(str(pdf)).pages[0].trimbox
    x0, top0 = float(trim[0]), page.get_height() - float(trim[3])
    out = []
    for c in found:
        box = [int((x0 + c["left"] * MM / unit) * px), int((top0 + c["top"] * MM / unit) * px),
               int((x0 + c["right"] * MM / unit) * px) + 1, int((top0 + c["bottom"] * MM / unit) * px) + 1]
        crop = image.crop(box)
        pixels = crop.load()
        out.append(max((pixels[i, j] for i in range(crop.width) for j in range(crop.height)), key=sum))
    return out


@pytest.mark.parametrize("size", BANNER_SIZES)
def test_banner_keeps_60_mm_free_at_each_end_and_carries_the_issuer(make_project, size):
    """Hems and eyelets take 60 mm at each end: no character within 60 mm of the left or right trim edge, in true mm
    (the 8 m banner is drawn at 1:2). The station signs the banner (新城派出所宣) at the right end, before the hem, in
    a column of characters 0.12-0.15 of the banner's height (60-75 mm on a 500 mm banner, 84-105 mm on 700 mm),
    so at most 0.3 of the line's, in the line's white on red; the line stays at least half the banner's height.
    Every audience whose line fits at half the height is built; on the 3 m banner that is lines of at most 11
    characters."""
    w, h = BANNER_SIZES[size]
    root = make_project({"antifraud.yaml": STATION + f"defaults: {{sizes: {{banner: {size}}}}}\n"})
    audiences = FIT_3_M if size == "3000x500" else ALL_AUDIENCES
    result = invoke(root, "build", "-p", "banner", "-j", "2", *(f"-a{a}" for a in audiences))
    assert result.exit_code == 0, result.output
    for aid in audiences:
        pdf = root / "dist" / aid / "banner.pdf"
        found = trim_chars(pdf)
        assert true_boxes(pdf)[0]["w"] == pytest.approx(w, abs=0.1)
        assert min(c["left"] for c in found) >= 60 and max(c["right"] for c in found) <= w - 60, aid
        main, issuer = banner_parts(pdf, h)
        assert issuer_text(issuer) == "新城派出所宣", aid
        assert min(c["size"] for c in main) >= h / 2 * MM - 0.01
        line_size = min(c["size"] for c in main)
        assert all(0.12 * h * MM - 0.01 <= c["size"] <= 0.15 * h * MM + 0.01 for c in issuer), aid
        assert max(c["size"] for c in issuer) <= 0.3 * line_size
        assert min(c["left"] for c in issuer) > max(c["right"] for c in main)  # after the line, at the right end
        # the issuer is printed in the line's colour: white strokes inside each character's box, on red
        assert all(min(px) > 200 for px in ink_colours(pdf, issuer)), aid


@pytest.mark.parametrize("size", ["5000x700", "8000x900"])
def test_a_long_station_name_signs_the_banner_in_two_columns(make_project, size):
    """A 12-character station name + 宣 is two columns, right to left, each character still 0.12 of the height; the
    12-character lines still fit at half the height on the 5 m and 8 m banners, the hems stay free."""
    w, h = BANNER_SIZES[size]
    name = "韩城市新城街道城关派出所"
    root = make_project({"antifraud.yaml": f"station: {{name: {name}}}\ndefaults: {{sizes: {{banner: {size}}}}}\n"})
    result = invoke(root, "build", "-p", "banner", "-j", "2", "-a", "elderly", "-a", "students")
    assert result.exit_code == 0, result.output
    for aid in ("elderly", "students"):
        pdf = root / "dist" / aid / "banner.pdf"
        main, issuer = banner_parts(pdf, h)
        assert issuer_columns(issuer) == ["韩城市新城街道", "城关派出所宣"]
        assert min(c["size"] for c in main) >= h / 2 * MM - 0.01
        assert all(c["size"] >= 0.12 * h * MM - 0.01 for c in issuer)
        found = main + issuer
        assert min(c["left"] for c in found) >= 60 and max(c["right"] for c in found) <= w - 60


def test_a_banner_without_a_station_has_no_issuer_and_keeps_its_hems_free(make_project):
    root = make_project()
    result = invoke(root, "build", "-p", "banner", "-a", "elderly", "-a", "housewives", "-j", "1")
    assert result.exit_code == 0, result.output
    for aid in ("elderly", "housewives"):
        pdf = root / "dist" / aid / "banner.pdf"
        main, issuer = banner_parts(pdf, 700)
        assert main and not issuer and "宣" not in page_text(pdf)[0]
        assert min(c["left"] for c in main) >= 60 and max(c["right"] for c in main) <= 5000 - 60


def test_a_3_m_banner_holds_11_characters_at_half_its_height_longer_lines_are_errors(make_project):
    """The 3000x500 banner cannot hold a 12-character line at 250 mm beside the issuer and the hems: an error at
    the line's field (never a smaller line), for the four audiences whose lines have 12 characters."""
    root = make_project({"antifraud.yaml": STATION + "defaults: {sizes: {banner: 3000x500}}\n"})
    result = invoke(root, "build", "-p", "banner", "-j", "2", *(f"-a{a}" for a in ALL_AUDIENCES))
    assert result.exit_code == 1
    for aid in ALL_AUDIENCES:
        failed = f"{aid}/banner.pdf: field 'voice.banner': text does not fit"
        assert (failed in result.output) == (aid not in FIT_3_M), aid


def test_the_station_sets_its_own_banner_text_for_all_or_one_audience(make_project):
    station = STATION.rstrip("}\n") + ", banner: {text: 新城派出所提醒 防诈骗, audiences: {elderly: 老人家 转账先问儿女}}}\n"
    root = make_project({"antifraud.yaml": station})
    assert invoke(root, "build", "-a", "elderly", "-a", "students", "-p", "banner", "-j", "1").exit_code == 0
    for aid, line in (("elderly", "老人家 转账先问儿女"), ("students", "新城派出所提醒 防诈骗")):
        main, issuer = banner_parts(root / f"dist/{aid}/banner.pdf", 700)
        assert "".join(c["ch"] for c in main) == line.replace(" ", "") and issuer_text(issuer) == "新城派出所宣"


def test_a_banner_line_that_cannot_fit_at_half_the_height_is_an_error_at_its_field(make_project):
    station = STATION.rstrip("}\n") + ", banner: {text: 新城派出所提醒您陌生来电要转账一律挂断}}\n"
    root = make_project({"antifraud.yaml": station})
    result = invoke(root, "build", "-a", "elderly", "-p", "banner", "-j", "1")
    assert result.exit_code == 1
    assert "antifraud.yaml:1: elderly/banner.pdf: field 'station.banner.text': text does not fit" in result.output
    assert not (root / "dist/elderly/banner.pdf").exists()
    # 8-20 characters: a shorter or longer line is refused when the file is read
    root = make_project({"antifraud.yaml": STATION.rstrip("}\n") + ", banner: {text: 别转账}}\n"}, name="short")
    result = invoke(root, "build", "-a", "elderly", "-p", "banner")
    assert result.exit_code == 1 and "antifraud.yaml:1" in result.output and "banner.text" in result.output
    root = make_project({"antifraud.yaml": STATION.rstrip("}\n") + ", banner: {audiences: {nobody: 一二三四五六七八九}}}\n"},
                        name="unknown")
    result = invoke(root, "build", "-a", "elderly", "-p", "banner")
    assert result.exit_code == 1 and "banner names unknown audience 'nobody'" in result.output


# ---------- board and roll-up

@pytest.mark.parametrize("aid,floor", [("elderly", 36), ("students", 28)])
def test_board_sizes_margins_and_qr(kit, aid, floor):
    pdf = kit / aid / "board.pdf"
    used = fonts(pdf)
    assert used and all(f["embedded"] for f in used)  # the same print checks as the kit: fonts embedded
    box = true_boxes(pdf)[0]
    assert (box["w"], box["h"]) == (pytest.approx(900, abs=0.1), pytest.approx(1200, abs=0.1))
    found = trim_chars(pdf)
    assert min(c["size"] for c in found) >= floor - 0.01
    assert min(c["left"] for c in found) >= 10 and max(c["right"] for c in found) <= 890
    assert min(c["top"] for c in found) >= 10 and max(c["bottom"] for c in found) <= 1190
    # a poster of pictograms: the cases' icons are there; the QR code reads from a coarse 40 dpi render
    image = pdfium.PdfDocument(str(pdf))[0].render(scale=40 / 72).to_pil().convert("RGB")
    (text, pos), = qr_codes(image)
    assert text == "tel:96110"
    side_mm = (pos.top_right.x - pos.top_left.x) * 25.4 / 40
    assert side_mm >= 60


def test_board_variant_is_true_size(make_project):
    root = make_project({"antifraud.yaml": STATION + "defaults: {sizes: {board: 1200x2400}}\n"})
    assert invoke(root, "build", "-a", "students", "-p", "board", "-j", "1").exit_code == 0
    box = true_boxes(root / "dist/students/board.pdf")[0]
    assert (box["w"], box["h"]) == (pytest.approx(1200, abs=0.1), pytest.approx(2400, abs=0.1))


@pytest.mark.parametrize("aid,floor", [("elderly", 36), ("students", 28)])
def test_rollup_keeps_the_base_and_the_top_bar_free(kit, aid, floor):
    pdf = kit / aid / "rollup.pdf"
    box = true_boxes(pdf)[0]
    assert (box["w"], box["h"]) == (pytest.approx(800, abs=0.1), pytest.approx(2000, abs=0.1))
    found = trim_chars(pdf)
    assert min(c["size"] for c in found) >= floor - 0.01
    assert max(c["bottom"] for c in found) <= 1800  # nothing in the bottom 200 mm (the stand's base)
    assert min(c["top"] for c in found) >= 30  # nor under the top bar
    assert min(c["left"] for c in found) >= 10 and max(c["right"] for c in found) <= 790
    image = pdfium.PdfDocument(str(pdf))[0].render(scale=40 / 72).to_pil().convert("RGB")
    (text, pos), = qr_codes(image)
    assert text == "tel:96110"
    bottom_mm = (max(pos.bottom_left.y, pos.bottom_right.y) * 25.4 / 40) - 10 - 0  # page = trim + 10 mm marks
    assert bottom_mm <= 1800


# ---------- WeChat image

@pytest.mark.parametrize("aid", AUDIENCES)
def test_wechat_png_size_colour_text_chunk_and_qr(kit, aid):
    from antifraud_cli.loader import load_project

    path = kit / aid / "wechat.png"
    assert path.stat().st_size <= 1.5 * 1024 * 1024
    data = path.read_bytes()
    assert b"sRGB" in data[:200]  # before the image data
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG" and image.mode == "RGB"
    assert image.width == 1080 and image.height <= 2400
    description = image.text["Description"].replace("\u3000", " ")
    project = load_project(kit.parent)
    audience = project.audiences[aid]
    for text in (audience.voice.headline, audience.voice.slogan, "96110", "新城派出所"):
        assert text in description
    entry = next(e for e in json.loads((kit / "manifest.json").read_text())["outputs"] if e["path"] == f"{aid}/wechat.png")
    assert 2 <= len(entry["cases"]) <= 3
    for cid in entry["cases"]:  # the cases it shows, in few words
        assert project.cases[cid].title in description
    # the default code is tel:96110, which a phone cannot dial from its own screen: no code, the numbers large
    assert qr_codes(image) == [] and "被骗或危险 打110" in description
    # the palette's RGB, not a CMYK round trip: the header band is exactly the primary colour
    primary = audience.palette.primary
    assert image.getpixel((540, 10)) == tuple(int(primary[i:i + 2], 16) for i in (1, 3, 5))


def test_wechat_characters_are_at_least_40_px(make_project):
    """The same template as an RGB PDF: every character's size in pixels of the 1080 px image."""
    spec = ("id: wechat-pdf\nname: 微信群图片 PDF\ntemplate: wechat.xml.j2\nsizes:\n  phone: {w: 270, h: 600}\n"
            "cases: 3\ncolour: screen\n")
    root = make_project({"antifraud.yaml": STATION, "products/wechat-pdf.yaml": spec})
    result = invoke(root, "build", "-a", "elderly", "-a", "students", "-p", "wechat-pdf", "-j", "1")
    assert result.exit_code == 0, result.output
    px_per_pt = 1080 / (270 * MM)
    for aid, floor in (("elderly", 48), ("students", 40)):
        pdf = root / "dist" / aid / "wechat-pdf.pdf"
        assert min(c["size"] for c in trim_chars(pdf)) * px_per_pt >= floor - 0.01
        content = PdfReader(str(pdf)).pages[0].get_contents().get_data()
        assert b" rg" in content and b" k\n" not in content and b" k " not in content  # RGB only, no CMYK
