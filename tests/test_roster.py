"""Rosters as offices keep them (CSV in any encoding Excel writes, XLSX as Excel/WPS save it), phone rules,
unit ids from names, and `antifraud init` (example roster, CI workflow, --force backups)."""
from __future__ import annotations

import tracemalloc
import zipfile

import pytest

from antifraud_cli.loader import load_project
from antifraud_cli.models import phone_error
from antifraud_cli.roster import load_roster, slug_from_name

from conftest import STATION, problems
from pdfcheck import page_text

openpyxl = pytest.importorskip("openpyxl")



def config(roster: str) -> str:
    return STATION + f"roster: {roster}\n"

TEXT_HINT = "set the cell format to text"




def office_workbook(path, last_phone=13800002222):
    """A roster the way a township office types it into WPS or Excel: a merged title row, a blank row,
    Chinese headers with an extra column, an officer's cells merged over two villages, phones as numbers,
    a stray cell far to the right and one far below."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "民警名单"
    sheet["A1"] = "新城派出所社区民警联系表"
    sheet.merge_cells("A1:F1")
    sheet.append([])
    sheet.append(["序号", "村（社区）", "包村民警", "职务", "手机号码", "备注"])
    sheet.append([1, "东关村", "李  明", "社区民警", 13800001111, "兼管西关村"])  # name padded to 3 characters
    sheet.append([2, "西关村"])
    for col in "CDE":
        sheet.merge_cells(f"{col}4:{col}5")  # 李明's name, title and phone span both villages' rows
    sheet.append([3, "南街社区", "王芳", None, float(last_phone)])  # Excel keeps big numbers as floats
    sheet["XFD1"] = " "
    sheet["B200000"] = " "
    book.save(path)


def add_merge(path, ref: str) -> None:
    with zipfile.ZipFile(path) as z:
        parts = {name: z.read(name) for name in z.namelist()}
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    parts["xl/worksheets/sheet1.xml"] = sheet.replace(
        "</sheetData>", f'</sheetData><mergeCells count="1"><mergeCell ref="{ref}"/></mergeCells>').encode()
    with zipfile.ZipFile(path, "w") as z:
        for name, data in parts.items():
            z.writestr(name, data)


# ---------- CSV

def test_gb18030_csv_with_a_title_row_and_chinese_headers(make_project):
    csv_text = ("新城派出所社区民警名单,,,\r\n,,,\r\n村名,民警,职别,联系电话,身份证号\r\n"
                "东关村,李明,社区民警,138 0000 1111,\r\n\r\n南街社区,王芳,社区辅警,0913-5212110,\r\n")
    root = make_project({"antifraud.yaml": config("officers.csv"),
                         "officers.csv": csv_text.encode("gb18030")})
    project = load_project(root)
    assert [(u.id, u.name, u.officer) for u in project.units] == [
        ("dongguancun", "东关村", "李明"), ("nanjieshequ", "南街社区", "王芳")]
    wang = project.officer_for(project.unit("nanjieshequ"))
    assert (wang.title, wang.phone, wang.units) == ("社区辅警", "0913-5212110", ["nanjieshequ"])
    assert project.officer_for(project.unit("dongguancun")).phone == "138 0000 1111"
    assert project.unit("nanjieshequ").where("id").line == 6  # the row number the spreadsheet shows
    (note,) = [str(n) for n in project.notes]
    assert note.startswith("officers.csv:3: column(s) ignored: 身份证号")


@pytest.mark.parametrize("header", ["unit_id,unit_name,name,title,phone", " Unit ID , Unit_Name,NAME,Title,Phone",
                                    "unit_id,村(社区),姓名,职务,电话"])
def test_english_headers_and_spellings(make_project, header):
    root = make_project({"antifraud.yaml": config("officers.csv"),
                         "officers.csv": header + "\ndongguan,东关村,李明,社区民警,13800001111\n"})
    project = load_project(root)
    assert [(u.id, u.officer) for u in project.units] == [("dongguan", "李明")]
    assert project.notes == []


def test_csv_saved_as_unicode_text_and_with_a_mixed_encoding(make_project):
    tab = "村\t姓名\t电话\n东关村\t李明\t13800001111\n"
    root = make_project({"antifraud.yaml": config("officers.csv"), "officers.csv": tab.encode("utf-16")})
    assert [u.id for u in load_project(root).units] == ["dongguancun"]
    mixed = "村,姓名,电话\n东关村,李明,13800001111\n".encode() + "西关村,王芳,13800002222\n".encode("gbk")
    root = make_project({"antifraud.yaml": config("officers.csv"), "officers.csv": mixed}, name="mixed")
    (msg,) = problems(root)
    assert msg.startswith("officers.csv:3: this line is not UTF-8 text like the lines above it")


def test_every_row_problem_is_named_by_file_and_row_at_once(make_project):
    csv_text = ("村,姓名,电话\n东关村,李明,1380000111\n西关村,,13800002222\n南街社区,赵强,call me\n"
                "北关村,孙丽,9135212110\n")
    root = make_project({"antifraud.yaml": config("officers.csv"), "officers.csv": csv_text})
    msgs = problems(root)
    assert len(msgs) == 4, msgs
    assert msgs[0].startswith("officers.csv:2: 电话: '1380000111' is not a phone number\n    hint: a mobile number "
                              "has 11 digits")
    assert msgs[1].startswith("officers.csv:3: empty 姓名")
    assert msgs[2].startswith("officers.csv:4: 电话: 'call me' is not a phone number")
    assert msgs[3].startswith("officers.csv:5: 电话: '9135212110' is not a phone number") and TEXT_HINT in msgs[3]


def test_headers_that_name_too_little(make_project):
    root = make_project({"antifraud.yaml": config("officers.csv"), "officers.csv": "村,民警\n东关,李明\n"})
    (msg,) = problems(root)
    assert msg.startswith("officers.csv:1: roster has no column for: phone (电话/联系电话/手机/手机号/手机号码)")
    root = make_project({"antifraud.yaml": config("officers.csv"),
                         "officers.csv": "民警名单\n\n东关村,李明,13800001111\n"}, name="noheader")
    (msg,) = problems(root)
    assert msg.startswith("officers.csv:1: cannot find the roster's header row\n    hint: one row must name the "
                          "columns, e.g. 村（社区）,姓名,职务,联系电话")


def test_officers_only_roster_and_an_officer_without_a_unit(make_project):
    root = make_project({"antifraud.yaml": config("officers.csv"),
                         "officers.csv": "姓名,手机\n李明,13800001111\n王芳,13800002222\n"})
    project = load_project(root)
    assert project.units == [] and [o.name for o in project.officers] == ["李明", "王芳"]
    assert project.notes == []  # no units: nobody is missing one
    yaml = STATION + ("officers:\n  - {name: 李明, phone: \"13800001111\", units: [dongguan]}\n"
                      "  - {name: 王芳, phone: \"13800002222\"}\nunits:\n  - {id: dongguan, name: 东关村}\n")
    root = make_project({"antifraud.yaml": yaml}, name="yaml")
    (note,) = [str(n) for n in load_project(root).notes]
    assert note.startswith("antifraud.yaml:4: officer '王芳' is assigned to no unit")


def test_roster_outside_the_project_is_refused(make_project, tmp_path):
    (tmp_path / "secret.csv").write_text("村,姓名,电话\n东关村,李明,TOP-SECRET\n", encoding="utf-8")
    root = make_project({"antifraud.yaml": config("../secret.csv")})
    (msg,) = problems(root)
    assert msg.startswith("antifraud.yaml:2: roster '../secret.csv' is outside the project folder")
    assert "TOP-SECRET" not in msg


# ---------- unit ids

def test_unit_ids_from_names_are_stable_and_unique(make_project):
    assert slug_from_name("东关村") == "dongguancun"
    assert slug_from_name("东关村（一组）") == "dongguancun-yizu"
    assert slug_from_name("Gaoxin 2区") == "gaoxin-2qu"
    assert slug_from_name("——") == "unit"
    assert slug_from_name("绿水村") == "lvshuicun"  # ü as v
    assert slug_from_name("长安村") == "zhangancun"  # each character's first reading: stable, not always right
    csv_text = "村,姓名,电话\n东关村,李明,13800001111\n冬关村,王芳,13800002222\n东关村,王芳,13800002222\n" \
               "南街,赵强,13800003333\n"
    yaml = config("officers.csv") + "officers:\n  - {name: 孙丽, phone: \"13800004444\"}\n" \
        "units:\n  - {id: nanjie, name: 老南街, officer: 孙丽}\n"
    root = make_project({"antifraud.yaml": yaml, "officers.csv": csv_text})
    first = load_project(root)
    ids = [u.id for u in first.units]
    assert ids == ["nanjie", "dongguancun", "dongguancun-2", "nanjie-2"]
    assert [u.id for u in load_project(root).units] == ids  # the same ids on every load
    # 东关村 spans two officers' rows: one unit, its first officer named, both officers list it
    assert first.unit("dongguancun").officer == "李明"
    assert {o.name: o.units for o in first.officers}["王芳"] == ["dongguancun-2", "dongguancun"]
    assert first.officer_for(first.unit("dongguancun")).name == "李明"
    # an id given on one of a village's rows is its id on the others too
    root = make_project({"antifraud.yaml": config("officers.csv"),
                         "officers.csv": "unit_id,村,姓名,电话\n,东关村,李明,13800001111\ndg,东关村,王芳,13800002222\n"},
                        name="ids")
    assert [(u.id, u.officer) for u in load_project(root).units] == [("dg", "李明")]


def test_an_officer_with_two_phone_numbers(make_project):
    csv_text = "村,姓名,电话\n东关村,李明,13800001111\n西关村,李明,\n南街,李明,13800009999\n"
    root = make_project({"antifraud.yaml": config("officers.csv"), "officers.csv": csv_text})
    (msg,) = problems(root)
    assert msg.startswith("officers.csv:4: officer '李明' has two phone numbers: 138 0000 1111 (row 2) and "
                          "138 0000 9999")


# ---------- XLSX

def test_xlsx_as_an_office_saves_it(make_project):
    root = make_project({"antifraud.yaml": config("officers.xlsx")})
    office_workbook(root / "officers.xlsx")
    tracemalloc.start()
    try:
        project = load_project(root)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # the stray cells at XFD1 and B200000 must not pad rows: a padded read needs gigabytes
    assert peak < 64 * 2 ** 20, peak
    assert [(u.id, u.name, u.officer) for u in project.units] == [
        ("dongguancun", "东关村", "李明"), ("xiguancun", "西关村", "李明"), ("nanjieshequ", "南街社区", "王芳")]
    li, wang = project.officers
    assert (li.phone, li.title, li.units) == ("138 0000 1111", "社区民警", ["dongguancun", "xiguancun"])
    assert (wang.phone, wang.title) == ("138 0000 2222", "社区民警")  # no .0, and the default title
    assert [str(n).split("\n")[0] for n in project.notes] == ["officers.xlsx:3: column(s) ignored: 序号, 备注"]


def test_xlsx_huge_merged_range_stays_small(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["村", "姓名", "电话"])
    sheet.append(["东关村", "李明", "13800001111"])
    sheet["XFD300"] = "x"
    book.save(tmp_path / "r.xlsx")
    # a huge merged range, written into the XML directly (openpyxl itself would make a cell object for each)
    add_merge(tmp_path / "r.xlsx", "A10:Z1048000")
    tracemalloc.start()
    try:
        roster = load_roster(tmp_path / "r.xlsx")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 64 * 2 ** 20, peak
    assert [u.id for u in roster.units] == ["dongguancun"] and roster.problems == []


def test_xlsx_landline_that_lost_its_zero_is_an_error_not_a_wrong_card(make_project):
    root = make_project({"antifraud.yaml": config("officers.xlsx")})
    office_workbook(root / "officers.xlsx", last_phone=9135212110)  # 0913-5212110 typed as a number
    (msg,) = problems(root)
    assert msg.startswith("officers.xlsx:6: 手机号码: '9135212110' is not a phone number")
    assert TEXT_HINT in msg


def test_xlsx_number_formats_and_data_on_the_second_sheet(tmp_path):
    book = openpyxl.Workbook()
    book.active.title = "说明"
    book.active["A1"] = "填表说明：一行一个村"
    sheet = book.create_sheet("名单")
    sheet.append(["村名", "姓名", "电话"])
    sheet.append(["东关村", "李明", 9135212110])
    sheet["C2"].number_format = "0000-0000000"  # the office shows the number with its zero and a dash
    sheet.append(["西关村", "王芳", 1.38000022e10])
    book.save(tmp_path / "r.xlsx")
    roster = load_roster(tmp_path / "r.xlsx", tmp_path)
    assert roster.problems == []
    assert [o.phone for o in roster.officers] == ["0913-5212110", "138 0000 2200"]
    assert [str(n) for n in roster.notes] == ["r.xlsx: roster read from sheet '名单' (the first sheet has no header row)"]


def test_cards_built_from_an_office_xlsx_carry_its_officers(make_project, run, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    root = make_project({"antifraud.yaml": config("officers.xlsx")})
    office_workbook(root / "officers.xlsx")
    result = run(root, "build", "-a", "elderly", "-p", "card", "-j", "1")
    assert result.exit_code == 0, result.output
    east = "".join(page_text(root / "dist/dongguancun/elderly/card.pdf"))
    west = "".join(page_text(root / "dist/xiguancun/elderly/card.pdf"))
    south = "".join(page_text(root / "dist/nanjieshequ/elderly/card.pdf"))
    for text in (east, west):
        assert "李明" in text and "138 0000 1111" in text and "王芳" not in text
    assert "王芳" in south and "138 0000 2222" in south and "李明" not in south
    listed = run(root, "list", "units")
    assert listed.exit_code == 0
    assert listed.output.splitlines()[0].split() == ["dongguancun", "东关村", "李明", "138", "0000", "1111"]


# ---------- phone numbers (rosters and antifraud.yaml alike)

@pytest.mark.parametrize("phone", ["13800001111", "138 0000 1111", "138-0000-1111", "+86 138 0000 1111",
                                   "0913-5212110", "(0913)5212110", "（0913）5212110", "09135212110", "010-87654321",
                                   "021 8765 4321", "0913-5212110-801", "+86 913 5212110", "１３８００００１１１１"])
def test_phone_numbers_people_write(phone):
    assert phone_error(phone) is None


@pytest.mark.parametrize("phone", ["1380000111", "138000011112", "9135212110", "12800001111", "0913-521211",
                                   "091-5212110", "0913-0234567", "1.38E+10", "110", "96110", "13800001111/13800002222"])
def test_not_phone_numbers(phone):
    assert phone_error(phone) is not None


def test_station_may_give_a_service_number_officers_may_not():
    assert phone_error("96110", service=True) is None and phone_error("110", service=True) is None
    assert phone_error("400-123-4567", service=True) is None


def test_yaml_phone_gets_the_same_rule_and_a_hint(make_project):
    yaml = STATION + "officers:\n  - {name: 李明, phone: \"9135212110\"}\n"
    (msg,) = problems(make_project({"antifraud.yaml": yaml}))
    assert msg.startswith("antifraud.yaml:3: ") and "'9135212110' is not a phone number" in msg
    assert "hint: a mobile number has 11 digits" in msg and TEXT_HINT in msg


# ---------- antifraud init

def test_init_writes_a_chinese_roster_that_loads(tmp_path, run):
    result = run(tmp_path, "init", "station")
    assert result.exit_code == 0, result.output
    root = tmp_path / "station"
    assert (root / "officers.csv").read_bytes().startswith(b"\xef\xbb\xbf")  # BOM: Excel opens it as UTF-8
    assert "村（社区）,姓名,职务,联系电话" in (root / "officers.csv").read_text(encoding="utf-8-sig")
    project = load_project(root)
    assert [u.id for u in project.units] == ["dongguancun", "xiguancun", "nanjieshequ"]
    assert project.notes == []


def test_init_workflow_installs_a_pinned_source_never_the_public_package(tmp_path, run):
    yaml = pytest.importorskip("yaml")
    assert run(tmp_path, "init", "station").exit_code == 0
    text = (tmp_path / "station/.github/workflows/antifraud.yml").read_text(encoding="utf-8")
    flow = yaml.safe_load(text)
    steps = flow["jobs"]["build"]["steps"]
    commands = [s.get("run", "") for s in steps]
    assert not any("pip install antifraud" in c for c in commands)
    install = next(c for c in commands if "pip install" in c)
    assert 'pip install "$ANTIFRAUD_SOURCE"' in install and "git+*@*|*.whl" in install
    assert "ANTIFRAUD_SOURCE" in flow["env"]
    triggers = flow[True] if True in flow else flow["on"]  # YAML 1.1 reads the key `on` as true
    assert "pull_request" in triggers and "push" in triggers
    assert "antifraud check" in commands
    check = next(s for s in steps if "--check" in s.get("run", ""))
    assert check["if"] == "github.event_name == 'pull_request'"


def test_init_force_keeps_an_edited_file_and_says_so(tmp_path, run):
    assert run(tmp_path, "init", "p").exit_code == 0
    config = tmp_path / "p/antifraud.yaml"
    edited = config.read_text(encoding="utf-8") + "# mine\n"
    config.write_text(edited, encoding="utf-8")
    refused = run(tmp_path, "init", "p")
    assert refused.exit_code == 1
    assert "p: folder is not empty" in refused.output
    assert "--force would replace p/antifraud.yaml (keeping each old file as NAME.bak)" in refused.output
    result = run(tmp_path, "init", "--force", "p")
    assert result.exit_code == 0, result.output
    assert "p/antifraud.yaml (replaced; your old file is p/antifraud.yaml.bak)" in result.output
    assert (tmp_path / "p/antifraud.yaml.bak").read_text(encoding="utf-8") == edited
    assert "# mine" not in config.read_text(encoding="utf-8")
    assert "officers.csv" not in result.output  # unchanged files are neither rewritten nor listed
    config.write_text(edited, encoding="utf-8")
    assert run(tmp_path, "init", "--force", "p").exit_code == 0
    assert (tmp_path / "p/antifraud.yaml.bak-2").read_text(encoding="utf-8") == edited  # the first backup stays


def test_init_where_nothing_can_be_written_is_a_clean_error(tmp_path, run):
    (tmp_path / "afile").write_text("x")
    result = run(tmp_path, "init", "afile/new")
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert result.output.startswith("afile/new/antifraud.yaml: cannot write: Not a directory")
    assert list(tmp_path.iterdir()) == [tmp_path / "afile"]
    (tmp_path / "half").mkdir()
    (tmp_path / "half/.github").write_text("a file where the workflow folder goes")
    result = run(tmp_path, "init", "--force", "half")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.output.startswith("half/.github/workflows/antifraud.yml: cannot write: ")
    assert [p.name for p in (tmp_path / "half").iterdir()] == [".github"]  # the files written before it are gone
    result = run(tmp_path, "init", "afile")
    assert result.exit_code == 2 and "is a file" in result.output


# ---------- photo, 警务室, 开放时间 and the officer's own QR link (issue 22)

def portrait_jpeg(w: int = 600, h: int = 800) -> bytes:
    """A stand-in portrait, big enough for the A4 board (48 x 64 mm at 150 dpi needs 284 x 378 px)."""
    import io

    from PIL import Image, ImageDraw

    img = Image.new("RGB", (w, h), (215, 228, 240))
    d = ImageDraw.Draw(img)
    d.ellipse([w * 0.3, h * 0.18, w * 0.7, h * 0.52], fill=(230, 190, 160))
    d.rectangle([w * 0.15, h * 0.6, w * 0.85, h], fill=(20, 40, 110))
    out = io.BytesIO()
    img.save(out, "JPEG", quality=90)
    return out.getvalue()


def image_count(pdf) -> int:
    from pypdf import PdfReader

    return sum(1 for page in PdfReader(str(pdf)).pages
               for ref in (page["/Resources"].get("/XObject") or {}).values()
               if ref.get_object().get("/Subtype") == "/Image")


BOARD_ROSTER = ("新城派出所社区民警联系表,,,,,,\n"
                "村（社区）,姓名,联系电话,照片,警务室,开放时间,二维码\n"
                "东关村,李明,139-0000-3333,photos/liming.jpg,东关村村委会一楼,每周一、三、五上午,"
                "https://u.wechat.com/kLiMing\n"
                "西关村,李明,13900003333,,,,\n"  # the same number typed another way: one number
                "南街社区,王芳,0913 5212119,,南街社区服务中心,工作日上午,\n")


def test_roster_columns_for_photo_office_hours_and_qr_reach_the_models(make_project):
    root = make_project({"antifraud.yaml": config("officers.csv"), "officers.csv": BOARD_ROSTER,
                         "photos/liming.jpg": portrait_jpeg()})
    project = load_project(root)
    assert project.notes == []  # every column is known
    li, wang = project.officers
    assert (li.photo, li.qr.url, li.qr.caption) == ("photos/liming.jpg", "https://u.wechat.com/kLiMing", "扫码加民警微信")
    assert li.phone == "139 0000 3333" and li.units == ["dongguancun", "xiguancun"]
    assert (wang.photo, wang.qr, wang.phone) == (None, None, "0913-5212119")
    east, west, south = project.units
    assert (east.office, east.hours) == ("东关村村委会一楼", "每周一、三、五上午")
    assert (west.office, west.hours) == (None, None)
    assert (south.office, south.hours) == ("南街社区服务中心", "工作日上午")
    assert li.where("photo").line == 3 and east.where("office").line == 3  # the row the spreadsheet shows


@pytest.mark.parametrize("header", ["unit,name,phone,photo,office,hours,qr",
                                    "村,民警,手机,民警照片,办公地点,接待时间,二维码链接",
                                    "社区,责任民警,手机号码,照片,警务室地址,办公时间,微信"])
def test_xlsx_roster_with_the_new_columns_in_english_and_chinese(tmp_path, header):
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos/li.jpg").write_bytes(portrait_jpeg())
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(header.split(","))
    sheet.append(["东关村", "李明", 13900003333, "photos/li.jpg", "东关村村委会一楼", "每周一上午", "tel:139-0000-3333"])
    book.save(tmp_path / "r.xlsx")
    roster = load_roster(tmp_path / "r.xlsx", tmp_path)
    assert roster.problems == [] and roster.notes == []
    (li,) = roster.officers
    (east,) = roster.units
    assert (li.photo, li.phone, east.office, east.hours) == ("photos/li.jpg", "139 0000 3333", "东关村村委会一楼", "每周一上午")
    assert li.qr.url == "tel:13900003333"  # a tel: payload is digits only, whatever the cell's grouping


def test_photo_paths_are_relative_to_the_roster(make_project):
    roster = "村,姓名,电话,照片\n东关村,李明,13900003333,照片/李明.jpg\n"
    root = make_project({"antifraud.yaml": config("名单/officers.csv"), "名单/officers.csv": roster,
                         "名单/照片/李明.jpg": portrait_jpeg()})
    (li,) = load_project(root).officers
    assert li.photo == "名单/照片/李明.jpg"  # as the project names it: the board finds it from the project folder


def test_警务室_alone_is_still_the_village_column(make_project):
    root = make_project({"antifraud.yaml": config("officers.csv"),
                         "officers.csv": "警务室,姓名,电话\n东关警务室,李明,13900003333\n"})
    (unit,) = load_project(root).units
    assert (unit.name, unit.office) == ("东关警务室", None)


def test_office_or_hours_without_a_village_column_is_an_error(make_project):
    root = make_project({"antifraud.yaml": config("officers.csv"),
                         "officers.csv": "姓名,手机,办公地点,开放时间\n李明,13900003333,东关村村委会,每周一\n"})
    (msg,) = problems(root)
    assert msg.startswith("officers.csv:1: columns 办公地点, 开放时间: the 警务室 and its hours belong to a village")


def test_bad_photo_office_hours_and_qr_cells_are_named_by_row_and_column_at_once(make_project, tmp_path):
    (tmp_path / "outside.jpg").write_bytes(portrait_jpeg())
    csv_text = ("村,姓名,电话,照片,警务室,开放时间,二维码\n"
                "东关村,李明,13900003333,photos/nobody.jpg,,,\n"
                "西关村,王芳,13900004444,../outside.jpg,,,wangfang_wx\n"
                "南街,赵强,13900005555,photos/notes.txt,南街\x07社区,,\n"
                "北关村,孙丽,13900006666,photos/sun.jpg,北关村委会,,\n"
                "北关村,周勇,13900007777,,北关小学旁,,\n"
                "南关村,孙丽,,photos/sun2.jpg,,,\n"
                "上关村,吴刚,13900008888,photos/small.jpg,,每周一\u202e上午,\n")
    root = make_project({"antifraud.yaml": config("officers.csv"), "officers.csv": csv_text,
                         "photos/notes.txt": "not a photo", "photos/sun.jpg": portrait_jpeg(),
                         "photos/sun2.jpg": portrait_jpeg(), "photos/small.jpg": portrait_jpeg(60, 80)})
    msgs = problems(root)
    firsts = [m.split("\n")[0] for m in msgs]
    assert firsts == [
        "officers.csv:2: column 照片: photo 'photos/nobody.jpg' not found",
        "officers.csv:3: column 照片: '../outside.jpg' is outside the project folder",
        "officers.csv:3: column 二维码: 'wangfang_wx' is not a tel:, https:// or weixin:// link",
        "officers.csv:4: column 照片: photo 'photos/notes.txt' cannot be read as an image",
        "officers.csv:4: column 警务室: control character U+0007 is not allowed in printed text",
        "officers.csv:6: village '北关村' has two 警务室: 北关村委会 (row 5) and 北关小学旁",
        "officers.csv:7: officer '孙丽' has two photos: photos/sun.jpg (row 5) and photos/sun2.jpg",
        "officers.csv:8: column 开放时间: character U+202E (right-to-left override) is not allowed in printed text",
    ], msgs
    assert "hint: put the photo in the project folder or fix the path" in msgs[0]
    assert "hint:" in msgs[2] and "u.wechat.com" in msgs[2]  # what a QR link looks like
    # the resolution is checked where the printed size is known, as for a photo in antifraud.yaml


def test_a_picture_pasted_into_an_excel_cell_says_what_to_do(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["村", "姓名", "电话", "照片"])
    sheet.append(["东关村", "李明", "13900003333", '=DISPIMG("ID_0A1B2C",1)'])
    sheet["D2"].data_type = "s"  # the text WPS keeps for a picture put into a cell (嵌入单元格图片)
    book.save(tmp_path / "r.xlsx")
    (problem,) = load_roster(tmp_path / "r.xlsx", tmp_path).problems
    assert str(problem).startswith("r.xlsx:2: column 照片: a picture pasted into the cell cannot be read")
    assert "photos/" in problem.hint


def test_a_board_built_from_a_roster_shows_photo_office_hours_and_qr(make_project, run):
    root = make_project({"antifraud.yaml": config("officers.csv"), "officers.csv": BOARD_ROSTER,
                         "photos/liming.jpg": portrait_jpeg()})
    result = run(root, "build", "-p", "contact-board", "-j", "1")
    assert result.exit_code == 0, result.output
    from pdfcheck import decode_qr

    east, west, south = (root / f"dist/{u}/contact-board.pdf" for u in ("dongguancun", "xiguancun", "nanjieshequ"))
    text = page_text(east)[0]
    for shown in ("李明", "139 0000 3333", "警务室：东关村村委会一楼", "开放时间：每周一、三、五上午", "东关村、西关村"):
        assert shown in text, shown
    assert image_count(east) == 1 and image_count(west) == 1 and image_count(south) == 0
    assert decode_qr(east, 0) == ["https://u.wechat.com/kLiMing"]  # the officer's own, over the station's
    south_text = page_text(south)[0]
    assert "0913-5212119" in south_text and "警务室：南街社区服务中心" in south_text and "开放时间：工作日上午" in south_text


# ---------- one grouping for every phone

@pytest.mark.parametrize("typed, printed", [
    ("13900003333", "139 0000 3333"), ("139 0000 3333", "139 0000 3333"), ("139-0000-3333", "139 0000 3333"),
    ("+86 139 0000 3333", "139 0000 3333"), ("８６１３９００００３３３３", "139 0000 3333"),
    ("１３９００００３３３３", "139 0000 3333"), ("0913-5212110", "0913-5212110"), ("0913 5212110", "0913-5212110"),
    ("(0913)5212110", "0913-5212110"), ("（0913）5212110", "0913-5212110"), ("09135212110", "0913-5212110"),
    ("+86 913 5212110", "0913-5212110"), ("010 8765 4321", "010-87654321"), ("021-8765-4321", "021-87654321"),
    ("0913-5212110-801", "0913-5212110转801"), ("0913-5212110转801", "0913-5212110转801"),
    ("0913-5212110x801", "0913-5212110转801"), ("+86 10 8765 4321", "010-87654321"),
])
def test_phones_print_in_one_grouping(typed, printed):
    import re

    from antifraud_cli.models import Officer, format_phone
    from antifraud_cli.speech import digit_string, spoken

    assert format_phone(typed) == printed
    assert Officer(name="李明", phone=typed).phone == printed
    # read aloud digit by digit (1 as 幺), a pause between the groups: every digit, none said as a quantity
    assert re.sub("[，转]", "", spoken(printed)) == digit_string(printed)


def test_station_service_numbers_keep_their_form():
    from antifraud_cli.models import format_phone

    assert format_phone("96110") == "96110" and format_phone("110") == "110" and format_phone("95588") == "95588"
    assert format_phone("4001234567") == "400-123-4567" == format_phone("400 123 4567")


def test_a_built_card_and_board_read_back_in_the_one_grouping(make_project, run):
    from pdfcheck import decode_qr

    yaml = ('station: {name: 新城派出所, phone: "0913 5212110"}\n'
            'officers:\n  - {name: 李明, phone: "139-0000-3333", units: [dongguan], '
            'qr: {url: "tel:139 0000 3333", caption: 扫码给民警打电话}}\n'
            "units:\n  - {id: dongguan, name: 东关村, officer: 李明}\n")
    root = make_project({"antifraud.yaml": yaml})
    result = run(root, "build", "-a", "elderly", "-p", "card", "-p", "contact-board", "-j", "1")
    assert result.exit_code == 0, result.output
    card = "".join(page_text(root / "dist/dongguan/elderly/card.pdf"))
    board = page_text(root / "dist/dongguan/contact-board.pdf")[0]
    for text in (card, board):
        assert "139 0000 3333" in text and "0913-5212110" in text
        assert "139-0000-3333" not in text and "0913 5212110" not in text
    assert decode_qr(root / "dist/dongguan/contact-board.pdf", 0) == ["tel:13900003333"]  # digits only


def test_every_tel_qr_link_holds_digits_only(make_project):
    yaml = STATION + ('qr: {url: "tel:0913-5212110", caption: 扫码拨打值班电话}\n'
                      'officers:\n  - {name: 李明, phone: "13900003333", qr: {url: "tel:(139) 0000-3333"}}\n')
    project = load_project(make_project({"antifraud.yaml": yaml}))
    assert project.qr.url == "tel:09135212110" and project.officers[0].qr.url == "tel:13900003333"
    assert "is not a tel:" in problems(make_project({"antifraud.yaml": yaml.replace("(139)", "(13x)")}, name="bad"))[0]
