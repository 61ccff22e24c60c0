"""Compose stage: a job's data + its product template (Jinja2) -> the layout document (XML text) it prints.

A project template is data, never code: every template runs in Jinja's sandbox, only files inside the
template folders can be loaded (symlinks resolved), and a render that loops or writes too much stops with
a `template:line` error naming the budget. Autoescape is on and undefined names are errors. What a template
sees is `Context`: declared fields, each documented in docs/templates.md (a test keeps the two equal).

`src(model, 'field', …)` in a template returns a short id (`s0`, `s1`, … in order of use); the YAML field it
stands for goes into the composed document's side table (`Composed.sources`), which travels with the document
to the renderer. The composed text therefore does not change when a line moves in a YAML file.

The fingerprint of an output is a hash of exactly what the renderer receives (the composed document), the
product spec, the fonts and the tool's own code: an output is stale if and only if what it prints, or how,
changed.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import time
import traceback
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple, TypedDict, cast

from . import __version__
from .errors import AntifraudError, Location, Problem
from .incidents import summarize
from .loader import Project
from .models import Audience, Case, Officer, Palette, QRConfig, Reading, Station, Unit, Voice
from .paths import display
from .photos import digest_of_images
from .plan import Job, officer_ids
from .products import ProductSpec
from .selfhash import tool_digest

OUTPUT_BUDGET = 4_000_000  # characters of layout document a template may write
TIME_BUDGET = 20.0  # seconds one template render may take
LOOP_BUDGET = 200_000  # iterations of range() in one render


class BudgetExceeded(Exception):
    pass


class _Budget:
    """Counts what one render spends; the sandbox and the loop helpers call `spend`."""

    def __init__(self) -> None:
        self.start = time.monotonic()
        self.steps = 0

    def spend(self, steps: int = 1) -> None:
        self.steps += steps
        if self.steps > LOOP_BUDGET:
            raise BudgetExceeded(f"the template ran more than {LOOP_BUDGET:,} loop steps")
        if time.monotonic() - self.start > TIME_BUDGET:
            raise BudgetExceeded(f"the template took longer than {TIME_BUDGET:g} s")


_BUDGET: list[_Budget] = []  # the render in progress (compose runs one render at a time per process)


class SourceField(NamedTuple):
    """A YAML field a printed text comes from: where it is, and its whole path in its file (`officers[1].phone`;
    empty when `src()` named no field). What the renderer's messages about that text name."""
    location: Location
    name: str = ""

    def __str__(self) -> str:  # `cases/x.yaml:7 (summary)`: how a frame's "shorten: …" hint lists it
        return f"{self.location}" + (f" ({self.name})" if self.name else "")


class Composed(NamedTuple):
    """One composed document: the text the template wrote, and the fields its `src` ids stand for. An id the
    table lacks (a value with no file, such as a built-in default) leaves messages at the document's line."""
    text: str
    sources: dict[str, SourceField]


class _Sources:
    """The `src()` ids one render hands out, in order of use, and the fields they stand for."""

    def __init__(self) -> None:
        self.count = 0
        self.fields: dict[str, SourceField] = {}

    def add(self, field: SourceField | None) -> str:
        key = f"s{self.count}"
        self.count += 1
        if field is not None:
            self.fields[key] = field
        return key


_SOURCES: list[_Sources] = []  # the table of the render in progress, like _BUDGET


def _budgeted_range(*args):
    budget = _BUDGET[-1]
    for i in range(*args):
        budget.spend()
        yield i


def environment(template_dirs: tuple[Path, ...]):
    return _environment(tuple(str(d) for d in template_dirs))


@lru_cache(maxsize=8)
def _environment(dirs: tuple[str, ...]):
    import jinja2
    from jinja2.sandbox import SandboxedEnvironment

    class Sandbox(SandboxedEnvironment):
        intercepted_binops = frozenset(["*", "**"])

        def call_binop(self, context, operator, left, right):
            if operator == "**" and isinstance(right, (int, float)) and abs(right) > 64:
                raise BudgetExceeded("the template raised a number to a power above 64")
            if operator == "*" and (isinstance(left, (str, list)) or isinstance(right, (str, list))):
                count = right if isinstance(left, (str, list)) else left
                if isinstance(count, int) and count * len(left if isinstance(left, (str, list)) else right) \
                        > OUTPUT_BUDGET:
                    raise BudgetExceeded(f"the template made a text longer than {OUTPUT_BUDGET:,} characters")
            return super().call_binop(context, operator, left, right)

    # plain-text templates (`*.txt.j2`) write text, not XML: nothing to escape
    env = Sandbox(loader=_FolderLoader(list(dirs)), autoescape=lambda name: not (name or "").endswith(".txt.j2"),
                  undefined=jinja2.StrictUndefined, bytecode_cache=_bytecode_cache(),
                  trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.globals.clear()  # no lipsum, cycler, joiner, namespace, dict: only what templates are documented to use
    env.globals.update(src=_src, max=max, min=min, range=_budgeted_range)
    env.filters["chars"] = len
    from . import speech  # scripts read aloud: numbers as said, and their honest duration

    env.filters["spoken"] = speech.spoken
    env.filters["script_seconds"] = speech.script_seconds
    return env


def _bytecode_cache():
    """Compiled templates kept between runs in the user's cache folder (compiling the leaflet's takes ~20 ms of
    every build). Jinja keys them by the template's source, so an edited template compiles again; a cache
    folder that cannot be read or written is only skipped."""
    import jinja2

    from .cachedir import cache_root

    class BytecodeCache(jinja2.FileSystemBytecodeCache):
        def load_bytecode(self, bucket):
            try:
                super().load_bytecode(bucket)
            except (OSError, ValueError, EOFError, TypeError):  # unreadable or damaged: compile again
                bucket.reset()

        def dump_bytecode(self, bucket):
            try:
                os.makedirs(self.directory, exist_ok=True)
                super().dump_bytecode(bucket)
            except OSError:
                pass

    return BytecodeCache(str(cache_root() / "templates"), "%s.jinja")


class _FolderLoader:
    """jinja2.FileSystemLoader that refuses files whose real path is outside the template folders."""

    def __new__(cls, folders):
        import jinja2

        class FolderLoader(jinja2.FileSystemLoader):
            def get_source(self, environment, template):
                try:
                    source, filename, uptodate = super().get_source(environment, template)
                except UnicodeDecodeError as e:  # GBK-saved or binary: say so at the file, not as a codec error
                    path = next(p for f in self.searchpath if (p := Path(f, *template.split("/"))).is_file())
                    line = path.read_bytes()[: e.start].count(b"\n") + 1
                    raise AntifraudError(Problem(Location(display(path), line), "template: not UTF-8 text",
                                                 "save the template as UTF-8")) from None
                real = Path(filename).resolve()
                if not any(real.is_relative_to(Path(f).resolve()) for f in self.searchpath):
                    raise jinja2.TemplateNotFound(f"{template} (it leads outside the template folders)")
                return source, filename, uptodate

        return FolderLoader(folders)


def field_of(model, *field: str | int) -> SourceField | None:
    """The YAML field a model's value comes from (`field_of(case, 'red_flags', 2)`), or None when it has no
    file (built-in defaults such as the national contacts) or is no model."""
    if model is None or not hasattr(model, "where"):
        return None
    loc = model.where(*field)
    if not loc.path:
        return None
    name = model.path_of(*field) if field and hasattr(model, "path_of") else ""  # whole path: officers[1].phone
    return SourceField(Location(loc.path, loc.line or 1), name)


def source_of(model, *field: str | int) -> str:
    """`path:line (field)` of a model's field, as messages name it; empty when it has no file."""
    found = field_of(model, *field)
    return str(found) if found else ""


def _src(model, *field: str | int) -> str:
    """The template's `src(case, 'summary')`: an id for the renderer's messages, resolved through the composed
    document's table (`Composed.sources`). Every call gets the next id, whatever the data says, so the text a
    template writes does not depend on where its values are in their files."""
    return _SOURCES[-1].add(field_of(model, *field))


def find_template(project: Project, filename: str) -> Path:
    for folder in project.template_dirs:
        if (folder / filename).is_file():
            return folder / filename
    raise AntifraudError(Problem(Location("templates"), f"template '{filename}' not found",
                                 "looked in: " + ", ".join(display(d) for d in project.template_dirs)))


class PageSize(TypedDict):
    """`page`: the size variant being built."""
    name: str  # e.g. A3
    w: float  # trim width, mm
    h: float  # trim height, mm


class Context(TypedDict):
    """What a template sees: these names and nothing else (besides the helpers `src`, `max`, `min`, `range` and
    the filters). docs/templates.md, section 3, documents each one; tests/test_docs.py keeps the two equal."""
    audience: Audience  # the audience being built
    reading: Reading  # = audience.reading
    voice: Voice  # = audience.voice
    palette: Palette  # = audience.palette
    cases: list[Case]  # the cases picked for this audience and product, addressed as the audience reads them
    station: Station  # from antifraud.yaml, or the national stand-in
    has_station: bool  # the project has an antifraud.yaml: `station` is real
    qr: QRConfig  # the station's QR code
    unit: Unit | None  # the village or community being built
    officer: Officer | None  # the unit's community officer (or the officer the output is for)
    officer_units: list[Unit]  # every unit the officer serves, in unit order
    product: ProductSpec  # the product's spec
    page: PageSize | None  # the size variant; None for a txt product
    poster_size: str  # the size variant's name (older templates' name for it)
    today: date  # the build day
    hotline: str  # "96110"
    police: str  # "110"
    version: str  # the tool's version
    incidents: Mapping[str, Any] | None  # the area's incidents summed up (incidents.summarize), or None


def context(project: Project, job: Job, day: date, cell: tuple[str | None, str | None] | None = None) -> Context:
    """What a template sees. `cell` (unit id, officer id) is one card of a sheet that holds different cards."""
    audience = project.audiences[job.audience]
    unit_id, officer_id = cell if cell else (job.unit, job.officer)
    unit = project.unit(unit_id) if unit_id else None
    officer = (cast("Officer | None", officer_ids(project).get(officer_id)) if officer_id is not None
               else project.officer_for(unit))
    spec = project.products[job.product]
    size = spec.sizes.get(job.size)  # none for a txt product
    return {
        "audience": audience, "reading": audience.reading, "voice": audience.voice, "palette": audience.palette,
        "cases": [addressed(project.cases[c], audience.voice.address) for c in job.cases],
        "station": project.station, "has_station": project.config is not None,
        "qr": project.qr, "unit": unit, "officer": officer,
        "officer_units": [u for u in project.units if officer and (u.id in officer.units or u.officer == officer.name)],
        "product": spec, "page": {"name": job.size, "w": size.w, "h": size.h} if size else None,
        "poster_size": job.size,  # older templates' name for the poster's size variant
        "today": day, "hotline": "96110", "police": "110", "version": __version__,
        # the area's incidents summed up for the briefing (incidents.summarize), or None without a file
        "incidents": summarize(project.incidents, project.cases, unit) if project.incidents else None,
    }


_ADDRESSED_FIELDS = ("title", "headline", "summary", "how_it_works", "red_flags", "advice")
_QUOTED = re.compile(r"(“[^”]*”)")


def addressed(case: Case, form: str | None) -> Case:
    """The case as this audience reads it: with `form` 你, its 您 outside quotations becomes 你 (the case
    library is written once, for every audience). Locations of fields are kept (a copy of the model)."""
    if form != "你":
        return case

    def informal(text: str) -> str:
        return "".join(part if part.startswith("“") else part.replace("您", "你") for part in _QUOTED.split(text))

    update: dict[str, str | list[str]] = {}
    for name in _ADDRESSED_FIELDS:
        value = getattr(case, name)
        if isinstance(value, str) and "您" in value:
            update[name] = informal(value)
        elif isinstance(value, list) and any("您" in v for v in value):
            update[name] = [informal(v) for v in value]
    return case.model_copy(update=update) if update else case


def compose_job(project: Project, job: Job, day: date) -> tuple[list[Composed], str]:
    """The job's layout documents (one; or one per cell of a sheet of different cards) and their origin."""
    if not job.cells:
        doc, origin = compose_xml(project, job, day)
        return [doc], origin
    docs = [compose_xml(project, job, day, cell) for cell in job.cells]
    return [doc for doc, _ in docs], docs[0][1]


def compose_xml(project: Project, job: Job, day: date,
                cell: tuple[str | None, str | None] | None = None) -> tuple[Composed, str]:
    """Render the job's template; returns (the composed document, template path for messages)."""
    spec = project.products[job.product]
    path = find_template(project, spec.template)
    shown = display(path)
    import jinja2

    env = environment(tuple(project.template_dirs))
    _BUDGET.append(_Budget())
    _SOURCES.append(_Sources())
    try:
        pieces: list[str] = []
        size = 0
        for piece in env.get_template(spec.template).generate(context(project, job, day, cell)):
            size += len(piece)
            if size > OUTPUT_BUDGET:
                raise BudgetExceeded(f"the template wrote more than {OUTPUT_BUDGET:,} characters")
            _BUDGET[-1].spend(0)
            pieces.append(piece)
        return Composed("".join(pieces), _SOURCES[-1].fields), f"{shown} (rendered)"
    except BudgetExceeded as e:
        raise AntifraudError(Problem(_template_location(e, shown), f"template stopped: {e}",
                                     "a template may not loop or write without end; check its loops")) from None
    except jinja2.TemplateSyntaxError as e:
        raise AntifraudError(Problem(Location(display(Path(e.filename)) if e.filename else shown, e.lineno),
                                     f"template syntax error: {e.message}")) from None
    except jinja2.exceptions.SecurityError as e:
        raise AntifraudError(Problem(_template_location(e, shown), f"template not allowed: {e}",
                                     "templates may use the data and helpers listed in docs/templates.md")) from None
    except (jinja2.TemplateError, RecursionError, TypeError, ValueError, ArithmeticError) as e:
        raise AntifraudError(Problem(_template_location(e, shown), f"template error: {e}",
                                     "check the names used in the template (docs/templates.md lists them)")) from None
    finally:
        _SOURCES.pop()
        _BUDGET.pop()


def fingerprint(project: Project, job: Job, docs: Sequence[Composed], fonts_digest: str) -> str:
    """A hash of what the renderer receives. The documents' source tables (file:line, for messages only) are
    left out, and their `src` ids do not depend on lines, so a comment added to a case file does not re-render
    everything below it."""
    spec = project.products[job.product].model_dump(mode="json")
    h = hashlib.sha256()
    for part in (*(doc.text for doc in docs), json.dumps(spec, sort_keys=True, ensure_ascii=False),
                 job.size, fonts_digest, tool_digest(), *(digest_of_images(project.root, doc.text) for doc in docs)):
        h.update(part.encode("utf-8") + b"\0")
    return h.hexdigest()


def with_fingerprint(project: Project, job: Job, docs: Sequence[Composed], fonts_digest: str) -> Job:
    return replace(job, fingerprint=fingerprint(project, job, docs, fonts_digest))


def _template_location(error: BaseException, fallback: str) -> Location:
    for frame in reversed(traceback.extract_tb(error.__traceback__)):
        if frame.filename.endswith(".j2"):
            return Location(display(Path(frame.filename)), frame.lineno)
    return Location(fallback)
