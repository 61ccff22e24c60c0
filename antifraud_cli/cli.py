"""Thin command-line layer: parse options, call the library, turn its errors into messages and exit codes."""
from __future__ import annotations

import json
import logging
import os
import sys
import time
from pathlib import Path

import click

from .errors import AntifraudError, UsageError

log = logging.getLogger("antifraud")


class Context:
    def __init__(self, project: Path | None, verbose: bool):
        self.project_dir = project
        self.verbose = verbose

    def load(self):
        from .loader import load_project

        return load_project(self.project_dir)


def _fail(err: AntifraudError, verbose: bool) -> None:
    if verbose:
        import traceback

        traceback.print_exception(err, file=sys.stderr)
    for problem in err.problems:
        click.echo(str(problem), err=True)
    n = len(err.problems)
    click.echo(f"antifraud: {err.summary or f'{n} problem' + ('s' if n != 1 else '') + ' found; nothing was changed'}",
               err=True)
    sys.exit(1)


class Group(click.Group):
    """Turns library errors into `path:line: message` lines and exit 1; no traceback unless -v."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except UsageError as err:
            for problem in err.problems:
                click.echo(f"Error: {problem.message}" + (f"\n    hint: {problem.hint}" if problem.hint else ""),
                           err=True)
            sys.exit(2)
        except AntifraudError as err:
            verbose = bool(ctx.obj and ctx.obj.verbose) or "-v" in sys.argv[1:2] or "--verbose" in sys.argv
            _fail(err, verbose)
        except KeyboardInterrupt as stop:
            from .lifetime import Terminated

            click.echo("antifraud: interrupted; nothing half-written was left behind", err=True)
            sys.exit(143 if isinstance(stop, Terminated) else 130)

    def format_epilog(self, ctx, formatter) -> None:
        """After the commands: every built-in product, so that `--help` alone shows what can be made."""
        import textwrap

        kit, others = builtin_products()
        if kit or others:
            with formatter.section("Products (build -p ID)"):
                for label, ids in (("default kit:", kit), ("on request:", others)):
                    lines = textwrap.wrap(", ".join(ids), max(30, formatter.width - formatter.current_indent - 13),
                                          break_on_hyphens=False) or [""]  # never split card-sheet at its hyphen
                    for i, line in enumerate(lines):
                        formatter.write(" " * formatter.current_indent + f"{label if i == 0 else '':<13}{line}\n")
                formatter.write_text("`antifraud list products` shows each one's sizes, and a project's own products.")
        super().format_epilog(ctx, formatter)


KIT = ("poster", "leaflet", "card", "card-sheet")  # the default kit's usual order (the loader's), biggest first


def _product_key(pid: str) -> tuple[int, str]:
    return (KIT.index(pid) if pid in KIT else len(KIT), pid)


def builtin_products() -> tuple[list[str], list[str]]:
    """The built-in products' ids: (the default kit, the others), read from their specs without loading a
    project (a spec that cannot be read is left out here; `antifraud check` names it)."""
    import yaml

    from .paths import builtin_dir

    kit: list[str] = []
    others: list[str] = []
    for path in builtin_dir("products").glob("*.yaml"):
        try:
            spec = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            continue
        if isinstance(spec, dict) and isinstance(spec.get("id"), str):
            (kit if spec.get("default") is True else others).append(spec["id"])
    return sorted(kit, key=_product_key), sorted(others)


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--project", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Project folder (default: the current folder).")
@click.option("-v", "--verbose", is_flag=True, help="Show details and tracebacks.")
@click.version_option(package_name="antifraud")
@click.pass_context
def cli(ctx: click.Context, project: Path | None, verbose: bool) -> None:
    """Build print-ready anti-fraud posters, leaflets and contact cards.

    Example: antifraud build --audience elderly
    """
    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING, format="%(message)s")
    ctx.obj = Context(project, verbose)


@cli.command()
@click.option("--date", "date", default=None, metavar="YYYY-MM-DD",
              help="The day to check for (seasonal cases). Default: SOURCE_DATE_EPOCH, else today (UTC).")
@click.pass_obj
def check(obj: Context, date: str | None) -> None:
    """Validate the project: data, references, templates, glyphs, QR payloads.

    Example: antifraud check
    """
    from .build import check_project
    from .clock import build_clock

    clock = build_clock(date)
    project = obj.load()
    for note in project.notes:  # worth knowing, not wrong: ignored roster columns, an officer with no unit
        click.echo(f"note: {note}", err=True)
    summary = check_project(project, clock)
    click.echo(summary)
    click.echo(_checked_sentence(summary))


def _checked_sentence(summary: str) -> str:
    """The last line of a check that passed, for someone who does not read `ok: … composed, … rendered`."""
    import re

    found = re.search(r"(\d+) documents? composed", summary)
    if not found:
        return "No problems found."
    n = int(found.group(1))
    return f"All {n} document{'s' if n != 1 else ''} checked; 0 problems."


@cli.command(name="list")
@click.argument("what", type=click.Choice(["cases", "audiences", "products", "units"]))
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of objects.")
@click.option("-a", "--audience", "audiences", multiple=True, metavar="ID",
              help="cases: what each product prints for this audience, and why (repeatable).")
@click.option("-p", "--product", "products", multiple=True, metavar="ID",
              help="cases, with -a or --date: only these products (repeatable).")
@click.option("--date", "date", default=None, metavar="YYYY-MM-DD",
              help="cases: what each product prints on this day, and why (default with -a: SOURCE_DATE_EPOCH, "
                   "else today).")
@click.pass_obj
def list_(obj: Context, what: str, as_json: bool, audiences, products, date: str | None) -> None:
    """List the cases, audiences, products or units the project knows.

    `list cases` with -a or --date shows, for each audience, what each product would print on that day and
    why (focus, local, in season, top type, legal risk, priority): the selection before printing.

    Example: antifraud list cases --date 2026-12-15 -a students
    """
    from .catalog import describe, selection, selection_text

    if audiences or products or date:
        if what != "cases":
            raise click.UsageError("-a, -p and --date go with `list cases`")
        from .clock import build_clock

        day = build_clock(date).day  # a bad --date stops here, before the project is read
        entries = selection(obj.load(), list(audiences), list(products), day)
        if as_json:
            click.echo(json.dumps(entries, ensure_ascii=False, indent=2))
        else:
            click.echo("\n".join(selection_text(entries)))
        return
    rows = describe(obj.load(), what)
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for row in rows:
        label = row.get("title") or row.get("name")
        extra = ""
        if what == "cases":
            extra = "  [" + ", ".join(row["audiences"]) + "]"
            if row["seasons"]:
                extra += "  months " + ",".join(map(str, row["seasons"]))
        elif what == "units":
            extra = f"  {row['officer'] or '(no officer)'} {row['phone'] or ''}".rstrip()
        elif what == "products":
            kit = ", in the default kit" if row["default"] else ""
            extra = f"  per {row['per']}{kit}; {row['size'] or 'plain text, no page size'}"
        click.echo(f"{row['id']:<24} {label}{extra}")


@cli.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Write into a folder that already has files.")
def init(directory: Path, force: bool) -> None:
    """Scaffold an example project that builds as it is.

    Example: antifraud init my-station
    """
    from .scaffold import write_scaffold

    written = write_scaffold(directory, force=force)
    for path in written:
        click.echo(f"wrote {path}")
    click.echo(f"next: cd {directory} && antifraud check && antifraud build")


class _OutFolder(click.Path):
    """-o: a folder; an empty name is refused (it became the project folder itself, N172b)."""

    def convert(self, value, param, ctx):
        if isinstance(value, str) and not value.strip():
            self.fail("give a folder name (-o . builds into the project folder)", param, ctx)
        return super().convert(value, param, ctx)


@cli.command()
@click.option("-a", "--audience", "audiences", multiple=True, metavar="ID", help="Audience id (repeatable; default all).")
@click.option("-p", "--product", "products", multiple=True, metavar="ID",
              help="Product id (repeatable; default: the kit, or defaults.products). "
                   "`antifraud list products` shows them all.")
@click.option("-u", "--unit", "units", multiple=True, metavar="ID", help="Unit id (repeatable; default all units).")
@click.option("-o", "--out", type=_OutFolder(file_okay=False, path_type=Path), default=Path("dist"),
              show_default=True, help="Output folder.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None,
              help="Worker processes (default and most: one per CPU).")
@click.option("--force", is_flag=True, help="Render everything, even what is up to date.")
@click.option("--check", "check_only", is_flag=True, help="Write nothing; exit 1 if any output is missing or stale.")
@click.option("--shard", default=None, metavar="K/N", help="Build only the K-th of N disjoint slices of the jobs.")
@click.option("--date", "date", default=None, metavar="YYYY-MM-DD",
              help="The day the build is for: seasonal cases and the date in the PDFs. "
                   "Default: SOURCE_DATE_EPOCH, else today (UTC).")
@click.pass_obj
def build(obj: Context, audiences, products, units, out: Path, jobs, force: bool, check_only: bool, shard,
          date: str | None) -> None:
    """Render the PDFs: OUT/[unit/]audience/product.pdf and OUT/manifest.json.

    Example: antifraud build --audience elderly --product leaflet
    """
    from .clock import build_clock

    shard_pair = _parse_shard(shard)
    if check_only and force:  # --check says whether outputs are up to date; --force says to ignore that (N172)
        raise click.UsageError("--check and --force cannot be used together: --check only reads")
    clock = build_clock(date)  # a bad --date or SOURCE_DATE_EPOCH stops here, before anything is read or written
    _note_jobs(jobs)
    root = obj.project_dir or Path.cwd()
    out = out if out.is_absolute() else root / out  # --project p: p/dist, whatever the current folder
    if not force:  # the same build as last time, on the same files: known to be a no-op without loading anything
        from . import fastpath

        start = time.perf_counter()
        count = fastpath.up_to_date(out, fastpath.selection(root, out, audiences, products, units, shard_pair),
                                    clock.day.isoformat())
        if count is not None:
            click.echo(f"all {count} outputs up to date" if check_only else
                       f"nothing to do: all {count} outputs up to date ({time.perf_counter() - start:.2f} s)")
            if not check_only:
                _say_where(out)
            return
    from .build import BuildOptions, build_project  # only now: the full path loads the project and its tools
    from .progress import Reporter
    from .write import STATE

    project = obj.load()
    had_state = os.path.lexists(out / STATE)
    options = BuildOptions(audiences=list(audiences), products=list(products), units=list(units), out=out,
                           jobs=jobs, force=force, check=check_only, shard=shard_pair, clock=clock)
    reporter = Reporter(verbose=obj.verbose)
    report = build_project(project, options, reporter=reporter)
    for warning in report.warnings:
        click.echo(f"warning: {warning}", err=True)
    if report.failed:  # printed like every other problem, by the group (one path for all of them)
        raise AntifraudError(report.problems, summary=report.summary())
    click.echo(report.summary())
    if check_only:
        if report.stale:
            sys.exit(1)
        return
    if not had_state and (out / STATE).is_dir():  # said once, by the build that makes it
        from .paths import display

        click.echo(f"{display(out / STATE)}/ is the tool's own lock and index: leave it out when you copy "
                   f"{display(out)}/ for the print shop")
    _say_where(out)


def _note_jobs(jobs: int | None) -> None:
    """-j above the CPUs this process may use is capped (N170): say so once, before the work starts."""
    from .lifetime import usable_cpus

    if jobs is not None and jobs > usable_cpus():
        cpus = usable_cpus()
        click.echo(f"note: -j {jobs}: using {cpus} worker process{'es' if cpus != 1 else ''}, one per CPU "
                   f"(more would only wait their turn)", err=True)


def _say_where(out: Path) -> None:
    """The last line of a build: where its files are (absolute) and how many of each product, from the
    manifest (every output in the folder, also those outside this build's -a/-p/-u)."""
    import re
    from collections import Counter

    from .write import MANIFEST

    from .write import read_regular

    try:  # never a FIFO or a device in its place (N150)
        text = read_regular(out / MANIFEST).decode("utf-8")
    except (OSError, ValueError):
        return  # no manifest (nothing built yet) or not ours to read: nothing worth saying
    # Each output's entry names its product once; a JSON string cannot hold an unescaped `"product":`. Read
    # so, a province's manifest (28,000 entries) is counted in a tenth of json.loads' time: the no-op stays fast.
    counts = Counter(re.findall(r'"product":\s*"([a-z0-9-]+)"', text))
    n = sum(counts.values())
    each = ", ".join(f"{pid} {counts[pid]}" for pid in sorted(counts, key=_product_key))
    click.echo(f"{n} file{'s' if n != 1 else ''} in {os.path.abspath(out)}" + (f": {each}" if each else ""))


@cli.command()
@click.option("-o", "--out", type=click.Path(file_okay=False, path_type=Path), default=Path("dist"),
              show_default=True, help="The build's output folder.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None,
              help="Worker processes (default and most: one per CPU).")
@click.pass_obj
def preview(obj: Context, out: Path, jobs) -> None:
    """PNG thumbnails of every page of every output, and OUT/index.html to browse them (offline).

    Only outputs changed since the last preview are rendered again.

    Example: antifraud preview -o dist
    """
    from .preview import Names, make_preview

    _note_jobs(jobs)
    root = obj.project_dir or Path.cwd()
    out = out if out.is_absolute() else root / out

    def names() -> Names:
        try:
            return Names.of(obj.load())
        except AntifraudError:  # the gallery still works from the manifest alone, with ids for names
            return Names()
    click.echo(make_preview(out, names, jobs).summary(out))


def _parse_shard(text: str | None) -> tuple[int, int] | None:
    if text is None:
        return None
    try:
        k, n = (int(x) for x in text.split("/"))
        if not 1 <= k <= n:
            raise ValueError
    except ValueError:
        raise click.BadParameter(f"'{text}' is not K/N with 1 ≤ K ≤ N, e.g. 2/4", param_hint="--shard") from None
    return k, n


def main() -> None:
    from .lifetime import install

    install()  # SIGTERM stops a build the way Ctrl-C does
    try:
        cli(prog_name="antifraud")
    except SystemExit as done:
        code = done.code
    else:
        code = 0
    _leave(code)


def _leave(code) -> None:
    """Exit without freeing the heap object by object: after a build that takes Python ~0.1 s (fonts, layout
    caches, pydantic's and Jinja's modules), longer than small builds themselves. Everything that should run
    at exit still runs first (atexit handlers: temporary folders, worker pools, logging); files are closed."""
    import atexit

    if code is None:
        code = 0
    elif not isinstance(code, int):  # sys.exit("message"): printed, status 1
        print(code, file=sys.stderr)
        code = 1
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:  # None when the command started with that stream closed (`>&-`: N172d)
                stream.flush()
        except (OSError, ValueError):  # a closed pipe (| head): nothing more can be said
            pass
    os._exit(code)
