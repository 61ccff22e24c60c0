"""Compose stage: a job's data + its product template (Jinja2) -> the layout document (XML text) it prints.

A project template is data, never code: every template runs in Jinja's sandbox, only regular files inside the
template folders can be loaded (symlinks resolved; devices and pipes refused unread), and a render that loops,
calls, makes or writes too much stops with a `template:line` error naming the budget. The budget counts work
done and sizes made (every loop turn, call, operator, filter and `~`; widths checked before a text is padded),
with a processor-time guard behind it: not a list of forbidden operators. Autoescape is on and undefined names are errors. What a template
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
import stat
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
from .lifetime import cpu_budget
from .loader import Project
from .models import Audience, Case, Officer, Palette, QRConfig, Reading, Station, Unit, Voice
from .paths import display
from .photos import digest_of_images
from .plan import Job, officer_ids
from .products import ProductSpec
from .select import subhead_for
from .selfhash import tool_digest

OUTPUT_BUDGET = 4_000_000  # characters of layout document a template may write; also the longest text, list or
# width (center, format, %) it may make or ask for
WORK_BUDGET = 40_000_000  # characters (and list items) one render may make in all
LOOP_BUDGET = 200_000  # loop turns and calls (macros, methods, filters) in one render
NUMBER_BITS = 4_096  # the largest whole number a template may make (about 1,200 digits)
CPU_BUDGET = 20.0  # seconds of processor time one render may take (SIGPROF: not the wall clock)
TEMPLATE_BYTES = 1_000_000  # the largest template file read


class BudgetExceeded(Exception):
    pass


class _Budget:
    """What one render spends: loop turns and calls, and characters made. The sandbox, the loop wrapper and the
    filters call `spend` and `made`; each limit is reached by counting, whatever the template writes or not."""

    def __init__(self) -> None:
        self.start = time.process_time()
        self.steps = 0
        self.chars = 0

    def spend(self, steps: int = 1) -> None:
        self.steps += steps
        if self.steps > LOOP_BUDGET:
            raise BudgetExceeded(f"the template ran more than {LOOP_BUDGET:,} loop steps and calls")
        if time.process_time() - self.start > CPU_BUDGET:
            raise BudgetExceeded(f"the template took more than {CPU_BUDGET:g} s of processor time")

    def made(self, size: int) -> None:
        if size > OUTPUT_BUDGET:
            raise _too_long()
        self.chars += size
        if self.chars > WORK_BUDGET:
            raise BudgetExceeded(f"the template made more than {WORK_BUDGET:,} characters of text in all")


_BUDGET: list[_Budget] = []  # the render in progress (compose runs one render at a time per process)


def _size(value, limit: int = OUTPUT_BUDGET) -> int:
    """How big a value is once written out: a text's length, a list's items and everything in them (a list
    holding the same long text many times counts it each time). Counting stops past `limit`; cycles too."""
    total, stack = 0, [value]
    while stack and total <= limit:
        item = stack.pop()
        if isinstance(item, str):
            total += len(item)
        elif isinstance(item, (list, tuple, set, frozenset)):
            total += len(item)
            stack.extend(item)
        elif isinstance(item, Mapping):
            total += len(item)
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, int) and not isinstance(item, bool):
            total += item.bit_length() // 3  # about its digits
        else:
            total += 1
    return total


def _too_long() -> BudgetExceeded:
    return BudgetExceeded(f"the template made a text longer than {OUTPUT_BUDGET:,} characters")


def _check_size(value, what: str = "text or list") -> None:
    if _size(value) > OUTPUT_BUDGET:
        raise BudgetExceeded(f"the template made a {what} longer than {OUTPUT_BUDGET:,} characters")


def _check_width(number, what: str) -> None:
    if isinstance(number, int) and not isinstance(number, bool) and abs(number) > OUTPUT_BUDGET:
        raise BudgetExceeded(f"the template asked for {what} of {number:,}, more than {OUTPUT_BUDGET:,}")


_PERCENT = re.compile(r"%(?:\([^)]*\))?[#0\- +]*(\*|\d+)?(?:\.(\*|\d+))?")
_BRACE_NUMBER = re.compile(r"\d+")


def _check_format(text: str) -> None:
    """Widths and precisions written into a format (`%0999999999d`, `{0:999999999}`): each is a text that long."""
    for width, precision in _PERCENT.findall(text):
        for number in (width, precision):
            if number.isdigit():
                _check_width(int(number), "a width")
    import string

    try:
        for _, _, spec, _ in string.Formatter().parse(text):
            for number in _BRACE_NUMBER.findall(spec or ""):
                _check_width(int(number), "a width")
    except ValueError:
        pass  # not a {} format: str.format will say so itself


def _check_binop(operator: str, left, right) -> None:
    """Before an operator runs: what it would make must fit the budget (it is made in one step, in C)."""
    if operator == "*":
        sequence, count = (left, right) if isinstance(left, (str, list, tuple)) else (right, left)
        if isinstance(sequence, (str, list, tuple)) and isinstance(count, int):
            if count > 0 and _size(sequence, OUTPUT_BUDGET // count + 1) * count > OUTPUT_BUDGET:
                raise _too_long()
        elif isinstance(left, int) and isinstance(right, int) and left.bit_length() + right.bit_length() > NUMBER_BITS:
            raise BudgetExceeded(f"the template made a number of more than {NUMBER_BITS:,} bits")
    elif operator == "**" and isinstance(left, int) and isinstance(right, int) and right > 0 and abs(left) > 1:
        if left.bit_length() * right > NUMBER_BITS:  # (10**64)**64 chained: each step checked
            raise BudgetExceeded(f"the template made a number of more than {NUMBER_BITS:,} bits "
                                 f"(a power too large)")
    elif operator == "+" and isinstance(left, (str, list, tuple)) and isinstance(right, (str, list, tuple)):
        if _size(left) + _size(right) > OUTPUT_BUDGET:
            raise _too_long()
    elif operator == "%" and isinstance(left, str):
        _check_format(left)
        for arg in (right if isinstance(right, tuple) else (right,)):
            _check_width(arg, "a width")


_NESTED = re.compile(r"(%[^a-zA-Z%]*\*|\{[^{}]*:[^{}]*\{)")  # a width taken from the arguments: %*d, {0:{1}}


def _check_call(obj, args, kwargs) -> None:
    """Before a method runs: no width above the budget (`center`, `ljust`, …, a format's `*` or `{1}` width),
    and for the methods that make a long text from short ones (`replace`, `join`, `expandtabs`) the size they
    would make."""
    wrapped = getattr(obj, "__wrapped__", obj)  # the sandbox wraps str.format
    owner = getattr(wrapped, "__self__", None)
    name = getattr(wrapped, "__name__", "")
    if not isinstance(owner, str):
        return
    if name in ("center", "ljust", "rjust", "zfill") and args:
        _check_width(args[0], f"a width ({name})")
    elif name in ("format", "format_map"):
        _check_format(owner)
        if _NESTED.search(owner):
            for arg in (*args, *kwargs.values(), *(args[0].values() if args and isinstance(args[0], Mapping) else ())):
                _check_width(arg, "a width")
    elif name == "replace" and len(args) >= 2 and isinstance(args[0], str) and isinstance(args[1], str):
        found = owner.count(args[0]) if args[0] else len(owner) + 1
        if len(owner) + found * len(args[1]) > OUTPUT_BUDGET:
            raise _too_long()
    elif name == "join" and args:
        _check_size(args[0])
        if isinstance(args[0], (list, tuple)) and len(owner) * len(args[0]) > OUTPUT_BUDGET:
            raise _too_long()
    elif name == "expandtabs":
        width = args[0] if args else kwargs.get("tabsize", 8)
        if isinstance(width, int) and len(owner) + owner.count("\t") * width > OUTPUT_BUDGET:
            raise _too_long()


_WIDTH_FILTERS = {"center", "indent", "batch", "slice"}  # their first argument is the size of what they make


def _after(result, owner=None):
    """A call's result (and the list or dict it changed) counted against the budget."""
    budget = _BUDGET[-1] if _BUDGET else None
    if budget is not None:
        if isinstance(result, (str, list, tuple, dict)):
            budget.made(len(result))
        if isinstance(owner, (list, dict, set)) and len(owner) > OUTPUT_BUDGET:  # append/extend in a loop
            raise BudgetExceeded(f"the template made a list longer than {OUTPUT_BUDGET:,} items")
    return result


def _budget_filter(name: str, function):
    """A filter run under the budget: a step, its width, its input's size, its result's size."""
    import functools

    @functools.wraps(function)  # keeps jinja's pass_context / pass_eval_context marks
    def budgeted(*args, **kwargs):
        if _BUDGET:
            _BUDGET[-1].spend()
        values = [a for a in args if not _is_jinja_context(a)]
        if values:
            value = values[0]
            _check_size(value)
            if name in _WIDTH_FILTERS and (len(values) > 1 or kwargs):
                _check_width(values[1] if len(values) > 1 else next(iter(kwargs.values())), f"a width ({name})")
            if name == "indent" and isinstance(value, str):
                width = values[1] if len(values) > 1 else kwargs.get("width", 4)
                if isinstance(width, int) and value.count("\n") * width + len(value) > OUTPUT_BUDGET:
                    raise _too_long()
            if name == "format" and isinstance(value, str):  # "%0999999999d"|format(1)
                _check_format(value)
                if _NESTED.search(value):
                    for arg in (*values[1:], *kwargs.values()):
                        _check_width(arg, "a width")
            if name == "replace" and isinstance(value, str) and len(values) >= 3:
                _check_call(value.replace, values[1:], {})
        return _after(function(*args, **kwargs))

    return budgeted


def _is_jinja_context(value) -> bool:
    from jinja2.nodes import EvalContext
    from jinja2.runtime import Context as JinjaContext

    return isinstance(value, (EvalContext, JinjaContext)) or getattr(value, "sandboxed", None) is not None


def _loop_budget(iterable):
    """What every `{% for %}` iterates through (the sandbox wraps each loop): one step per turn, so a loop that
    writes nothing is counted too (N100)."""
    budget = _BUDGET[-1]
    for item in iterable:
        budget.spend()
        yield item


def _concat(eval_ctx, parts):
    """`a ~ b`: its size checked before it is made (N102), then joined as Jinja joins it."""
    from jinja2.runtime import markup_join, str_join

    total = 0
    for part in parts:
        total += _size(part)
        if total > OUTPUT_BUDGET:
            raise _too_long()
    return _after(markup_join(parts) if eval_ctx.autoescape else str_join(parts))


def _budget_tree(node):
    """The parsed template with every loop's iterable and every `~` going through the budget."""
    from jinja2 import nodes

    for name in node.fields:
        value = getattr(node, name, None)
        if isinstance(value, nodes.Node):
            setattr(node, name, _budget_tree(value))
        elif isinstance(value, list):
            setattr(node, name, [_budget_tree(v) if isinstance(v, nodes.Node) else v for v in value])
    if isinstance(node, nodes.For):
        node.iter = nodes.Filter(node.iter, "_loop_budget", [], [], None, None, lineno=node.iter.lineno)
    elif isinstance(node, nodes.Concat):
        return nodes.Filter(nodes.List(node.nodes, lineno=node.lineno), "_concat", [], [], None, None,
                            lineno=node.lineno)
    return node


def _finalize(value):
    """Every `{{ … }}`: a list or number too big to write is refused before it becomes text."""
    if not isinstance(value, str):
        _check_size(value)
    return value


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
        """Jinja's sandbox, budgeted by the work a render does and the size of what it makes (N100–N104): every
        operator, call, filter, loop turn and `~` goes through the budget, not only `range` and `*`."""
        intercepted_binops = frozenset(["+", "-", "*", "/", "//", "%", "**"])

        def call_binop(self, context, operator, left, right):
            _check_binop(operator, left, right)
            return _after(super().call_binop(context, operator, left, right))

        def call(__self, __context, __obj, *args, **kwargs):  # noqa: N805 (jinja's own signature)
            if _BUDGET:
                _BUDGET[-1].spend()
            for arg in (*args, *kwargs.values()):
                _check_size(arg)
            _check_call(__obj, args, kwargs)
            return _after(super().call(__context, __obj, *args, **kwargs), getattr(__obj, "__self__", None))

        def getattr(self, obj, attribute):
            if isinstance(obj, str) and attribute in ("format", "format_map"):
                _check_format(obj)
            return super().getattr(obj, attribute)

        def _parse(self, source, name, filename):
            tree = _budget_tree(super()._parse(source, name, filename))
            tree.set_environment(self)
            return tree

    # plain-text templates (`*.txt.j2`) write text, not XML: nothing to escape
    env = Sandbox(loader=_FolderLoader(list(dirs)), autoescape=lambda name: not (name or "").endswith(".txt.j2"),
                  undefined=jinja2.StrictUndefined, bytecode_cache=_bytecode_cache(), finalize=_finalize,
                  trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.globals.clear()  # no lipsum, cycler, joiner, namespace, dict: only what templates are documented to use
    env.globals.update(src=_src, max=max, min=min, range=_budgeted_range)
    env.filters["chars"] = len
    env.filters["within"] = within  # few words per case: reading.max_words_per_case
    env.filters["fresh"] = fresh  # a page says a thing once: lines that repeat another are left out
    env.filters["stand_in"] = stand_in  # a story's figures as this audience sees itself (reading.figures)
    from . import speech  # scripts read aloud: numbers as said, and their honest duration

    env.filters["spoken"] = speech.spoken
    env.filters["script_seconds"] = speech.script_seconds
    for name, function in list(env.filters.items()):
        env.filters[name] = _budget_filter(name, function)
    env.filters["_loop_budget"] = _loop_budget
    env.filters["_concat"] = jinja2.pass_eval_context(_concat)
    return env


def within(texts, budget: int | None) -> list:
    """`case.advice|within(reading.max_words_per_case)`: the leading texts whose characters add up to at most
    `budget` (always the first one; all of them when the budget is none)."""
    if budget is None:
        return list(texts)
    out, used = [], 0
    for text in texts:
        used += len(text)
        if out and used > budget:
            break
        out.append(text)
    return out


def stand_in(figures, swaps) -> list:
    """`panel.figures|stand_in(reading.figures)`: each picture name, or the one the audience draws in its place."""
    return [swaps.get(name, name) for name in figures]


REPEAT_RUN = 6  # characters two lines share to say the same thing twice (不会电话办案)


def fresh(texts, *others) -> list:
    """`case.advice|fresh(case.headline)`: the texts that repeat none of `others` (texts, or lists of texts) nor
    an earlier one kept: no run of REPEAT_RUN characters in common, so that a page does not say a thing twice."""
    seen: list[str] = []

    def gather(item) -> None:  # a text, or lists of texts (the advice of every case printed)
        if isinstance(item, str):
            seen.append(item)
        elif isinstance(item, (list, tuple)):
            for inner in item:
                gather(inner)

    gather(list(others))
    out: list[str] = []
    for text in texts:
        runs = {text[i:i + REPEAT_RUN] for i in range(len(text) - REPEAT_RUN + 1)}
        if not any(run in earlier for run in runs for earlier in seen):
            out.append(text)
            seen.append(text)
    return out


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

    # named by the tool's code too: a template compiled by another version lacks this one's budget
    return BytecodeCache(str(cache_root() / "templates"), f"%s.{tool_digest()[:12]}.jinja")


def template_bytes(path: Path, folders) -> bytes:
    """A template file's bytes, refused before anything is read when it is a link leading out of the template
    folders, not a regular file (a FIFO would never end, /dev/zero never stop: N107), or too large."""
    real = Path(path).resolve()
    if not any(real.is_relative_to(Path(f).resolve()) for f in folders):
        raise AntifraudError(Problem(Location(display(path)), "template: it is a link to a file outside the "
                                     "template folders", "copy the file into templates/ instead of linking to it"))
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise AntifraudError(Problem(Location(display(path)), "template: not a regular file (a device, a pipe "
                                         "or a folder)", "only templates (text files) belong in templates/"))
        data = fh.read(TEMPLATE_BYTES + 1)
    if len(data) > TEMPLATE_BYTES:
        raise AntifraudError(Problem(Location(display(path)), f"template: larger than {TEMPLATE_BYTES:,} bytes",
                                     "only templates (text files) belong in templates/"))
    return data


class _FolderLoader:
    """jinja2.FileSystemLoader that refuses files whose real path is outside the template folders, and reads a
    template only once it is known to be a regular file of a sensible size (template_bytes)."""

    def __new__(cls, folders):
        import jinja2
        from jinja2.loaders import split_template_path

        class FolderLoader(jinja2.FileSystemLoader):
            def get_source(self, environment, template):
                pieces = split_template_path(template)  # refuses `..`
                for folder in self.searchpath:
                    path = Path(folder, *pieces)
                    if not os.path.lexists(path):
                        continue
                    real = path.resolve()
                    if not any(real.is_relative_to(Path(f).resolve()) for f in self.searchpath):
                        raise jinja2.TemplateNotFound(f"{template} (it leads outside the template folders)")
                    try:
                        data = template_bytes(path, self.searchpath)
                        mtime = os.stat(path).st_mtime_ns
                    except FileNotFoundError:  # a link to nowhere
                        continue
                    try:
                        source = data.decode("utf-8")
                    except UnicodeDecodeError as e:  # GBK-saved or binary: say so at the file, not as a codec error
                        raise AntifraudError(Problem(Location(display(path), data[: e.start].count(b"\n") + 1),
                                                     "template: not UTF-8 text", "save the template as UTF-8")) from None

                    def uptodate(path=path, mtime=mtime) -> bool:
                        try:
                            return os.stat(path).st_mtime_ns == mtime
                        except OSError:
                            return False

                    return source, os.path.normpath(path), uptodate
                raise jinja2.TemplateNotFound(template)

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
    subhead: str | None  # voice.subhead for these cases: of a list, the first whose cases are all printed
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
        "subhead": subhead_for(audience, job.cases),
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
        too_long = BudgetExceeded(f"the template took more than {CPU_BUDGET:g} s of processor time")
        with cpu_budget(CPU_BUDGET, too_long):  # whatever the render is doing (N100, N103)
            for piece in env.get_template(spec.template).generate(context(project, job, day, cell)):
                size += len(piece)
                if size > OUTPUT_BUDGET:
                    raise BudgetExceeded(f"the template wrote more than {OUTPUT_BUDGET:,} characters")
                _BUDGET[-1].spend(0)
                pieces.append(piece)
        return Composed("".join(pieces), _SOURCES[-1].fields), f"{shown} (rendered)"
    except (BudgetExceeded, MemoryError) as e:
        if isinstance(e, MemoryError):
            e = BudgetExceeded("the template needed more memory than there is")
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
