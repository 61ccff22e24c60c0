"""What `antifraud list` shows."""
from __future__ import annotations

from .loader import Project
from .products import ProductSpec


def describe(project: Project, what: str) -> list[dict]:
    if what == "cases":
        return [{"id": c.id, "title": c.title, "category": c.category, "audiences": list(c.audiences),
                 "tags": list(c.tags), "seasons": list(c.seasons), "source": str(c.where())}
                for c in project.cases.values()]
    if what == "audiences":
        return [{"id": a.id, "name": a.name, "min_font_pt": a.reading.min_font_pt,
                 "cases": [c.id for c in project.cases.values() if a.id in c.audiences],
                 "source": str(a.where())} for a in project.audiences.values()]
    if what == "products":
        return [{"id": p.id, "name": p.name, "per": p.per, "pages": p.pages, "cases": p.cases,
                 "format": p.format, "file": p.filename, "default": p.default,
                 "sizes": {n: {"w": s.w, "h": s.h, **({"scale": s.scale} if s.scale != 1 else {}),
                               **({"impose": s.impose.model_dump()} if s.impose else {})}
                           for n, s in p.sizes.items()},
                 "size": _sizes_in_words(p), "template": p.template, "source": str(p.where())}
                for p in project.products.values()]
    rows = []
    for unit in project.units:
        officer = project.officer_for(unit)
        rows.append({"id": unit.id, "name": unit.name, "officer": officer.name if officer else None,
                     "phone": officer.phone if officer else None})
    return rows


def _sizes_in_words(spec: ProductSpec) -> str:
    """A product's sizes as `list products` shows them: mm for print, the image's pixels for a PNG (its page
    scaled to `width_px`, as raster.png_from_pdf does), nothing for a txt product (it has no page)."""
    if spec.format == "png":
        return ", ".join(f"{n} {spec.width_px}×{round(spec.width_px * s.h / s.w)} px" for n, s in spec.sizes.items())
    return spec.describe_sizes()


def selection(project: Project, audiences: list[str], products: list[str], day) -> list[dict]:
    """What each product would print for each audience on `day`, and why (`antifraud list cases --date …`).

    One entry per audience: the products that print cases for it (`-p`, else every such product), each with
    the case ids it takes, and the audience's cases in print order down to the longest product's count, each
    with the reasons that placed it (select.rank_cases). A product prints the first N of that one order; a
    leaflet prints fewer when they do not fit its page (the manifest records the cases printed).
    """
    from .plan import case_count, resolve
    from .select import rank_cases, season_line, subhead_for

    audience_ids = resolve(audiences, list(project.audiences), "audience")
    product_ids = resolve(products, list(project.products), "product")
    out = []
    for aid in audience_ids:
        counts = {pid: case_count(project, aid, pid) for pid in product_ids
                  if project.products[pid].each_audience or project.products[pid].audience == aid}
        counts = {pid: n for pid, n in counts.items() if n}
        ranked = rank_cases(project, aid, day)
        shown = ranked[: max(counts.values(), default=0)]
        season = season_line(project, aid, day)
        out.append({
            "audience": aid, "name": project.audiences[aid].name, "date": day.isoformat(),
            "season": season.name if season else None,
            "products": [{"id": pid, "name": project.products[pid].name, "count": n,
                          "default": project.products[pid].default,
                          "cases": [r.case.id for r in ranked[:n]],
                          "subhead": subhead_for(project.audiences[aid], [r.case.id for r in ranked[:n]])}
                         for pid, n in sorted(counts.items(), key=lambda kv: (not project.products[kv[0]].default,
                                                                             kv[0]))],
            "cases": [{"rank": i + 1, "id": r.case.id, "title": r.case.title, "place": r.place,
                       "focus": r.focus is not None, "local": r.local, "in_season": r.in_season,
                       "top_type": r.top_type, "legal_risk": r.legal_risk,
                       "priority": r.priority + 1 if r.priority is not None else None,
                       "tags": list(r.tags), "why": r.why()} for i, r in enumerate(shown)],
        })
    return out


def selection_text(entries: list[dict]) -> list[str]:
    """`selection` as plain lines for a person at a terminal."""
    lines: list[str] = []
    for entry in entries:
        if lines:
            lines.append("")
        season = f" ({entry['season']})" if entry["season"] else ""
        lines.append(f"{entry['audience']} {entry['name']}, {entry['date']}{season}")
        width = max((len(p["id"]) for p in entry["products"]), default=0)
        for p in entry["products"]:
            kit = "" if p["default"] else " (on request)"
            lines.append(f"  {p['id']:<{width}}  {p['count']}: {', '.join(p['cases'])}{kit}")
        if any(p["id"] == "leaflet" for p in entry["products"]):
            lines.append("  (a leaflet prints fewer, from the end, when they do not fit its page)")
        lines.append("  why, in print order:")
        idw = max((len(c["id"]) for c in entry["cases"]), default=0)
        for c in entry["cases"]:
            lines.append(f"  {c['rank']:>2}. {c['id']:<{idw}}  {c['title']}")
            lines.append(f"      {'; '.join(c['why'])}")
    return lines
