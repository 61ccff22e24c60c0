"""The area's own incidents (辖区发案), as a station's office keeps them: a CSV or Excel sheet, one row per
incident, for the briefing (辖区发案通报).

Columns (Chinese or English header names; a title row above the header is fine): date, type (a case id, its
Chinese title or its category), loss in 元, unit (village: id or name), and an optional one-line summary.
Every bad row is a `file:row: message` problem, all of them at once. Reading the sheet reuses the roster's
readers (encodings, merged cells, numbers typed into Excel). A summary that seems to name someone in full
(王建国被骗…) is a `warning: file:row: …` (the README asks for 王某); the build goes on.
"""
from __future__ import annotations

import datetime as dt
import logging
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from .errors import Location, Problem
from .paths import display
from .roster import find_header, match_key, read_sheets

COLUMNS = {
    "date": ("date", "日期", "发案日期", "案发日期", "报案日期", "发案时间", "时间"),
    "type": ("type", "case", "类型", "案件类型", "诈骗类型", "案件类别", "类别", "手法"),
    "loss": ("loss", "损失", "损失金额", "损失元", "损失金额元", "金额", "被骗金额", "涉案金额"),
    "unit": ("unit", "village", "村", "社区", "村（社区）", "村名", "网格", "辖区", "发案地"),
    "summary": ("summary", "简要案情", "案情", "案情摘要", "摘要"),
}
REQUIRED = ("date", "type", "loss", "unit")
EXAMPLE_HEADER = "日期,类型,损失,村（社区）,简要案情"
HEADER_SEARCH_ROWS = 30
_ALIASES = {match_key(alias): col for col, names in COLUMNS.items() for alias in names}
_logger = logging.getLogger(__name__)
_DATE_RE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?$")


@dataclass(frozen=True)
class Incident:
    row: int
    date: dt.date
    case: str  # case id
    loss: Decimal  # 元
    unit: str  # the village's name as printed
    summary: str | None = None


@dataclass
class IncidentLog:
    file: str  # as messages show it
    items: list[Incident] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)  # printed as `warning: …`; the build goes on


def load_incidents(path: Path, root: Path | None, cases: dict, units: list, people: Iterable[str] = ()) -> IncidentLog:
    """Incidents from a CSV/XLSX file; `cases` and `units` are the project's, to resolve types and villages.
    `people`: person names the project knows besides its units' officers (e.g. every officer's), which a
    summary must not print. Its warnings are logged (`warning: …` on stderr) as well as kept."""
    shown = display(path, root)
    log = IncidentLog(file=shown)
    sheets, problems = read_sheets(path, shown, "incidents")
    if problems:
        log.problems += problems
        return log
    known = {*people, *(u.officer for u in units if u.officer)}
    for _, rows in sheets:
        found = _find_header(rows)
        if found is not None:
            _read(rows, found, shown, cases, units, log)
            _check_names(log, shown, known)
            return log
    first = next((n for n, cells in (sheets[0][1] if sheets else []) if any(cells)), 1)
    log.problems.append(Problem(Location(shown, first), "cannot find the incidents' header row",
                                f"one row must name the columns, e.g. {EXAMPLE_HEADER}"))
    return log


def _find_header(rows):
    found = find_header(rows, _ALIASES, HEADER_SEARCH_ROWS)  # the roster's: the same offices type both
    return found[:2] if found else None


def _read(rows, found, shown: str, cases: dict, units: list, log: IncidentLog) -> None:
    start, columns = found
    header_no = rows[start][0]
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        names = "; ".join(f"{c}: " + ", ".join(COLUMNS[c][1:4]) for c in missing)
        log.problems.append(Problem(Location(shown, header_no), "the header row has no column for "
                                    + ", ".join(missing), f"accepted names: {names}"))
        return
    types = _type_index(cases)
    places = {match_key(u.id): u.name for u in units} | {match_key(u.name): u.name for u in units}
    for row_no, cells in rows[start + 1:]:
        if not any(cells):
            continue
        cell = {c: (cells[j].strip() if j < len(cells) else "") for c, j in columns.items()}
        where = Location(shown, row_no)
        errors = []
        date = _date(cell["date"])
        if date is None:
            errors.append(f"日期: '{cell['date']}' is not a date (write it as 2026-09-03)")
        elif not FIRST_YEAR <= date.year <= LAST_YEAR:
            errors.append(f"日期: '{cell['date']}' is not a date between {FIRST_YEAR} and {LAST_YEAR}: a typo?")
            date = None
        case = types.get(match_key(cell["type"])) or _by_part(cell["type"], cases)
        if case is None:
            errors.append(f"类型: unknown type '{cell['type']}'")
        loss = _amount(cell["loss"])
        if loss is None:
            errors.append(f"损失: '{cell['loss']}' is not an amount in 元")
        elif loss > MAX_LOSS:
            errors.append(f"损失: '{cell['loss']}' is more than 1万亿元: a typo?")
            loss = None
        unit = places.get(match_key(cell["unit"])) if units else (cell["unit"] or None)
        if unit is None:
            errors.append(f"村（社区）: unknown unit '{cell['unit']}'" if cell["unit"] else "村（社区）: empty")
        for message in errors:
            log.problems.append(Problem(where, message, _HINTS[message.split(":")[0]]))
        if date is not None and case is not None and loss is not None and unit is not None:  # no errors
            log.items.append(Incident(row_no, date, case, loss, unit, cell.get("summary") or None))
    if log.items:
        first = min(log.items, key=lambda i: (i.date, i.row))
        last = max(log.items, key=lambda i: (i.date, -i.row))
        if last.date.year - first.date.year >= CHART_COLUMNS["年"]:  # the chart's years would not fit
            log.problems.append(Problem(Location(shown, first.row), f"the incidents span {first.date.year} to "
                                        f"{last.date.year} (row {last.row}): more than {CHART_COLUMNS['年']} years",
                                        "a briefing covers a week, a month, a quarter or a year: keep the incidents "
                                        "of the period it reports, and check these dates for typos"))


_HINTS = {
    "日期": "a date the calendar has: 2026-09-03, 2026/9/3 or 2026年9月3日",
    "类型": "a case id, its title or its category: `antifraud list cases` shows them (e.g. 刷单返利, fake-police)",
    "损失": "a number of 元, e.g. 3000 or 1.2万; 0 for an attempt that lost nothing",
    "村（社区）": "a unit's id or name from antifraud.yaml or the roster: `antifraud list units`",
}


# ---------------------------------------------------------------- full names in 简要案情
#
# The README asks for 王某 in a summary, never a full name: the briefing is handed out and forwarded. A full
# name is guessed, not known, so it is a warning. The guess, kept small on purpose:
#   a common surname (single characters cover nearly everyone; a few double ones), then one or two characters
#   of given name, then a word that starts what a person did (被骗, 报案, 称, 说, 在, 接到…);
#   standing where a name stands: at the start, after punctuation, a digit or a space, after a word for a
#   person (村民, 受害人…) or a place (…村, …社区), or after a date's 日;
#   not a surname + 某 (王某, 李某某), a title (王先生, 李女士, 张经理, 王哥) or a common word that starts with
#   a surname's character (马上, 周末, 孙子, 金额…).
# Surnames that are mostly everyday words in police writing (于 as in 于9月3日, 万 as in 1.2万元, 向, 和, 文,
# 安…) are left out: a missed name is a name the officer still sees in the sheet; a false alarm teaches everyone
# to ignore the warning. Any name the project knows (its units' officers) is found wherever it stands.

SURNAMES = set(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩邓冯曹彭曾肖田董潘袁蔡蒋余杜叶程魏苏吕丁任卢姚沈"
    "钟姜崔谭陆范汪廖石金韦贾夏付方邹熊白孟秦邱侯江尹薛闫段雷龙黎史陶贺毛郝顾龚邵覃武钱戴严欧莫孔常汤康易乔"
    "赖施洪辛柳樊殷牛葛庞章鲁聂齐岳倪庄温宁")
DOUBLE_SURNAMES = ("欧阳", "司马", "上官", "诸葛", "司徒", "夏侯", "令狐", "皇甫", "慕容", "公孙")
# what a person does next in a summary; the shortest name followed by one wins (张伟在家: 张伟)
_AFTER_NAME = ("被", "报案", "报警", "称", "说", "在", "接到", "接听", "收到", "通过", "因", "将", "把", "遭", "轻信",
               "听信", "误信", "添加", "加入", "下载", "点击", "于", "到", "从", "给", "家中", "家里")
# a word for a person or a place just before a name (村民李秀英, 东关村刘洋, 南街社区王芳)
_BEFORE_NAME = ("村民", "居民", "市民", "群众", "老人", "学生", "受害人", "被害人", "事主", "报案人", "当事人", "男子",
                "女子", "妇女", "教师", "职工", "店主", "商户", "业主", "司机", "农民", "工人", "干部", "儿子", "女儿",
                "丈夫", "妻子", "母亲", "父亲", "网友", "员工", "会计", "出纳", "民警", "辅警", "村", "组", "屯", "镇",
                "乡", "社区", "日")
# not a given name: 某 (the form the README asks for), titles and kin words (王先生, 李女士, 张经理, 王哥)
_NOT_GIVEN = ("先生", "女士", "小姐", "老师", "老板", "经理", "警官", "师傅", "同学", "大爷", "大妈", "大娘", "大叔",
              "大哥", "大姐", "阿姨", "主任", "书记", "医生", "律师", "会计", "科长", "局长", "所长", "队长", "专员",
              "客服", "校长", "村长", "组长", "老汉", "老太", "总", "哥", "姐", "叔", "姨", "伯", "婶", "嫂", "爷",
              "奶", "姓", "氏", "某")
# everyday words that start with a surname's character and may stand before 在/说/被…
_COMMON_WORDS = ("马上", "周末", "周日", "周一", "周二", "周三", "周四", "周五", "周六", "周边", "周围", "孙子", "孙女",
                 "黄金", "金额", "余额", "任务", "付款", "高额", "高价", "高息", "方式", "方面", "白天", "夏天", "陆续",
                 "许多", "曾经", "顾客", "程序", "江湖", "范围", "严重", "辛苦", "何时", "莫名", "钱款", "钱财", "常常",
                 "常年", "宁愿", "宁可", "齐全", "易于", "温馨", "康复", "汤药", "田间", "石头", "龙头", "陈述", "夏季",
                 "方便", "金融", "金钱", "熊孩")
# words of every sentence, never part of a given name (钱都被骗走: not 钱都)
_NOT_IN_NAME = set("的了着过都也就又还再已均共仅只才却并且或而被在说称将把从给对让向和与及等是有为因于这那其他她们个些每"
                   "各该此不没未很太更最多次")
_HAN = re.compile(r"[\u3400-\u9fff]")


def full_names(text: str, known: Iterable[str] = ()) -> list[str]:
    """The full names `text` seems to print, in order: each name of `known` it contains (two characters or
    more, not 王某), and what the guess above finds."""
    found: dict[int, str] = {}
    for name in known:
        if len(name) >= 2 and "某" not in name:
            for m in re.finditer(re.escape(name), text):
                found.setdefault(m.start(), name)
    for i in range(len(text)):
        guess = _name_at(text, i)
        if guess and not any(start <= i < start + len(n) for start, n in found.items()):
            found[i] = guess
    return list(dict.fromkeys(found[i] for i in sorted(found)))


def _name_at(text: str, i: int) -> str | None:
    if not (i == 0 or not _HAN.match(text[i - 1]) or text[:i].endswith(_BEFORE_NAME)):
        return None
    surname = next((d for d in DOUBLE_SURNAMES if text.startswith(d, i)), text[i] if text[i] in SURNAMES else None)
    if surname is None or text.startswith(_COMMON_WORDS, i):
        return None
    start = i + len(surname)
    for size in (1, 2):  # the shortest name a trigger follows
        given = text[start:start + size]
        if len(given) < size or not all(_HAN.match(c) and c not in _NOT_IN_NAME for c in given) \
                or given.startswith(_NOT_GIVEN):
            return None  # a longer one starts the same way
        rest = text[start + size:].lstrip("”’」』")
        if rest.startswith(_AFTER_NAME):
            return surname + given
    return None


def _check_names(log: IncidentLog, shown: str, known: set[str]) -> None:
    for item in log.items:
        names = full_names(item.summary or "", known)
        if names:
            listed = ", ".join(f"{n} (an officer's name)" if n in known else n for n in names)
            log.warnings.append(Problem(Location(shown, item.row),
                                        f"简要案情 names {listed}: that looks like a full name",
                                        "write 王某 style, as the README asks ("
                                        + ", ".join(f"{n} → {_surname(n)}某" for n in names)
                                        + "): the briefing is handed out and passed on"))
    for warning in log.warnings:
        _logger.warning("warning: %s", warning)


def _surname(name: str) -> str:
    return name[:2] if name.startswith(DOUBLE_SURNAMES) else name[0]


def _type_index(cases: dict) -> dict[str, str]:
    """Typed name -> case id: the id, the title, and each category (its best-named case: the one titled so)."""
    index: dict[str, str] = {}
    for case in sorted(cases.values(), key=lambda c: (c.title != (c.category or ""), c.id)):
        if case.category:
            index.setdefault(match_key(case.category), case.id)
    for case in cases.values():
        index[match_key(case.title)] = case.id
        index[match_key(case.id)] = case.id
    return index


def _by_part(text: str, cases: dict) -> str | None:
    """A short name (刷单, 公检法) that is part of exactly one case's title or category."""
    key = match_key(text)
    if len(key) < 2:
        return None
    hits = {c.id for c in cases.values() if key in match_key(c.title) or (c.category and key in match_key(c.category))}
    return hits.pop() if len(hits) == 1 else None


def _date(text: str) -> dt.date | None:
    text = text.strip()
    if re.fullmatch(r"\d{5}(\.0+)?", text):  # an Excel date typed into a number cell: days since 1899-12-30
        days = int(float(text))
        return dt.date(1899, 12, 30) + dt.timedelta(days=days) if 20000 < days < 80000 else None
    m = _DATE_RE.match(text)
    if not m:
        return None
    try:
        return dt.date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:  # 2026-02-30
        return None


def _amount(text: str) -> Decimal | None:
    text = re.sub(r"[\s,，¥￥]", "", text).removesuffix("元")
    scale = Decimal(1)
    if text.endswith("万"):
        text, scale = text[:-1], Decimal(10000)
    try:
        value = Decimal(text) * scale
    except InvalidOperation:
        return None
    return value if value.is_finite() and value >= 0 else None


# ---------------------------------------------------------------- the briefing's numbers

def money(yuan: Decimal) -> str:
    """元 below 10,000; else 万元 with two decimals: 8600元, 12.35万元."""
    if yuan < 10000:
        return f"{int(yuan)}元" if yuan == yuan.to_integral() else f"{yuan:.2f}元"
    return f"{yuan / 10000:.2f}万元"  # format, not quantize: no precision limit on a large sum


# The briefing's chart has one column per month, quarter or year: the finest grouping with at most this many
# columns, which keeps each label (9月, 2025年3季度, 2025年) within its column of the 180 mm chart
CHART_COLUMNS = {"月": 12, "季度": 8, "年": 12}
FIRST_YEAR, LAST_YEAR = 2000, 2099  # an incident dated outside these years is a typo (0001-01-01, 9999-12-31)
MAX_LOSS = Decimal(10) ** 12  # 1万亿元: more is a typo (1e30), and past what the briefing can print


def chart_periods(start: dt.date, end: dt.date) -> tuple[str, list[tuple[tuple[int, int], str]]]:
    """('月' | '季度' | '年', [(key, label)]): every period from `start` to `end`, none left out, in the finest
    grouping that makes at most CHART_COLUMNS columns. load_incidents keeps a log within 12 years."""
    for per in ("月", "季度", "年"):
        first, last = _period_of(start, per), _period_of(end, per)
        count = (last[0] - first[0]) * _PER_YEAR[per] + last[1] - first[1] + 1
        if count <= CHART_COLUMNS[per]:
            break
    periods, key = [], first
    while key <= last:
        periods.append((key, _LABEL[per](*key)))
        key = (key[0] + key[1] // _PER_YEAR[per], key[1] % _PER_YEAR[per] + 1)
    return per, periods


_PER_YEAR = {"月": 12, "季度": 4, "年": 1}
_LABEL = {"月": lambda y, m: f"{m}月", "季度": lambda y, q: f"{y}年{q}季度", "年": lambda y, _: f"{y}年"}


def _period_of(date: dt.date, per: str) -> tuple[int, int]:
    return date.year, {"月": date.month, "季度": (date.month - 1) // 3 + 1, "年": 1}[per]


def summarize(log: IncidentLog, cases: dict, unit=None) -> dict:
    """What the briefing prints: period, count, total, by type / month / village, the top three types,
    and up to three summaries (the largest losses that have one). With `unit`, that village's only."""
    items = sorted((i for i in log.items if unit is None or i.unit == unit.name), key=lambda i: (i.date, i.row))
    if not items:
        return {"count": 0}
    total = sum((i.loss for i in items), Decimal(0))
    by_case = Counter(i.case for i in items)
    loss_of = lambda key, attr: sum((i.loss for i in items if getattr(i, attr) == key), Decimal(0))  # noqa: E731
    types = sorted(by_case, key=lambda c: (-by_case[c], -loss_of(c, "case"), c))
    per, periods = chart_periods(items[0].date, items[-1].date)
    by_period = Counter(_period_of(i.date, per) for i in items)
    by_unit = Counter(i.unit for i in items)
    told = sorted((i for i in items if i.summary), key=lambda i: (-i.loss, i.date))[:3]
    return {
        "count": len(items), "total": total, "total_text": money(total),
        "start": items[0].date, "end": items[-1].date,
        "types": [{"case": cases[c], "count": by_case[c], "loss": money(loss_of(c, "case"))} for c in types],
        # the chart's columns: every month of the period (none left out); every quarter or year when the
        # months would be too many to label (CHART_COLUMNS)
        "per": per,
        "months": [{"label": label, "count": by_period[key]} for key, label in periods],
        "units": [{"name": u, "count": by_unit[u], "loss": money(loss_of(u, "unit"))}
                  for u in sorted(by_unit, key=lambda u: (-by_unit[u], u))],
        "top": [cases[c] for c in types[:3]],
        "summaries": [{"date": i.date, "unit": i.unit, "text": i.summary, "loss": money(i.loss)} for i in told],
        "file": log.file,
    }
