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
