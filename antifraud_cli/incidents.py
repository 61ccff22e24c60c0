"""The area's own incidents (辖区发案), as a station's office keeps them: a CSV or Excel sheet, one row per
incident, for the briefing (辖区发案通报).

Columns (Chinese or English header names; a title row above the header is fine): date, type (a case id, its
Chinese title or its category), loss in 元, unit (village: id or name), and an optional one-line summary.
Every bad row is a `file:row: message` problem, all of them at once. Reading the sheet reuses the roster's
readers (encodings, merged cells, numbers typed into Excel).
"""
from __future__ import annotations

import datetime as dt
import re
from collections import Counter
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


def load_incidents(path: Path, root: Path | None, cases: dict, units: list) -> IncidentLog:
    """Incidents from a CSV/XLSX file; `cases` and `units` are the project's, to resolve types and villages."""
    shown = display(path, root)
    log = IncidentLog(file=shown)
    sheets, problems = read_sheets(path, shown, "incidents")
    if problems:
        log.problems += problems
        return log
    for _, rows in sheets:
        found = _find_header(rows)
        if found is not None:
            _read(rows, found, shown, cases, units, log)
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
        case = types.get(match_key(cell["type"])) or _by_part(cell["type"], cases)
        if case is None:
            errors.append(f"类型: unknown type '{cell['type']}'")
        loss = _amount(cell["loss"])
        if loss is None:
            errors.append(f"损失: '{cell['loss']}' is not an amount in 元")
        unit = places.get(match_key(cell["unit"])) if units else (cell["unit"] or None)
        if unit is None:
            errors.append(f"村（社区）: unknown unit '{cell['unit']}'" if cell["unit"] else "村（社区）: empty")
        for message in errors:
            log.problems.append(Problem(where, message, _HINTS[message.split(":")[0]]))
        if date is not None and case is not None and loss is not None and unit is not None:  # no errors
            log.items.append(Incident(row_no, date, case, loss, unit, cell.get("summary") or None))


_HINTS = {
    "日期": "a date the calendar has: 2026-09-03, 2026/9/3 or 2026年9月3日",
    "类型": "a case id, its title or its category: `antifraud list cases` shows them (e.g. 刷单返利, fake-police)",
    "损失": "a number of 元, e.g. 3000 or 1.2万; 0 for an attempt that lost nothing",
    "村（社区）": "a unit's id or name from antifraud.yaml or the roster: `antifraud list units`",
}


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
    return f"{(yuan / 10000).quantize(Decimal('0.01'))}万元"


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
    months, month = [], (items[0].date.year, items[0].date.month)
    while month <= (items[-1].date.year, items[-1].date.month):  # every month of the period, none left out
        months.append(month)
        month = (month[0] + month[1] // 12, month[1] % 12 + 1)
    by_month = Counter((i.date.year, i.date.month) for i in items)
    by_unit = Counter(i.unit for i in items)
    told = sorted((i for i in items if i.summary), key=lambda i: (-i.loss, i.date))[:3]
    return {
        "count": len(items), "total": total, "total_text": money(total),
        "start": items[0].date, "end": items[-1].date,
        "types": [{"case": cases[c], "count": by_case[c], "loss": money(loss_of(c, "case"))} for c in types],
        "months": [{"label": f"{m}月" if len(months) <= 12 else f"{y}年{m}月", "count": by_month[(y, m)]}
                   for y, m in months],
        "units": [{"name": u, "count": by_unit[u], "loss": money(loss_of(u, "unit"))}
                  for u in sorted(by_unit, key=lambda u: (-by_unit[u], u))],
        "top": [cases[c] for c in types[:3]],
        "summaries": [{"date": i.date, "unit": i.unit, "text": i.summary, "loss": money(i.loss)} for i in told],
        "file": log.file,
    }
