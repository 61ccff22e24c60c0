"""Rosters as township offices keep them: a CSV or Excel sheet of villages and their community officers.

Tolerated: a title row and blank rows above the header, Chinese or English column names, extra columns,
merged cells (Excel), phone numbers stored as numbers, no id column (ids are made from the names in pinyin).
Optional columns carry what `officers:` and `units:` in antifraud.yaml can say: the officer's photo (a path
relative to the roster) and own QR link, the village's 警务室 and its opening hours; each cell is checked as
the YAML field is. Every problem is `file:row: message`, with the row number the spreadsheet shows, and all
are reported at once.
"""
from __future__ import annotations

import bisect
import csv
import io
import os
import posixpath
import re
import unicodedata
import zipfile
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path, PurePosixPath
from xml.etree import ElementTree

from . import photos
from .errors import Location, Problem
from .models import Officer, OfficerQR, Text, Unit, format_phone, phone_error
from .paths import display

# Column -> the header names accepted for it (compared without spaces, case or bracket width).
ROSTER_COLUMNS = {
    "unit_id": ("unit_id",),  # not "ID": offices use that for 身份证号
    "unit_name": ("unit_name", "unit", "村", "社区", "村（社区）", "村名", "网格", "单位", "辖区"),
    "name": ("name", "officer", "姓名", "民警", "社区民警", "责任民警", "包村民警"),
    "title": ("title", "职务", "职位", "职别"),
    "phone": ("phone", "电话", "联系电话", "手机", "手机号", "手机号码"),
    # optional, as officers[].photo / officers[].qr.url and units[].office / units[].hours in antifraud.yaml
    "photo": ("photo", "照片", "民警照片", "相片"),
    "office": ("office", "警务室", "办公地点", "警务室地址", "办公地址"),  # 警务室 alone names the village
    "hours": ("hours", "开放时间", "接待时间", "办公时间"),
    "kind": ("kind", "类型", "单位类型", "类别"),  # 学校 marks a school (units[].kind: school)
    "qr": ("qr", "二维码", "二维码链接", "微信", "微信二维码", "wechat"),
}
OFFICER_EXTRAS = ("photo", "qr")  # one value per officer, given on any of their rows
UNIT_EXTRAS = ("office", "hours", "kind")  # one value per village
KIND_WORDS = {"学校": "school", "school": "school", "中学": "school", "小学": "school", "村": "village",
              "社区": "village", "village": "village"}  # the roster's 类型 cell -> units[].kind
QR_HINT = ("the link the officer's WeChat QR code holds (scan their 二维码名片 with another phone to read it: "
           "https://u.wechat.com/…), or tel: and a number (tel:13800001111)")
DEFAULT_TITLE = "社区民警"
HEADER_SEARCH_ROWS = 30   # the header is among the first rows that have anything in them
MAX_COLUMNS = 64          # a roster has a handful of columns; cells further right are never read
EXAMPLE_HEADER = "村（社区）,姓名,职务,联系电话"
# Budgets (README, "Limits"): far above a county's roster or a year's incidents, far below what takes minutes
# or a gigabyte to read.
MAX_ROWS = 20_000                     # rows of a sheet or CSV file, blank and formatted-but-empty ones too
MAX_TABLE_BYTES = 20_000_000          # a CSV file
MAX_XLSX_PART_BYTES = 20_000_000      # one part of an .xlsx unpacked (a sheet, the shared strings)
MAX_XLSX_UNPACKED_BYTES = 100_000_000  # all parts unpacked (the file's own record, checked before reading)


def match_key(text: str) -> str:
    """`text` as names are compared: NFKC, without spaces, brackets, colons, `_`, `-` and `*`, in lower case."""
    text = unicodedata.normalize("NFKC", text)  # full-width brackets and letters as ASCII
    return re.sub(r"[\s_\-()（）:：*]", "", text).lower()


_ALIASES = {match_key(alias): col for col, names in ROSTER_COLUMNS.items() for alias in names}


@dataclass
class Roster:
    units: list[Unit] = field(default_factory=list)
    officers: list[Officer] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)  # errors: the project does not load
    notes: list[Problem] = field(default_factory=list)     # worth knowing, shown by `check`


def read_sheets(path: Path, shown: str, what: str) -> tuple[list, list[Problem]]:
    """The sheets (name, [(row number, cells)]) of a CSV or XLSX file an office keeps, or the problems."""
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return _xlsx_sheets(path, shown)
    if suffix in (".csv", ".txt", ".tsv"):
        return _csv_sheets(path, shown)
    return [], [Problem(Location(shown), f"{what} must be a .csv or .xlsx file, not '{path.suffix}'",
                        "in Excel or WPS: 另存为 → .xlsx, or CSV UTF-8")]


def load_roster(path: Path, root: Path | None = None, taken: AbstractSet[str] = frozenset()) -> Roster:
    """Units and officers from a roster file. `taken`: unit ids defined elsewhere (made ids avoid them)."""
    shown = display(path, root)
    sheets, problems = read_sheets(path, shown, "roster")
    if problems:
        return Roster(problems=problems)
    roster = Roster()
    project = Path(root) if root is not None else path.parent
    folder = Path(os.path.relpath(path.parent, project)).as_posix()  # photos are named relative to the roster
    for sheet_name, rows in sheets:
        found = find_header(rows)
        if found is None:
            continue
        which = sheets.which(sheet_name) if isinstance(sheets, Sheets) else None
        if which:  # `check` says which sheet of a workbook was read
            roster.notes.append(Problem(Location(shown), which))
        _read_rows(rows, found, shown, taken, roster, (project, "" if folder == "." else folder))
        return roster
    first = next((n for n, cells in (sheets[0][1] if sheets else []) if any(cells)), 1)
    roster.problems.append(Problem(Location(shown, first), "cannot find the roster's header row",
                                   f"one row must name the columns, e.g. {EXAMPLE_HEADER} (see the README)"))
    return roster


# ---------- the header

def find_header(rows: list[tuple[int, list[str]]], aliases: dict[str, str] | None = None,
                 limit: int = HEADER_SEARCH_ROWS):
    """(index in rows, {column: cell index}, ignored header cells) of the first row naming two or more columns
    (`aliases`: header text, keyed by match_key, -> column; the roster's by default). Also used for incidents."""
    aliases = _ALIASES if aliases is None else aliases
    seen = 0
    for i, (_, cells) in enumerate(rows):
        if not any(cells):
            continue
        seen += 1
        if seen > limit:
            return None
        columns: dict[str, int] = {}
        extra: list[str] = []
        for j, cell in enumerate(cells):
            col = aliases.get(match_key(cell)) if cell else None
            if col and col not in columns:
                columns[col] = j
            elif cell:
                extra.append(cell)
        if len(columns) >= 2:
            return i, columns, extra
    return None


def _read_rows(rows, found, shown: str, taken: AbstractSet[str], roster: Roster,
               photo_base: tuple[Path, str] = (Path("."), "")) -> None:
    start, columns, extra = found
    columns = dict(columns)
    header_no, header_cells = rows[start]
    where = Location(shown, header_no)
    if "unit_name" not in columns and "office" in columns \
            and match_key(header_cells[columns["office"]]) == match_key("警务室"):
        columns["unit_name"] = columns.pop("office")  # 警务室 and no 村 column: the 警务室 are the units
    if extra:
        roster.notes.append(Problem(where, "column(s) ignored: " + ", ".join(extra),
                                    "known columns: " + "; ".join("/".join(n) for n in ROSTER_COLUMNS.values())))
    missing = [c for c in ("name", "phone") if c not in columns]
    if "unit_id" in columns and "unit_name" not in columns:
        missing.insert(0, "unit_name")
    if missing:
        roster.problems.append(Problem(where, "roster has no column for: " + ", ".join(
            f"{c} ({'/'.join(n for n in ROSTER_COLUMNS[c] if not n.isascii())})" for c in missing),
            f"the header row names the columns, e.g. {EXAMPLE_HEADER}"))
        return
    has_units = "unit_name" in columns
    if not has_units and any(c in columns for c in UNIT_EXTRAS):
        named = [_label(c, header_cells, columns) for c in UNIT_EXTRAS if c in columns]
        roster.problems.append(Problem(where, f"column{'s' * (len(named) > 1)} {', '.join(named)}: the 警务室 and "
                                       "its hours belong to a village, and this roster has no village column",
                                       "add a column naming each row's village (村（社区）), or leave these out"))
        for c in UNIT_EXTRAS:
            columns.pop(c, None)
    records = []  # (row number, {column: value})
    for row_no, cells in rows[start + 1:]:
        if not any(cells) or cells == header_cells:  # blank, or the header repeated on a printed page
            continue
        values = {c: (cells[j] if j < len(cells) else "") for c, j in columns.items()}
        for c in sorted(OFFICER_EXTRAS + UNIT_EXTRAS, key=lambda c: columns.get(c, -1)):  # left to right
            if values.get(c):
                values[c] = _extra_cell(c, values[c], row_no, shown, photo_base, roster,
                                        _label(c, header_cells, columns))
        records.append((row_no, values))

    # officers: one per name; the phone may be given on only one of their rows
    officer_rows: dict[str, list[tuple[int, dict]]] = {}
    for row_no, v in records:
        need = [c for c in (("unit_name",) if has_units else ()) + ("name",) if not v[c]]
        if need:
            hint = "fill in every row; a merged cell saved as CSV keeps its value only in its first row" \
                if shown.lower().endswith(".csv") else "fill in every row"
            roster.problems.append(Problem(Location(shown, row_no), "empty " + ", ".join(
                _label(c, header_cells, columns) for c in need), hint))
            continue
        v["name"] = _squeeze(v["name"])
        officer_rows.setdefault(v["name"], []).append((row_no, v))
    officers: dict[str, dict] = {}
    for name, its_rows in officer_rows.items():
        phones: dict[str, int] = {}
        for row_no, v in its_rows:
            if not v["phone"]:
                continue
            err = phone_error(v["phone"])
            if err:
                roster.problems.append(Problem(Location(shown, row_no),
                                               f"{_label('phone', header_cells, columns)}: {err}", err.hint))
                continue
            phones.setdefault(format_phone(v["phone"]), row_no)  # 139 0000 3333 and 13900003333: one number
        first_row = its_rows[0][0]
        if len(phones) > 1:
            (a, ra), (b, rb) = list(phones.items())[:2]
            roster.problems.append(Problem(Location(shown, rb), f"officer '{name}' has two phone numbers: {a} "
                                           f"(row {ra}) and {b}", "keep one number per officer"))
        elif not phones and not any(v["phone"] for _, v in its_rows):
            roster.problems.append(Problem(Location(shown, first_row), f"empty {_label('phone', header_cells, columns)}"
                                           f" for officer '{name}'", "every officer needs a phone number"))
        title = next((v.get("title") for _, v in its_rows if v.get("title")), "") or DEFAULT_TITLE
        officers[name] = {"row": first_row, "title": title, "phone": next(iter(phones), None), "units": []}
        for c, what in (("photo", "photo"), ("qr", "QR link")):
            given, clash = _one_value(its_rows, c)
            if clash:
                (a, ra), (b, rb) = clash
                roster.problems.append(Problem(Location(shown, rb), f"officer '{name}' has two {what}s: {a} (row {ra}) "
                                               f"and {b}", f"keep one {what} per officer"))
            elif given:
                officers[name][c] = given

    # units: one per id (or per name when there is no id); a village spanning two officers' rows is one unit
    units: dict[str, dict] = {}
    if has_units:
        explicit: dict[str, int] = {}  # unit id -> the first row giving it
        for row_no, v in records:
            uid = v.get("unit_id", "")
            if uid and not re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", uid):
                roster.problems.append(Problem(Location(shown, row_no), f"{_label('unit_id', header_cells, columns)}: "
                                               f"'{uid}' is not a valid id",
                                               "ids use lowercase letters a-z, digits and dashes, e.g. dongguan; "
                                               "or leave the id column out and ids are made from the names"))
                v["unit_id"] = uid = ""
                v["_bad"] = True
            if uid:
                explicit.setdefault(uid, row_no)
        used = set(taken) | set(explicit)
        made: dict[str, str] = {}  # unit name -> its id (given on one of its rows, or made from the name)
        for _, v in records:
            if v.get("unit_id") and v["unit_name"]:
                made.setdefault(_squeeze(v["unit_name"]), v["unit_id"])
        for row_no, v in records:
            if not v["unit_name"] or not v["name"] or v.get("_bad"):
                continue
            uname = _squeeze(v["unit_name"])
            uid = v.get("unit_id") or made.get(uname)
            if not uid:
                uid = made[uname] = _unique(slug_from_name(uname), used)
                used.add(uid)
            unit = units.get(uid)
            if unit is None:
                unit = units[uid] = {"row": row_no, "name": uname, "officers": [], "rows": []}
            elif unit["name"] != uname:
                roster.problems.append(Problem(Location(shown, row_no), f"duplicate unit id '{uid}': row "
                                               f"{unit['row']} names it '{unit['name']}', this row '{uname}'",
                                               "give each village its own id"))
                continue
            unit["rows"].append((row_no, v))
            if v["name"] not in unit["officers"]:
                unit["officers"].append(v["name"])
            if v["name"] in officers and uid not in officers[v["name"]]["units"]:
                officers[v["name"]]["units"].append(uid)
        for u in units.values():
            for c in UNIT_EXTRAS:
                given, clash = _one_value(u["rows"], c)
                if clash:
                    (a, ra), (b, rb) = clash
                    label = _label(c, header_cells, columns)
                    roster.problems.append(Problem(Location(shown, rb), f"village '{u['name']}' has two {label}: {a} "
                                                   f"(row {ra}) and {b}", f"give each village one {label}"))
                elif given:
                    u[c] = given
    if roster.problems:
        roster.problems.sort(key=lambda p: p.location.line or 0)  # in the order of the sheet's rows
        return
    for uid, u in units.items():
        extras = {c: u[c][0] for c in UNIT_EXTRAS if c in u}
        unit = _make(Unit, roster, shown, u["row"], id=uid, name=u["name"], officer=u["officers"][0], **extras)
        if unit:
            lines: dict[tuple[str, ...], int] = {(): u["row"], ("id",): u["row"], ("name",): u["row"],
                                                 ("officer",): u["row"], **{(c,): u[c][1] for c in extras}}
            unit.locate(shown, lines)
            roster.units.append(unit)
    for name, o in officers.items():
        extras = {c: o[c][0] for c in OFFICER_EXTRAS if c in o}
        officer = _make(Officer, roster, shown, o["row"], name=name, title=o["title"], phone=o["phone"],
                        units=o["units"], **extras)
        if officer:
            lines = {(): o["row"], ("name",): o["row"], ("phone",): o["row"], ("units",): o["row"],
                     **{(c,): o[c][1] for c in extras}}
            officer.locate(shown, lines)
            roster.officers.append(officer)


def _make(model, roster: Roster, shown: str, row_no: int, **values):
    """The model, or None with the row's problem recorded (e.g. a control character in a name)."""
    from pydantic import ValidationError

    try:
        return model(**values)
    except ValidationError as e:
        for err in e.errors():
            text = err["msg"].removeprefix("Value error, ")
            fld = ".".join(map(str, err["loc"])) or "row"
            roster.problems.append(Problem(Location(shown, row_no), f"{fld}: {text}"))
        return None


def _extra_cell(column: str, value: str, row_no: int, shown: str, photo_base: tuple[Path, str], roster: Roster,
                label: str):
    """A photo, office, hours or QR cell checked as its antifraud.yaml field is: the value for the model (a
    photo as the project names it, a QR link as an OfficerQR), or "" with the problem recorded."""
    from pydantic import ValidationError

    where = Location(shown, row_no)
    try:
        text = _text_adapter().validate_python(value)
        if column == "qr":
            qr = OfficerQR(url=text)
            qr.locate(shown, {(): row_no, ("url",): row_no})
            return qr
        if column == "photo":
            if text.startswith("=") or "DISPIMG" in text:
                roster.problems.append(Problem(where, f"column {label}: a picture pasted into the cell cannot be read",
                                               "save each photo as a file (JPEG or PNG) beside the roster, e.g. "
                                               "photos/liming.jpg, and type its path in the cell"))
                return ""
            folder, name = photo_base[1], text.replace("\\", "/")
            name = posixpath.normpath(f"{folder}/{name}") if folder else name
            photos.check(photo_base[0], name)
            return name
        if column == "kind":
            if match_key(text) not in KIND_WORDS:
                roster.problems.append(Problem(where, f"column {label}: '{text}' is neither 学校 nor 村/社区",
                                               "write 学校 for a school; leave it empty for a village"))
                return ""
            return KIND_WORDS[match_key(text)]
        return text
    except ValidationError as e:
        err = e.errors()[0]
        roster.problems.append(Problem(where, f"column {label}: " + err["msg"].removeprefix("Value error, "),
                                       QR_HINT if column == "qr" else None))
    except photos.PhotoError as e:
        roster.problems.append(Problem(where, f"column {label}: {e}", e.hint))
    return ""


@lru_cache(maxsize=1)
def _text_adapter():
    from pydantic import TypeAdapter

    return TypeAdapter(Text)


def _one_value(rows, column: str) -> tuple[tuple | None, tuple | None]:
    """((value, row), None): the one value `column` has over `rows` (it may be given on only one of them), or
    (None, None) when none does; (None, ((first, row), (second, row))) when two rows give different values."""
    found = None
    for row_no, v in rows:
        value = v.get(column)
        if not value:
            continue
        if found is None:
            found = (value, row_no)
        elif _shown(value) != _shown(found[0]):
            return None, ((_shown(found[0]), found[1]), (_shown(value), row_no))
    return found, None


def _shown(value) -> str:
    """A cell's value as messages show it (an OfficerQR as its link)."""
    return value.url if isinstance(value, OfficerQR) else str(value)


def _label(column: str, header_cells: list[str], columns: dict[str, int]) -> str:
    """A column as the user named it in the header: 电话, not phone."""
    return header_cells[columns[column]] if column in columns else column


def _squeeze(text: str) -> str:
    """李  明 -> 李明: offices pad two-character names with spaces to line them up with three-character ones."""
    if re.search(r"[\u3400-\u9fff]", text):
        return re.sub(r"(?<=[\u3400-\u9fff])[\s\u3000]+(?=[\u3400-\u9fff])", "", text)
    return text


# ---------- unit ids from names

def slug_from_name(name: str) -> str:
    """东关村 -> dongguancun: each character's first reading in pypinyin's table, tones dropped, ü as v.

    Character by character, without pypinyin's phrase dictionary: that costs 0.2-0.4 s and ~45 MB on every
    load, and its choices change between releases; an id needs to be stable, not a spelling lesson
    (长安村 -> zhangancun). Add an id column to choose ids yourself."""
    table = _readings()
    parts = []
    for ch in unicodedata.normalize("NFKC", name):  # full-width letters and digits as ASCII
        readings = table.get(ord(ch))
        parts.append(readings.split(",")[0] if readings else ch if ch.isascii() and ch.isalnum() else "-")
    text = unicodedata.normalize("NFKD", "".join(parts)).lower().replace("u\u0308", "v")
    text = text.encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", text).strip("-")[:40].strip("-")
    return slug or "unit"


@lru_cache(maxsize=1)
def _readings() -> dict[int, str]:
    """pypinyin's character table (code point -> "zhǎng,cháng"), read from its data file: importing the
    package would load the phrase dictionary too."""
    import importlib.util
    import json

    spec = importlib.util.find_spec("pypinyin")  # finds the package without running its __init__
    data = Path(spec.submodule_search_locations[0]) / "pinyin_dict.json" if spec and spec.submodule_search_locations \
        else None
    if data is not None and data.is_file():
        return {int(k): v for k, v in json.loads(data.read_text(encoding="utf-8")).items()}
    from pypinyin.pinyin_dict import pinyin_dict  # a release that keeps the table elsewhere

    return dict(pinyin_dict)


def _unique(slug: str, used: set[str]) -> str:
    if slug not in used:
        return slug
    n = 2
    while f"{slug}-{n}" in used:
        n += 1
    return f"{slug}-{n}"


# ---------- CSV

def _csv_sheets(path: Path, shown: str):
    size = path.stat().st_size
    if size > MAX_TABLE_BYTES:
        return [], [Problem(Location(shown), f"the file has {size:,} bytes, more than the {MAX_TABLE_BYTES:,} a "
                            "roster or incident log may have", "keep only the rows with data in it")]
    data = path.read_bytes()
    text, problem = decode_table(data, shown)
    if problem:
        return [], [problem]
    first = text.split("\n", 1)[0]
    delimiter = "\t" if first.count("\t") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows = []
    try:
        for i, row in enumerate(reader, start=1):
            if i > MAX_ROWS:
                return [], [_too_many_rows(shown, i, path.name)]
            rows.append((i, _trim([c.strip() for c in row[:MAX_COLUMNS]])))
    except csv.Error as e:  # a cell over csv's field limit (131,072 characters), or another malformed row
        line = reader.line_num or len(rows) + 1
        if "field larger than field limit" in str(e):
            return [], [Problem(Location(shown, line), f"a cell is longer than {csv.field_size_limit():,} characters",
                                "a roster's cells are names, titles and phone numbers; check this row's quotes "
                                "(a quote \" left open runs on to the end of the file)")]
        return [], [Problem(Location(shown, line), f"cannot read this row: {e}", "save the file again as CSV UTF-8")]
    return [(path.name, rows)], []


def _too_many_rows(shown: str, row_no: int, sheet: str) -> Problem:
    where = "" if sheet.lower().endswith((".csv", ".txt", ".tsv")) else f" in sheet '{sheet}'"
    return Problem(Location(shown, row_no), f"more than {MAX_ROWS:,} rows{where}",
                   "keep only the rows with data: delete the rows below the last one (empty rows that were "
                   "formatted count too)")


# ---------- encodings
#
# Offices save CSV as Excel's "Unicode text" (UTF-16 with a BOM), as UTF-8 (with or without Excel's BOM), or
# as GBK/GB18030 (Excel's default "CSV" on Chinese Windows). These are tried, strictly, in that order.
# GB18030 decodes nearly any bytes: a Big5 or Shift-JIS file decodes too, into real but wrong characters
# (李明 in Shift-JIS reads 棝柧). So GB18030 text is taken only when it reads as plausible Chinese: at least
# PLAUSIBLE_SHARE of its non-ASCII characters are among the 6,763 common hanzi of GB2312 or common Chinese
# punctuation (a GBK file with a rare name character, 喆 or 堃, stays well above it; Shift-JIS read this
# way is under 5 %, Big5 about 25 %). Otherwise the file is refused at its first implausible line, with a
# guess at what it is (Big5, Shift-JIS) and the fix: save it as UTF-8. Nothing is ever decoded with
# replacement characters, and Big5 is never decoded for print: its traditional characters would need
# converting, which is the office's choice to make, not ours.

PLAUSIBLE_SHARE = 0.9
_PUNCTUATION = set("，。、；：？！“”‘’（）《》【】〔〕—…·　〇"  # and the marks offices put in a 备注 column
                   "√×○●★☆※№℃■□▲△◆◇→←↑↓①②③④⑤⑥⑦⑧⑨⑩ⅠⅡⅢⅣⅤ")


def decode_table(data: bytes, shown: str) -> tuple[str, Problem | None]:
    """The text of a CSV file, or a problem naming the first line that is not in an encoding read here."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode text": UTF-16, tab-separated
        try:
            return data.decode("utf-16"), None
        except UnicodeDecodeError as e:
            return "", Problem(Location(shown, data[:e.start].count(b"\n\x00") + 1),
                               "the file is not valid UTF-16 text", _SAVE_HINT)
    if b"\x00" in data[:8192] and _looks_utf16(data[:8192]):  # a NUL in a cell alone is reported at its row
        return "", Problem(Location(shown, 1), "the file is UTF-16 text without a byte-order mark", _SAVE_HINT)
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as e:
        head = data[:e.start]
        if any(b >= 0x80 for b in head):  # Chinese text above was UTF-8: this line was saved otherwise
            line = head.count(b"\n") + 1
            return "", Problem(Location(shown, line), "this line is not UTF-8 text like the lines above it",
                               "save the whole file again as CSV UTF-8")
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError as e:
        return "", Problem(Location(shown, data[:e.start].count(b"\n") + 1),
                           "the file is not UTF-8 or GB18030 (GBK) text" + _guess(data), _SAVE_HINT)
    wide = [c for c in text if ord(c) > 0x7F]
    if wide and sum(map(_plausible, wide)) < PLAUSIBLE_SHARE * len(wide):
        line = next(i for i, ln in enumerate(text.split("\n"), start=1) if not all(map(_plausible, ln)))
        return "", Problem(Location(shown, line), "the file is not UTF-8 or GB18030 (GBK) text" + _guess(data)
                           + ": read as GBK it gives characters no roster holds", _SAVE_HINT)
    return text, None


_SAVE_HINT = "open it in Excel or WPS and save it as CSV UTF-8 (另存为 → CSV UTF-8), or as .xlsx"


def _plausible(ch: str) -> bool:
    """A character a Chinese office's roster holds: ASCII, a common hanzi (GB2312), Chinese punctuation or a
    full-width letter or digit."""
    if ch.isascii() or ch in _PUNCTUATION or "\uff01" <= ch <= "\uff5e":
        return True
    if not ("\u4e00" <= ch <= "\u9fff"):
        return False
    try:
        ch.encode("gb2312")
        return True
    except UnicodeEncodeError:
        return False


def _guess(data: bytes) -> str:
    """ ' (it looks like Big5)' when another East Asian encoding reads the bytes cleanly as its own script."""
    for codec, name, script in (("big5", "Big5, traditional Chinese", r"[\u4e00-\u9fff]"),
                                ("shift_jis", "Shift-JIS, Japanese", r"[\u3040-\u30ff\u4e00-\u9fff]")):
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        wide = [c for c in text if ord(c) > 0x7F]
        if wide and sum(bool(re.match(script, c)) or c in _PUNCTUATION for c in wide) >= 0.95 * len(wide):
            return f" (it looks like {name})"
    return ""


def _looks_utf16(head: bytes) -> bool:
    """UTF-16 without a BOM: the digits, commas and line ends put NULs in one byte lane only."""
    lanes = head[0::2], head[1::2]
    if not lanes[1]:
        return False
    nul = [lane.count(0) / len(lane) for lane in lanes]
    return max(nul) > 0.1 and min(nul) < 0.01


def _trim(cells: list[str]) -> list[str]:
    while cells and not cells[-1]:
        cells.pop()
    return cells


# ---------- XLSX

def _xlsx_sheets(path: Path, shown: str):
    """Every sheet's non-empty rows, merged cells filled with their range's value. Bounded: rows are
    streamed, never padded to the sheet's stated size, and only the first MAX_COLUMNS columns are kept."""
    import openpyxl  # imported here: only rosters in Excel need it
    from openpyxl.cell.read_only import EMPTY_CELL

    problem = _unpacked_size_problem(path, shown)
    if problem:
        return [], [problem]
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as e:  # noqa: BLE001 - openpyxl raises many kinds for a bad file
        return [], [Problem(Location(shown), f"cannot read Excel file: {e}",
                            "open it in Excel or WPS and save it again as .xlsx")]
    sheets = Sheets()
    try:
        merges = _merged_ranges(path)
        # the sheet the office left open first, then the other visible ones; a hidden sheet (an old roster,
        # a lookup table) is never read: nobody sees it when they check the file
        visible = [w for w in book.worksheets if w.sheet_state == "visible"]
        sheets.hidden = [w.title for w in book.worksheets if w.sheet_state != "visible"]
        sheets.count, sheets.first = len(book.worksheets), book.worksheets[0].title if book.worksheets else ""
        active = book.active if book.active in visible else None
        sheets.active = active.title if active is not None else ""
        for sheet in ([active] if active is not None else []) + [w for w in visible if w is not active]:
            sheet.reset_dimensions()  # a stray far cell must not make every row 16384 cells wide
            rows: dict[int, list[str]] = {}
            empty = None
            present = 0
            for row_no, row in enumerate(sheet.iter_rows(max_col=MAX_COLUMNS), start=1):
                if row is empty:  # rows missing from the file all come as this one object
                    continue
                present += 1
                if present > MAX_ROWS:
                    return [], [_too_many_rows(shown, row_no, sheet.title)]
                cells = _trim([_cell_text(c) for c in row])
                if cells:
                    rows[row_no] = cells
                elif all(c is EMPTY_CELL for c in row):
                    empty = row
            _fill_merged(rows, merges.get(sheet.title, []))
            sheets.append((sheet.title, sorted(rows.items())))
    except Exception as e:  # noqa: BLE001 - a damaged sheet
        return [], [Problem(Location(shown), f"cannot read Excel file: {e}",
                            "open it in Excel or WPS and save it again as .xlsx")]
    finally:
        book.close()
    return sheets, []


class Sheets(list):
    """A workbook's sheets in the order they are tried, (name, rows) each, and what `check` tells about it."""
    hidden: list[str] = []  # names of the hidden sheets, never read
    count = 1               # sheets in the workbook, hidden ones too
    first = ""              # the workbook's first sheet
    active = ""             # the sheet the office left open, when it is visible

    def which(self, name: str) -> str | None:
        """A note on the sheet `name` read, when the workbook has more than one: which and why."""
        if self.count <= 1:
            return None
        tried = self[0][0] if self else ""
        if name != tried:
            why = "the first sheet has no header row" if tried == self.first else \
                f"the sheet left open, '{tried}', has no header row"
        else:
            why = "the sheet left open" if name == self.active else "the first visible sheet"
        text = f"roster read from sheet '{name}' ({why})"
        if self.hidden:
            text += "; hidden sheet" + "s" * (len(self.hidden) > 1) + " " + ", ".join(f"'{h}'" for h in self.hidden) \
                + " not read"
        return text


_OLE_MAGIC = bytes.fromhex("d0cf11e0a1b11ae1")  # an encrypted .xlsx or an old .xls: not a zip file


def _unpacked_size_problem(path: Path, shown: str) -> Problem | None:
    """Refuse, from the zip's own records and before anything is unpacked, a workbook that unpacks to more than
    the budget (a 600 KB file whose one shared string is 600 MB). zipfile never unpacks more than a part's
    recorded size (a part that lies fails its checksum), so the records bound the work."""
    with path.open("rb") as f:
        if f.read(8) == _OLE_MAGIC:
            return Problem(Location(shown), "the workbook is password-protected or an old .xls file",
                           "remove the password (文件 → 信息 → 保护工作簿 → 用密码进行加密: clear it) and save it as "
                           ".xlsx; an old .xls: 另存为 → .xlsx")
    try:
        with zipfile.ZipFile(path) as z:
            parts = z.infolist()
    except (zipfile.BadZipFile, OSError):
        return None  # openpyxl says what is wrong with it
    total = sum(i.file_size for i in parts)
    big = max(parts, key=lambda i: i.file_size, default=None)
    hint = "a roster or incident log is a few MB at most; copy its rows into a new workbook"
    if big is not None and big.file_size > MAX_XLSX_PART_BYTES:
        return Problem(Location(shown), f"the workbook unpacks to more than {MAX_XLSX_PART_BYTES // 10**6} MB in one "
                       f"part ({big.filename}: {big.file_size / 1e6:,.0f} MB)", hint)
    if total > MAX_XLSX_UNPACKED_BYTES:
        return Problem(Location(shown), f"the workbook unpacks to more than {MAX_XLSX_UNPACKED_BYTES // 10**6} MB "
                       f"({total / 1e6:,.0f} MB)", hint)
    return None


def _fill_merged(rows: dict[int, list[str]], ranges: list[tuple[int, int, int, int]]) -> None:
    """Every cell of a merged range reads as its top-left cell; only rows that have content are touched,
    so a range reaching row 1048576 costs nothing."""
    present = sorted(rows)
    for min_col, min_row, max_col, max_row in ranges:
        top = rows.get(min_row, [])
        value = top[min_col - 1] if min_col - 1 < len(top) else ""
        if not value:
            continue
        last_col = min(max_col, MAX_COLUMNS)
        for r in present[bisect.bisect_left(present, min_row):bisect.bisect_right(present, max_row)]:
            cells = rows[r]
            if len(cells) < last_col:
                cells.extend([""] * (last_col - len(cells)))
            for c in range(min_col - 1, last_col):
                if not cells[c]:
                    cells[c] = value
            _trim(cells)


_NS_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_NS_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_NS_PKG = "{http://schemas.openxmlformats.org/package/2006/relationships}"


def _merged_ranges(path: Path) -> dict[str, list[tuple[int, int, int, int]]]:
    """Sheet name -> merged ranges (min_col, min_row, max_col, max_row), from the sheets' XML: a read-only
    openpyxl workbook does not expose them. The sheet XML is streamed, never held whole."""
    from openpyxl.utils.cell import range_boundaries

    out: dict[str, list] = {}
    with zipfile.ZipFile(path) as z:
        names = set(z.namelist())
        book_part = "xl/workbook.xml"
        if "_rels/.rels" in names:
            for rel in ElementTree.fromstring(z.read("_rels/.rels")).iter(_NS_PKG + "Relationship"):
                if rel.get("Type", "").endswith("/officeDocument"):
                    book_part = rel.get("Target", book_part).lstrip("/")
        base = PurePosixPath(book_part).parent
        rels_part = str(base / "_rels" / (PurePosixPath(book_part).name + ".rels"))
        targets = {}
        if rels_part in names:
            for rel in ElementTree.fromstring(z.read(rels_part)).iter(_NS_PKG + "Relationship"):
                target = rel.get("Target", "")
                targets[rel.get("Id")] = target.lstrip("/") if target.startswith("/") else str(base / target)
        sheets = ElementTree.fromstring(z.read(book_part)).iter(_NS_MAIN + "sheet")
        for sheet in sheets:
            part = targets.get(sheet.get(_NS_REL + "id"))
            if part not in names:
                continue
            ranges = []
            with z.open(part) as f:
                for _, elem in ElementTree.iterparse(f):
                    if elem.tag == _NS_MAIN + "mergeCell":
                        try:
                            ranges.append(range_boundaries(elem.get("ref", "")))
                        except (TypeError, ValueError):
                            pass
                    elif elem.tag in (_NS_MAIN + "row", _NS_MAIN + "c"):
                        elem.clear()
            out[sheet.get("name", "")] = [r for r in ranges if None not in r]
    return out


def _cell_text(cell) -> str:
    """A cell as the text the office typed. Numbers typed into Excel lose their leading zeros (a zero-padded
    number format brings them back) and big ones are floats: 13800001111.0 is the digits 13800001111."""
    value = cell.value
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer() and abs(value) < 2 ** 53:
        value = int(value)
    if isinstance(value, int):
        digits = str(value)
        fmt = re.sub(r'["\\]', "", getattr(cell, "number_format", "") or "")
        if fmt and set(fmt) <= {"0", "-", " "} and fmt.count("0") >= len(digits):
            # 0000-0000000 or 00000000000: the format pads with zeros and may add separators
            padded = iter(digits.zfill(fmt.count("0")))
            return "".join(next(padded) if ch == "0" else ch for ch in fmt)
        return digits
    return str(value).strip()
