"""The local briefing (辖区发案通报): incidents read from an office's CSV/XLSX, totals, 起 count, months and
villages read back from the PDF; bad rows named by file:row, all at once; no incidents file, a clear error."""
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
    assert "2026年9月3日—2026年12月21日" in first
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
