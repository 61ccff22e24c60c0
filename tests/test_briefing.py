"""The local briefing (辖区发案通报): incidents read from an office's CSV/XLSX, totals, 起 count, months and
villages read back from the PDF; bad rows named by file:row, all at once; no incidents file, a clear error;
full names in 简要案情 are warnings; the period is the months covered (or the station's own); the type chart
always shows the types in season on the build day."""
from __future__ import annotations

import re

import pytest

from conftest import STATION, invoke
from pdfcheck import page_text

CONFIG = STATION + """\
units:
  - {id: dongguan, name: 东关村}
  - {id: xiguan, name: 西关村}
  - {id: nanjie, name: 南街社区}
incidents: incidents.csv
"""
INCIDENTS = """\
新城派出所发案登记（第三季度）

日期,案件类型,损失金额（元）,村（社区）,简要案情,备注
2026-09-03,刷单返利,12000,东关村,村民王某做点赞兼职，先小额返利，后垫付一万二千元被拉黑。,
2026/9/15,冒充公检法,48000,xiguan,老人李某接到“公安”电话，把存款转入“安全账户”。,
2026年10月2日,刷单,3500,南街社区,,
2026-10-20,虚假投资理财,1.5万,东关村,居民赵某被拉进炒股群，跟着“老师”投资，无法提现。,
2026-12-08,fake-police,0,西关村,,拦下了
2026-12-21,刷单返利,"8,600",东关村,,
"""


def flat(text: str) -> str:
    return re.sub(r"\s", "", text)


@pytest.fixture(scope="module")
def briefing(tmp_path_factory):
    root = tmp_path_factory.mktemp("briefing")
    (root / "antifraud.yaml").write_text(CONFIG, encoding="utf-8")
    (root / "incidents.csv").write_text(INCIDENTS, encoding="utf-8")
    result = invoke(root, "build", "-p", "briefing", "-p", "briefing-wechat", "-j", "1")
    assert result.exit_code == 0, result.output
    return root


def test_the_briefing_reads_back_its_numbers(briefing):
    pages = page_text(briefing / "dist/briefing.pdf")
    assert len(pages) == 2
    first, second = flat(pages[0]), flat(pages[1])
    assert "6起" in first and "8.71万元" in first  # 12000+48000+3500+15000+0+8600 = 87100
    # the period: the calendar months the incidents cover; the CSV's name is printed nowhere
    assert "通报时段：2026年9月—12月" in first and "9月3日" not in first
    assert all("incidents.csv" not in page for page in pages)
    assert "数据来自派出所发案登记，案例已隐去姓名" in second
    # the month chart: every month of the period, November (no incidents) too, in order, with its count
    months = re.findall(r"(\d+)月", pages[0][pages[0].index("每月发案起数"):])
    assert months[:4] == ["9", "10", "11", "12"]
    assert re.search(r"刷单返利.*冒充公检法.*虚假投资理财", first)  # the type chart, most frequent first
    for village, count, loss in (("东关村", 3, "3.56万元"), ("西关村", 2, "4.80万元"), ("南街社区", 1, "3500元")):
        assert f"{village}{count}起{loss}" in second
    for words in ("1.刷单返利（3起）", "2.冒充公检法（2起）", "3.虚假投资理财（1起）", "怎么认", "怎么防",
                  "老人李某", "请各位回去做三件事", "0913-5212110"):
        assert words in second, words


def test_the_wechat_notice_is_short(briefing):
    text = (briefing / "dist/briefing.txt").read_text(encoding="utf-8")
    assert text.startswith("【新城派出所反诈提醒】") and "6起" in text and "8.71万元" in text
    assert len(text.strip()) <= 200


def test_bad_rows_are_named_by_file_and_row_all_at_once(make_project):
    bad = INCIDENTS.replace("2026/9/15", "2026-02-30").replace("3500", "三千五").replace("虚假投资理财", "外星人诈骗") \
        .replace("2026-12-21,刷单返利,\"8,600\",东关村", "2026-12-21,刷单返利,8600,北山村")
    root = make_project({"antifraud.yaml": CONFIG, "incidents.csv": bad})
    result = invoke(root, "build", "-p", "briefing", "-j", "1")
    assert result.exit_code == 1
    out = result.output
    assert "incidents.csv:5: 日期: '2026-02-30' is not a date" in out
    assert "incidents.csv:6: 损失: '三千五' is not an amount in 元" in out
    assert "incidents.csv:7: 类型: unknown type '外星人诈骗'" in out
    assert "incidents.csv:9: 村（社区）: unknown unit '北山村'" in out
    assert not (root / "dist").exists()


def test_an_xlsx_with_english_headers_works(make_project, tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    import datetime as dt

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["date", "type", "loss", "unit", "summary"])
    sheet.append([dt.datetime(2027, 1, 5), "order-brushing", 2000, "dongguan", "网上兼职被骗。"])
    sheet.append([dt.datetime(2027, 1, 9), "冒充公检法", 30000, "西关村", None])
    root = make_project({"antifraud.yaml": CONFIG.replace("incidents.csv", "cases.xlsx")})
    book.save(root / "cases.xlsx")
    result = invoke(root, "build", "-p", "briefing", "-j", "1")
    assert result.exit_code == 0, result.output
    first = flat(page_text(root / "dist/briefing.pdf")[0])
    assert "2起" in first and "3.20万元" in first and "1月" in first


def test_no_incidents_file_says_how_to_add_one(make_project):
    root = make_project({"antifraud.yaml": STATION})
    result = invoke(root, "build", "-p", "briefing", "-j", "1")
    assert result.exit_code == 1
    assert "needs the area's incidents" in result.output and "incidents: incidents.csv" in result.output
    plain = invoke(root, "build", "-a", "elderly", "-j", "1")  # not in the default kit
    assert plain.exit_code == 0 and not (root / "dist/briefing.pdf").exists()


def test_a_briefing_for_one_village_with_u(briefing):
    result = invoke(briefing, "build", "-p", "briefing", "-u", "dongguan", "-j", "1")
    assert result.exit_code == 0, result.output
    first = flat(page_text(briefing / "dist/dongguan/briefing.pdf")[0])
    assert "新城派出所东关村电信网络诈骗发案通报" in first and "3起" in first and "3.56万元" in first
    assert (briefing / "dist/briefing.pdf").exists()  # the station's own stays
    again = invoke(briefing, "build", "-p", "briefing", "-j", "1")  # without -u: the village's is kept
    assert again.exit_code == 0 and (briefing / "dist/dongguan/briefing.pdf").exists()


# ---------------------------------------------------------------- full names in 简要案情

NAMED_CONFIG = STATION + """\
officers:
  - {name: 张卫东, title: 社区民警, phone: "13800001111"}
units:
  - {id: dongguan, name: 东关村, officer: 张卫东}
incidents: incidents.csv
"""
NAMED = """\
日期,类型,损失,村（社区）,简要案情
2026-09-03,刷单返利,12000,东关村,王建国被骗做点赞兼职，垫付一万二千元后被拉黑。
2026-09-05,冒充公检法,0,东关村,老人李某接到“公安”电话，马上报警，未损失。
2026-09-09,虚假投资理财,30000,东关村,村民李秀英报案：被拉进炒股群，跟着“老师”投资，无法提现。
2026-09-12,刷单,500,东关村,民警张卫东上门劝阻，居民赵某某只被骗500元。
2026-09-20,刷单,800,东关村,王先生说对方称是客服，孙子在外地读书，周末在家时1.2万元被骗走。
"""


def test_full_names_are_found_by_a_small_heuristic():
    from antifraud_cli.incidents import full_names

    for text, names in (("王建国被骗做点赞兼职", ["王建国"]), ("村民李秀英报案", ["李秀英"]),
                        ("9月3日，张伟在家中接到电话", ["张伟"]), ("受害人欧建华称对方是客服", ["欧建华"]),
                        ("东关村刘洋说自己没转账", ["刘洋"]), ("“陈静”于当晚报警", ["陈静"]),
                        ("民警张卫东上门劝阻", ["张卫东"])):  # the last: a name the project knows
        assert full_names(text, known=["张卫东"]) == names, text
    for text in ("村民王某在家接到电话", "老人李某某报案", "王先生说对方称是客服", "李女士称", "王经理说",
                 "孙子在外地读书", "周末在家时", "马上报警", "1.2万元被骗走", "对方称是公安", "高额返利在前",
                 "居民赵某被拉进炒股群，跟着“老师”投资，无法提现。", "村民王某做点赞兼职，先小额返利，后垫付一万二千元被拉黑。",
                 "冒充客服说快递丢了", "黄金回收在街口", "李姓男子称"):
        assert full_names(text, known=["张卫东"]) == [], text


def test_a_full_name_in_a_summary_is_a_warning_and_the_build_goes_on(make_project):
    import os
    import subprocess
    import sys

    root = make_project({"antifraud.yaml": NAMED_CONFIG, "incidents.csv": NAMED})
    run = subprocess.run([sys.executable, "-m", "antifraud_cli", "build", "-p", "briefing", "-j", "1"], cwd=root,
                         capture_output=True, text=True, env=os.environ | {"PYTHONIOENCODING": "utf-8"}, check=False)
    assert run.returncode == 0, run.stderr
    assert (root / "dist/briefing.pdf").is_file()
    warnings = [line for line in run.stderr.splitlines() if line.startswith("warning: ")]
    assert len(warnings) == 3, run.stderr  # rows 2, 4 and 5; not 王某, 赵某某, 王先生, 孙子, 周末, 1.2万元
    assert warnings[0].startswith("warning: incidents.csv:2: 简要案情") and "王建国" in warnings[0]
    assert warnings[1].startswith("warning: incidents.csv:4: 简要案情") and "李秀英" in warnings[1]
    assert warnings[2].startswith("warning: incidents.csv:5: 简要案情") and "张卫东" in warnings[2]
    assert "王某" in run.stderr and "README" in run.stderr  # the hint: write 王某, as the README asks
    assert "incidents.csv:3" not in run.stderr and "incidents.csv:6" not in run.stderr


# ---------------------------------------------------------------- the period

def test_the_period_spans_years_or_is_the_stations_own(make_project):
    rows = """\
日期,类型,损失,村（社区）
2025-12-05,刷单返利,1000,东关村
2026-01-10,冒充公检法,2000,西关村
2026-02-20,刷单返利,3000,南街社区
"""
    root = make_project({"antifraud.yaml": CONFIG, "incidents.csv": rows})
    assert invoke(root, "build", "-p", "briefing", "-j", "1").exit_code == 0
    first = flat(page_text(root / "dist/briefing.pdf")[0])
    assert "通报时段：2025年12月—2026年2月" in first
    months = re.findall(r"(\d+)月", page_text(root / "dist/briefing.pdf")[0].split("每月发案起数")[1])
    assert months[:3] == ["12", "1", "2"]

    own = CONFIG.replace("address: 新城路1号}", "address: 新城路1号, briefing: {period: 2026年第一季度}}")
    assert own != CONFIG
    root = make_project({"antifraud.yaml": own, "incidents.csv": rows}, name="own")
    result = invoke(root, "build", "-p", "briefing", "-p", "briefing-wechat", "-j", "1")
    assert result.exit_code == 0, result.output
    first = flat(page_text(root / "dist/briefing.pdf")[0])
    assert "通报时段：2026年第一季度" in first and "2025年12月" not in first
    assert "2026年第一季度" in (root / "dist/briefing.txt").read_text(encoding="utf-8")

    one_month = rows.replace("2025-12-05", "2026-02-01").replace("2026-01-10", "2026-02-11")
    root = make_project({"antifraud.yaml": CONFIG, "incidents.csv": one_month}, name="one")
    assert invoke(root, "build", "-p", "briefing", "-j", "1").exit_code == 0
    assert "通报时段：2026年2月" in flat(page_text(root / "dist/briefing.pdf")[0])


def test_a_long_own_period_is_an_error_at_its_line(make_project):
    own = CONFIG.replace("address: 新城路1号}", "address: 新城路1号, briefing: {period: " + "二" * 21 + "}}")
    root = make_project({"antifraud.yaml": own, "incidents.csv": INCIDENTS})
    result = invoke(root, "check")
    assert result.exit_code == 1 and "antifraud.yaml:1" in result.output
    assert "station.briefing.period" in result.output and "has 21 characters; at most 20" in result.output


# ---------------------------------------------------------------- the type chart and the season

SEASON_TYPES = ["order-brushing", "fake-customer-service", "fan-club", "license-expiry-sms", "fake-platform-penalty",
                "fake-credit-repair", "fake-student-aid", "fake-teacher-fee", "fake-shopping"]  # none in January


def test_the_type_chart_always_shows_the_types_in_season(make_project):
    """The build day (tests: 2027-01-10) is in 虚假网络贷款's season (1, 2): its one incident gets a bar besides
    the eight commonest types, although a ninth type out of season has two; what is left out is said, and the
    numbers add up."""
    lines = ["日期,类型,损失,村（社区）"]
    for i, case in enumerate(SEASON_TYPES):
        lines += [f"2026-10-{i + 1:02d},{case},1000,东关村", f"2026-11-{i + 1:02d},{case},1000,西关村"]
    lines.append("2026-12-01,fake-loan,5000,南街社区")
    root = make_project({"antifraud.yaml": CONFIG, "incidents.csv": "\n".join(lines) + "\n"})
    result = invoke(root, "build", "-p", "briefing", "-j", "1")
    assert result.exit_code == 0, result.output
    text = page_text(root / "dist/briefing.pdf")[0]
    chart = flat(text.split("各类骗局发案起数")[1])
    assert "19起" in flat(text)
    assert "虚假网络贷款（当季）1" in chart  # its bar and its count
    assert chart.count("（当季）") == 1
    bars = re.findall(r"([^\d]+?)(\d+)(?=[^\d]|$)", chart.split("“当季”：")[0])
    assert len(bars) == 9 and sum(int(n) for _, n in bars) == 17
    assert "另有1类共2起，未画出" in chart  # 17 + 2 = 19
    assert "1月" in chart and "高发季" in chart  # why a bar of 1 is shown: the note says it


def test_an_officer_named_in_a_summary_is_a_warning_even_without_a_unit_of_their_own(make_project):
    """The officers the project lists (not only each unit's own) are names the tool knows: a summary that names
    one in full is a warning, whatever follows the name."""
    from antifraud_cli.loader import load_project

    config = STATION + """\
officers:
  - {name: 张卫东, title: 社区民警, phone: "13800001111"}
  - {name: 刘洋, title: 社区民警, phone: "13800002222", units: [xiguan]}
units:
  - {id: dongguan, name: 东关村, officer: 张卫东}
  - {id: xiguan, name: 西关村}
incidents: incidents.csv
"""
    rows = "日期,类型,损失,村（社区）,简要案情\n2026-10-20,刷单返利,800,东关村,居民反映刘洋多次上门提醒后仍转账。\n"
    project = load_project(make_project({"antifraud.yaml": config, "incidents.csv": rows}))
    warnings = [str(w) for w in project.incidents.warnings]
    assert len(warnings) == 1 and "incidents.csv:2" in warnings[0] and "刘洋 (an officer's name)" in warnings[0]
