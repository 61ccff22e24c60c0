"""Load stage: the project folder and the built-in library -> validated models with source locations."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from .colors import contrast_ratio
from .errors import AntifraudError, Location, Problem, ProblemList
from .models import Audience, Case, Config, Officer, QRConfig, Station, Unit
from .paths import builtin_dir, display
from .yamlsource import load_yaml, validate

CONFIG_NAME = "antifraud.yaml"
ROSTER_COLUMNS = ("unit_id", "unit_name", "name", "title", "phone")
NATIONAL_STATION = Station(name="全国反诈预警劝阻专线", phone=None)


@dataclass
class Project:
    """Everything a build needs, validated and cross-checked."""

    root: Path
    config: Config | None
    cases: dict[str, Case]
    audiences: dict[str, Audience]
    units: list[Unit] = field(default_factory=list)
    officers: list[Officer] = field(default_factory=list)
    template_dirs: list[Path] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)  # every data file read, for fingerprints

    @property
    def station(self) -> Station:
        return self.config.station if self.config else NATIONAL_STATION

    @property
    def qr(self) -> QRConfig:
        return self.config.qr if self.config else QRConfig()

    def officer_for(self, unit: Unit | None) -> Officer | None:
        if unit is None:
            return None
        for officer in self.officers:
            if officer.name == unit.officer or unit.id in officer.units:
                return officer
        return None

    def unit(self, unit_id: str) -> Unit:
        return next(u for u in self.units if u.id == unit_id)


def load_project(root: Path | None = None) -> Project:
    """Read a project folder (antifraud.yaml, cases/, audiences/, templates/, roster) over the built-in library.

    Every problem found is collected; AntifraudError lists them all.
    """
    root = Path(root) if root is not None else Path.cwd()
    problems = ProblemList()
    if not root.is_dir():
        raise AntifraudError(Problem(Location(display(root)), "project folder does not exist",
                                     "give an existing folder to --project, or run `antifraud init DIR`"))
    files: list[Path] = []

    cases = _load_layered(Case, "cases", root, problems, files)
    audiences = _load_layered(Audience, "audiences", root, problems, files)

    config = None
    config_path = root / CONFIG_NAME
    if config_path.is_file():
        files.append(config_path)
        doc, found = load_yaml(config_path, root)
        problems.extend(found)
        if doc is not None:
            config, found = validate(Config, doc)
            problems.extend(found)

    units: list[Unit] = list(config.units) if config else []
    officers: list[Officer] = list(config.officers) if config else []
    if config and config.roster:
        roster_path = root / config.roster
        if not roster_path.is_file():
            problems.add(config.where("roster"), f"roster file '{config.roster}' not found",
                         "put it in the project folder or fix the path")
        else:
            files.append(roster_path)
            r_units, r_officers, found = load_roster(roster_path, root)
            problems.extend(found)
            units += r_units
            officers += r_officers

    _check_references(cases, audiences, config, units, officers, problems)
    problems.raise_if_any()

    template_dirs = [d for d in (root / "templates", builtin_dir("templates")) if d.is_dir()]
    return Project(root=root, config=config, cases=dict(sorted(cases.items())),
                   audiences=dict(sorted(audiences.items())), units=units, officers=officers,
                   template_dirs=template_dirs, files=files)


def _load_layered(model, kind: str, root: Path, problems: ProblemList, files: list[Path]) -> dict:
    """Built-in entries first; a project entry with the same id replaces the built-in one."""
    merged: dict = {}
    layers = [builtin_dir(kind)]
    project_dir = root / kind
    if project_dir.is_dir() and project_dir.resolve() != layers[0].resolve():
        layers.append(project_dir)
    for folder in layers:
        seen: dict[str, str] = {}
        paths = sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file()) \
            if folder.is_dir() else []
        for path in paths:
            files.append(path)
            doc, found = load_yaml(path, root)
            problems.extend(found)
            if doc is None:
                continue
            obj, found = validate(model, doc)
            problems.extend(found)
            if obj is None:
                continue
            where = obj.where("id")
            if obj.id in seen:
                problems.add(where, f"duplicate id '{obj.id}': also defined in {seen[obj.id]}",
                             "ids must be unique; rename one of them")
                continue
            seen[obj.id] = str(where)
            if path.stem != obj.id:
                problems.add(where, f"id '{obj.id}' does not match the file name '{path.name}'",
                             f"rename the file to {obj.id}{path.suffix} or change the id")
            merged[obj.id] = obj
    return merged


def _check_references(cases, audiences, config, units, officers, problems: ProblemList) -> None:
    audience_ids = sorted(audiences)
    for case in cases.values():
        for i, aid in enumerate(case.audiences):
            if aid not in audiences:
                problems.add(case.where("audiences", i), f"case '{case.id}' names unknown audience '{aid}'",
                             "known audiences: " + ", ".join(audience_ids))
    for aud in audiences.values():
        for i, cid in enumerate(aud.priorities):
            if cid not in cases:
                problems.add(aud.where("priorities", i), f"audience '{aud.id}' names unknown case '{cid}'",
                             "run `antifraud list cases` to see the case ids")
        if not any(aud.id in c.audiences for c in cases.values()):
            problems.add(aud.where("id"), f"no case is meant for audience '{aud.id}'",
                         f"add '{aud.id}' to the audiences of some cases")
        _check_palette(aud, problems)
    if config and config.defaults.audiences:
        for i, aid in enumerate(config.defaults.audiences):
            if aid not in audiences:
                problems.add(config.where("defaults", "audiences", i), f"unknown audience '{aid}'",
                             "known audiences: " + ", ".join(audience_ids))

    unit_ids: dict[str, Location] = {}
    for unit in units:
        if unit.id in unit_ids:
            problems.add(unit.where("id"), f"duplicate unit id '{unit.id}': also at {unit_ids[unit.id]}")
        unit_ids.setdefault(unit.id, unit.where("id"))
    names: dict[str, Location] = {}
    for off in officers:
        if off.name in names and off.phone:
            problems.add(off.where("name"), f"officer '{off.name}' is listed twice (also at {names[off.name]})",
                         "list each officer once and give all their units in `units:`")
        names.setdefault(off.name, off.where("name"))
        for i, uid in enumerate(off.units):
            if uid not in unit_ids:
                problems.add(off.where("units", i), f"officer '{off.name}' names unknown unit '{uid}'",
                             "known units: " + (", ".join(unit_ids) or "none"))
    for unit in units:
        if unit.officer and unit.officer not in names:
            problems.add(unit.where("officer"), f"unit '{unit.id}' names unknown officer '{unit.officer}'",
                         "add the officer under `officers:` (name, title, phone)")
        claimed = [o.name for o in officers if unit.id in o.units]
        if unit.officer and claimed and unit.officer not in claimed:
            problems.add(unit.where("officer"),
                         f"unit '{unit.id}' names officer '{unit.officer}' but {claimed[0]} lists this unit",
                         "one unit has one community officer; make the two agree")


def _check_palette(aud: Audience, problems: ProblemList) -> None:
    p, need = aud.palette, aud.reading.min_contrast
    for fg, bg in (("text", "background"), ("muted", "background"), ("primary", "background"),
                   ("on_primary", "primary"), ("on_accent", "accent")):
        ratio = contrast_ratio(getattr(p, fg), getattr(p, bg))
        if ratio < need:
            problems.add(aud.where("palette", fg), f"palette: {fg} on {bg} has contrast {ratio:.1f}:1, "
                         f"below {need:g}:1 for audience '{aud.id}'", "darken the text colour or lighten the background")


def load_roster(path: Path, root: Path | None = None) -> tuple[list[Unit], list[Officer], list[Problem]]:
    """Roster rows (unit_id,unit_name,name,title,phone) from CSV (UTF-8/BOM/GB18030) or XLSX."""
    shown = display(path, root)
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        rows, problems = _xlsx_rows(path)
    elif path.suffix.lower() == ".csv":
        rows, problems = _csv_rows(path)
    else:
        return [], [], [Problem(Location(shown), f"roster must be a .csv or .xlsx file, not '{path.suffix}'",
                                "in Excel: 另存为 → CSV UTF-8 or .xlsx")]
    if problems:
        return [], [], problems
    if not rows:
        return [], [], [Problem(Location(shown, 1), "roster is empty", "first row: " + ",".join(ROSTER_COLUMNS))]
    header = [str(h or "").strip().lower() for h in rows[0][1]]
    missing = [c for c in ROSTER_COLUMNS if c not in header]
    if missing:
        return [], [], [Problem(Location(shown, rows[0][0]), "roster is missing column(s): " + ", ".join(missing),
                                "the first row must be: " + ",".join(ROSTER_COLUMNS))]
    col = {name: header.index(name) for name in ROSTER_COLUMNS}
    units: list[Unit] = []
    officers: dict[str, Officer] = {}
    lines: dict[str, dict] = {}
    for row_no, cells in rows[1:]:
        if not any(str(c or "").strip() for c in cells):
            continue
        values = {k: str(cells[i]).strip() if i < len(cells) and cells[i] is not None else "" for k, i in col.items()}
        where = Location(shown, row_no)
        bad = [k for k in ("unit_id", "unit_name", "name", "phone") if not values[k]]
        if bad:
            problems.append(Problem(where, "empty " + ", ".join(bad), "every row needs unit_id, unit_name, name and phone"))
            continue
        try:
            unit = Unit(id=values["unit_id"], name=values["unit_name"], officer=values["name"])
            existing = officers.get(values["name"])
            officer = Officer(name=values["name"], title=values["title"] or "社区民警", phone=values["phone"],
                              units=[*(existing.units if existing else []), values["unit_id"]])
        except Exception as e:  # pydantic ValidationError: report its first message with the row
            msg = e.errors()[0] if hasattr(e, "errors") else {"msg": str(e), "loc": ()}
            fld = ".".join(map(str, msg["loc"])) or "row"
            text = msg["msg"].removeprefix("Value error, ")
            if fld == "id":
                text, fld = f"'{values['unit_id']}' is not a valid id (lowercase letters, digits, dashes)", "unit_id"
            problems.append(Problem(where, f"{fld}: {text}"))
            continue
        if existing and existing.phone != officer.phone:
            problems.append(Problem(where, f"officer '{officer.name}' has two phone numbers in the roster",
                                    f"{existing.phone} and {officer.phone}: keep one"))
            continue
        unit.locate(shown, {(): row_no, ("id",): row_no, ("officer",): row_no, ("name",): row_no})
        lines.setdefault(officer.name, {(): row_no, ("name",): row_no})
        officer.locate(shown, {**lines[officer.name], ("units",): row_no})
        units.append(unit)
        officers[officer.name] = officer
    return units, list(officers.values()), problems


def _csv_rows(path: Path) -> tuple[list, list[Problem]]:
    data = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes nearly any byte string
        return [], [Problem(Location(display(path)), "roster is neither UTF-8 nor GB18030 text")]
    reader = csv.reader(io.StringIO(text, newline=""))
    return [(i, row) for i, row in enumerate(reader, start=1)], []


def _xlsx_rows(path: Path) -> tuple[list, list[Problem]]:
    import openpyxl  # imported here: only rosters in Excel need it

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as e:  # noqa: BLE001 - openpyxl raises many kinds for a bad file
        return [], [Problem(Location(display(path)), f"cannot read Excel file: {e}", "save it again as .xlsx")]
    sheet = book.worksheets[0]
    rows = []
    for i, row in enumerate(sheet.iter_rows(), start=1):
        rows.append((i, [_cell_text(c) for c in row]))
    book.close()
    return rows, []


def _cell_text(cell) -> str | None:
    """Numbers typed into Excel lose their leading zeros; a zero-padded number format brings them back."""
    value = cell.value
    if value is None:
        return None
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        fmt = getattr(cell, "number_format", "") or ""
        if fmt and set(fmt) == {"0"}:
            return str(value).zfill(len(fmt))
        return str(value)
    return str(value)


