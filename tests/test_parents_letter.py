"""The letter to parents (致家长的一封信): A4, from the school and the station, the receipt below the cut line;
one per school unit (`kind: school` in `units:` or the roster's 类型 column), else one per audience."""
from __future__ import annotations

from pypdf import PdfReader

from antifraud_cli.roster import load_roster
from conftest import STATION, write_files
from pdfcheck import MM, boxes_mm, chars, page_text

CUT_Y = 214  # mm from the top of the trim: the template's dashed line

SCHOOLS = STATION + """\
officers:
  - {name: 李明, title: 社区民警, phone: "13800001111", units: [dongguan, yizhong]}
units:
  - {id: dongguan, name: 东关村, officer: 李明}
  - {id: yizhong, name: 新城第一中学, officer: 李明, kind: school}
"""


def lines_by_y(path) -> list[tuple[float, str]]:
    """(mm from the top of the trim, text) of each line of page 1, top to bottom."""
    trim_top = float(PdfReader(str(path)).pages[0].trimbox[3])
    rows: dict[float, list] = {}
    for c in chars(path, 0):
        rows.setdefault(round((trim_top - c.baseline) / MM, 0), []).append(c)
    return [(y, "".join(c.ch for c in sorted(row, key=lambda c: c.x0))) for y, row in sorted(rows.items())]


def test_letter_per_audience_has_receipt_below_the_cut_line(make_project, run):
    root = make_project({"antifraud.yaml": STATION})
    result = run(root, "build", "-p", "parents-letter")
    assert result.exit_code == 0, result.output
    for audience in ("pupils", "students"):  # the spec's default audiences
        pdf = root / "dist" / audience / "parents-letter.pdf"
        (box,) = boxes_mm(pdf)
        trim = box["trimbox"]
        assert (round(trim[2] - trim[0]), round(trim[3] - trim[1])) == (210, 297)
        (text,) = page_text(pdf)
        assert "致家长的一封信" in text and "新城派出所" in text and "裸聊敲诈" in text
        lines = lines_by_y(pdf)
        cut = [y for y, line in lines if "沿虚线剪下" in line]
        assert cut and abs(cut[0] - CUT_Y) < 3
        above = "".join(line for y, line in lines if y < CUT_Y - 3)
        below = "".join(line for y, line in lines if y > CUT_Y + 3)
        for field in ("回执", "学生姓名：", "班级：", "家长签字：", "日期：", "□已和孩子一起学习"):
            assert field in below and field not in above, field
        assert "96110" in above and "尊敬的家长" in above
        assert "＿＿＿＿学校" in above  # no school unit: a blank for the school's name
    assert not (root / "dist" / "elderly").exists()
    assert "游戏交易" in page_text(root / "dist" / "pupils" / "parents-letter.pdf")[0]
    assert "银行卡" in page_text(root / "dist" / "students" / "parents-letter.pdf")[0]


def test_one_letter_per_school_unit_signed_by_the_school(make_project, run):
    root = make_project({"antifraud.yaml": SCHOOLS})
    result = run(root, "build", "-p", "parents-letter", "-a", "pupils")
    assert result.exit_code == 0, result.output
    built = sorted(p.relative_to(root / "dist").as_posix() for p in (root / "dist").rglob("*.pdf"))
    assert built == ["yizhong/pupils/parents-letter.pdf"]  # the village gets no letter
    text = page_text(root / "dist" / "yizhong" / "pupils" / "parents-letter.pdf")[0]
    assert text.count("新城第一中学") >= 2 and "＿＿＿＿学校" not in text
    assert "李明" in text  # the school's officer


def test_roster_type_column_marks_schools(tmp_path):
    path = write_files(tmp_path, {"roster.csv": "村（社区）,类型,姓名,联系电话\n东关村,村,李明,13800001111\n"
                                                "新城一中,学校,李明,13800001111\n西关村,,王芳,13800002222\n"})
    roster = load_roster(path / "roster.csv")
    assert not roster.problems, roster.problems
    assert {u.name: u.kind for u in roster.units} == {"东关村": "village", "新城一中": "school", "西关村": None}


def test_roster_type_column_refuses_an_unknown_kind(tmp_path):
    path = write_files(tmp_path, {"roster.csv": "村（社区）,类型,姓名,联系电话\n东关村,工厂,李明,13800001111\n"})
    roster = load_roster(path / "roster.csv", root=path)
    assert [str(p).split("\n")[0] for p in roster.problems] == [
        "roster.csv:2: column 类型: '工厂' is neither 学校 nor 村/社区"]
