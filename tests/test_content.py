"""What the built-in materials say (issue 9): which cases print, whole, in what order, and the fixed blocks.

PDF tests build with --date and read the text back with pypdfium2; selection tests call select_cases directly.
"""
from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from antifraud_cli.cli import cli
from antifraud_cli.loader import load_project
from antifraud_cli.select import season_line, select_cases

from conftest import STATION
from pdfcheck import page_text

AUDIENCES = ("elderly", "housewives", "migrant-workers", "pupils", "shop-owners", "students")
MAY, SEPTEMBER = "2027-05-15", "2027-09-01"

LOCAL_CASE = """\
    id: fake-subsidy-local
    title: 冒充干部发补贴
    headline: 领补贴不用先交钱
    summary: 有人自称镇上干部，说惠农补贴要“激活”，先交手续费才能到账。
    red_flags:
      - 补贴还没到，先让您交钱
      - 让您扫码填银行卡
    advice:
      - 补贴直接打到一卡通，不收任何费用
      - 拿不准，到村委会问一问
    audiences: [elderly]
    sources:
      - {name: 本所辖区近期警情}
    """


def flat(text: str) -> str:
    """PDF text without line breaks and spaces, so a wrapped sentence reads as one."""
    return re.sub(r"\s+", "", text)


def build(project: Path, *args: str):
    result = CliRunner().invoke(cli, ["--project", str(project), "build", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture(scope="module")
def kits(tmp_path_factory):
    """The zero-config kit of every audience (posters and leaflets), built for a day in May and one in September."""
    out = {}
    for day in (MAY, SEPTEMBER):
        root = tmp_path_factory.mktemp("kit" + day)
        build(root, "--date", day, "-p", "poster", "-p", "leaflet")
        out[day] = root / "dist"
    return out


def text_of(path: Path) -> str:
    return flat("".join(page_text(path)))


# ---------------------------------------------------------------- what every product carries

@pytest.mark.parametrize("audience", AUDIENCES)
def test_every_leaflet_says_what_to_do_after_a_scam_and_names_the_app(kits, audience):
    text = text_of(kits[MAY] / audience / "leaflet.pdf")
    assert "被骗了怎么办" in text
    if audience == "pupils":  # a child first tells a grown-up, then calls 110 with them (voice.scammed)
        assert "1.马上告诉爸爸妈妈或老师" in text and "2.和爸爸妈妈、老师一起打110报警" in text and "别删" in text
    else:
        assert "立即拨打110报警" in text and "保存聊天和转账记录" in text and "止付" in text
    assert "国家反诈中心App" in text
    # one role per number: 96110 for doubts, 110 after a scam or in danger
    assert "拿不准打96110" in text and "被骗或危险打110" in text
    # warning signs are signs, not proof; no hotline posing as the issuer without a station
    assert "就是诈骗" not in text and "看到这些，要当心" in text
    assert "全国反诈预警劝阻专线" not in text


@pytest.mark.parametrize("audience", AUDIENCES)
def test_every_poster_names_the_app_and_the_two_numbers(kits, audience):
    text = text_of(kits[MAY] / audience / "poster.pdf")
    assert "国家反诈中心App" in text
    assert "拿不准打96110" in text and "被骗或危险打110" in text
    assert "全国反诈预警劝阻专线" not in text


@pytest.mark.parametrize("audience", ["students", "migrant-workers", "shop-owners"])
def test_the_helping_fraud_warning_prints_on_leaflets_of_young_people_and_shops(kits, audience):
    project = load_project(Path(kits[MAY]).parent)
    case = project.cases["card-lending"]
    for day in (MAY, SEPTEMBER):
        text = text_of(kits[day] / audience / "leaflet.pdf")
        assert flat(case.headline) in text
        for line in case.advice:  # the consequence and the way out, whole
            assert flat(line) in text


def test_students_leaflet_follows_the_season(kits):
    may = text_of(kits[MAY] / "students" / "leaflet.pdf")
    september = text_of(kits[SEPTEMBER] / "students" / "leaflet.pdf")
    assert may != september
    assert "开学" in september and "开学" not in may


def test_elderly_poster_leads_with_the_telecom_scams_that_hit_the_elderly(kits):
    text = text_of(kits[MAY] / "elderly" / "poster.pdf")
    assert "冒充亲属出事" in text and "冒充公检法" in text
    assert "不给上门的陌生人交现金" in text  # the cash-pickup line reaches paper


def test_the_elderly_leaflet_says_you_politely(kits):
    text = text_of(kits[MAY] / "elderly" / "leaflet.pdf")
    without_quotes = re.sub(r"“[^”]*”", "", text)  # what the scammer says may say 你
    assert "您" in without_quotes and "你" not in without_quotes


def test_students_workers_and_pupils_are_called_you_informally_but_the_scammer_keeps_his_polite_you(kits):
    for audience in ("students", "migrant-workers", "pupils"):
        for product in ("poster", "leaflet"):
            text = re.sub(r"致家长：[^。]*。", "", text_of(kits[MAY] / audience / f"{product}.pdf"))  # parents: 您
            assert "您" not in re.sub(r"“[^”]*”", "", text), (audience, product)
    # the cases written with 您 that these leaflets show print with 你; the scammer's script as said
    project = load_project(Path(kits[MAY]).parent)
    checked = 0
    for day in (MAY, SEPTEMBER):
        for audience in ("students", "migrant-workers", "pupils"):
            text = text_of(kits[day] / audience / "leaflet.pdf")
            told = project.audiences[audience].reading.stories == "full"  # pictures and the case's name
            for case in project.cases.values():
                if flat(case.title + ("" if told else "：")) not in text:
                    continue
                for line in case.advice + case.red_flags + case.how_it_works:
                    if "您" in line and "“" not in line and flat(line.replace("您", "你")) in text:
                        checked += 1
                if case.script and "您" in case.script and not told:  # told in pictures: no script
                    assert flat(case.script) in text  # a fake customer service says 您 to anyone: quoted as said
    assert checked


def test_leaflet_prints_every_advice_line_of_each_case_it_shows(kits):
    from antifraud_cli.compose import addressed

    project = load_project(Path(kits[MAY]).parent)
    for audience in AUDIENCES:
        text = text_of(kits[MAY] / audience / "leaflet.pdf")
        # an audience told in pictures reads few words: the case's name, its first piece of advice at least
        few = project.audiences[audience].reading.max_words_per_case is not None
        shown = [c for c in project.cases.values()
                 if audience in c.audiences and flat(c.title + ("" if few else "：")) in text]
        assert shown, audience
        for case in shown:
            for line in addressed(case, project.audiences[audience].voice.address).advice[: 1 if few else None]:
                assert flat(line) in text, (audience, case.id, line)


# ---------------------------------------------------------------- a station's own cases and campaigns

def test_a_local_case_prints_whole_next_to_the_elderly_top_type_on_the_poster_and_leaflet(make_project):
    """A local case adds to the page and does not crowd out the national top type: 冒充亲属 is kept first
    (select.py), the local case right after it, before every other built-in case."""
    root = make_project({"antifraud.yaml": STATION, "cases/fake-subsidy-local.yaml": LOCAL_CASE})
    build(root, "--date", MAY, "-a", "elderly", "-p", "poster", "-p", "leaflet")
    for product in ("poster", "leaflet"):
        text = text_of(root / "dist" / "elderly" / f"{product}.pdf")
        assert text.index("冒充亲属出事") < text.index("冒充干部发补贴"), product
        assert "冒充公检法" not in text[: text.index("冒充干部发补贴")], product
    # the leaflet prints it whole (the poster shows each case in fewer words: test_pictures)
    for line in ["补贴还没到，先让您交钱", "让您扫码填银行卡", "补贴直接打到一卡通，不收任何费用", "拿不准，到村委会问一问"]:
        assert flat(line) in text, line


def test_an_override_of_a_built_in_case_is_not_lifted_as_local(make_project):
    override = (Path(__file__).parents[1] / "cases" / "pension-scam.yaml").read_text(encoding="utf-8")
    root = make_project({"antifraud.yaml": STATION, "cases/pension-scam.yaml": override,
                         "cases/fake-subsidy-local.yaml": LOCAL_CASE})
    project = load_project(root)
    assert project.local_cases == {"fake-subsidy-local"}
    chosen = [c.id for c in select_cases(project, "elderly", 3, dt.date(2027, 5, 15))]
    assert chosen == ["fake-relative", "fake-subsidy-local", "fake-police"]  # the top type kept, then local


def test_a_focus_case_is_on_every_poster_of_its_audiences_in_focus_order(make_project):
    config = STATION + "focus: [order-brushing, pension-scam]\n"
    root = make_project({"antifraud.yaml": config})
    build(root, "--date", MAY, "-p", "poster")
    project = load_project(root)
    for case_id in ("order-brushing", "pension-scam"):
        case = project.cases[case_id]
        for audience in AUDIENCES:
            text = text_of(root / "dist" / audience / "poster.pdf")
            assert (flat(case.title) in text) == (audience in case.audiences), (case_id, audience)
    # focus comes before everything else, even a local case and in-season cases
    assert [c.id for c in select_cases(project, "students", 2, dt.date(2027, 9, 1))][0] == "order-brushing"


def test_an_unknown_focus_case_is_a_located_error(make_project):
    root = make_project({"antifraud.yaml": STATION + "focus:\n  - fake-police\n  - no-such-case\n"})
    result = CliRunner().invoke(cli, ["--project", str(root), "check"])
    assert result.exit_code == 1
    assert "antifraud.yaml:4: focus names unknown case 'no-such-case'" in result.output
    assert "hint: run `antifraud list cases`" in result.output


# ---------------------------------------------------------------- the library itself

@pytest.fixture(scope="module")
def library():
    return load_project(Path(__file__).parents[1] / "tests")  # a folder without antifraud.yaml: built-ins only


def test_library_has_the_new_cases_each_with_sources(library):
    assert len(library.cases) >= 28
    for new in ("card-lending", "ticket-refund", "overseas-job", "pension-certification", "fake-teacher-fee",
                "sextortion", "fake-platform-penalty", "supplier-account-change", "livestream-lure", "fan-club"):
        assert new in library.cases
    for case in library.cases.values():
        assert case.sources, case.id
        assert case.category != "新型诈骗", case.id
    assert "pupils" in library.audiences


def test_one_wording_for_verification_codes(library):
    for case in library.cases.values():
        for line in case.advice:
            if "验证码" in line and "不" in line:
                assert "验证码不给任何人" in line or "密码、验证码" in line, (case.id, line)


def test_video_is_never_offered_as_proof_of_identity(library):
    for case in library.cases.values():
        for line in case.advice + case.red_flags:
            assert "不肯视频" not in line, case.id
    assert any("AI" in line for line in library.cases["fake-boss"].advice)


@pytest.mark.parametrize("month", range(1, 13))
def test_helping_fraud_is_among_the_first_two_cases_every_month(library, month):
    day = dt.date(2027, month, 15)
    for audience in ("students", "migrant-workers", "shop-owners"):
        assert "card-lending" in [c.id for c in select_cases(library, audience, 2, day)], audience


def test_in_season_cases_come_before_priorities(library):
    december = [c.id for c in select_cases(library, "migrant-workers", 4, dt.date(2027, 12, 1))]
    may = [c.id for c in select_cases(library, "migrant-workers", 4, dt.date(2027, 5, 1))]
    assert "ticket-refund" in december and "ticket-refund" not in may
    assert season_line(library, "students", dt.date(2027, 9, 1)).name == "开学季"
    assert season_line(library, "students", dt.date(2027, 5, 1)) is None


def _bigrams(text: str) -> set[str]:
    chars = [c for c in text if "\u4e00" <= c <= "\u9fff" or c.isalnum()]
    return {a + b for a, b in zip(chars, chars[1:])}


@pytest.mark.parametrize("month", range(1, 13))
def test_no_near_duplicates_between_an_audiences_rules_and_its_cases_advice(library, month):
    """The leaflet back lists the audience's core_advice; its cases' advice is on the front: no repeats."""
    for audience in library.audiences.values():
        cases = select_cases(library, audience.id, 4, dt.date(2027, month, 15))
        for rule in audience.voice.core_advice:
            for case in cases:
                for line in case.advice:
                    a, b = _bigrams(rule), _bigrams(line)
                    overlap = len(a & b) / min(len(a), len(b))
                    assert overlap < 0.5, (audience.id, rule, case.id, line)


def test_list_cases_shows_seasons(library):
    result = CliRunner().invoke(cli, ["--project", str(library.root), "list", "cases", "--json"])
    rows = {r["id"]: r for r in json.loads(result.output)}
    assert rows["ticket-refund"]["seasons"] == [12, 1, 2]
    text = CliRunner().invoke(cli, ["--project", str(library.root), "list", "cases"]).output
    assert re.search(r"^ticket-refund .*months 12,1,2$", text, re.M)
