"""`antifraud init`: an example project that passes `check` and builds as it is."""
from __future__ import annotations

import json
import os
from importlib.resources import files
from pathlib import Path

from .errors import AntifraudError, Location, Problem
from .paths import display

# (file in the project, resource in antifraud_cli/scaffold_files)
FILES = (
    ("antifraud.yaml", "antifraud.yaml"),
    ("officers.csv", "officers.csv"),
    ("cases/fake-subsidy.yaml", "fake-subsidy.yaml"),
    ("cases/fake-police.yaml", "fake-police.yaml"),
    (".github/workflows/antifraud.yml", "workflow.yml"),
    (".gitignore", "gitignore"),
)
SOURCE_PLACEHOLDER = "@ANTIFRAUD_SOURCE@"


def write_scaffold(directory: Path, force: bool = False) -> list[str]:
    """Write the example files; return what was written, as lines to show.

    A file that already exists with other content is replaced only with `force`, and then kept as NAME.bak
    (NAME.bak-2, ... if that exists too): an edited antifraud.yaml is never lost."""
    directory = Path(directory)
    shown = display(directory)
    if directory.exists() and not directory.is_dir():
        raise AntifraudError(Problem(Location(shown), "is a file, not a folder", "choose a new folder name"))
    planned = [(directory / target, _content(resource)) for target, resource in FILES]
    replaced = [path for path, data in planned if path.is_file() and path.read_bytes() != data]
    if directory.is_dir() and any(directory.iterdir()) and not force:
        hint = "choose a new folder, or add --force to write the example files into it"
        if replaced:
            hint += "; --force would replace " + ", ".join(display(p) for p in replaced) + \
                    " (keeping each old file as NAME.bak)"
        raise AntifraudError(Problem(Location(shown), "folder is not empty", hint))
    written: list[str] = []
    undo: list[tuple[Path, Path | None]] = []  # (file written, its backup): a failed init leaves things as they were
    for path, data in planned:
        try:
            if path.is_file() and path.read_bytes() == data:
                continue  # already the example: nothing to write, nothing to report
            for folder in reversed(path.parents):
                if not folder.exists():
                    folder.mkdir()
                    undo.append((folder, None))
            note, backup = "", None
            if path in replaced:
                backup = _backup_name(path)
                os.replace(path, backup)
                note = f" (replaced; your old file is {display(backup)})"
            undo.append((path, backup))
            tmp = path.with_name(path.name + ".tmp")
            tmp.write_bytes(data)
            os.replace(tmp, path)
        except OSError as e:
            _undo(undo)
            raise AntifraudError(Problem(Location(display(path)), f"cannot write: {e.strerror or e}",
                                         "choose a folder you can write to")) from None
        written.append(display(path) + note)
    return written


def _undo(undo: list[tuple[Path, Path | None]]) -> None:
    for path, backup in reversed(undo):
        try:
            if path.is_dir():
                path.rmdir()
            elif backup is not None:
                os.replace(backup, path)
            else:
                path.unlink(missing_ok=True)
            path.with_name(path.name + ".tmp").unlink(missing_ok=True)
        except OSError:
            pass


def _content(resource: str) -> bytes:
    data = (files("antifraud_cli") / "scaffold_files" / resource).read_bytes()
    if resource == "workflow.yml":
        data = data.replace(SOURCE_PLACEHOLDER.encode(), pinned_source().encode())
    return data


def _backup_name(path: Path) -> Path:
    backup = path.with_name(path.name + ".bak")
    n = 2
    while backup.exists():
        backup = path.with_name(f"{path.name}.bak-{n}")
        n += 1
    return backup


def pinned_source() -> str:
    """The git URL and commit this copy of the tool was installed from (pip records it), for the CI workflow
    to install exactly the same; empty when it came from elsewhere (the workflow then asks for one)."""
    from importlib import metadata

    try:
        info = json.loads(metadata.distribution("antifraud").read_text("direct_url.json") or "{}")
    except (metadata.PackageNotFoundError, ValueError):
        return ""
    vcs, url = info.get("vcs_info") or {}, info.get("url", "")
    if vcs.get("vcs") == "git" and vcs.get("commit_id") and url.startswith(("https://", "ssh://")):
        return f"git+{url}@{vcs['commit_id']}"
    return ""
