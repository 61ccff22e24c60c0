"""Plan stage: audiences x products x units -> jobs, each with its cases and size. Pure.

What a product is built per, its sizes and its case count come from its spec (products.py); the
fingerprint of a job is made later, from what compose gives the renderer (compose.fingerprint).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .errors import Location, Problem, UsageError
from .loader import Project
from .models import Unit
from .select import select_cases


@dataclass(frozen=True)
class Job:
    audience: str
    product: str
    unit: str | None
    cases: tuple[str, ...]
    size: str  # the product's size variant
    path: str  # output path relative to OUT
    fingerprint: str = ""  # set once composed: a hash of exactly what the renderer receives


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


def make_jobs(project: Project, audiences: list[str], products: list[str], units: list[str],
              day: dt.date) -> list[Job]:
    if project.config and project.config.defaults.audiences and not audiences:
        audiences = list(project.config.defaults.audiences)
    audience_ids = resolve(audiences, list(project.audiences), "audience")
    product_ids = resolve(products, list(project.products), "product") if products else default_products(project)
    if units and not project.units:
        resolve(units, [], "unit")
    unit_list: list[Unit | None] = [project.unit(u) for u in resolve(units, [u.id for u in project.units], "unit")] \
        if project.units else [None]
    defaults = project.config.defaults if project.config else None
    jobs = []
    for pid in product_ids:
        spec = project.products[pid]
        size = (defaults.size_for(pid) if defaults else None) or spec.default_size
        places = unit_list if spec.per != "station" else [None]
        for unit in places:
            folder = [unit.id] if unit else []
            for aid in (audience_ids if spec.per == "audience" else [spec.audience]):
                count = case_count(project, aid, pid)
                cases = tuple(c.id for c in select_cases(project, aid, count, day)) if count else ()
                path = "/".join(folder + ([aid] if spec.per == "audience" else []) + [spec.filename])
                jobs.append(Job(aid, pid, unit.id if unit else None, cases, size, path))
    return sorted(jobs, key=lambda j: j.path)


def existing_outputs(project: Project) -> set[tuple]:
    """(unit, audience, product) of every output the project could build: what pruning keeps."""
    units = [u.id for u in project.units] or [None]
    out = set()
    for spec in project.products.values():
        for unit in (units if spec.per != "station" else [None]):
            for aid in (project.audiences if spec.per == "audience" else [spec.audience]):
                out.add((unit, aid, spec.id))
    return out


def shard(jobs: list[Job], k: int, n: int) -> list[Job]:
    """The k-th (1-based) of n disjoint slices; stable because jobs are ordered by output path."""
    ordered = sorted(jobs, key=lambda j: j.path)
    return [j for i, j in enumerate(ordered) if i % n == k - 1]
