"""Compose stage: a job's data + its product template (Jinja2) -> layout document (layoutdoc.Node).

Autoescape is on and undefined names are errors: data is always text, never markup.
"""
from __future__ import annotations

import hashlib
import traceback
from functools import lru_cache
from pathlib import Path

from . import __version__
from .errors import AntifraudError, Location, Problem
from .layoutdoc import Node, parse
from .loader import Project
from .paths import display
from .plan import PRODUCTS, Job

TEMPLATE_SUFFIX = ".xml.j2"


def environment(template_dirs: tuple[Path, ...]):
    return _environment(tuple(str(d) for d in template_dirs))


@lru_cache(maxsize=8)
def _environment(dirs: tuple[str, ...]):
    import jinja2  # only needed when something is rendered

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(list(dirs)), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                             keep_trailing_newline=True)
    env.globals["src"] = source_of
    env.filters["chars"] = len
    env.globals.update(max=max, min=min)
    return env


def source_of(model, *field) -> str:
    """`path:line (field)` of a model's field, for the renderer's messages (template: src(case, 'summary'))."""
    if model is None or not hasattr(model, "where"):
        return ""
    loc = model.where(*field)
    if not loc.path:  # built-in defaults (national contacts) have no file
        return ""
    name = model.path_of(*field) if field and hasattr(model, "path_of") else ""  # whole path: officers[1].phone
    return f"{loc.path}:{loc.line or 1}" + (f" ({name})" if name else "")


def template_digests(project: Project) -> dict[str, str]:
    """Hash of each product template and every partial (files starting with `_`) it may include."""
    out = {}
    for name in {p.template for p in PRODUCTS.values()}:
        h = hashlib.sha256()
        for path in [find_template(project, name + TEMPLATE_SUFFIX)] + partials(project):
            h.update(path.name.encode() + b"\0" + path.read_bytes())
        out[name] = h.hexdigest()
    return out


def find_template(project: Project, filename: str) -> Path:
    for folder in project.template_dirs:
        if (folder / filename).is_file():
            return folder / filename
    raise AntifraudError(Problem(Location("templates"), f"template '{filename}' not found",
                                 "looked in: " + ", ".join(display(d) for d in project.template_dirs)))


def partials(project: Project) -> list[Path]:
    seen: dict[str, Path] = {}
    for folder in project.template_dirs:
        for path in sorted(folder.glob("_*.j2")):
            seen.setdefault(path.name, path)
    return [seen[k] for k in sorted(seen)]


def context(project: Project, job: Job) -> dict:
    audience = project.audiences[job.audience]
    unit = project.unit(job.unit) if job.unit else None
    product = PRODUCTS[job.product]
    poster_size = project.config.defaults.poster_size if project.config else "A3"
    return {
        "audience": audience, "reading": audience.reading, "voice": audience.voice, "palette": audience.palette,
        "cases": [project.cases[c] for c in job.cases],
        "station": project.station, "has_station": project.config is not None,
        "qr": project.qr, "unit": unit, "officer": project.officer_for(unit),
        "product": product, "poster_size": poster_size,
        "hotline": "96110", "police": "110", "version": __version__,
    }


def compose(project: Project, job: Job) -> tuple[Node, str]:
    """Render the job's template and parse it; returns (layout document, template path for messages)."""
    product = PRODUCTS[job.product]
    path = find_template(project, product.template + TEMPLATE_SUFFIX)
    shown = display(path)
    import jinja2

    env = environment(tuple(project.template_dirs))
    try:
        xml = env.get_template(path.name).render(context(project, job))
    except jinja2.TemplateSyntaxError as e:
        raise AntifraudError(Problem(Location(display(Path(e.filename)) if e.filename else shown, e.lineno),
                                     f"template syntax error: {e.message}")) from None
    except jinja2.TemplateError as e:
        raise AntifraudError(Problem(_template_location(e, shown), f"template error: {e}",
                                     "check the names used in the template (docs/templates.md lists them)")) from None
    origin = f"{shown} (rendered)"
    return parse(xml, origin), origin


def _template_location(error: BaseException, fallback: str) -> Location:
    for frame in reversed(traceback.extract_tb(error.__traceback__)):
        if frame.filename.endswith(".j2"):
            return Location(display(Path(frame.filename)), frame.lineno)
    return Location(fallback)
