"""The build: load -> plan -> (skip what is up to date) -> compose + render in workers -> write atomically."""
from __future__ import annotations

import gc
import logging
import os
import time
from contextlib import closing
from dataclasses import dataclass, field, replace
from pathlib import Path

from . import fonts as fontlib
from .clock import BuildClock, build_clock
from . import fastpath
from .compose import Composed, compose_job, with_fingerprint
from .errors import AntifraudError, Location, Problem
from .loader import Project
from .paths import display
from .plan import Job, existing_outputs, make_jobs, shard
from .lifetime import cpu_budget, stop_workers, worker_count, worker_guard
from .write import OutputWriter


@dataclass
class BuildOptions:
    audiences: list[str] = field(default_factory=list)
    products: list[str] = field(default_factory=list)
    units: list[str] = field(default_factory=list)
    out: Path = Path("dist")
    jobs: int | None = None
    force: bool = False
    check: bool = False
    shard: tuple[int, int] | None = None
    clock: BuildClock | None = None  # the build day; None: from SOURCE_DATE_EPOCH or today


@dataclass
class BuildReport:
    built: list[str] = field(default_factory=list)
    up_to_date: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)  # --check: missing or out of date
    failed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)  # outputs of units/audiences/products no longer in the project
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # "path: message": e.g. an orphan kept because it changed
    seconds: float = 0.0
    check: bool = False

    def summary(self) -> str:
        if self.check:
            if self.stale:
                gone = set(self.removed)
                return "\n".join(f"stale: {p}" + (" (no longer in the project)" if p in gone else "")
                                 for p in self.stale) + \
                    f"\n{len(self.stale)} of {len(self.stale) + len(self.up_to_date)} outputs missing or out of date"
            return f"all {len(self.up_to_date)} outputs up to date"
        if self.failed:
            return (f"failed: {len(self.failed)}, would have built {len(self.built)}, up to date {len(self.up_to_date)} "
                    f"in {self.seconds:.1f} s; nothing was written")
        removed = f", removed {len(self.removed)} no longer in the project" if self.removed else ""
        if not self.built:
            return f"nothing to do: all {len(self.up_to_date)} outputs up to date{removed} ({self.seconds:.2f} s)"
        return f"built {len(self.built)}, up to date {len(self.up_to_date)}{removed}, failed 0 in {self.seconds:.1f} s"


# ---------------------------------------------------------------- fonts

def fontset_for(project: Project) -> fontlib.FontSet:
    cfg = project.config.fonts if project.config else None
    if cfg is None:
        return fontlib.default_fontset()
    root = project.root
    try:
        return fontlib.fontset_from_paths(root / cfg.regular, root / cfg.bold if cfg.bold else None)
    except fontlib.FontError as e:
        raise _font_problem(project, e) from None


def project_charset(project: Project) -> str:
    """Every character the build can print: all data strings, every template, plus the font base set."""
    from .speech import CHARS as SPOKEN  # what `| spoken` writes: 九六幺幺零

    chars: set[str] = set(fontlib.BASE_CHARS) | SPOKEN

    def walk(value):
        if isinstance(value, str):
            chars.update(value)
        elif isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, (list, tuple)):
            for v in value:
                walk(v)

    models = [*project.cases.values(), *project.audiences.values(), *project.units, *project.officers,
              project.station, project.qr]
    for model in models:
        walk(model.model_dump(mode="json"))
    if project.incidents:  # the briefing prints villages, summaries and the file's name from the incidents
        walk([project.incidents.file] + [[i.unit, i.summary or ""] for i in project.incidents.items])
    for folder in project.template_dirs:
        for path in folder.glob("*.j2"):
            chars.update(_template_text(path, project.template_dirs))
    return "".join(sorted(c for c in chars if c.isprintable()))


def _template_text(path, folders) -> str:
    """A template's text; a GBK-saved or binary file is a located problem, not a traceback; a device, a FIFO or
    a link out of the template folders is refused before it is read (N107)."""
    from .compose import template_bytes

    data = template_bytes(path, folders)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise AntifraudError(Problem(Location(display(path), data[: e.start].count(b"\n") + 1),
                                     "template: not UTF-8 text",
                                     "save the template as UTF-8; only templates (text) belong in templates/")) from None


def _font_problem(project: Project, e: fontlib.FontError) -> AntifraudError:
    """The one place a font failure becomes a problem: at `fonts:` when the project names its fonts."""
    if project.config and project.config.fonts:
        return AntifraudError(Problem(project.config.where("fonts"), str(e),
                                      "name a TTF, OTF or TTC file relative to the project folder"))
    return AntifraudError(Problem(Location("fonts"), str(e),
                                  "reinstall the tool (pip install --force-reinstall antifraud) to restore its font"))


def font_digest(project: Project) -> str:
    """The fingerprint of the project's fonts (source files, faces, weights): cheap, no font is opened."""
    try:
        return fontlib.fingerprint(fontset_for(project))
    except fontlib.FontError as e:
        raise _font_problem(project, e) from None


@dataclass(frozen=True)
class FontState:
    prepared: fontlib.PreparedFonts
    covered: frozenset[int]
    digest: str


def prepare_fonts(project: Project) -> FontState:
    """Static fonts subset to every character the project can print (cached; see fonts.prepare)."""
    fontset = fontset_for(project)
    try:
        covered = fontlib.coverage(fontset.regular) & fontlib.coverage(fontset.bold)
        charset = "".join(c for c in project_charset(project) if ord(c) in covered)
        prepared = fontlib.prepared(fontset, charset) or _prepare_apart(fontset, charset)
        digest = fontlib.fingerprint(fontset)
    except fontlib.FontError as e:
        raise _font_problem(project, e) from None
    return FontState(prepared, covered, digest)


def _prepare_apart(fontset: fontlib.FontSet, charset: str) -> fontlib.PreparedFonts:
    """Prepare the fonts in a forked child: fontTools holds about 100 MB while it instances and subsets the
    faces, which would stay this process's peak (and that of the workers forked from it) for the whole build.
    What the child warns about (a cache folder that cannot be written) is said here, and its fallback folder
    kept."""
    import multiprocessing as mp

    if "fork" not in mp.get_all_start_methods():
        return fontlib.prepare(fontset, charset)
    with _forked_pool(1) as pool:
        prepared, warnings, fallback = pool.submit(_prepare_and_tell, fontset, charset).result()
    for warning in warnings:
        fontlib.log.warning("%s", warning)
    if fallback is not None:
        from .cachedir import set_fallback_dir

        set_fallback_dir(fallback)
    return prepared


def _forked_pool(workers: int):
    """Worker processes forked from this one (they inherit what it has loaded) that die with it."""
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    return ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("fork"), initializer=worker_guard,
                               initargs=(os.getpid(),))


def _prepare_and_tell(fontset: fontlib.FontSet, charset: str):
    """In the child: prepare, and hand back the warnings (the fonts' and the cache folder's) instead of printing
    them."""
    from .cachedir import fallback_dir

    said: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record):
            said.append(record.getMessage())

    package = logging.getLogger("antifraud_cli")  # fonts, cachedir, filehash log below it
    package.handlers[:] = [Keep()]
    package.propagate = False
    return fontlib.prepare(fontset, charset), said, fallback_dir()


# ---------------------------------------------------------------- rendering (also run in workers)

_WORKER: dict = {}
log = logging.getLogger("antifraud")


def _init_worker(project: Project, state: FontState | None, epoch: int, day=None) -> None:
    _WORKER["day"] = day  # the build day, for a document composed again with fewer cases
    if state is None:  # only scripts (.txt) to write: no font is registered, the renderer is not imported
        _WORKER.update(project=project, fonts=None, epoch=epoch)
        return
    from .layout import FontNames, font_ascent  # the renderer is imported only when something is rendered

    regular, bold = fontlib.register(state.prepared)
    _WORKER.update(project=project, fonts=FontNames(regular, bold, state.covered, font_ascent(regular)), epoch=epoch)


# A composed job, as the workers receive it: the job, its documents (text and source table each), their origin
Work = tuple[Job, list[Composed], str]


def render_job(work: Work) -> tuple[Job, bytes | None, list[Problem]]:
    """Parse and render one composed job with the fonts registered for this process."""
    job, docs, origin = work
    project, fonts = _WORKER["project"], _WORKER["fonts"]
    try:
        with cpu_budget(RENDER_CPU_SECONDS, _RenderTooLong()):  # a per-document guard: CPU time, not the wall clock
            return _render(job, docs, origin, project, fonts)
    except _RenderTooLong:
        return job, None, [Problem(Location(origin), f"rendering took more than {RENDER_CPU_SECONDS:g} s of "
                                   "processor time", "make the document smaller: fewer pages, elements or pixels")]


RENDER_CPU_SECONDS = 300.0  # one document; the largest built-in one takes a few seconds


class _RenderTooLong(BaseException):  # not an Exception: the renderer's `except Exception` must not catch it
    pass


def _render(job: Job, docs: list[Composed], origin: str, project: Project, fonts):
    from .layout import TooFull

    try:
        spec = project.products[job.product]
        if spec.format == "txt":  # the composed text is the output: checked, then written as it is
            from .textout import render_text

            return job, render_text([doc.text for doc in docs], spec, origin), []
        if spec.format == "pptx":  # slides: the composed deck written with python-pptx (slides.py)
            from .slides import render_slides

            return job, render_slides(docs[0].text, origin, spec.sizes[job.size], _WORKER["epoch"], spec.slides), []
        while True:
            try:
                data, nodes = _draw(docs, origin, project, fonts, spec, job.size)
                break
            except TooFull as full:  # measured, not guessed: print fewer whole cases, and say so everywhere
                day = _WORKER.get("day") or _epoch_day(_WORKER["epoch"])
                keep = _cases_that_fit(len(job.cases), full)
                if keep == len(job.cases) or not all(_fits_alone(project, job, c, day, fonts, spec)
                                                     for c in job.cases[keep:]):
                    raise AntifraudError(full.problem) from None
                job = replace(job, cases=job.cases[:keep])  # the manifest records the cases printed
                docs, origin = compose_job(project, job, day)
        if spec.format == "png":  # a screen image: the page rasterised, its text as the PNG's description
            from .raster import layout_text, png_from_pdf

            data = png_from_pdf(data, spec.width_px, layout_text(nodes))
        return job, data, []
    except AntifraudError as e:
        return job, None, e.problems
    except Exception as e:  # noqa: BLE001 - a bug must not hide the other jobs' results
        log.debug("internal error in %s", job.path, exc_info=True)
        return job, None, [Problem(Location(origin), f"internal error: {type(e).__name__}: {e}",
                                   "this is a bug in antifraud; run with -v and report the traceback")]


def _draw(docs: list[Composed], origin: str, project: Project, fonts, spec, size: str):
    """A composed document parsed, laid out, checked and painted: the PDF's bytes, and the parsed layout
    documents (a PNG's description is their text)."""
    from .layoutdoc import parse
    from .render import render_document

    nodes = [parse(doc.text, origin) for doc in docs]
    return render_document(nodes, fonts, origin, _WORKER["epoch"], spec.sizes[size], spec.pages, root=project.root,
                           colour=spec.colour, sources=[doc.sources for doc in docs]), nodes


def _cases_that_fit(count: int, full) -> int:
    """How many of a document's `count` cases to keep: drop the last ones until their boxes (the frame's last
    children, as measured) free the height it lacks; at least one (which may still not fit: then it says so)."""
    drop, freed = 0, 0.0
    cases = full.heights[-count:] if full.heights else ()
    while drop < count - 1 and (freed < full.excess - 0.01 or drop == 0):
        drop += 1
        freed += (cases[-drop] if drop <= len(cases) else 0.0) + full.gap
    return count - drop


def _fits_alone(project: Project, job: Job, case_id: str, day, fonts, spec) -> bool:
    """Whether a case a document leaves out for want of room would fit on its own. Only a station's own case
    is tried (the built-in ones are known to fit): a text too long for any page is an error to fix, not a case
    to leave out without a word."""
    from .layout import TooFull

    if project.cases[case_id].where().path.startswith("(built-in)"):  # paths.display's name for the library
        return True
    alone = replace(job, cases=(case_id,))
    docs, origin = compose_job(project, alone, day)
    try:
        _draw(docs, origin, project, fonts, spec, job.size)
    except TooFull:
        return False
    except AntifraudError:  # its other problems are reported when it is printed
        return True
    return True


def _epoch_day(epoch: int):
    import datetime as dt

    return dt.datetime.fromtimestamp(epoch, dt.timezone.utc).date()


def run_jobs(project: Project, state: FontState | None, work: list[Work], workers: int, epoch: int, reporter=None,
             day=None):
    """Render composed jobs, in worker processes when it pays; yields (job, bytes|None, problems) in order."""
    if not work:
        return
    if workers <= 1 or len(work) <= 2:
        _init_worker(project, state, epoch, day)
        gc.freeze()  # what is loaded stays: the collector need not scan it again and again while documents render
        for item in work:
            result = render_job(item)
            if reporter:
                reporter.done(result[0].path, ok=result[1] is not None)
            yield result
        return
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    workers = min(workers, len(work))
    if "fork" in mp.get_all_start_methods():
        # Set up once in this process (renderer imported, fonts read): the forked workers inherit it.
        _init_worker(project, state, epoch, day)
        gc.freeze()  # and the workers' collectors leave the shared pages alone (no copy-on-write of them)
        pool = _forked_pool(workers)
    else:
        pool = ProcessPoolExecutor(max_workers=workers, initializer=worker_guard,
                                   initargs=(os.getpid(), _init_worker, (project, state, epoch, day)))
    with pool:  # (the fork pool starts all its workers at once: `workers` is at most one per CPU and job)
        # Small chunks: a chunk's PDFs travel back together, so big ones would hold much output in memory.
        chunk = max(1, min(16, len(work) // (workers * 4)))
        try:
            for result in pool.map(render_job, work, chunksize=chunk):
                if reporter:
                    reporter.done(result[0].path, ok=result[1] is not None)
                yield result
        except BaseException:  # Ctrl-C, SIGTERM, a write error: stop now, not after every queued job
            stop_workers(pool)
            raise


# ---------------------------------------------------------------- entry points

def plan_jobs(project: Project, options: BuildOptions, clock: BuildClock) -> list[Job]:
    jobs = make_jobs(project, options.audiences, options.products, options.units, clock.day)
    if options.shard:
        jobs = shard(jobs, *options.shard)
    return jobs


def compose_jobs(project: Project, jobs: list[Job], clock: BuildClock,
                 fonts_digest: str) -> tuple[list[Work], list[tuple[Job, list[Problem]]]]:
    """Compose every job (cheap: no fonts, no renderer) and fingerprint what each one would print.
    Returns ([(job with fingerprint, composed documents, origin)], [(job, problems)])."""
    composed: list[Work] = []
    failures: list[tuple[Job, list[Problem]]] = []
    for job in jobs:
        try:
            docs, origin = compose_job(project, job, clock.day)
        except AntifraudError as e:
            failures.append((job, e.problems))
            continue
        composed.append((with_fingerprint(project, job, docs, fonts_digest), docs, origin))
    return composed, failures


BATCH = 1000  # documents composed and rendered at a time: memory stays flat however large the province


def build_project(project: Project, options: BuildOptions, reporter=None) -> BuildReport:
    start = time.perf_counter()
    report = BuildReport(check=options.check)
    clock = options.clock or build_clock()
    read = input_files(project)
    inputs = fastpath.inputs_digest(clock.day.isoformat(), *read) or ""
    jobs = [replace(job, inputs=inputs) for job in plan_jobs(project, options, clock)]
    with OutputWriter(Path(options.out), check=options.check) as writer:  # locks OUT; on failure OUT is as it was
        try:
            _build_into(writer, project, options, jobs, clock, report, reporter, read)
        finally:
            report.warnings += writer.warnings
    report.seconds = time.perf_counter() - start
    return report


def _build_into(writer: OutputWriter, project: Project, options: BuildOptions, jobs: list[Job], clock: BuildClock,
                report: BuildReport, reporter, read: tuple[list[str], list[str]]) -> None:
    out, manifest = writer.out, writer.manifest
    fonts = font_digest(project)
    # outputs last composed from these very inputs print what they printed: no need to compose them
    unchanged = [] if options.force else [
        replace(job, fingerprint=manifest.entries[job.path]["fingerprint"]) for job in jobs
        if job.inputs and manifest.entries.get(job.path, {}).get("inputs") == job.inputs]
    skip = {job.path for job in unchanged if manifest.is_fresh(out, job)}
    damaged = {job.path for job in unchanged} - skip  # same print, but the file is missing or changed
    report.up_to_date += sorted(skip)
    report.removed = manifest.orphans(existing_outputs(project))
    pending = [job for job in jobs if job.path not in skip]
    state, failures, rendering, ran = None, [], not options.check, False
    if reporter and pending and rendering:
        reporter.start(len(pending))
    for first in range(0, len(pending), BATCH):
        composed, broken = compose_jobs(project, pending[first:first + BATCH], clock, fonts)
        if broken:  # a template or data problem: keep composing to list them all, render nothing more
            failures += broken
            rendering = False
        todo = []
        for item in composed:
            job = item[0]
            if not options.force and job.path not in damaged and manifest.is_fresh(out, job):
                report.up_to_date.append(job.path)
                if manifest.entries[job.path].get("inputs") != job.inputs:  # next time, no need to compose it
                    manifest.entries[job.path]["inputs"] = job.inputs
                    manifest.entries_dirty = True
            else:
                todo.append(item)
        if options.check:
            report.stale += [job.path for job, _, _ in todo]
        if not (rendering and todo):
            continue
        if state is None and any(project.products[job.product].format in ("pdf", "png") for job, _, _ in todo):
            # only now, and only for pages: a no-op build, or one writing only scripts, never touches a font
            state = prepare_fonts(project)
        ran = True
        workers = worker_count(options.jobs)  # at most one per CPU (N170)
        with closing(run_jobs(project, state, todo, workers, clock.epoch, reporter, clock.day)) as results:
            for job, data, problems in results:
                if data is None:
                    failures.append((job, problems))
                    rendering = False  # the build fails: the rest need not be rendered
                else:
                    writer.put(job, data)  # staged on disk now: memory does not grow with the output
                    report.built.append(job.path)
    if reporter and ran:
        reporter.finish()
    report.problems = merge_problems(failures)
    report.failed = sorted({job.path for job, _ in failures})
    if options.check:
        report.stale += report.removed
    elif not failures:  # prune; remember the outputs just hashed so the next no-op hashes nothing
        report.removed = writer.commit(report.removed, clock)
        # so that the same build next time is known to be a no-op without loading anything (fastpath)
        chosen = fastpath.selection(project.root, out, options.audiences, options.products, options.units,
                                    options.shard)
        fastpath.record(out, chosen, jobs[0].inputs if jobs else "", *read, [job.path for job in jobs])


def input_files(project: Project) -> tuple[list[str], list[str]]:
    """Every file a build reads (data, rosters, photos, templates, fonts) and the folders they are found in."""
    from .paths import builtin_dir

    fontset = fontset_for(project)
    files = [*project.files, *(p for d in project.template_dirs for p in d.iterdir() if p.is_file()),
             Path(fontset.regular.path), Path(fontset.bold.path)]
    kinds = ("cases", "audiences", "products", "templates")
    return fastpath.input_files(files, [builtin_dir(k) for k in kinds] + [project.root / k for k in kinds])


def check_project(project: Project, clock: BuildClock | None = None) -> str:
    """Compose every audience x product x unit; render all of the first unit's and, for the other units, the
    first audience's of each product, in memory. Raise on any problem."""
    clock = clock or build_clock()
    state = prepare_fonts(project)
    products = [p for p, spec in project.products.items() if "incidents" not in spec.needs or project.incidents]
    jobs = make_jobs(project, list(project.audiences), products, [], clock.day)
    composed, failures = compose_jobs(project, jobs, clock, state.digest)
    if project.units:  # every unit differs only in its officer and name: one audience per product is enough
        first_unit, first_audience = project.units[0].id, next(iter(project.audiences))
        composed = [c for c in composed if c[0].unit == first_unit or c[0].audience == first_audience
                    or project.products[c[0].product].per != "audience"]
    failures += [(job, found) for job, data, found in run_jobs(project, state, composed, 1, clock.epoch, day=clock.day) if found]
    if failures:
        raise AntifraudError(merge_problems(failures))
    return (f"ok: {len(project.cases)} cases, {len(project.audiences)} audiences, {len(project.products)} products, "
            f"{len(project.units)} units; {len(jobs)} documents composed, {len(composed)} rendered without problems")


def merge_problems(failures: list[tuple[Job, list[Problem]]]) -> list[Problem]:
    """One line per distinct problem, naming the output it broke (and how many others share it)."""
    seen: dict[tuple, list[str]] = {}
    for job, problems in failures:
        for p in problems:
            paths = seen.setdefault((p.location, p.message, p.hint), [])
            if job.path not in paths:
                paths.append(job.path)
    merged = []
    for (location, message, hint), paths in seen.items():
        more = f" (and {len(paths) - 1} more)" if len(paths) > 1 else ""
        merged.append(Problem(location, f"{paths[0]}{more}: {message}", hint))
    return merged
