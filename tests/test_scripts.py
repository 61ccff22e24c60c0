"""Scripts read aloud (broadcast, school-radio): numbers as said, nothing but Chinese in what is read, short
sentences, an honest duration; the announcer's A4 sheet; spoken-number conversion; bank counter materials."""
from __future__ import annotations

import re

import pytest

from antifraud_cli.speech import cn_int, is_han, read_aloud, spoken, spoken_chars
from conftest import STATION, invoke
from pdfcheck import page_text

AUDIENCES = ("elderly", "housewives", "migrant-workers", "pupils", "shop-owners", "students", "bank-staff")


@pytest.fixture(scope="module")
def scripts(tmp_path_factory):
    root = tmp_path_factory.mktemp("scripts")
    (root / "antifraud.yaml").write_text(STATION, encoding="utf-8")
    result = invoke(root, "build", "-p", "broadcast", "-p", "broadcast-sheet",
                    *[a for aud in AUDIENCES for a in ("-a", aud)], "-j", "1")
    assert result.exit_code == 0, result.output
    result = invoke(root, "build", "-p", "school-radio", "-j", "1")  # its default audiences: pupils, students
    assert result.exit_code == 0, result.output
    return root / "dist"


def header(text: str, name: str) -> str:
    return re.search(rf"^# {name}：(.*)$", text, re.M)[1]


def all_scripts(dist):
    return sorted(dist.glob("*/broadcast.txt")) + sorted(dist.glob("*/school-radio.txt"))


def test_every_script_is_said_in_chinese_with_the_hotline(scripts):
    paths = all_scripts(scripts)
    assert len(paths) == len(AUDIENCES) + 2
    for path in paths:
        text = path.read_text(encoding="utf-8")
        spoken_text = "".join(t for _, t in read_aloud(text))
        assert not re.search(r"[0-9０-９A-Za-zＡ-Ｚａ-ｚ%¥$@#/+=<>&*_-]", spoken_text), path
        assert spoken_text.count("九六幺幺零") >= 2, path  # the hotline said twice
        assert "幺幺零" in spoken_text.replace("九六幺幺零", "")
        assert "零九幺三，五二幺二幺幺零" in spoken_text or "school-radio" in path.name  # the duty phone
        for _, line in read_aloud(text):
            for sentence in re.split(r"[。！？；]", line):
                assert sum(map(is_han, sentence)) <= 15, (path, sentence)


def test_the_duration_line_is_the_spoken_characters_at_the_rate(scripts):
    for path in all_scripts(scripts):
        text = path.read_text(encoding="utf-8")
        rate = int(re.fullmatch(r"每分钟 (\d+) 字", header(text, "语速"))[1])
        said = int(re.fullmatch(r"约 (\d+) 秒", header(text, "时长"))[1])
        # count by hand: every Chinese character outside # lines and the 甲/乙/合 labels
        chars = sum(1 for line in text.splitlines() if line.strip() and not line.startswith("#")
                    for ch in re.sub(r"^[甲乙合]：", "", line) if "\u4e00" <= ch <= "\u9fff")
        assert chars == spoken_chars(text) and said == round(chars * 60 / rate), path
        if path.name == "broadcast.txt":  # a loudspeaker loop of about a minute, at 150-160 a minute
            assert rate == (150 if path.parent.name == "elderly" else 160) and 45 <= said <= 80, (path, said)
        else:  # school radio: 3 to 5 minutes at 200 a minute, two voices, a quiz
            assert rate == 200 and 180 <= said <= 300, (path, said)
            assert "甲：" in text and "乙：" in text and "小问答" in text and "第一题" in text


def test_school_radio_is_made_for_pupils_and_students_unless_asked(make_project):
    root = make_project({"antifraud.yaml": STATION})
    result = invoke(root, "build", "-p", "school-radio", "-j", "1")
    assert result.exit_code == 0, result.output
    assert sorted(p.parent.name for p in (root / "dist").glob("*/school-radio.txt")) == ["pupils", "students"]


def test_the_announcers_sheet_prints_the_script_on_one_page(scripts):
    for audience in ("elderly", "students"):
        script = (scripts / audience / "broadcast.txt").read_text(encoding="utf-8")
        pages = page_text(scripts / audience / "broadcast.pdf")
        assert len(pages) == 1
        text = re.sub(r"\s", "", pages[0])
        for _, line in read_aloud(script):
            assert line.replace(" ", "") in text
        assert header(script, "时长") in pages[0]


def test_a_template_that_lies_about_its_duration_or_prints_digits_fails(make_project):
    template = ("# 语速：每分钟 200 字\n# 时长：约 60 秒\n\n{{ voice.greeting }}\n拨打96110咨询。\n"
                "这一句话实在是太长了听的人根本记不住啊。\n")
    spec = ("id: talk\nname: 讲话\ntemplate: talk.txt.j2\nformat: txt\nspoken: true\n"
            "")
    root = make_project({"antifraud.yaml": STATION, "products/talk.yaml": spec, "templates/talk.txt.j2": template})
    result = invoke(root, "build", "-p", "talk", "-a", "elderly", "-j", "1")
    assert result.exit_code == 1
    assert "talk.txt, line 5: read-aloud text has '0' '1' '6' '9'" in result.output
    assert "talk.txt, line 6: a sentence of 19 characters is too long" in result.output
    assert re.search(r"talk.txt, line 2: the script says 60 s, but its \d+ spoken characters take \d+ s",
                     result.output)
    assert not (root / "dist/elderly/talk.txt").exists()


def test_a_case_told_aloud_keeps_the_rules_at_its_line(make_project):
    case = ("id: local\ntitle: 本地骗局\nsummary: 有人冒充干部发补贴。\nred_flags: [先交钱]\nadvice: [先问村干部]\n"
            "audiences: [elderly]\nspoken:\n  story:\n    - 有人上门说发补贴。\n"
            "    - 先交手续费一百元再领三千元补贴金马上就到账了。\n")
    root = make_project({"antifraud.yaml": STATION, "cases/local.yaml": case})
    result = invoke(root, "check")
    assert result.exit_code == 1
    assert "cases/local.yaml:10: spoken.story[1]: a sentence of 22 characters is too long" in result.output


def test_a_build_of_scripts_only_prepares_no_fonts(make_project, tmp_path, monkeypatch):
    """Scripts are text: building only them (here on more jobs than one process renders) prepares no font."""
    from antifraud_cli import fonts

    def never(*args, **kwargs):
        raise AssertionError("a font was prepared for a build of scripts")

    for name in ("coverage", "prepared", "prepare", "register"):
        monkeypatch.setattr(fonts, name, never)
    cache = tmp_path / "fresh-cache"
    monkeypatch.setenv("ANTIFRAUD_CACHE_DIR", str(cache))
    root = make_project({"antifraud.yaml": STATION})
    result = invoke(root, "build", "-p", "broadcast", "-a", "elderly", "-a", "students", "-a", "pupils")
    assert result.exit_code == 0, result.output
    assert sorted(p.parent.name for p in (root / "dist").rglob("broadcast.txt")) == ["elderly", "pupils", "students"]
    prepared = [p for p in cache.rglob("*") if p.suffix in (".ttf", ".sha256") or p.name.startswith("coverage-")]
    assert prepared == []


@pytest.mark.parametrize("text, said", [
    ("96110", "九六幺幺零"), ("报警打110", "报警打幺幺零"), ("13800001111", "幺三八零零零零幺幺幺幺"),
    ("0913-5212110", "零九幺三，五二幺二幺幺零"), ("损失3000元", "损失三千元"), ("被骗1.5万元", "被骗一点五万元"),
    ("12,000元", "一万两千元"), ("2万元", "两万元"), ("10500元", "一万零五百元"), ("2026年9月", "二零二六年九月"),
    ("3-5天", "三到五天"), ("30%", "百分之三十"), ("第2个", "第二个"), ("国家反诈中心App", "国家反诈中心应用"),
    ("不轻信 不透露 不转账", "不轻信，不透露，不转账"), ("12岁", "十二岁"),
])
def test_numbers_are_written_as_they_are_said(text, said):
    assert spoken(text) == said


def test_chinese_numerals():
    assert [cn_int(n) for n in (0, 10, 15, 110, 1005, 2200, 20000, 100000005)] == \
        ["零", "十", "十五", "一百一十", "一千零五", "两千二百", "两万", "一亿零五"]


# ---------- bank counters

def test_the_checklist_and_desk_card_carry_the_stations_duty_phone(make_project):
    root = make_project({"antifraud.yaml": STATION})
    result = invoke(root, "build", "-p", "checklist", "-p", "desk-card", "-j", "1")
    assert result.exit_code == 0, result.output
    checklist = page_text(root / "dist/checklist.pdf")
    assert len(checklist) == 1 and "0913-5212110" in checklist[0]
    for words in ("边打电话边转账", "安全账户", "保证金", "提高转账限额", "老人来取大额现金", "暂停办理"):
        assert words in checklist[0].replace("\n", "").replace("\r", ""), words
    assert len(re.findall(r"^\d\. ", checklist[0], re.M)) == 5  # five questions to ask
    from pdfcheck import boxes_mm

    card = root / "dist/desk-card.pdf"
    trim = boxes_mm(card)[0]["trimbox"]
    assert (round(trim[2] - trim[0]), round(trim[3] - trim[1])) == (100, 150)
    assert "转账前想一想" in page_text(card)[0] and "0913-5212110" in page_text(card)[0]
