"""Hostile and unusual input files, second probe (issue 24; reliability-probe-2.md rows named in each test):
budgets by size not by count, linear loading, strict decoding, visible sheets only, photos opened only as the
formats they claim, every photo mode printed, incident logs of any length. Each test failed before its fix."""
from __future__ import annotations

import io
import os
import struct
import subprocess
import sys
import textwrap
import zipfile
import zlib
from pathlib import Path

import pytest
from PIL import Image

from antifraud_cli.loader import load_project

from conftest import CASE, STATION, invoke, write_files
from conftest import problems as all_problems

openpyxl = pytest.importorskip("openpyxl")


def problems(root: Path) -> list[str]:
    """The project's problems, without those of built-in files another change may have half-done."""
    return [m for m in all_problems(root) if not m.startswith("(built-in)")]


def no_traceback(result) -> None:
    assert "Traceback" not in result.output and "internal error" not in result.output, result.output


# ================================================================== YAML

def test_alias_budget_counts_the_characters_aliases_add(make_project):
    # N009: one 200 K-character string aliased 40,000 times (961 KB) grew past 3 GB; the budget counted uses.
    # Here 100 uses of a 60,000-character string: 6 M characters added by aliases, far under 50,000 uses.
    big = "骗" * 60_000
    flags = "[&big \"" + big + "\", " + ", ".join(["*big"] * 100) + "]"
    root = make_project({"cases/x-case.yaml": CASE.format(id="x-case").replace("[先让你交钱]", flags)})
    (msg,) = problems(root)
    assert msg.startswith("cases/x-case.yaml:4: aliases (*name) expand this file to more than"), msg
    assert "characters" in msg


def test_modest_aliases_of_text_still_work(make_project):
    root = make_project({"antifraud.yaml": STATION + "officers:\n  - {name: &n 李明, phone: \"13800001111\"}\n"
                         "units:\n" + "".join(f"  - {{id: u{i}, name: 村{i}, officer: *n}}\n" for i in range(200))})
    assert len(load_project(root).units) == 200


def _inline_project(n: int) -> str:
    officers = "".join(f'  - {{name: 民警{i}, phone: "138{i:08d}", units: [u{i}]}}\n' for i in range(n))
    units = "".join(f"  - {{id: u{i}, name: 村{i}, officer: 民警{i}}}\n" for i in range(n))
    return STATION + "officers:\n" + officers + "units:\n" + units


def test_inline_units_and_officers_load_in_linear_time(make_project):
    # N025/N027: 2,000 / 5,000 inline units took 18.6 s / 155 s (every nested model scanned every line of the
    # file; each unit scanned every officer). A subprocess with a limit far above the linear time (about 3 s
    # here for 5,000) and far under the quadratic one.
    root = make_project({"antifraud.yaml": _inline_project(5000)})
    code = ("from antifraud_cli.loader import load_project; from antifraud_cli.catalog import *; import sys;"
            "p = load_project(sys.argv[1]); assert len(p.units) == 5000;"
            "assert all(p.officer_for(u).name == u.officer for u in p.units)")
    subprocess.run([sys.executable, "-c", code, str(root)], check=True, timeout=90,
                   cwd=Path(__file__).parent.parent)


def test_lines_are_still_attached_to_nested_models(make_project):
    root = make_project({"antifraud.yaml": _inline_project(3)})
    project = load_project(root)
    assert project.units[2].where("name").line == 9 and project.officers[1].where("phone").line == 4
    assert project.officers[1].where("units", 0).line == 4


@pytest.mark.parametrize("text, line", [
    ("? [a, b]\n: c\n", 2),
    ("x-key: {[a]: 1}\n", 2),
    ("? {k: v}\n: 1\n", 2),
])
def test_complex_yaml_keys_are_located(make_project, text, line):
    # N003: TypeError: unhashable type: 'list' traceback
    root = make_project({"antifraud.yaml": STATION + text})
    (msg,) = problems(root)
    assert msg.startswith(f"antifraud.yaml:{line}: a key must be plain text"), msg


@pytest.mark.parametrize("key", ["~", "1", "true"])
def test_a_key_yaml_reads_as_a_number_or_null_is_located_at_its_line(make_project, key):
    # N004: "Keys should be strings" at the station's line 1, not the key's line
    root = make_project({"antifraud.yaml": STATION + "qr: {url: \"tel:96110\"}\n" + f"{key}: x\n"})
    (msg,) = problems(root)
    assert msg.startswith("antifraud.yaml:3:"), msg


@pytest.mark.parametrize("kind", ["directory", "fifo", "device"])
def test_an_unreadable_antifraud_yaml_is_an_error_not_the_national_kit(make_project, kind):
    # N016: a directory, FIFO or link to /dev/zero named antifraud.yaml was ignored: the national kit was built
    root = make_project({})
    path = root / "antifraud.yaml"
    if kind == "directory":
        path.mkdir()
    elif kind == "fifo":
        os.mkfifo(path)
    else:
        path.symlink_to("/dev/zero")
    (msg,) = problems(root)
    assert msg.startswith("antifraud.yaml: cannot read: it is not a regular file"), msg


@pytest.mark.parametrize("seasons", ["[010, 011, 012]", "[07, 08, 09]"])
def test_zero_padded_months_are_not_read_as_octal(make_project, seasons):
    # N026: [010, 011, 012] became months 8, 9, 10 (YAML 1.1 octal), silently
    root = make_project({"cases/x-case.yaml": CASE.format(id="x-case") + f"seasons: {seasons}\n"})
    msgs = problems(root)
    assert msgs and all(m.startswith("cases/x-case.yaml:7:") for m in msgs), msgs
    assert any("leading zero" in m for m in msgs), msgs


@pytest.mark.parametrize("char", ["\\uffff", "\\ufffe", "\\ufdd0"])
def test_a_noncharacter_is_refused_at_its_field(make_project, char):
    # N095b: U+FFFF in the station name ended as "layout document is not well-formed XML" in the built-in card
    root = make_project({"antifraud.yaml": STATION.replace("name: 新城派出所", f'name: "新城{char}派出所"')})
    (msg,) = problems(root)
    assert msg.startswith("antifraud.yaml:1: field 'station.name': character U+") and "noncharacter" in msg, msg


# ================================================================== CSV rosters

ROSTER = "村（社区）,姓名,职务,联系电话\n东关村,李明,社区民警,13800001111\n南街社区,王芳,社区辅警,13800002222\n"
ROSTER_CONFIG = STATION + "roster: officers.csv\n"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "gbk", "gb2312"])
def test_rosters_in_the_encodings_chinese_offices_save_are_read(make_project, encoding):
    root = make_project({"antifraud.yaml": ROSTER_CONFIG, "officers.csv": ROSTER.encode(encoding)})
    assert [(u.name, u.officer) for u in load_project(root).units] == [("东关村", "李明"), ("南街社区", "王芳")]


def test_a_gbk_roster_with_a_rare_name_character_is_read(make_project):
    text = ROSTER.replace("李明", "李喆").replace("王芳", "王堃")  # GBK-only characters people do have in names
    root = make_project({"antifraud.yaml": ROSTER_CONFIG, "officers.csv": text.encode("gbk")})
    assert [u.officer for u in load_project(root).units] == ["李喆", "王堃"]


@pytest.mark.parametrize("encoding, named", [("big5", "Big5"), ("shift_jis", "Shift-JIS")])
@pytest.mark.parametrize("header", ["村（社区）,姓名,职务,联系电话", "unit,name,title,phone"])
def test_a_roster_in_big5_or_shift_jis_stops_at_its_row_never_prints_garbled(make_project, encoding, named, header):
    # N033/N034: decoded as GB18030 with errors=replace: cards printed officer 棝柧, exit 0
    text = "村,姓名,职务,联系电话\n東關村,李明,社區民警,13800001111\n".replace("村,姓名,职务,联系电话", header)
    if encoding == "shift_jis":
        text = text.replace("社區", "社区").replace("職務", "職務")
    data = text.encode(encoding, errors="replace")
    root = make_project({"antifraud.yaml": ROSTER_CONFIG, "officers.csv": data})
    (msg,) = problems(root)
    first_bad = 1 if not header.isascii() else 2
    assert msg.startswith(f"officers.csv:{first_bad}: the file is not UTF-8 or GB18030 (GBK) text"), msg
    assert named in msg and "save" in msg and "UTF-8" in msg


def test_a_utf16_roster_without_a_bom_is_named_as_such(make_project):
    # N035: UTF-16LE without a BOM: "cannot find the roster's header row"
    data = ROSTER.replace(",", "\t").encode("utf-16-le")
    root = make_project({"antifraud.yaml": ROSTER_CONFIG, "officers.csv": data})
    (msg,) = problems(root)
    assert msg.startswith("officers.csv:1: the file is UTF-16 text without a byte-order mark"), msg


def test_a_csv_cell_over_the_field_limit_is_located(make_project):
    # N032: _csv.Error: field larger than field limit (131072) traceback
    text = ROSTER + "西关村," + "长" * 200_000 + ",社区民警,13800003333\n"
    root = make_project({"antifraud.yaml": ROSTER_CONFIG, "officers.csv": text})
    (msg,) = problems(root)
    assert msg.startswith("officers.csv:4: a cell is longer than 131,072 characters"), msg


def test_a_roster_with_too_many_rows_is_refused_quickly(make_project, monkeypatch):
    from antifraud_cli import roster

    monkeypatch.setattr(roster, "MAX_ROWS", 50)
    text = ROSTER + "".join(f"村{i},民警{i},社区民警,138{i:08d}\n" for i in range(60))
    root = make_project({"antifraud.yaml": ROSTER_CONFIG, "officers.csv": text})
    (msg,) = problems(root)
    assert msg.startswith("officers.csv:51: more than 50 rows"), msg


def test_a_csv_over_the_size_limit_is_refused_unread(make_project, monkeypatch):
    from antifraud_cli import roster

    monkeypatch.setattr(roster, "MAX_TABLE_BYTES", 1000)
    root = make_project({"antifraud.yaml": ROSTER_CONFIG, "officers.csv": ROSTER + "\n" * 2000})
    (msg,) = problems(root)
    assert msg.startswith("officers.csv: the file has 2,") and "bytes, more than the 1,000" in msg, msg


# ================================================================== XLSX rosters

def _two_sheet_book(path: Path, state: str) -> None:
    book = openpyxl.Workbook()
    old = book.active
    old.title = "旧名单"
    old.append(["村（社区）", "姓名", "联系电话"])
    old.append(["东关村", "老民警", "13900009999"])
    new = book.create_sheet("名单")
    new.append(["村（社区）", "姓名", "联系电话"])
    new.append(["东关村", "李明", "13800001111"])
    old.sheet_state = state
    book.active = 1
    book.save(path)


@pytest.mark.parametrize("state", ["hidden", "veryHidden"])
def test_a_hidden_first_sheet_is_never_read_and_check_says_which_was(make_project, run, state):
    # N043/N044: the hidden stale first sheet was read silently
    root = make_project({"antifraud.yaml": STATION + "roster: officers.xlsx\n"})
    _two_sheet_book(root / "officers.xlsx", state)
    project = load_project(root)
    assert [(u.name, u.officer) for u in project.units] == [("东关村", "李明")]
    assert "roster read from sheet '名单'" in [str(n) for n in project.notes][0]
    result = run(root, "check")
    assert "roster read from sheet '名单'" in result.output and "hidden" in result.output, result.output


def test_the_active_visible_sheet_is_read_first(tmp_path):
    from antifraud_cli.roster import load_roster

    book = openpyxl.Workbook()
    book.active.append(["村（社区）", "姓名", "联系电话"])
    book.active.append(["东关村", "去年民警", "13900009999"])
    second = book.create_sheet("2026")
    second.append(["村（社区）", "姓名", "联系电话"])
    second.append(["东关村", "李明", "13800001111"])
    book.active = 1  # the office left the current year's sheet open
    book.save(tmp_path / "r.xlsx")
    roster = load_roster(tmp_path / "r.xlsx", tmp_path)
    assert [o.name for o in roster.officers] == ["李明"]


def _bomb_xlsx(path: Path, chars: int) -> None:
    """A workbook holding one string of `chars` characters: a few hundred KB, unpacking to `chars` bytes."""
    book = openpyxl.Workbook()
    book.active.append(["村（社区）", "姓名", "联系电话"])
    book.active.append(["东关村", "PLACEHOLDER", "13800001111"])
    book.save(path)
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    (name,) = [n for n, data in parts.items() if b"PLACEHOLDER" in data]  # inline, or the shared strings
    parts[name] = parts[name].replace(b"PLACEHOLDER", b"A" * chars)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)


def test_an_xlsx_that_unpacks_to_too_much_is_refused_before_it_is_read(make_project):
    # N046: sharedStrings.xml holding one 600 MB string (a 617 KB file) took 1.3 GB. An 80 MB string here,
    # refused from the zip's records: nothing is unpacked
    root = make_project({"antifraud.yaml": STATION + "roster: officers.xlsx\n"})
    _bomb_xlsx(root / "officers.xlsx", 80_000_000)
    assert (root / "officers.xlsx").stat().st_size < 1_000_000
    import tracemalloc

    tracemalloc.start()
    try:
        (msg,) = problems(root)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert msg.startswith("officers.xlsx: the workbook unpacks to more than"), msg
    assert peak < 40_000_000


def test_an_xlsx_with_too_many_rows_is_refused(tmp_path, monkeypatch):
    # N047/N048: 3,000,000 styled empty rows took 219 s; 1,000,000 data rows 315 s and ~1 GB
    from antifraud_cli import roster

    monkeypatch.setattr(roster, "MAX_ROWS", 100)
    book = openpyxl.Workbook()
    book.active.append(["村（社区）", "姓名", "联系电话"])
    for i in range(150):
        book.active.append([f"村{i}", f"民警{i}", f"138{i:08d}"])
    book.save(tmp_path / "r.xlsx")
    result = roster.load_roster(tmp_path / "r.xlsx", tmp_path)
    assert [str(p) for p in result.problems] == ["r.xlsx:101: more than 100 rows in sheet 'Sheet'\n"
                                                 "    hint: keep only the rows with data: delete the rows below "
                                                 "the last one (empty rows that were formatted count too)"]


def test_a_password_protected_workbook_says_so(make_project):
    # N045: "File is not a zip file" + "save it again as .xlsx" (which keeps the password)
    ole = bytes.fromhex("d0cf11e0a1b11ae1") + b"\0" * 504
    root = make_project({"antifraud.yaml": STATION + "roster: officers.xlsx\n", "officers.xlsx": ole})
    (msg,) = problems(root)
    assert msg.startswith("officers.xlsx: the workbook is password-protected or an old .xls"), msg
    assert "remove the password" in msg


# ================================================================== photos

BOARD = STATION + textwrap.dedent("""\
    officers:
      - {name: 李明, phone: "13800001111", units: [dongguan], photo: photos/li.png}
    units:
      - {id: dongguan, name: 东关村, officer: 李明}
    """)


def _png_header_only(w: int, h: int) -> bytes:
    """A PNG that declares w x h pixels and holds a few bytes of them: a decompression bomb's header."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 6, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\0" * 1000)) + chunk(b"IEND", b""))


@pytest.mark.parametrize("w, h", [(60000, 60000), (9000, 9000), (8900, 8900)])
def test_a_photo_with_too_many_pixels_is_refused_at_load_from_its_header(make_project, w, h):
    # N071: 60000x60000 gave a DecompressionBombError traceback; N071b: 8900x8900 RGBA (79 Mpx) took 1.4 GB
    root = make_project({"antifraud.yaml": BOARD, "photos/li.png": _png_header_only(w, h)})
    (msg,) = problems(root)
    assert msg.startswith(f"antifraud.yaml:3: officers[0].photo: photo 'photos/li.png' is {w}×{h} px"), msg
    assert "too large" in msg


POSTSCRIPT = b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 100 100\n{ } loop\n"


def test_a_postscript_file_named_jpg_never_reaches_ghostscript(tmp_path, monkeypatch):
    # N078b: a template <image> opened any format Pillow knows: a "JPEG" that was EPS ran gs and hung
    from PIL import EpsImagePlugin

    from antifraud_cli import photos

    def no_gs(*args, **kwargs):
        raise AssertionError("Ghostscript was called")

    monkeypatch.setattr(EpsImagePlugin, "Ghostscript", no_gs)
    (tmp_path / "x.jpg").write_bytes(POSTSCRIPT)
    with pytest.raises(photos.PhotoError) as err:
        photos.placed(tmp_path / "x.jpg", "photos/x.jpg", 48, 64)
    assert str(err.value) == "photo 'photos/x.jpg' is a PostScript (EPS) file, not a JPEG or PNG"


def test_a_template_image_that_is_postscript_is_a_located_error(make_project):
    spec = "id: pic\nname: 图\ntemplate: pic.xml.j2\nsizes: {A5: {w: 148, h: 210}}\n"
    tpl = ('<document size="{{ page.w }}x{{ page.h }}"><page>'
           '<image x="20" y="20" w="48" h="64" file="photos/x.jpg"/></page></document>\n')
    root = make_project({"antifraud.yaml": STATION, "products/pic.yaml": spec, "templates/pic.xml.j2": tpl,
                         "photos/x.jpg": POSTSCRIPT})
    result = invoke(root, "build", "-p", "pic", "-j", "1")
    no_traceback(result)
    assert result.exit_code == 1
    assert "photo 'photos/x.jpg' is a PostScript (EPS) file, not a JPEG or PNG" in result.output


def test_a_template_image_that_is_a_fifo_is_not_found_never_read(make_project):
    spec = "id: pic\nname: 图\ntemplate: pic.xml.j2\nsizes: {A5: {w: 148, h: 210}}\n"
    tpl = ('<document size="{{ page.w }}x{{ page.h }}"><page>'
           '<image x="20" y="20" w="48" h="64" file="photos/pipe.jpg"/></page></document>\n')
    root = make_project({"antifraud.yaml": STATION, "products/pic.yaml": spec, "templates/pic.xml.j2": tpl})
    (root / "photos").mkdir()
    os.mkfifo(root / "photos/pipe.jpg")
    result = invoke(root, "build", "-p", "pic", "-j", "1")
    no_traceback(result)
    assert result.exit_code == 1 and "photo 'photos/pipe.jpg' not found" in result.output, result.output


def _portrait(mode_colour=(128, 128, 128), size=(600, 800)) -> Image.Image:
    return Image.new("RGB", size, mode_colour)


def _mpo(img: Image.Image) -> bytes:
    out = io.BytesIO()
    img.save(out, "MPO", save_all=True, append_images=[img.copy()])
    return out.getvalue()


def test_a_phone_mpo_jpeg_is_accepted(make_project):
    # N080: "photo 'photos/li.jpg' is a MPO file, not a JPEG or PNG": a genuine camera JPEG refused
    data = _mpo(_portrait())
    assert Image.open(io.BytesIO(data)).format == "MPO"
    root = make_project({"antifraud.yaml": BOARD.replace("li.png", "li.jpg"), "photos/li.jpg": data})
    result = invoke(root, "build", "-p", "contact-board", "-j", "1")
    assert result.exit_code == 0, result.output


def _mode_photo(mode: str) -> tuple[bytes, str]:
    """A 600x800 mid-grey photo stored in `mode` (as PNG, or JPEG for CMYK), and its file name."""
    grey = Image.new("L", (600, 800), 128)
    if mode == "1":
        img = Image.new("1", (600, 800))
        img.paste(1, (0, 0, 600, 400))  # top half white, bottom half black
    elif mode == "I;16":
        img = Image.new("I;16", (600, 800), 32768)  # half of 16-bit white
    elif mode == "LA":
        img = Image.merge("LA", (grey, Image.new("L", (600, 800), 255)))
    elif mode == "P":
        img = Image.new("RGB", (600, 800), (128, 128, 128)).convert("P")
    elif mode == "RGBA":
        img = Image.new("RGBA", (600, 800), (128, 128, 128, 255))
    elif mode == "CMYK":
        img = Image.new("CMYK", (600, 800), (0, 0, 0, 127))
    else:
        img = grey.convert(mode)
    out = io.BytesIO()
    fmt = "JPEG" if mode == "CMYK" else "PNG"
    img.save(out, fmt)
    assert Image.open(io.BytesIO(out.getvalue())).mode == mode
    return out.getvalue(), "li.jpg" if fmt == "JPEG" else "li.png"


MODES = ["1", "L", "LA", "I;16", "P", "RGB", "RGBA", "CMYK"]


@pytest.fixture(scope="module")
def boards_by_mode(tmp_path_factory):
    """One project, one officer and village per photo mode: one build, a contact board each."""
    root = tmp_path_factory.mktemp("modes")
    officers, units, files = [], [], {}
    for i, mode in enumerate(MODES):
        data, name = _mode_photo(mode)
        files[f"photos/m{i}-{name}"] = data
        officers.append(f'  - {{name: 民警{"甲乙丙丁戊己庚辛"[i]}, phone: "138{i:08d}", units: [u{i}], '
                        f'photo: photos/m{i}-{name}}}\n')
        units.append(f"  - {{id: u{i}, name: 村{'甲乙丙丁戊己庚辛'[i]}, officer: 民警{'甲乙丙丁戊己庚辛'[i]}}}\n")
    files["antifraud.yaml"] = STATION + "officers:\n" + "".join(officers) + "units:\n" + "".join(units)
    write_files(root, files)
    result = invoke(root, "build", "-p", "contact-board", "-j", "1")
    assert result.exit_code == 0, result.output
    return root


def _photo_pixels(pdf: Path) -> list[tuple[int, int, int]]:
    """The colours of the page inside the photo's box (x 14-62 mm, y 52-116 mm on the board), sampled."""
    import pypdfium2 as pdfium

    from pdfcheck import MM

    page = pdfium.PdfDocument(str(pdf))[0].render(scale=100 / 72, crop=(10 * MM,) * 4).to_pil().convert("RGB")
    px = lambda mm: round(mm / 25.4 * 100)  # noqa: E731
    return [page.getpixel((px(x), px(y))) for x in (20, 38, 56) for y in (58, 70, 100, 110)]


@pytest.mark.parametrize("index, mode", list(enumerate(MODES)))
def test_every_photo_mode_prints_its_pixels_not_a_white_box(boards_by_mode, index, mode):
    # N073: a 16-bit greyscale PNG at 50 % grey was embedded as pure white
    pixels = _photo_pixels(boards_by_mode / f"dist/u{index}/contact-board.pdf")
    if mode == "1":  # top half white, bottom black
        assert min(sum(p) / 3 for p in pixels) < 60 and max(sum(p) / 3 for p in pixels) > 200
    else:
        assert all(70 <= sum(p) / 3 <= 190 for p in pixels), (mode, pixels)


# ================================================================== incidents

BRIEFING = STATION + """\
units:
  - {id: dongguan, name: 东关村}
  - {id: xiguan, name: 西关村}
incidents: incidents.csv
"""


def _log(first: str, months: int) -> str:
    y, m = map(int, first.split("-"))
    rows = ["日期,类型,损失,村（社区）"]
    for k in range(months):
        yy, mm = y + (m - 1 + k) // 12, (m - 1 + k) % 12 + 1
        rows.append(f"{yy}-{mm:02d}-15,刷单返利,{1000 + k},{'东关村' if k % 2 else '西关村'}")
    return "\n".join(rows) + "\n"


@pytest.mark.parametrize("months, per, first_label", [
    (12, "月", "9月"), (13, "季度", "2025年3季度"), (21, "季度", "2027年2季度"), (25, "年", "2027年"),
    (12 * 12 - 8, "年", "2036年")])
def test_a_briefing_for_a_long_period_groups_its_chart(make_project, months, per, first_label):
    # N067: any log over 12 months failed with "the label '2026年9月' is wider than its column" / "shorten
    # the label", which blames the built-in template
    from pdfcheck import page_text

    root = make_project({"antifraud.yaml": BRIEFING, "incidents.csv": _log("2025-09", months)})
    result = invoke(root, "build", "-p", "briefing", "-j", "1")
    assert result.exit_code == 0, result.output
    first = page_text(root / "dist/briefing.pdf")[0].replace(" ", "").replace("\n", "")
    assert f"每{per}发案起数" in first and first_label in first and f"{months}起" in first


def test_a_log_over_twelve_years_is_an_error_at_its_rows(make_project):
    # N061: incidents on 0001-01-01 and 9999-12-31 failed in the built-in template ('9999年12月' too wide)
    log = "日期,类型,损失,村（社区）\n2026-09-03,刷单返利,100,东关村\n0001-01-01,刷单返利,100,东关村\n" \
          "9999-12-31,刷单返利,100,西关村\n"
    root = make_project({"antifraud.yaml": BRIEFING, "incidents.csv": log})
    msgs = problems(root)
    assert [m.split(":")[:2] for m in msgs] == [["incidents.csv", "3"], ["incidents.csv", "4"]], msgs
    assert "is not a date between 2000 and 2099" in msgs[0]


def test_a_huge_loss_is_an_error_at_its_row(make_project):
    # N062: a loss of 1e30 ended in "template error: [<class 'decimal.InvalidOperation'>]"
    log = "日期,类型,损失,村（社区）\n2026-09-03,刷单返利,1e30,东关村\n2026-09-04,刷单返利," + "9" * 32 + ",东关村\n"
    root = make_project({"antifraud.yaml": BRIEFING, "incidents.csv": log})
    msgs = problems(root)
    assert [m.split(":")[:2] for m in msgs] == [["incidents.csv", "2"], ["incidents.csv", "3"]], msgs
