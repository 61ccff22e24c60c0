"""Where the built-in library lives: inside the wheel, or at the top of a source checkout."""
from __future__ import annotations

import errno
import os
from functools import lru_cache
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


BUILTIN_KINDS = ("cases", "audiences", "products", "templates")


@lru_cache(maxsize=8)
def builtin_dir(name: str) -> Path:
    """`cases`, `audiences`, `products` or `templates` of the built-in library."""
    installed = _PACKAGE / "builtin" / name
    if installed.is_dir():
        return installed
    return _PACKAGE.parent / name  # source checkout or editable install


def display(path: Path, root: Path | None = None) -> str:
    """A path as the user should see it in messages: a built-in file as `(built-in) cases/x.yaml`
    (not a path inside site-packages), else relative to the current folder when inside it,
    else relative to the project folder `root`, else as it is."""
    try:
        resolved = _real(os.path.abspath(path))
        for kind in BUILTIN_KINDS:
            base = _real(str(builtin_dir(kind)))
            if resolved.is_relative_to(base):
                rel = resolved.relative_to(base).as_posix()
                return f"(built-in) {kind}/" + ("" if rel == "." else rel)
        for folder in (os.getcwd(), root):
            if folder is not None:
                real_base = _real(os.path.abspath(folder))
                if resolved.is_relative_to(real_base):
                    return os.path.relpath(resolved, real_base)
    except (OSError, ValueError, RuntimeError):  # RuntimeError: a symlink loop
        pass
    return str(path)


@lru_cache(maxsize=512)
def _real(absolute: str) -> Path:
    # Every located message and every loaded file goes through display(): resolving costs one
    # stat per path component, hundreds per build on a slow disk, so each path is resolved once.
    return Path(absolute).resolve()


def yaml_files(folder: Path) -> tuple[list[Path], list[tuple[Path, str]]]:
    """The `*.yaml`/`*.yml` files of a folder, sorted, and the entries that look like one but cannot be
    read: a symlink to nothing or a symlink loop is reported, not silently skipped (sub-folders are)."""
    files, broken = [], []
    for p in sorted(folder.iterdir()):
        if p.suffix not in (".yaml", ".yml"):
            continue
        try:
            os.stat(p)
        except OSError as e:
            if p.is_symlink():
                why = "it is a symbolic link loop" if e.errno == errno.ELOOP else \
                    f"it is a symbolic link to {os.readlink(p)}, which does not exist"
            else:
                why = e.strerror or str(e)
            broken.append((p, why))
            continue
        if p.is_file():
            files.append(p)
    return files, broken
