"""Plan stage: audiences x products x units -> jobs, each with its cases and a content fingerprint. Pure."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass

from . import __version__
from .errors import Location, Problem, UsageError
from .loader import Project
from .models import Unit
from .select import select_cases


@dataclass(frozen=True)
class Product:
    id: str
    name: str
    template: str
    size: str
    cases_from: str | None  # which count of the audience's reading rules applies
    impose: tuple[int, int] | None = None  # cols x rows on an A4 sheet


PRODUCTS: dict[str, Product] = {
    "poster": Product("poster", "海报", "poster", "A3 297×420 mm (A2 with defaults.poster_size)", "poster"),
    "leaflet": Product("leaflet", "宣传单（正反面）", "leaflet", "A4 210×297 mm, 2 pages", "leaflet"),
    "card": Product("card", "警民联系卡（正反面）", "card", "90×54 mm, 2 pages", None),
    "card-sheet": Product("card-sheet", "警民联系卡 A4 裁切版", "card", "A4, 2×5 cards, 2 pages", None, (2, 5)),
}


@dataclass(frozen=True)
class Job:
    audience: str
    product: str
    unit: str | None
    cases: tuple[str, ...]
    fingerprint: str

    @property
    def path(self) -> str:
        """Output path relative to OUT."""
        parts = ([self.unit] if self.unit else []) + [self.audience, f"{self.product}.pdf"]
        return "/".join(parts)


def resolve(requested: list[str], known: list[str], kind: str) -> list[str]:
    unknown = [r for r in requested if r not in known]
    if unknown:
        raise UsageError([Problem(Location("command line"), f"unknown {kind} '{u}'",
                                  f"known {kind}s: " + (", ".join(known) or "none")) for u in unknown])
    return list(dict.fromkeys(requested)) if requested else list(known)


def make_jobs(project: Project, audiences: list[str], products: list[str], units: list[str],
              template_digest: dict[str, str], font_digest: str, day: dt.date) -> list[Job]:
    if project.config and project.config.defaults.audiences and not audiences:
        audiences = list(project.config.defaults.audiences)
    if project.config and project.config.defaults.products and not products:
        products = list(project.config.defaults.products)
    audience_ids = resolve(audiences, list(project.audiences), "audience")
    product_ids = resolve(products, list(PRODUCTS), "product")
    unit_list: list[Unit | None] = [project.unit(u) for u in resolve(units, [u.id for u in project.units], "unit")] \
        if project.units else [None]
    if units and not project.units:
        resolve(units, [], "unit")
    common = {"tool": __version__, "reportlab": _reportlab_version(), "station": _dump(project.station),
              "qr": _dump(project.qr), "fonts": font_digest,
              "poster_size": project.config.defaults.poster_size if project.config else "A3"}
    jobs = []
    for unit in unit_list:
        officer = project.officer_for(unit)
        for aid in audience_ids:
            audience = project.audiences[aid]
            for pid in product_ids:
                product = PRODUCTS[pid]
                count = getattr(audience.reading.cases, product.cases_from) if product.cases_from else 0
                cases = select_cases(project, aid, count, day) if count else []
                inputs = {**common, "product": pid, "template": template_digest[product.template],
                          "audience": _dump(audience), "cases": [_dump(c) for c in cases],
                          "unit": _dump(unit), "officer": _dump(officer)}
                digest = hashlib.sha256(json.dumps(inputs, sort_keys=True, ensure_ascii=False,
                                                   default=str).encode()).hexdigest()
                jobs.append(Job(aid, pid, unit.id if unit else None, tuple(c.id for c in cases), digest))
    return jobs


def shard(jobs: list[Job], k: int, n: int) -> list[Job]:
    """The k-th (1-based) of n disjoint slices; stable because jobs are ordered by output path."""
    ordered = sorted(jobs, key=lambda j: j.path)
    return [j for i, j in enumerate(ordered) if i % n == k - 1]


def _reportlab_version() -> str:
    import reportlab  # the package itself is tiny; importlib.metadata would scan every installed distribution

    return reportlab.Version


def _dump(model) -> object:
    return model.model_dump(mode="json") if model is not None else None
