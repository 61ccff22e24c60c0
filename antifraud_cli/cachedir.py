"""The cache folder: where it is, the temporary folder prepared fonts go to when it cannot be written, atomic
writes, and the leftovers of killed writers. Used by the fonts (fonts.py, filehash.py) and by the compiled
templates (compose.py)."""

from __future__ import annotations

import logging
import os
import stat
import tempfile
import threading
from pathlib import Path

log = logging.getLogger(__name__)

_lock = threading.RLock()

# Set once the configured cache folder turned out unusable (a file, read-only, full): the rest of the
# process prepares fonts in a private temporary folder instead of failing the build.
_fallback_dir: Path | None = None


class CacheWriteError(Exception):
    """Neither the cache folder nor the fallback folder could take a file."""


def cache_root(cache_dir: Path | None = None) -> Path:
    """`cache_dir` when given, else $ANTIFRAUD_CACHE_DIR, else $XDG_CACHE_HOME/antifraud, else ~/.cache/antifraud."""
    if cache_dir is not None:
        return Path(cache_dir)
    env = os.environ.get("ANTIFRAUD_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg:
        return Path(xdg).expanduser() / "antifraud"
    return Path.home() / ".cache" / "antifraud"


def fallback_dir() -> Path | None:
    """The folder this process writes prepared fonts to instead of the cache, once the cache failed; else None."""
    return _fallback_dir


def set_fallback_dir(folder: Path | None) -> None:
    """Adopt the fallback folder another process chose (build.py prepares fonts in a child)."""
    global _fallback_dir
    with _lock:
        _fallback_dir = folder


def use_fallback(failed: Path, error: OSError) -> Path:
    """The fallback folder, chosen (and said once) the first time the cache folder of `failed` fails."""
    global _fallback_dir
    with _lock:
        if _fallback_dir is None:
            _fallback_dir = _private_temp_dir()
            log.warning("warning: font cache %s cannot be written (%s); using %s for this build",
                        failed.parent, error.strerror or error, _fallback_dir)
        return _fallback_dir


def shared_temp_dir() -> Path:
    """The per-user fallback folder under the system temp folder, shared by this user's builds."""
    return Path(tempfile.gettempdir()) / f"antifraud-fonts-{os.getuid() if hasattr(os, 'getuid') else 0}"


def ours(folder: Path) -> bool:
    """A real folder (not a symlink) owned by this user: safe to read prepared fonts from."""
    try:
        st = os.lstat(folder)
    except OSError:
        return False
    return stat.S_ISDIR(st.st_mode) and st.st_uid == (os.getuid() if hasattr(os, "getuid") else st.st_uid)


def unwritable(folder: Path) -> OSError | None:
    """Why a file cannot be created in `folder` (None when it can): tried, since modes lie to root."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=folder, prefix=".probe-")
        os.close(fd)
        os.unlink(probe)
        return None
    except OSError as e:
        return e


def _private_temp_dir() -> Path:
    """A per-user folder under the system temp folder, reused by later builds; a fresh one when that
    name is taken by something we do not own (another user's folder, a symlink)."""
    base = shared_temp_dir()
    try:
        base.mkdir(mode=0o700, exist_ok=True)
        if ours(base):
            probe = base / f".probe-{os.getpid()}"
            probe.write_bytes(b"")
            probe.unlink()
            return base
    except (OSError, AttributeError):
        pass
    return Path(tempfile.mkdtemp(prefix="antifraud-fonts-"))


def write_files(target: Path, files: list[tuple[str, bytes]]) -> Path:
    """Write `target` + each suffix with its data (a font and its record), atomically each; to the fallback
    folder when the cache folder cannot take them. Returns where `target` now is."""
    def write_all(path: Path) -> None:
        for suffix, data in files:
            atomic_write(path.with_name(path.name + suffix), data)

    try:
        write_all(target)
        return target
    except OSError as e:
        if _fallback_dir is not None and target.parent == _fallback_dir:
            raise CacheWriteError(f"cannot write the font cache in {target.parent} ({e.strerror or e})") from None
        moved = use_fallback(target, e) / target.name
    try:
        write_all(moved)
    except OSError as e:
        raise CacheWriteError(f"cannot write the font cache in {moved.parent} ({e.strerror or e})") from None
    return moved


def atomic_write(target: Path, data: bytes) -> None:
    """Write `target` through a temporary file and a rename: no reader ever sees half of it."""
    target.parent.mkdir(parents=True, exist_ok=True)
    # the writer's pid in the name: a later run can tell a killed writer's leftover from a live one's file
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.{os.getpid()}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        # No fsync: this is a cache (a lost file is rebuilt) and fsync costs ~0.5 s on slow disks.
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def clean_leftovers(folder: Path) -> list[Path]:
    """Remove temporary files that a killed process left in the cache folder (its pid no longer runs)."""
    removed: list[Path] = []
    try:
        names = [p for p in folder.iterdir() if p.name.startswith(".") and p.name.endswith(".tmp")]
    except OSError:
        return removed
    for path in names:
        parts = path.name.split(".")
        pid = next((int(x) for x in reversed(parts[:-2]) if x.isdigit()), None)
        if pid is not None and pid != os.getpid() and _running(pid):
            continue
        try:
            path.unlink()
            removed.append(path)
        except OSError:
            pass
    return removed


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # it exists but is someone else's
        return True
    return True
