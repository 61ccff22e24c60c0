"""Load stage: the project folder and the built-in library -> validated models with source locations."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from urllib.parse import urlsplit

from . import photos
from .colors import contrast_ratio
from .errors import UsageError, Location, Problem, ProblemList
from .models import Audience, Case, Config, Officer, QRConfig, Station, Unit
from .paths import builtin_dir, display, yaml_files
from .products import ProductSpec
from .incidents import IncidentLog, load_incidents
from .roster import load_roster
from .speech import check_line, spoken
from .yamlsource import load_yaml, validate

CONFIG_NAME = "antifraud.yaml"
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
    products: dict[str, ProductSpec] = field(default_factory=dict)
    template_dirs: list[Path] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)  # every data file read, for fingerprints
    local_cases: set[str] = field(default_factory=set)  # the project's own cases that override no built-in one
    notes: list[Problem] = field(default_factory=list)  # not errors, but worth a look: `check` prints them
    incidents: IncidentLog | None = None  # the area's incidents (`incidents:` in antifraud.yaml), for the briefing

    @property
    def station(self) -> Station:
        return self.config.station if self.config else NATIONAL_STATION

    @property
    def qr(self) -> QRConfig:
        return self.config.qr if self.config else QRConfig()

    def officer_for(self, unit: Unit | None) -> Officer | None:
        if unit is None:
            return None
        by_name, by_unit = self._officer_index
        return by_name.get(unit.officer) or by_unit.get(unit.id)  # the unit's own choice first

    @cached_property
    def _officer_index(self) -> tuple[dict[str, Officer], dict[str, Officer]]:
        """The first officer of each name and the first listing each unit: a lookup per unit, not a scan of
        every officer (5,000 units x 5,000 officers). The officers are fixed once the project is loaded."""
        by_name: dict[str, Officer] = {}
        by_unit: dict[str, Officer] = {}
        for o in self.officers:
            by_name.setdefault(o.name, o)
            for uid in o.units:
                by_unit.setdefault(uid, o)
        return by_name, by_unit

    def unit(self, unit_id: str) -> Unit:
        return next(u for u in self.units if u.id == unit_id)


def load_project(root: Path | None = None) -> Project:
    """Read a project folder (antifraud.yaml, cases/, audiences/, templates/, roster) over the built-in library.

    Every problem found is collected; AntifraudError lists them all.
    """
    root = Path(root) if root is not None else Path.cwd()
    problems = ProblemList()
    if not root.is_dir():  # a command-line choice naming nothing: a usage error (exit 2), like an unknown -a
        raise UsageError(Problem(Location(display(root)), "project folder does not exist",
                                     "give an existing folder to --project, or run `antifraud init DIR`"))
    files: list[Path] = []

    local_cases: set[str] = set()
    cases = _load_layered(Case, "cases", root, problems, files, local_cases)
    audiences = _load_layered(Audience, "audiences", root, problems, files)
    products = _load_layered(ProductSpec, "products", root, problems, files)

    config = None
    config_path = root / CONFIG_NAME
    if os.path.lexists(config_path) and not config_path.is_file():  # a folder, FIFO or device: never ignored
        problems.add(Location(CONFIG_NAME), "cannot read: it is not a regular file",
                     "antifraud.yaml must be a text file; remove what is there and run `antifraud init`, or "
                     "write the file by hand")
    elif config_path.is_file():
        files.append(config_path)
        doc = load_yaml(config_path, root, problems)
        if doc is not None:
            config = validate(Config, doc, problems)

    units: list[Unit] = list(config.units) if config else []
    officers: list[Officer] = list(config.officers) if config else []
    notes: list[Problem] = []
    if config and config.roster:
        roster_path = _project_file(root, config, "roster", problems)
        if roster_path is not None:
            files.append(roster_path)
            roster = load_roster(roster_path, root, taken={u.id for u in units})
            problems.extend(roster.problems)
            notes += roster.notes
            units += roster.units
            officers += roster.officers
    if units:
        for officer in officers:
            if not officer.units and not any(u.officer == officer.name for u in units):
                notes.append(Problem(officer.where("name"), f"officer '{officer.name}' is assigned to no unit",
                                     "add the unit ids to their `units:`, or name them as a unit's officer"))

    _check_photos(root, officers, problems, files)
    _check_references(cases, audiences, config, units, officers, problems)
    _check_spoken(cases, problems)
    notes += _unofficial_sources(cases)
    incidents = _load_incidents(root, config, cases, units, [o.name for o in officers], problems, files)
    template_dirs = [d for d in (root / "templates", builtin_dir("templates")) if d.is_dir()]
    _check_products(products, audiences, cases, config, template_dirs, problems)
    problems.raise_if_any()

    return Project(root=root, config=config, cases=dict(sorted(cases.items())),
                   audiences=dict(sorted(audiences.items())), units=units, officers=officers,
                   products=_product_order(products), template_dirs=template_dirs, files=files,
                   local_cases=local_cases, notes=notes, incidents=incidents)


def _load_layered(model, kind: str, root: Path, problems: ProblemList, files: list[Path],
                  local: set[str] | None = None) -> dict:
    """Built-in entries first; a project entry with the same id replaces the built-in one.

    `local` receives the ids only the project defines (not overrides): those lead the case order."""
    merged: dict = {}
    layers = [builtin_dir(kind)]
    project_dir = root / kind
    if project_dir.is_dir() and project_dir.resolve() != layers[0].resolve():
        layers.append(project_dir)
    for folder in layers:
        seen: dict[str, str] = {}
        paths, broken = yaml_files(folder) if folder.is_dir() else ([], [])
        for path, why in broken:
            problems.add(Location(f"{display(path.parent, root).rstrip('/')}/{path.name}"), f"cannot read: {why}",
                         "remove the link or point it at an existing file")
        for path in paths:
            files.append(path)
            doc = load_yaml(path, root, problems)
            obj = validate(model, doc, problems) if doc is not None else None
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
            if local is not None and folder is not layers[0] and obj.id not in merged:
                local.add(obj.id)
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
        for i, sub in enumerate(aud.voice.subhead if isinstance(aud.voice.subhead, list) else []):
            for j, cid in enumerate(sub.cases):  # a subhead naming a case the audience never prints never prints
                if cid not in cases or aud.id not in cases[cid].audiences:
                    problems.add(aud.where("voice", "subhead", i, "cases", j),
                                 f"subhead names case '{cid}', which is not one of audience '{aud.id}''s cases",
                                 "name a case whose `audiences` include this audience")
        if not any(aud.id in c.audiences for c in cases.values()):
            problems.add(aud.where("id"), f"no case is meant for audience '{aud.id}'",
                         f"add '{aud.id}' to the audiences of some cases")
        _check_palette(aud, problems)
    if config:
        for i, cid in enumerate(config.focus):
            if cid not in cases:
                problems.add(config.where("focus", i), f"focus names unknown case '{cid}'",
                             "run `antifraud list cases` to see the case ids")
            elif cid in config.focus[:i]:
                problems.add(config.where("focus", i), f"focus names case '{cid}' twice", "list each case once")
    if config and config.station.banner:
        for aid in config.station.banner.audiences:
            if aid not in audiences:
                problems.add(config.station.where("banner", "audiences", aid), f"banner names unknown audience '{aid}'",
                             "known audiences: " + ", ".join(audience_ids))
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
    claimers: dict[str, list[str]] = {}  # unit id -> the officers listing it (one pass, not units x officers)
    for off in officers:
        for uid in dict.fromkeys(off.units):
            claimers.setdefault(uid, []).append(off.name)
    for unit in units:
        if unit.officer and unit.officer not in names:
            problems.add(unit.where("officer"), f"unit '{unit.id}' names unknown officer '{unit.officer}'",
                         "add the officer under `officers:` (name, title, phone)")
        claimed = claimers.get(unit.id, [])
        if unit.officer and claimed and unit.officer not in claimed:
            problems.add(unit.where("officer"),
                         f"unit '{unit.id}' names officer '{unit.officer}' but {claimed[0]} lists this unit",
                         "one unit has one community officer; make the two agree")


def _check_photos(root: Path, officers: list[Officer], problems: ProblemList, files: list[Path]) -> None:
    """Each officer's photo exists in the project and is a readable JPEG or PNG; the resolution is checked
    where its printed size is known (the renderer's <image>). A photo is an input: files lists it."""
    for officer in officers:
        if officer.photo:
            try:
                files.append(photos.check(root, officer.photo))
            except photos.PhotoError as e:
                problems.add(officer.where("photo"), f"{officer.path_of('photo')}: {e}", e.hint)


def _check_spoken(cases, problems: ProblemList) -> None:
    """A case told aloud keeps the rules of scripts read aloud (speech.py): short sentences, nothing that
    cannot be said once numbers are spelled out."""
    for case in cases.values():
        if case.spoken is None:
            continue
        lines: list[tuple[tuple[str | int, ...], str]] = [(("spoken", "story", i), t)
                                                          for i, t in enumerate(case.spoken.story)]
        lines += [(("spoken", k), getattr(case.spoken, k)) for k in ("question", "answer") if getattr(case.spoken, k)]
        for where, text in lines:
            for message, hint in check_line(spoken(text)):
                problems.add(case.where(*where), f"{case.path_of(*where)}: {message}", hint)


# Where a case's facts may be checked: government sites and the central official media (issue 21: not
# aggregators or reposts). A source without a url counts when it names a statute or document, as 《…》.
OFFICIAL_NEWS_HOSTS = ("xinhuanet.com", "news.cn", "people.com.cn", "cctv.com", "cctv.cn", "cnr.cn", "gmw.cn",
                       "chinadaily.com.cn", "chinanews.com.cn", "china.com.cn", "chinacourt.org", "jcrb.com",
                       "cpd.com.cn", "legaldaily.com.cn", "youth.cn", "ce.cn", "cri.cn")


def is_official_source(source) -> bool:
    """A government page (*.gov.cn), a central official news page, or a statute named in 《》."""
    if not source.url:
        return source.name.startswith("《")
    host = (urlsplit(source.url).hostname or "").lower()
    return host.endswith(".gov.cn") or host == "gov.cn" or any(
        host == h or host.endswith("." + h) for h in OFFICIAL_NEWS_HOSTS)


def _unofficial_sources(cases) -> list[Problem]:
    """A case printed for the public should rest on an official source; without one, `check` says so (a
    note, not an error: a station's own case may be told from its own records)."""
    return [Problem(case.where("sources") if case.sources else case.where("id"),
                    f"case '{case.id}' has no official source",
                    "add to `sources:` a page of a government site (….gov.cn), Xinhua, People's Daily or CCTV, "
                    "or a statute or official document named in 《》")
            for case in cases.values() if not any(is_official_source(s) for s in case.sources)]


def _project_file(root: Path, config, field: str, problems: ProblemList) -> Path | None:
    """A data file antifraud.yaml names (roster, incidents): it must exist inside the project folder, since
    its cells appear in messages and on the outputs."""
    name = getattr(config, field)
    path = root / name
    if not path.is_file():
        problems.add(config.where(field), f"{field} file '{name}' not found", "put it in the project folder or fix the path")
    elif not path.resolve().is_relative_to(root.resolve()):
        problems.add(config.where(field), f"{field} '{name}' is outside the project folder",
                     "copy the file into the project folder and name it by its path there")
    else:
        return path
    return None


def _load_incidents(root: Path, config, cases, units, people: list[str], problems: ProblemList, files: list[Path]):
    """The area's incident log; a summary naming one of `people` (the officers) in full is warned about."""
    if not config or not config.incidents:
        return None
    path = _project_file(root, config, "incidents", problems)
    if path is not None:
        files.append(path)
        log = load_incidents(path, root, cases, units, people)
        problems.extend(log.problems)
        return log
    return None


def _product_order(products: dict[str, ProductSpec]) -> dict[str, ProductSpec]:
    """The default kit first (in its usual order: the biggest product first), then the others by id."""
    kit = ["poster", "leaflet", "card", "card-sheet"]
    return dict(sorted(products.items(), key=lambda kv: (not kv[1].default,
                                                          kit.index(kv[0]) if kv[0] in kit else len(kit), kv[0])))


def _check_products(products, audiences, cases, config, template_dirs, problems: ProblemList) -> None:
    """Every product's template exists and what names a product or a size names a real one."""
    known = ", ".join(sorted(products)) or "none"
    for spec in products.values():
        if not any((d / spec.template).is_file() for d in template_dirs):
            problems.add(spec.where("template"), f"product '{spec.id}': template '{spec.template}' not found",
                         "put it in the project's templates/ folder; looked in: "
                         + ", ".join(display(d) for d in template_dirs))
        if spec.audience and spec.audience not in audiences:
            problems.add(spec.where("audience"), f"product '{spec.id}' names unknown audience '{spec.audience}'",
                         "known audiences: " + ", ".join(sorted(audiences)))
        for i, aid in enumerate(spec.default_audiences or []):
            if aid not in audiences:
                problems.add(spec.where("default_audiences", i), f"product '{spec.id}' names unknown audience "
                             f"'{aid}'", "known audiences: " + ", ".join(sorted(audiences)))
    for aud in audiences.values():
        for pid in aud.reading.cases:
            if pid not in products:
                problems.add(aud.where("reading", "cases", pid), f"reading.cases names unknown product '{pid}'",
                             f"known products: {known}")
        for case in cases.values():  # the reading rule for list items: what the audience can take in at a glance
            if aud.id not in case.audiences:
                continue
            for name in ("red_flags", "advice"):
                for i, item in enumerate(getattr(case, name)):
                    if len(item) > aud.reading.item_chars:
                        problems.add(case.where(name, i), f"{name}[{i}] has {len(item)} characters, more than "
                                     f"{aud.reading.item_chars} (reading.item_chars of audience '{aud.id}')",
                                     "say it in fewer words, or split it into two items")
    if config is None:
        return
    for i, pid in enumerate(config.defaults.products or []):
        if pid not in products:
            problems.add(config.where("defaults", "products", i), f"unknown product '{pid}'", f"known products: {known}")
    for pid, size in config.defaults.sizes.items():
        if pid not in products:
            problems.add(config.where("defaults", "sizes", pid), f"unknown product '{pid}'", f"known products: {known}")
        elif size not in products[pid].sizes:
            problems.add(config.where("defaults", "sizes", pid), f"product '{pid}' has no size '{size}'",
                         "its sizes: " + ", ".join(products[pid].sizes))


def _check_palette(aud: Audience, problems: ProblemList) -> None:
    p, need = aud.palette, aud.reading.min_contrast
    for fg, bg in (("text", "background"), ("muted", "background"), ("primary", "background"),
                   ("on_primary", "primary"), ("on_accent", "accent")):
        ratio = contrast_ratio(getattr(p, fg), getattr(p, bg))
        if ratio < need:
            problems.add(aud.where("palette", fg), f"palette: {fg} on {bg} has contrast {ratio:.1f}:1, "
                         f"below {need:g}:1 for audience '{aud.id}'", "darken the text colour or lighten the background")
