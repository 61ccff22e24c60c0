"""`antifraud init`: an example project that passes `check` and builds as it is."""
from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from .errors import AntifraudError, Location, Problem
from .paths import display

# (file in the project, resource in antifraud_cli/scaffold_files)
FILES = (
    ("antifraud.yaml", "antifraud.yaml"),
    ("cases/fake-subsidy.yaml", "fake-subsidy.yaml"),
    ("cases/fake-police.yaml", "fake-police.yaml"),
    (".github/workflows/antifraud.yml", "workflow.yml"),
    (".gitignore", "gitignore"),
)


def write_scaffold(directory: Path, force: bool = False) -> list[str]:
    directory = Path(directory)
    if directory.exists() and any(directory.iterdir()) and not force:
        raise AntifraudError(Problem(Location(display(directory)), "folder is not empty",
                                     "choose a new folder, or add --force to write the example files into it"))
    written = []
    source = files("antifraud_cli") / "scaffold_files"
    for target, resource in FILES:
        path = directory / target
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text((source / resource).read_text(encoding="utf-8"), encoding="utf-8")
        written.append(display(path))
    return written
