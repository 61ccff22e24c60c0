"""sha256 of a file's contents, remembered by (path, size, mtime): in the process, and for big files (fonts,
photos) also in the cache folder, so that a no-op build does not read a 17 MB font again."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import stat
import threading
from pathlib import Path

from . import cachedir

BIG = 1 << 20  # files from this size on are remembered across runs

_lock = threading.RLock()
_memory: dict[tuple[str, int, int], str] = {}
_disk: dict[str, str] | None = None


def file_hash(path: Path, data: bytes | None = None) -> str:
    """sha256 hex of the file at `path` (`data`: its contents, when already read). Raises OSError."""
    path = Path(path)
    st = path.stat()
    if not stat.S_ISREG(st.st_mode):
        raise OSError(errno.EINVAL, "not a regular file", str(path))
    key = (str(path.resolve()), st.st_size, st.st_mtime_ns)
    with _lock:
        h = _memory.get(key) or _disk_hashes().get("|".join(map(str, key)))
    if h is not None:
        return h
    if data is not None and len(data) == st.st_size:
        h = hashlib.sha256(data).hexdigest()
    else:
        hasher = hashlib.sha256()
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                hasher.update(chunk)
        h = hasher.hexdigest()
    with _lock:
        _memory[key] = h
    if st.st_size > BIG:
        _remember_on_disk("|".join(map(str, key)), h)
    return h


def remember(path: Path, st: os.stat_result, digest: str) -> None:
    """Record a hash computed elsewhere (a prepared font checked against its record), for this process."""
    with _lock:
        _memory[(str(Path(path).resolve()), st.st_size, st.st_mtime_ns)] = digest


def _hashes_file() -> Path:
    return cachedir.cache_root(None) / "fonts" / "file-hashes.json"


def _disk_hashes() -> dict[str, str]:
    global _disk
    if _disk is None:
        try:
            found = json.loads(_hashes_file().read_text(encoding="utf-8"))
        except (OSError, ValueError):
            found = None
        _disk = found if isinstance(found, dict) else {}
    return _disk


def _remember_on_disk(key: str, value: str) -> None:
    hashes = dict(_disk_hashes())
    hashes[key] = value
    try:
        _hashes_file().parent.mkdir(parents=True, exist_ok=True)
        cachedir.atomic_write(_hashes_file(), json.dumps(hashes, sort_keys=True).encode())
        _disk_hashes().update(hashes)
    except OSError:  # a read-only cache only costs speed
        pass
