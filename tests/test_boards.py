"""The posted contact board (警民联系牌) with the officer's photo, and the home-visit letter (明白纸) with its
tear-off receipt: built through the CLI in small projects and read back from the PDFs. Test photos are drawn
here with Pillow."""
from __future__ import annotations

import io
import os
import textwrap

import pytest
from PIL import Image, ImageDraw, ImageOps
from pypdf import PdfReader

from antifraud_cli.loader import load_project
from antifraud_cli.select import select_cases

from conftest import STATION, invoke, write_files
from pdfcheck import MM, boxes_mm, chars, decode_qr, fonts, page_text

SLUG = 10  # mm of crop-mark margin round the trim box

PROJECT = STATION + textwrap.dedent("""\
    qr: {url: "tel:96110", caption: 扫码拨打96110反诈专线}
    officers:
      - name: 李明
        title: 社区民警
        phone: "13800001111"
        units: [dongguan, xiguan]
        photo: photos/liming.jpg
        qr: {url: "https://u.wechat.com/kLiMing"}
      - {name: 王芳, title: 社区辅警, phone: "0913-5212119", units: [nanjie]}
    units:
      - {id: dongguan, name: 东关村, officer: 李明, office: 东关村村委会一楼, hours: 每周一、三、五上午}
      - {id: xiguan, name: 西关村, officer: 李明}
      - {id: nanjie, name: 南街社区, officer: 王芳}
    """)
PHOTO_LINE = PROJECT.splitlines().index("    photo: photos/liming.jpg") + 1


def portrait(w: int, h: int) -> Image.Image:
    """A stand-in portrait: red across the top, a face, a dark blue uniform at the bottom."""
    img = Image.new("RGB", (w, h), (215, 228, 240))
    d = ImageDraw.Draw(img)
    d.rectangle([0, 0, w, h // 10], fill=(230, 0, 0))
    d.ellipse([w * 0.3, h * 0.18, w * 0.7, h * 0.52], fill=(230, 190, 160))
    d.rectangle([w * 0.15, h * 0.6, w * 0.85, h], fill=(20, 40, 110))
    return img


def jpeg(img: Image.Image, **save) -> bytes:
    out = io.BytesIO()
    img.save(out, "JPEG", quality=90, **save)
    return out.getvalue()




def images(path) -> list[dict]:
    """Every image XObject on every page: its dictionary (pypdf)."""
    found = []
    for page in PdfReader(str(path)).pages:
        for ref in (page["/Resources"].get("/XObject") or {}).values():
            obj = ref.get_object()
            if obj.get("/Subtype") == "/Image":
                found.append(obj)
    return found


def sizes_of(path, text: str) -> list[float]:
    """Font sizes of the characters of `text` where it is printed (each of its characters, in order)."""
    cs = chars(path, 0)
    s = "".join(c.ch for c in cs)
    at = s.find(text)
    assert at >= 0, f"{text!r} not printed"
    return [c.size for c in cs[at:at + len(text)]]


@pytest.fixture
def station(make_project):
    return make_project({"antifraud.yaml": PROJECT, "photos/liming.jpg": jpeg(portrait(1200, 1600))})


# ---------- the contact board

def test_each_unit_board_carries_its_officer_in_type_read_from_three_metres(station):
    result = invoke(station, "build", "-p", "contact-board", "-j", "1")
    assert result.exit_code == 0, result.output
    boards = {u: station / f"dist/{u}/contact-board.pdf" for u in ("dongguan", "xiguan", "nanjie")}
    assert sorted(p.relative_to(station / "dist").as_posix() for p in (station / "dist").rglob("*.pdf")) == \
        ["dongguan/contact-board.pdf", "nanjie/contact-board.pdf", "xiguan/contact-board.pdf"]

    east = page_text(boards["dongguan"])[0]
    assert "李明" in east and "138 0000 1111" in east and "王芳" not in east
    assert "东关村、西关村" in east  # the units the officer serves
    assert "东关村村委会一楼" in east and "每周一、三、五上午" in east  # the unit's 警务室
    assert "110" in east and "96110" in east and "新城派出所" in east
    south = page_text(boards["nanjie"])[0]
    assert "王芳" in south and "0913-5212119" in south and "李明" not in south
    assert "警务室" not in south  # no office given: no empty line for it

    for unit, (name, phone) in {"dongguan": ("李明", "13800001111"), "nanjie": ("王芳", "0913-5212119")}.items():
        assert min(sizes_of(boards[unit], name)) >= 36
        assert min(sizes_of(boards[unit], phone)) >= 48
        assert min(c.size for c in chars(boards[unit], 0)) >= 14  # the elderly's minimum, everywhere

    # a photo configured: one image object; none otherwise (and no empty box in its place)
    assert len(images(boards["dongguan"])) == 1 and len(images(boards["xiguan"])) == 1
    assert images(boards["nanjie"]) == []
    # print rules as the poster's: A4 trim, 3 mm bleed, crop-mark margin, fonts embedded
    box = boxes_mm(boards["dongguan"])[0]
    assert box["trimbox"] == pytest.approx((SLUG, SLUG, SLUG + 210, SLUG + 297), abs=0.05)
    assert box["bleedbox"] == pytest.approx((SLUG - 3, SLUG - 3, SLUG + 213, SLUG + 300), abs=0.05)
    assert all(f["embedded"] for f in fonts(boards["dongguan"]))
    # the officer's own QR code on their boards, the station's on the others
    assert decode_qr(boards["dongguan"], 0) == ["https://u.wechat.com/kLiMing"]
    assert decode_qr(boards["nanjie"], 0) == ["tel:96110"]


def test_the_photo_is_cmyk_cropped_to_fill_and_downsampled_to_300_dpi(station):
    write_files(station, {"photos/liming.jpg": jpeg(portrait(2400, 2400))})  # square: cropped, not squeezed
    assert invoke(station, "build", "-p", "contact-board", "-u", "dongguan", "-j", "1").exit_code == 0
    pdf = station / "dist/dongguan/contact-board.pdf"
    (image,) = images(pdf)
    assert image["/ColorSpace"] == "/DeviceCMYK" and image["/Filter"] in ("/DCTDecode", ["/DCTDecode"])
    # placed 48 x 64 mm: at most 300 dpi (567 x 756 px), in the box's proportions (cropped, never stretched)
    w, h = image["/Width"], image["/Height"]
    assert (w, h) == (567, 756)
    assert pdf.stat().st_size < 400_000
    # cropped evenly from the square: the face is in the box, and its proportions are kept
    page = render(pdf)
    face = [x for x in range(px_mm(16), px_mm(60))  # inside the frame drawn round the photo
            if close(page.getpixel((x, px_mm(52 + 0.35 * 64))), (230, 190, 160), tol=20)]  # across the face
    assert face, "the face is not where the crop should put it"
    width_mm = (face[-1] - face[0]) * 25.4 / 150
    assert width_mm == pytest.approx(0.4 * 64, abs=1.5)  # 40 % of the square's side, which now spans 64 mm


def render(pdf, dpi=150):
    import pypdfium2 as pdfium

    return pdfium.PdfDocument(str(pdf))[0].render(scale=dpi / 72, crop=(SLUG * MM,) * 4).to_pil().convert("RGB")


def px_mm(mm: float, dpi: int = 150) -> int:
    return round(mm / 25.4 * dpi)


def close(a, b, tol=40) -> bool:
    return all(abs(x - y) <= tol for x, y in zip(a, b))


def test_exif_orientation_is_honoured(station):
    want = portrait(900, 1200)
    stored = want.transpose(Image.Transpose.ROTATE_90)  # how a phone held upright stores it: on its side
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to show"
    data = jpeg(stored, exif=exif.tobytes())
    assert ImageOps.exif_transpose(Image.open(io.BytesIO(data))).size == want.size
    write_files(station, {"photos/liming.jpg": data})
    assert invoke(station, "build", "-p", "contact-board", "-u", "dongguan", "-j", "1").exit_code == 0
    page = render(station / "dist/dongguan/contact-board.pdf")
    # the photo's box: x 14-62 mm, y 52-116 mm; red at its top, the uniform at its bottom
    assert close(page.getpixel((px_mm(38), px_mm(54))), (230, 0, 0))
    assert close(page.getpixel((px_mm(38), px_mm(113))), (20, 40, 110))
    assert not close(page.getpixel((px_mm(16), px_mm(84))), (230, 0, 0))  # not turned: no red down the side


def test_a_photo_placed_twice_is_embedded_once_and_a_template_cannot_reach_outside(station):
    spec = "id: twice\nname: 两页\ntemplate: twice.xml.j2\nsizes: {A5: {w: 148, h: 210}}\npages: 2\n"
    page = '<page><image x="20" y="20" w="48" h="64" file="{file}"/></page>'
    template = '<document size="{{{{ page.w }}}}x{{{{ page.h }}}}">{0}{0}</document>'
    write_files(station, {"products/twice.yaml": spec,
                          "templates/twice.xml.j2": template.format(page.format(file="photos/liming.jpg"))})
    assert invoke(station, "build", "-p", "twice", "-a", "elderly", "-u", "dongguan", "-j", "1").exit_code == 0
    reader = PdfReader(str(station / "dist/dongguan/elderly/twice.pdf"))
    placed = [ref.idnum for p in reader.pages for ref in p["/Resources"]["/XObject"].values()]
    assert len(placed) == 2 and len(set(placed)) == 1  # one image object, drawn on both pages

    # a template is data: it may not print a file from outside the project folder
    (station.parent / "secret.jpg").write_bytes(jpeg(portrait(900, 1200)))
    write_files(station, {"templates/twice.xml.j2": template.format(page.format(file="../secret.jpg"))})
    result = invoke(station, "build", "-p", "twice", "-a", "elderly", "-j", "1")
    assert result.exit_code == 1
    assert "templates/twice.xml.j2 (rendered):1: " in result.output
    assert "'../secret.jpg' is outside the project folder" in result.output


def test_a_photo_too_small_for_its_printed_size_is_a_located_error(station):
    write_files(station, {"photos/liming.jpg": jpeg(portrait(240, 320))})
    for command in (["check"], ["build", "-p", "contact-board", "-j", "1"]):
        result = invoke(station, *command)
        assert result.exit_code == 1, result.output
        assert f"antifraud.yaml:{PHOTO_LINE}: " in result.output
        assert "officers[0].photo" in result.output and "240×320 px" in result.output
        assert "needs at least 284×378 px" in result.output  # 48 x 64 mm at 150 dpi
    assert not (station / "dist").exists() or not list((station / "dist").rglob("*.pdf"))
    # a photo cut short passes the header check at load; decoding it for print fails at its line
    whole = jpeg(portrait(1200, 1600))
    write_files(station, {"photos/liming.jpg": whole[: len(whole) // 2]})
    result = invoke(station, "build", "-p", "contact-board", "-j", "1")
    assert result.exit_code == 1 and "internal error" not in result.output
    assert f"antifraud.yaml:{PHOTO_LINE}: " in result.output and "cannot be read as an image" in result.output


def gif() -> bytes:
    out = io.BytesIO()
    portrait(300, 400).save(out, "GIF")
    return out.getvalue()


@pytest.mark.parametrize("photo, content, message", [
    ("photos/none.jpg", None, "photo 'photos/none.jpg' not found"),
    ("photos/broken.jpg", lambda: b"this is not a photo", "photo 'photos/broken.jpg' cannot be read as an image"),
    ("photos/li.gif", gif, "photo 'photos/li.gif' is a GIF file, not a JPEG or PNG"),
    ("../outside.jpg", None, "'../outside.jpg' is outside the project folder"),
    ("photos/link.jpg", None, "'photos/link.jpg' is outside the project folder"),
])
def test_a_missing_unreadable_or_outside_photo_is_a_located_error(station, photo, content, message):
    outside = station.parent / "outside.jpg"
    outside.write_bytes(jpeg(portrait(900, 1200)))
    if photo == "photos/link.jpg":
        (station / photo).symlink_to(outside)  # a link out of the project counts as outside, resolved
    if content:
        write_files(station, {photo: content()})
    write_files(station, {"antifraud.yaml": PROJECT.replace("photos/liming.jpg", photo)})
    result = invoke(station, "check")
    assert result.exit_code == 1
    assert f"antifraud.yaml:{PHOTO_LINE}: officers[0].photo: {message}" in result.output


def test_a_new_photo_under_the_same_name_rebuilds_the_boards(station):
    assert invoke(station, "build", "-p", "contact-board", "-j", "1").exit_code == 0
    assert invoke(station, "build", "-p", "contact-board", "--check").exit_code == 0
    write_files(station, {"photos/liming.jpg": jpeg(portrait(1200, 1600).transpose(Image.Transpose.FLIP_TOP_BOTTOM))})
    check = invoke(station, "build", "-p", "contact-board", "--check")
    assert check.exit_code == 1
    assert {ln.split()[1] for ln in check.output.splitlines() if ln.startswith("stale: ")} == \
        {"dongguan/contact-board.pdf", "xiguan/contact-board.pdf"}  # 王芳's board has no photo


def test_without_units_every_officer_gets_a_board(make_project):
    config = STATION + textwrap.dedent("""\
        officers:
          - {name: 李明, phone: "13800001111", photo: li.png}
          - {name: 王芳, title: 社区辅警, phone: "13800002222"}
        """)
    png = io.BytesIO()
    portrait(600, 800).convert("RGBA").save(png, "PNG")
    root = make_project({"antifraud.yaml": config, "li.png": png.getvalue()})
    result = invoke(root, "build", "-p", "contact-board", "-j", "1")
    assert result.exit_code == 0, result.output
    li, wang = root / "dist/contact-board-liming.pdf", root / "dist/contact-board-wangfang.pdf"
    assert "李明" in page_text(li)[0] and "王芳" in page_text(wang)[0]
    assert min(sizes_of(wang, "13800002222")) >= 48
    assert len(images(li)) == 1 and images(wang) == []


def test_the_a3_board_scales_up(station):
    write_files(station, {"antifraud.yaml": PROJECT + "defaults: {sizes: {contact-board: A3}}\n"})
    assert invoke(station, "build", "-p", "contact-board", "-u", "dongguan", "-j", "1").exit_code == 0
    pdf = station / "dist/dongguan/contact-board.pdf"
    box = boxes_mm(pdf)[0]["trimbox"]
    assert (box[2] - box[0], box[3] - box[1]) == (pytest.approx(297, abs=0.1), pytest.approx(420, abs=0.1))
    assert min(sizes_of(pdf, "13800001111")) >= 48 * 297 / 210 - 0.5
    (image,) = images(pdf)
    assert image["/Width"] == round(48 * 297 / 210 / 25.4 * 300 + 0.5)  # 300 dpi at the larger size


# ---------- the home-visit letter

RECEIPT = ["回执", "户主姓名", "住址", "东关村", "已安装国家反诈中心App", "□是", "□否", "已知晓96110□", "签字", "日期"]


def test_the_home_visit_letter_is_for_the_elderly_with_a_receipt(station):
    result = invoke(station, "build", "-p", "home-visit", "-j", "1")
    assert result.exit_code == 0, result.output
    built = sorted(p.relative_to(station / "dist").as_posix() for p in (station / "dist").rglob("*.pdf"))
    assert built == [f"{u}/elderly/home-visit.pdf" for u in ("dongguan", "nanjie", "xiguan")]  # elderly only
    pdf = station / "dist/dongguan/elderly/home-visit.pdf"
    assert len(PdfReader(str(pdf)).pages) == 1
    text = page_text(pdf)[0]
    flat = "".join(text.split())
    for field in RECEIPT:
        assert field in flat, field
    assert "李明" in text and "138 0000 1111" in text and "东关村" in text
    # the scams that matter most to the elderly on the build day, as the leaflet chooses them
    project = load_project(station)
    top = select_cases(project, "elderly", 2, project_day())
    for case in top:
        assert case.title in flat
    cs = chars(pdf, 0)
    assert min(c.size for c in cs) >= 14  # nothing under the elderly's minimum
    # at most 400 characters of message above the cut line
    cut = (SLUG + 297 - 212) * MM  # the dashed line runs 214 mm below the top edge
    letter = [c for c in cs if c.baseline > cut]
    assert 150 < len(letter) <= 400
    # the receipt's rows leave room to write: 8 mm or more between them
    rows = [baseline_of(cs, label) for label in ("户主姓名", "住", "已安装", "签")]
    assert all(row < cut for row in rows)
    gaps = [(a - b) / MM for a, b in zip(rows, rows[1:])]
    assert min(gaps) >= 8 - 0.05, gaps


def baseline_of(cs, text: str) -> float:
    s = "".join(c.ch for c in cs)
    return cs[s.index(text)].baseline


def project_day():
    import datetime as dt

    return dt.datetime.fromtimestamp(int(os.environ["SOURCE_DATE_EPOCH"]), dt.timezone.utc).date()


def test_the_letter_follows_the_audience_asked_for(station):
    result = invoke(station, "build", "-p", "home-visit", "-a", "students", "-u", "nanjie", "-j", "1")
    assert result.exit_code == 0, result.output
    assert sorted(p.relative_to(station / "dist").as_posix() for p in (station / "dist").rglob("*.pdf")) == \
        ["nanjie/students/home-visit.pdf"]
    pdf = station / "dist/nanjie/students/home-visit.pdf"
    minimum = load_project(station).audiences["students"].reading.min_font_pt
    assert min(c.size for c in chars(pdf, 0)) >= minimum - 0.01
    text = page_text(pdf)[0]
    assert "王芳" in text and "0913-5212119" in text


def test_print_rules_text_inside_the_safe_zone_and_small_text_in_black_only(station):
    from antifraud_cli.paths import builtin_dir

    students = (builtin_dir("audiences") / "students.yaml").read_text(encoding="utf-8")
    assert "body_font_pt: 12" in students
    write_files(station, {"audiences/students.yaml": students.replace("body_font_pt: 12", "body_font_pt: 11")})
    args = ("-p", "contact-board", "-p", "home-visit", "-a", "elderly", "-a", "students", "-j", "1")
    assert invoke(station, "build", *args).exit_code == 0
    pdfs = sorted((station / "dist").rglob("*.pdf"))
    assert len(pdfs) == 3 + 3 * 2
    small = 0
    for pdf in pdfs:
        (left, bottom, right, top) = (v * MM for v in boxes_mm(pdf)[0]["trimbox"])
        for c in chars(pdf, 0):  # 3 mm of safe zone inside the trim: nothing is cut off
            assert min(c.x0 - left, right - c.x1, c.y0 - bottom, top - c.y1) >= 3 * MM - 0.01, (pdf, c.ch)
        for size, (op, values) in text_fills(pdf):  # under 12 pt: from the black plate alone
            if size < 12 - 1e-6:
                small += 1
                assert op == "g" or (op == "k" and values[:3] == (0, 0, 0)), f"{pdf}: {size:.2f} pt in {op} {values}"
    assert small > 20  # the students' letters at 11 pt


def text_fills(path) -> list[tuple[float, tuple]]:
    """(font size, fill colour operator and operands) of every text-showing operator on the page."""
    from pypdf.generic import ContentStream

    reader = PdfReader(str(path))
    found, fill, size, saved = [], ("g", (0.0,)), 0.0, []
    for operands, op in ContentStream(reader.pages[0].get_contents(), reader).operations:
        op = op.decode("latin-1") if isinstance(op, bytes) else op
        if op == "q":
            saved.append(fill)
        elif op == "Q":
            fill = saved.pop()
        elif op in ("k", "g", "rg", "sc", "scn"):
            fill = (op, tuple(round(float(v), 4) for v in operands))
        elif op == "Tf":
            size = float(operands[1])
        elif op in ("Tj", "TJ", "'", '"'):
            found.append((size, fill))
    assert found
    return found


def test_a_letter_without_an_officer_leaves_lines_to_write_on(make_project):
    root = make_project({"antifraud.yaml": STATION})
    result = invoke(root, "build", "-p", "home-visit", "-j", "1")
    assert result.exit_code == 0, result.output
    flat = "".join(page_text(root / "dist/elderly/home-visit.pdf")[0].split())
    assert "社区民警电话" in flat and "户主姓名" in flat
