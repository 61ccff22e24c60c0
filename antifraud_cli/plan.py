"""Plan stage: audiences x products x units -> jobs, each with its cases and size. Pure.

What a product is built per, its sizes and its case count come from its spec (products.py); the
fingerprint of a job is made later, from what compose gives the renderer (compose.fingerprint).

Per village (unit) is built only what a village changes: its officer, its name. A product whose print does not
depend on the village is `per: station` in its spec (the banner, the scripts read aloud, the bank checklist),
and an audience whose readers are the station's rather than a village's (STATION_AUDIENCES) gets every product
once for the station. Such outputs go to `OUT/<audience>/<file>` (`OUT/<file>` for a product made for the one
audience its spec names) and are recorded in the manifest with no unit; `-u` asks for them per village
instead (a village's briefing).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .errors import AntifraudError, Location, Problem, UsageError
from .loader import Project
from .models import Unit
from .select import select_cases

# Audiences whose readers work for the whole township, not in one village: the counters of the banks and
# credit unions at the township's seat. Their kit is built once for the station, with the station's duty phone
# rather than one village's officer. Like any audience they are in a build without `-a` unless
# `defaults.audiences` leaves them out (as the project `antifraud init` writes does: `-a bank-staff`).
STATION_AUDIENCES = frozenset({"bank-staff"})


@dataclass(frozen=True)
class Job:
    audience: str
    product: str
    unit: str | None
    cases: tuple[str, ...]
    size: str  # the product's size variant
    path: str  # output path relative to OUT
    officer: str | None = None  # the officer (id) the output is for, when not the unit's own
    cells: tuple[tuple[str | None, str | None], ...] = ()  # a sheet of different cards: (unit, officer) each
    fingerprint: str = ""  # set once composed: a hash of exactly what the renderer receives
    inputs: str = ""  # fastpath.inputs_digest of the build: equal to the manifest's, composing can be skipped


def resolve(requested: list[str], known: list[str], kind: str) -> list[str]:
    unknown = [r for r in requested if r not in known]
    if unknown:
        raise UsageError([Problem(Location("command line"), f"unknown {kind} '{u}'",
                                  f"known {kind}s: " + (", ".join(known) or "none")) for u in unknown])
    return list(dict.fromkeys(requested)) if requested else list(known)


def default_products(project: Project) -> list[str]:
    """`defaults.products` in antifraud.yaml, else every product whose spec says `default: true`."""
    if project.config and project.config.defaults.products:
        return list(project.config.defaults.products)
    return [p.id for p in project.products.values() if p.default]


def case_count(project: Project, audience_id: str, product_id: str) -> int:
    audience, spec = project.audiences[audience_id], project.products[product_id]
    return audience.reading.cases.get(product_id, spec.cases)


def officer_ids(project: Project) -> dict[str, object]:
    """Each officer under an id made from the name (李明 -> liming), unique, stable: for file names."""
    if len(project.officers) < 2:
        return {"": o for o in project.officers}  # one officer: the plain file name carries them
    from .roster import slug_from_name

    ids: dict[str, object] = {}
    for officer in project.officers:
        base, n = slug_from_name(officer.name), 2
        oid = base
        while oid in ids:
            oid, n = f"{base}-{n}", n + 1
        ids[oid] = officer
    return ids


def _variants(project: Project, spec, aid: str, folder: list[str]) -> list[dict]:
    """The outputs one (product, unit, audience) makes: usually one; one per officer, or one sheet of many."""
    stem, ext = spec.filename.rsplit(".", 1)
    base = folder + ([aid] if spec.each_audience else [])
    if spec.cells == "units" and project.units:
        return [{"path": "/".join(base + [spec.filename]), "cells": tuple((u.id, None) for u in project.units)}]
    if project.units or not project.officers or not (spec.each_officer or spec.cells == "officers"):
        return [{"path": "/".join(base + [spec.filename])}]
    officers = officer_ids(project)
    if spec.cells == "officers":
        return [{"path": "/".join(base + [spec.filename]), "cells": tuple((None, oid) for oid in officers)}]
    return [{"path": "/".join(base + [f"{stem}-{oid}.{ext}" if oid else spec.filename]), "officer": oid}
            for oid in officers]


def make_jobs(project: Project, audiences: list[str], products: list[str], units: list[str],
              day: dt.date) -> list[Job]:
    asked = bool(audiences)  # -a given: it decides for every product, over a spec's default_audiences
    if project.config and project.config.defaults.audiences and not audiences:
        audiences = list(project.config.defaults.audiences)
    audience_ids = resolve(audiences, list(project.audiences), "audience")
    product_ids = resolve(products, list(project.products), "product") if products else default_products(project)
    for pid in product_ids:
        if "incidents" in project.products[pid].needs and project.incidents is None:
            raise AntifraudError(Problem(
                project.config.where("station") if project.config else Location("antifraud.yaml"),
                f"product '{pid}' needs the area's incidents, and antifraud.yaml names no incidents file",
                "add `incidents: incidents.csv` to antifraud.yaml: one row per incident with the columns "
                "日期,类型,损失,村（社区）,简要案情 (see the README)"))
    if units and not project.units:
        resolve(units, [], "unit")
    unit_list: list[Unit | None] = [project.unit(u) for u in resolve(units, [u.id for u in project.units], "unit")] \
        if project.units else [None]
    defaults = project.config.defaults if project.config else None
    jobs = []
    for pid in product_ids:
        spec = project.products[pid]
        size = (defaults.size_for(pid) if defaults else None) or spec.default_size
        for aid in _audience_ids(spec, audience_ids, asked):
            count = case_count(project, aid, pid)
            cases = tuple(c.id for c in select_cases(project, aid, count, day)) if count else ()
            for unit in _places(project, spec, aid, unit_list, by_unit=bool(units)):
                folder = [unit.id] if unit else []
                for variant in _variants(project, spec, aid, folder):
                    jobs.append(Job(aid, pid, unit.id if unit else None, cases, size, **variant))
    return sorted(jobs, key=lambda j: j.path)


def _audience_ids(spec, chosen: list[str], asked: bool) -> list[str]:
    """The audiences one product is built for: `-a`, else the spec's `default_audiences` (the home-visit
    letter: the elderly), else the kit's (`defaults.audiences` or all); or the one its spec names."""
    if not spec.each_audience:
        return [spec.audience]
    return list(spec.default_audiences) if spec.default_audiences and not asked else chosen


def existing_outputs(project: Project) -> set[str]:
    """The path of every output the project could build (any audience, product, unit or officer): what
    pruning keeps."""
    units: list[Unit | None] = list(project.units) or [None]
    out: set[str] = set()
    for spec in project.products.values():
        aids = list(project.audiences) if spec.each_audience else [spec.audience]
        for aid in aids:
            assert aid is not None  # ProductSpec's validator: a product not built for each audience names one
            places = _places(project, spec, aid, units, by_unit=False)
            if _for_the_station(spec, aid):  # it may also have been built per unit (-u)
                places += _places(project, spec, aid, units, by_unit=True)
            for unit in places:
                out.update(v["path"] for v in _variants(project, spec, aid, [unit.id] if unit else []))
    return out


def _for_the_station(spec, aid: str) -> bool:
    """Built once for the station, not per village: a `per: station` product, and every product built per
    audience for an audience of the station's (the bank counters)."""
    return spec.per == "station" or (spec.per == "audience" and aid in STATION_AUDIENCES)


def _places(project: Project, spec, aid: str, units: list, by_unit: bool) -> list:
    """The units one product is built for, for audience `aid`: each of `units`; or once (None) for what is
    built for the station (unless `-u` asked for units: `by_unit`) and for a sheet holding every unit's card."""
    if spec.unit_kind:  # only the units of its kind (the schools), or once without a unit when there are none
        return [u for u in units if u is not None and u.kind == spec.unit_kind] or [None]
    once = not by_unit if _for_the_station(spec, aid) else spec.cells == "units" and bool(project.units)
    return [None] if once else list(units)


def shard(jobs: list[Job], k: int, n: int) -> list[Job]:
    """The k-th (1-based) of n disjoint slices; stable because jobs are ordered by output path."""
    ordered = sorted(jobs, key=lambda j: j.path)
    return [j for i, j in enumerate(ordered) if i % n == k - 1]
