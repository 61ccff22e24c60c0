"""Progress for people and for CI: a bar on a terminal, plain lines elsewhere."""
from __future__ import annotations

import sys

import click


class Reporter:
    def __init__(self, verbose: bool = False, stream=None):
        self.stream = stream or sys.stderr
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.verbose = verbose
        self.total = 0
        self.count = 0

    def start(self, total: int) -> None:
        self.total, self.count = total, 0

    def done(self, path: str, ok: bool) -> None:
        self.count += 1
        if self.tty and not self.verbose:
            width = 30
            filled = width * self.count // max(1, self.total)
            click.echo(f"\r[{'#' * filled}{'.' * (width - filled)}] {self.count}/{self.total} {path[:40]:<40}",
                       nl=False, err=True)
        else:
            click.echo(f"{'built' if ok else 'FAILED'} {path}", err=True)

    def finish(self) -> None:
        if self.tty and not self.verbose and self.total:
            click.echo("", err=True)
