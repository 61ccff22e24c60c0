"""The formal notice (通告), the desk sticker (桌贴) and the screen image (issue 23), built through the CLI and read
back: sizes and boxes, the notice's points and issuer, the circle left free of ink for the seal (rendered and its
pixels read), the sticker's trim and bleed, the screen PNG's size, colour chunk and text chunk, QR codes."""
from __future__ import annotations

import io
import json
import math
import re

import pypdfium2 as pdfium
import pytest
import zxingcpp
from PIL import Image

from conftest import STATION, UNITS, invoke, write_files
from pdfcheck import MM, boxes_mm, chars, clreq_violations, decode_qr, fonts, page_text, text_lines

AUDIENCES = ("elderly", "students")
DATE = "2027年1月10日"  # SOURCE_DATE_EPOCH 1799539200


@pytest.fixture(scope="module")
def kit(tmp_path_factory):
    """Two villages with their officers; the notice (per village) and the sticker and screen for two audiences."""
    root = tmp_path_factory.mktemp("notice")
    write_files(root, {"antifraud.yaml": UNITS})
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ANTIFRAUD_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "font-cache"))
        mp.setenv("SOURCE_DATE_EPOCH", "1799539200")
        result = invoke(root, "build", "-j", "2", *[f"-a{a}" for a in AUDIENCES], "-p", "notice", "-p", "sticker",
                        "-p", "screen")
    assert result.exit_code == 0, result.output
    return root / "dist"


def trim_chars(path, page=0) -> list[dict]:
    """Characters with their box in mm from the trim box's top-left corner."""
    from pypdf import PdfReader

    x0, _, _, y1 = (float(v) for v in PdfReader(str(path)).pages[page].trimbox)
    return [{"ch": c.ch, "size": c.size, "left": (c.x0 - x0) / MM, "right": (c.x1 - x0) / MM,
             "top": (y1 - c.y1) / MM, "bottom": (y1 - c.y0) / MM} for c in chars(path, page)]


def run_of(found: list[dict], text: str) -> list[dict]:
    """The characters of the last place `text` is printed (spaces left out)."""
    joined = "".join(c["ch"] for c in found)
    at = joined.rfind(text)
    assert at >= 0, f"{text!r} not printed"
    return found[at:at + len(text)]


def seal_circle(found: list[dict]) -> tuple[float, float]:
    """Where the seal goes: centred over the issuer's name, its foot 2 mm above the name's box (mm from the trim's
    top-left). The template keeps a 46 mm circle there; the test asks for the 42 mm of a seal inside it."""
    signer = run_of(found, "韩城市公安局新城派出所")
    cx = (min(c["left"] for c in signer) + max(c["right"] for c in signer)) / 2
    return cx, min(c["top"] for c in signer) - 4 - 21


@pytest.mark.parametrize("unit, officer", [("dongguan", "李明"), ("xiguan", "王芳")])
def test_the_notice_is_a3_with_a_red_title_numbered_points_and_the_issuer_at_the_foot(kit, unit, officer):
    pdf = kit / unit / "notice.pdf"
    (box,) = boxes_mm(pdf)
    t = box["trimbox"]
    assert (t[2] - t[0], t[3] - t[1]) == (pytest.approx(297, abs=0.1), pytest.approx(420, abs=0.1))
    text = page_text(pdf)[0].replace("\r\n", "")
    assert text.startswith("关于防范电信网络诈骗的通告")
    points = [text.index(n) for n in ("一、", "二、", "三、", "四、", "五、", "六、")]
    assert points == sorted(points)  # numbered in order
    for must in ("96110", "110报警", "帮助信息网络犯罪活动罪", "最高可判处3年", "12381", "特此通告。", officer):
        assert must in text
    assert text.rstrip().endswith("韩城市公安局新城派出所" + DATE)  # the issuer, then the date, last
    found = trim_chars(pdf)
    title = run_of(found, "关于防范电信网络诈骗的通告")
    assert min(c["size"] for c in title) >= 30  # 2号 (22 pt) scaled from A4 to A3
    date = run_of(found, DATE)
    assert 297 - 37 - max(c["right"] for c in date) == pytest.approx(4 * 16 * 297 / 210 * 0.3528, abs=3)  # 右空四字
    body = [c for c in found if c["ch"] not in "关于防范电信网络诈骗的通告"]
    assert min(c["size"] for c in body) >= 16 * 297 / 210 - 0.5  # 3号 (16 pt) scaled
    # no pictures, and no QR code: the station configured none of its own
    assert not decode_qr(pdf, 0)
    image = pdfium.PdfDocument(str(pdf))[0].render(scale=100 / 72).to_pil().convert("RGB")
    box = tuple(round((v + 10) * 100 / 25.4) for v in (title[0]["left"], title[0]["top"], title[-1]["right"],
                                                          title[0]["bottom"]))  # the page has 10 mm of slug
    pixels = image.crop(box).tobytes()
    reds = [i for i in range(0, len(pixels), 3) if pixels[i] - max(pixels[i + 1], pixels[i + 2]) > 80]
    assert len(reds) > 200  # the title is printed red
    assert not clreq_violations(text_lines(pdf, 0))
    assert fonts(pdf) and all(f["embedded"] for f in fonts(pdf))


def test_the_seal_circle_is_free_of_ink(kit):
    """Render the notice and read the pixels of a 42 mm circle above the issuer's name: paper only."""
    pdf = kit / "dongguan" / "notice.pdf"
    found = trim_chars(pdf)
    cx, cy = seal_circle(found)
    dpi = 150
    page = pdfium.PdfDocument(str(pdf))[0]
    image = page.render(scale=dpi / 72).to_pil().convert("L")
    px = lambda mm: (mm + 10) * dpi / 25.4  # noqa: E731  (the page is the trim + 10 mm of crop-mark slug)
    r = 21 * dpi / 25.4
    inked = [(x, y) for y in range(math.floor(px(cy) - r), math.ceil(px(cy) + r) + 1)
             for x in range(math.floor(px(cx) - r), math.ceil(px(cx) + r) + 1)
             if (x - px(cx)) ** 2 + (y - px(cy)) ** 2 <= r * r and image.getpixel((x, y)) < 250]
    assert not inked, f"{len(inked)} inked pixels in the seal's circle, e.g. {inked[:3]}"
    # and the circle is where the seal belongs: just above the issuer, clear of the text above it
    above = [c for c in found if c["bottom"] < cy + 21 and c["ch"] not in "韩城市公安局新城派出所"]
    assert max(c["bottom"] for c in above) < cy - 21
    # no character box reaches into the 46 mm the template keeps
    assert all((max(c["left"], min(cx, c["right"])) - cx) ** 2 + (max(c["top"], min(cy, c["bottom"])) - cy) ** 2
               >= 21 ** 2 for c in found)


def test_a_notice_without_a_station_is_issued_by_the_police_and_a_configured_qr_is_printed(make_project):
    root = make_project({})
    assert invoke(root, "build", "-p", "notice", "-j", "1").exit_code == 0
    text = page_text(root / "dist/notice.pdf")[0].replace("\r\n", "")
    assert text.rstrip().endswith("公安机关" + DATE) and "全国反诈预警劝阻专线" not in text
    assert "六、" not in text  # no one to name: the points end at 五
    assert not decode_qr(root / "dist/notice.pdf", 0)
    # the station's own link (its WeChat account, say) is printed as a QR code; tel:96110 is not
    own = make_project({"antifraud.yaml": STATION + "qr: {url: 'https://example.org/xc', caption: 扫码关注新城派出所}\n"},
                       name="own")
    assert invoke(own, "build", "-p", "notice", "-j", "1").exit_code == 0
    assert decode_qr(own / "dist/notice.pdf", 0) == ["https://example.org/xc"]


@pytest.mark.parametrize("aid", AUDIENCES)
def test_the_sticker_is_100_by_70_with_3_mm_bleed_one_warning_and_the_hotline(kit, aid):
    from antifraud_cli.loader import load_project

    pdf = kit / aid / "sticker.pdf"  # once for the station: it prints nothing of a village
    (box,) = boxes_mm(pdf)
    t, b, m = box["trimbox"], box["bleedbox"], box["mediabox"]
    assert (t[2] - t[0], t[3] - t[1]) == (pytest.approx(100, abs=0.05), pytest.approx(70, abs=0.05))
    assert (b[2] - b[0], b[3] - b[1]) == (pytest.approx(106, abs=0.05), pytest.approx(76, abs=0.05))
    assert b[0] - m[0] == pytest.approx(7, abs=0.05) and t[0] - b[0] == pytest.approx(3, abs=0.05)
    voice = load_project(kit.parent).audiences[aid].voice
    text = page_text(pdf)[0].replace("\r\n", "")
    assert (voice.banner or voice.slogan).replace(" ", "") in text and "拿不准打96110" in text.replace(" ", "")
    found = trim_chars(pdf)
    warning = run_of(found, (voice.banner or voice.slogan).split(" ")[0])
    assert min(c["size"] for c in warning) >= 28  # large type: about 10 mm characters
    assert all(0 < c["left"] and c["right"] < 100 and 0 < c["top"] and c["bottom"] < 70 for c in found)
    # the colour runs into the bleed on every side
    image = pdfium.PdfDocument(str(pdf))[0].render(scale=150 / 72).to_pil().convert("L")
    for x_mm, y_mm in ((8.5, 30), (111.5, 30), (60, 8.5), (60, 81.5)):  # 1.5 mm outside the trim
        assert image.getpixel((round(x_mm * 150 / 25.4), round(y_mm * 150 / 25.4))) < 200


@pytest.mark.parametrize("aid", AUDIENCES)
def test_the_screen_png_is_1920_by_1080_srgb_with_its_text_and_no_tel_qr(kit, aid):
    from antifraud_cli.loader import load_project

    data = (kit / aid / "screen.png").read_bytes()
    assert b"sRGB" in data[:200]
    image = Image.open(io.BytesIO(data))
    assert (image.format, image.mode, image.size) == ("PNG", "RGB", (1920, 1080))
    project = load_project(kit.parent)
    voice = project.audiences[aid].voice
    description = image.text["Description"]
    for text in (voice.headline, "96110", "110", "新城派出所"):
        assert text in description
    entry = next(e for e in json.loads((kit / "manifest.json").read_text())["outputs"]
                 if e["path"] == f"{aid}/screen.png")
    assert len(entry["cases"]) == 3
    for cid in entry["cases"]:
        assert project.cases[cid].title in description
    assert not zxingcpp.read_barcodes(image)  # tel:96110 is no use on a screen
    primary = project.audiences[aid].palette.primary
    assert image.getpixel((960, 4)) == tuple(int(primary[i:i + 2], 16) for i in (1, 3, 5))  # RGB, not CMYK


def test_a_screen_carries_a_link_qr_and_every_character_is_at_least_48_px(make_project):
    """The screen's template as a PDF (same page, 4 px a mm): the characters' sizes in pixels; and a https link,
    unlike tel:, is printed as a QR code a phone reads from the image."""
    spec = ("id: screen-pdf\nname: 屏幕 PDF\ntemplate: screen.xml.j2\nsizes:\n  screen: {w: 480, h: 270}\n"
            "cases: 3\ncolour: screen\n")
    root = make_project({"antifraud.yaml": STATION + "qr: {url: 'https://example.org/xc', caption: 扫码关注}\n",
                         "products/screen-pdf.yaml": spec})
    result = invoke(root, "build", "-a", "elderly", "-a", "students", "-p", "screen-pdf", "-p", "screen", "-j", "1")
    assert result.exit_code == 0, result.output
    for aid, floor_px in (("elderly", 56), ("students", 48)):
        sizes_px = [c.size / 72 * 25.4 * 4 for c in chars(root / f"dist/{aid}/screen-pdf.pdf", 0)]
        assert min(sizes_px) >= floor_px - 0.5
        image = Image.open(root / f"dist/{aid}/screen.png")
        assert [r.text for r in zxingcpp.read_barcodes(image)] == ["https://example.org/xc"]


def test_the_new_products_are_listed(make_project):
    root = make_project({"antifraud.yaml": STATION})
    listed = {p["id"]: p for p in json.loads(invoke(root, "list", "products", "--json").output)}
    for pid in ("booklet", "booklet-imposed", "notice", "sticker", "screen"):
        assert pid in listed and not listed[pid]["default"]
    assert listed["screen"]["format"] == "png" and listed["notice"]["sizes"] == {"A3": {"w": 297, "h": 420}}
    shown = invoke(root, "list", "products").output
    assert re.search(r"booklet-imposed.*A4 297×210", shown)


def test_the_preview_gallery_shows_them(kit):
    result = invoke(kit.parent, "preview")
    assert result.exit_code == 0, result.output
    html = (kit / "index.html").read_text(encoding="utf-8")
    for name in ("通告（A3，可盖章）", "反诈桌贴", "屏幕图片（1920×1080）"):
        assert name in html
    assert (kit / "_preview/dongguan/notice.pdf.p1.png").exists()
    assert (kit / "_preview/students/screen.png.p1.png").exists()


def test_the_notice_names_the_village_s_own_incidents_first(make_project):
    incidents = ("日期,案件类型,损失金额（元）,村（社区）,简要案情\n2026-09-03,刷单返利,12000,东关村,\n"
                 "2026-10-20,刷单返利,15000,西关村,\n2026-12-08,冒充公检法,0,西关村,\n")
    units = UNITS + "  - {id: nanjie, name: 南街社区, officer: 王芳}\n"  # no incidents there
    root = make_project({"antifraud.yaml": units + "incidents: incidents.csv\n", "incidents.csv": incidents})
    result = invoke(root, "build", "-p", "notice", "-j", "1")
    assert result.exit_code == 0, result.output
    east = page_text(root / "dist/dongguan/notice.pdf")[0].replace("\r\n", "")
    west = page_text(root / "dist/xiguan/notice.pdf")[0].replace("\r\n", "")
    assert "近期东关村发生的诈骗以“刷单返利”为多，还要警惕" in east
    assert "近期西关村发生的诈骗以“刷单返利”“冒充公检法”为多" in west
    quiet = page_text(root / "dist/nanjie/notice.pdf")[0].replace("\r\n", "")
    assert "一、近期多发“" in quiet and "南街社区发生" not in quiet
