"""The no-op build without loading the project.

After each build, OUT/.antifraud/last-build.json records a key: a hash of the command's selection, the build
day, the tool's code and every file the build read (data, templates, fonts, photos, rosters) with the
listing of every folder they came from. When the next `build` has the same key and every output it made is
still the file that was written (size, times and inode as the stat index recorded them), nothing can have
changed: it says so without importing YAML, pydantic, Jinja or the renderer. Anything else (a new file, an
edited one, a touched output, another selection) takes the full path, which decides exactly what is stale.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from . import selfhash

RECORD = "last-build.json"


def inputs_digest(day: str, files: list[str], folders: list[str]) -> str | None:
    """A hash of everything a build reads: the day, the tool's code and every file with the listing of every
    folder they came from; None when a file is gone. Each manifest entry keeps it too (`inputs`): when it has
    not changed, an output's composed document cannot have changed either."""
    from .filehash import file_hash  # big files' hashes are remembered by size and mtime

    import stat

    from .write import read_regular

    h = hashlib.sha256(f"{day}\0{selfhash.tool_digest()}\0".encode())
    for name in files:
        path = Path(name)
        try:
            st = path.stat()
            if not stat.S_ISREG(st.st_mode):  # became a FIFO or a device since: never read one (it may not end)
                return None
            digest = (file_hash(path) if st.st_size > 1 << 20 else
                      hashlib.sha256(read_regular(path, follow=True)).hexdigest())
        except OSError:
            return None
        h.update(f"{name}\0{digest}\0".encode())
    for name in folders:  # a file added to cases/ or templates/ changes the listing
        try:
            listing = sorted(os.listdir(name))
        except OSError:
            listing = ["(none)"]
        h.update(f"{name}\0{chr(0).join(listing)}\0".encode())
    return h.hexdigest()


def build_key(selection: dict, inputs: str) -> str:
    """The key of a build: what it was asked for, on which inputs."""
    return hashlib.sha256(json.dumps({"selection": selection, "inputs": inputs}, sort_keys=True,
                                     ensure_ascii=False).encode()).hexdigest()


def record(out: Path, selection: dict, inputs: str, files: list[str], folders: list[str], outputs: list[str]) -> None:
    """Remember what this build read and made (best effort: without it the next build takes the full path)."""
    from .write import _DIR, _NOFOLLOW, STATE, _replace_at

    try:  # the state folder is opened without following a link: the record is never written elsewhere
        state = os.open(out / STATE, _DIR | _NOFOLLOW)
    except OSError:
        return
    try:
        if not inputs:
            os.unlink(RECORD, dir_fd=state)
            return
        _replace_at(state, RECORD, json.dumps({"key": build_key(selection, inputs), "files": files,
                                               "folders": folders, "outputs": sorted(outputs)}, ensure_ascii=False))
    except OSError:
        pass
    finally:
        os.close(state)


def up_to_date(out: Path, selection: dict, day: str) -> int | None:
    """How many outputs the last build made, when this same build would change nothing; else None."""
    from .write import MANIFEST, STATE, load_index, read_regular, stamp

    if not os.path.isdir(out / STATE) or os.path.islink(out / STATE):
        return None  # no build here, or a state folder the full path refuses (a link: another folder's record)
    try:
        last = json.loads(read_regular(out / STATE / RECORD).decode("utf-8"))  # no FIFO, device or link (N150)
        entries = {e["path"]: e for e in json.loads(read_regular(out / MANIFEST).decode("utf-8"))["outputs"]}
        files, folders, outputs = list(last["files"]), list(last["folders"]), list(last["outputs"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    inputs = inputs_digest(day, files, folders)
    if inputs is None or build_key(selection, inputs) != last.get("key"):
        return None
    index = load_index(out)
    folder = os.fspath(out)  # joined as text: a county's 28,000 pathlib joins cost a tenth of a second
    for path in outputs:
        entry = entries.get(path)
        try:
            st = os.stat(os.path.join(folder, path))
        except (OSError, ValueError):
            return None
        if entry is None or index.get(path) != stamp(st, entry.get("sha256")):
            return None
    return len(outputs)


def input_files(files, folders) -> tuple[list[str], list[str]]:
    """The files and folders a build read, as the digest names them: resolved, sorted, once each."""
    return sorted({str(Path(f).resolve()) for f in files}), sorted({str(Path(f).resolve()) for f in folders})


def selection(root: Path, out: Path, audiences, products, units, shard) -> dict:
    """What a build command asks for, as the key sees it (the order of -a/-p/-u does not matter)."""
    return {"project": str(Path(root).resolve()), "out": str(Path(out).resolve()), "audiences": sorted(audiences),
            "products": sorted(products), "units": sorted(units), "shard": list(shard) if shard else None}
