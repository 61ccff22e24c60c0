"""Where the built-in library lives: inside the wheel, or at the top of a source checkout."""
from __future__ import annotations

import os
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def builtin_dir(name: str) -> Path:
    """`cases`, `audiences` or `templates` of the built-in library."""
    installed = _PACKAGE / "builtin" / name
    if installed.is_dir():
        return installed
    return _PACKAGE.parent / name  # source checkout or editable install


def display(path: Path, root: Path | None = None) -> str:
    """A path as the user should see it in messages: relative to the current folder when inside it,
    else relative to the project folder `root`, else as it is."""
    path = Path(path)
    try:
        resolved = path.resolve()
        for base in (Path.cwd(), root):
            if base is not None and resolved.is_relative_to(Path(base).resolve()):
                return os.path.relpath(resolved, Path(base).resolve())
    except (OSError, ValueError):
        pass
    return str(path)
