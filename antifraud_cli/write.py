"""Write stage. Under a lock on OUT, each output is written to a staging folder inside OUT as soon as it is
rendered (memory stays flat); when every job succeeded they are moved into place together, pruned outputs are
moved out, and the manifest is written last. Any failure undoes the moves: a failed, interrupted or killed
build leaves OUT as it was (a killed build's staging folder is removed by the next build).

OUT is opened once, and every write, move and removal goes through open folders (`dir_fd`), each step down
taken without following a symbolic link: a link swapped in during the build cannot send a file elsewhere
(N159). Pruning removes only files this tool's own record says it wrote (`.antifraud/written.json`, keyed
with a random key kept beside it), never a path merely because a manifest lists it with the right hash (N160).

    with OutputWriter(out) as w:          # lock, clean leftovers, load the manifest (w.manifest)
        w.put(job, data)                  # as each job finishes
        removed = w.commit(remove, clock) # all or nothing
"""
from __future__ import annotations

import errno
import hashlib
import hmac
import json
import os
import re
import secrets
import shutil
import stat
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import __version__, lifetime
from .errors import AntifraudError, Location, Problem
from .paths import display

try:
    import fcntl
except ImportError:  # not POSIX: builds are not locked against each other
    fcntl = None  # type: ignore[assignment]

MANIFEST = "manifest.json"
STATE = ".antifraud"  # inside OUT: the lock, staging folders and the stat index
LOCK = "lock"
INDEX = "index.json"
KEY = "key"  # random bytes keying WRITTEN: a record made by hand (or copied from elsewhere) does not match it
WRITTEN = "written.json"  # path -> HMAC(key, path and sha256) of every output this tool wrote and has not pruned
LOCK_WAIT = 600.0  # seconds a build waits for another one writing the same OUT (ANTIFRAUD_LOCK_WAIT overrides)
# A file whose mtime is this close to the moment it was stat'ed could still change within the same timestamp
# tick without a visible change: it is hashed on the next build instead of trusted (git's "racily clean").
RACY_NS = 2_000_000_000
_SHA = re.compile(r"[0-9a-f]{64}")
_OLD_TMP = re.compile(r"\..+\.(pdf|json)\.[a-z0-9_]{8}\.tmp")  # what mkstemp beside outputs left (before staging)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_DIR = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0)


def read_regular(path, dir_fd: int | None = None, follow: bool = False) -> bytes:
    """A regular file's bytes. A FIFO, a device (/dev/zero) or, unless `follow`, a symbolic link is an OSError,
    found before anything is read (opened without blocking, checked on the open file): state files and the
    manifest are input anyone can replace (N150)."""
    flags = os.O_RDONLY | _NONBLOCK | (0 if follow else _NOFOLLOW)
    fd = os.open(path, flags, dir_fd=dir_fd)
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "it is not a regular file")
        return fh.read()


def _write_error(e: OSError, path: Path) -> AntifraudError:
    if e.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        hint = "free some space on that disk (or raise its size limit), or build into another folder with -o"
    elif e.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        hint = "make the output folder writable, or build into another folder with -o"
    elif e.errno in (errno.ENOTDIR, errno.EEXIST, errno.EISDIR, errno.ELOOP):
        hint = "something else is in the way of this path: build into another folder with -o"
        if e.errno == errno.ELOOP:
            return AntifraudError(Problem(Location(display(path)), "cannot write: a symbolic link is on its way; "
                                          "antifraud never writes through one", hint))
    else:
        hint = None
    return AntifraudError(Problem(Location(display(path)), f"cannot write: {e.strerror or e}", hint))


def atomic_write(path: Path, data: bytes) -> None:
    """Write beside `path` and rename: readers never see half a file (mode from the umask, not 0600)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _sha256_file(path, dir_fd: int | None = None) -> str | None:
    flags = os.O_RDONLY if dir_fd is None else os.O_RDONLY | os.O_NOFOLLOW  # pruning never follows a link
    try:
        fd = os.open(path, flags, dir_fd=dir_fd)
    except OSError:
        return None
    h = hashlib.sha256()
    with os.fdopen(fd, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def descend(fd: int, parts) -> int:
    """The folder `parts` below the open folder `fd`, each step opened without following a symbolic link, as a
    new descriptor (`fd` itself stays open and is the caller's to close). An OSError names the part it stopped
    at (`filename`); whatever it opened on the way is closed."""
    current = fd
    try:
        for part in parts:
            sub = os.open(part, os.O_RDONLY | os.O_DIRECTORY | _NOFOLLOW, dir_fd=current)
            if current != fd:
                os.close(current)
            current = sub
    except OSError:
        if current != fd:
            os.close(current)
        raise
    return current if current != fd else os.dup(fd)


def _safe_path(path) -> bool:
    """A manifest path this tool could have written: relative, inside OUT, no hidden or special part."""
    if not isinstance(path, str) or not path.isprintable() or "\\" in path or path == MANIFEST:
        return False
    return all(part and part not in (".", "..") and not part.startswith(".") for part in path.split("/"))


def _link_error(path: Path, what: str) -> AntifraudError:
    """A state file or folder of OUT that is a symbolic link or something else in the way: never followed."""
    return AntifraudError(Problem(
        Location(display(path)), f"is {what}; antifraud never writes through one",
        "remove it (antifraud makes a new one), or build into another folder with -o"))


def check_state_folder(out: Path) -> bool:
    """Whether OUT/.antifraud exists; an AntifraudError when it is a symbolic link or not a folder (a link would
    make the lock, the index and the sweep of leftovers act on another folder)."""
    path = Path(out) / STATE
    try:
        st = os.lstat(path)
    except OSError:
        return False  # no state folder yet, or OUT itself missing or in the way: the caller's own error says so
    if stat.S_ISLNK(st.st_mode):
        raise _link_error(path, "a symbolic link")
    if not stat.S_ISDIR(st.st_mode):
        raise _link_error(path, "not a folder")
    return True


def _entries(data) -> dict[str, dict]:
    """The manifest's entries by path; ValueError saying what is wrong with it."""
    if not isinstance(data, dict) or not isinstance(data.get("outputs", []), list):
        raise ValueError("it is not an object with a list of outputs")
    entries: dict[str, dict] = {}
    for i, e in enumerate(data.get("outputs", [])):
        where = f"output {i + 1}"
        if not isinstance(e, dict):
            raise ValueError(f"{where} is not an object")
        if not _safe_path(e.get("path")):
            raise ValueError(f"{where} has the path {e.get('path')!r}, not one inside the output folder")
        if e["path"] in entries:
            raise ValueError(f"{where} repeats the path {e['path']!r}")
        if not (isinstance(e.get("sha256"), str) and _SHA.fullmatch(e["sha256"])):
            raise ValueError(f"{where} has no valid sha256")
        if not isinstance(e.get("fingerprint"), str):
            raise ValueError(f"{where} has no valid fingerprint")
        for key in ("unit", "audience", "product", "size"):
            if not (e.get(key) is None or isinstance(e.get(key), str)):
                raise ValueError(f"{where} has a {key} that is not text")
        if "bytes" in e and not (type(e["bytes"]) is int and e["bytes"] >= 0):
            raise ValueError(f"{where} has a byte count that is not a number")
        if not (isinstance(e.get("cases", []), list) and all(isinstance(c, str) for c in e.get("cases", []))):
            raise ValueError(f"{where} has cases that are not a list of ids")
        entries[e["path"]] = e
    return entries


def stamp(st: os.stat_result, sha: str) -> tuple:
    """What the stat index keeps of an output last seen unchanged: size, mtime, ctime, inode, and its sha256."""
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, sha)


@dataclass
class Manifest:
    entries: dict[str, dict] = field(default_factory=dict)  # output path (relative to OUT) -> entry
    # Not in manifest.json (which stays byte-identical across machines): path -> (size, mtime_ns, ctime_ns,
    # inode, sha256) of outputs last seen unchanged, as git's index does, so a no-op build hashes nothing.
    index: dict[str, tuple] = field(default_factory=dict)
    index_dirty: bool = False
    entries_dirty: bool = False  # an entry changed without an output being written (its inputs digest)
    untrusted: str | None = None  # why manifest.json was not used (it exists, but cannot be trusted)

    @classmethod
    def load(cls, out: Path) -> "Manifest":
        manifest = cls()
        path = Path(out) / MANIFEST
        try:  # a FIFO or /dev/zero in its place is not read (N150), a link not followed
            manifest.entries = _entries(json.loads(read_regular(path).decode("utf-8")))
        except FileNotFoundError:
            return manifest
        except OSError as e:
            manifest.untrusted = e.strerror or str(e)
        except ValueError as e:  # also bad JSON and bad UTF-8
            manifest.untrusted = str(e)
        if manifest.untrusted is None:
            manifest.index = load_index(Path(out))
        return manifest

    def is_fresh(self, out: Path, job) -> bool:
        entry = self.entries.get(job.path)
        if not entry or entry.get("fingerprint") != job.fingerprint:
            return False
        path = Path(out) / job.path
        try:
            st = os.stat(path)
        except (OSError, ValueError):
            return False
        if not stat.S_ISREG(st.st_mode):
            return False
        if self.index.get(job.path) == stamp(st, entry["sha256"]):
            return True  # unchanged since it was last hashed
        if _sha256_file(path) != entry["sha256"]:
            return False
        if st.st_mtime_ns + RACY_NS <= time.time_ns():
            self.index[job.path] = stamp(st, entry["sha256"])
            self.index_dirty = True
        return True

    def record(self, job, sha256: str, nbytes: int) -> None:
        self.entries[job.path] = {"path": job.path, "sha256": sha256,
                                  "fingerprint": job.fingerprint, "audience": job.audience,
                                  "product": job.product, "unit": job.unit, "cases": list(job.cases),
                                  "size": job.size, "inputs": job.inputs, "bytes": nbytes}

    def orphans(self, existing: set[str]) -> list[str]:
        """Recorded outputs the project can no longer build: a removed village, audience, officer or product."""
        return sorted(path for path in self.entries if path not in existing)

    def dumps(self, clock=None) -> str:
        """The manifest's text: its head indented, then one line per output. Indenting every field of 28,000
        outputs went through json's pure-Python encoder, millions of pieces: +80 MB at the end of a county's build."""
        head: dict[str, object] = {"tool": f"antifraud {__version__}"}
        if clock is not None:  # the day this build was for, and where that day came from
            head["date"] = {"day": clock.day.isoformat(), "epoch": clock.epoch, "from": clock.source}
        outputs = ",\n  ".join(json.dumps(self.entries[k], ensure_ascii=False) for k in sorted(self.entries))
        return json.dumps(head, ensure_ascii=False, indent=1)[:-2] + f',\n "outputs": [\n  {outputs}\n ]\n}}'


def load_index(out: Path) -> dict[str, tuple]:
    """The stat index of OUT (output path -> its `stamp`); empty when missing or damaged."""
    try:
        files = json.loads(read_regular(out / STATE / INDEX).decode("utf-8"))["files"]
        return {p: tuple(v) for p, v in files.items()
                if isinstance(v, list) and len(v) == 5 and all(type(x) is int for x in v[:4])
                and isinstance(v[4], str)}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}  # only a cache: without it every output is hashed once


def _lock_wait() -> float:
    try:
        return max(0.0, float(os.environ.get("ANTIFRAUD_LOCK_WAIT", LOCK_WAIT)))
    except ValueError:
        return LOCK_WAIT


class OutputWriter:
    """See the module docstring. With check=True it only reads (shared lock, if a build ever ran here)."""

    def __init__(self, out: Path, check: bool = False):
        self.out = Path(out)
        self.check = check
        self.manifest = Manifest()
        self.warnings: list[str] = []  # "path: message" lines for the report
        self._lock_fd: int | None = None
        self._out_fd: int | None = None  # OUT, opened once: every write goes through it (N159)
        self._state_fd: int | None = None  # OUT/.antifraud, opened without following a link
        self._staging: Path | None = None  # for messages; the folder itself is reached through _staging_fd
        self._staging_fd: int | None = None
        self._new_fd: int | None = None  # staging/new: the rendered outputs, flat
        self._staged: dict[str, tuple] = {}  # path -> (job, sha256, bytes)
        self._staged_files: dict[str, str] = {}  # path -> its file's name in staging/new
        self._created: list[Path] = []  # folders this build made (OUT and its missing parents), for a failure
        self._committed = False
        self._key = b""
        self._written: set[str] = set()  # keyed records of the outputs this tool wrote (see `_mac`)

    # -------------------------------------------------------------- open / close

    def __enter__(self) -> "OutputWriter":
        try:
            self._lock()
            if not self.check:
                self._open_folders()
            self.manifest = Manifest.load(self.out)
            if not self.check:
                self._clean_leftovers()
                self._load_written()
        except BaseException:
            self._close_folders()
            self._forget_first_build()
            self._unlock()
            raise
        if self.manifest.untrusted:
            shown = display(self.out / MANIFEST)
            self.warnings.append(
                f"{shown}: cannot be trusted ({self.manifest.untrusted}); every output counts as out of date"
                + ("" if self.check else " and the file is set aside"))
        return self

    def __exit__(self, *exc) -> None:
        self._discard()
        self._close_folders()
        self._forget_first_build()
        self._unlock()

    def _forget_first_build(self) -> None:
        """A failed first build leaves no empty output folder behind (nor its lock: a waiting build notices)."""
        if self._committed or not self._created:
            return
        try:
            out = os.open(self.out, _DIR)
            try:  # the lock, the key: all this build made (still locked: a waiting build notices)
                _rmtree_at(STATE, out)
            finally:
                os.close(out)
            for folder in reversed(self._created):
                folder.rmdir()
        except OSError:
            pass

    def _open_folders(self) -> None:
        """OUT, resolved once (it may itself be a link the user chose), and its state folder, never a link."""
        try:
            self._out_fd = os.open(self.out, _DIR)
        except OSError as e:
            raise _write_error(e, self.out) from None
        try:
            self._state_fd = os.open(STATE, _DIR | _NOFOLLOW, dir_fd=self._out_fd)
            if self._lock_fd is not None and \
                    os.stat(LOCK, dir_fd=self._state_fd, follow_symlinks=False).st_ino != os.fstat(self._lock_fd).st_ino:
                raise OSError(errno.ELOOP, "replaced while the build started")
        except OSError:
            raise _link_error(self.out / STATE, "a symbolic link or was replaced") from None

    def _close_folders(self, names=("_new_fd", "_staging_fd", "_state_fd", "_out_fd")) -> None:
        for name in names:
            fd = getattr(self, name)
            if fd is not None:
                os.close(fd)
                setattr(self, name, None)

    def _make_state(self) -> None:
        missing = [f for f in [self.out, *self.out.parents] if not os.path.lexists(f)]
        try:
            (self.out / STATE).mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise _write_error(e, self.out) from None
        self._created = self._created or missing[::-1]
        check_state_folder(self.out)  # a link made since the check before locking

    def _lock(self) -> None:
        check_state_folder(self.out)
        if fcntl is None:
            if not self.check:
                self._make_state()
            return
        path = self.out / STATE / LOCK
        while True:
            fd = self._lock_once(path)
            if fd is None:
                return
            try:  # the build we waited for may have failed and removed the lock file: lock the new one
                if os.fstat(fd).st_ino == os.stat(path).st_ino:
                    break
            except OSError:
                pass
            os.close(fd)
        self._lock_fd = fd

    def _lock_once(self, path: Path) -> int | None:
        if not self.check:
            self._make_state()
        try:  # never through a symbolic link (O_CREAT with O_NOFOLLOW creates nothing at a link's target)
            fd = (os.open(path, os.O_RDONLY | _NOFOLLOW) if self.check else
                  os.open(path, os.O_RDWR | os.O_CREAT | _NOFOLLOW, 0o666))
        except OSError as e:
            if e.errno == errno.ELOOP or os.path.islink(path):
                raise _link_error(path, "a symbolic link") from None
            if self.check:
                return None  # no build ever wrote here (or it cannot be read): a check needs no lock
            raise _write_error(e, path) from None
        try:
            regular = stat.S_ISREG(os.fstat(fd).st_mode)
        except OSError:
            regular = False
        if not regular:
            os.close(fd)
            raise _link_error(path, "not a regular file")
        mode = fcntl.LOCK_SH if self.check else fcntl.LOCK_EX
        wait = _lock_wait()
        deadline = time.monotonic() + wait
        told = False
        try:
            while True:
                try:
                    fcntl.flock(fd, mode | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    holder = _read_pid(path)
                    if time.monotonic() >= deadline:
                        raise AntifraudError(Problem(
                            Location(display(self.out)),
                            f"another antifraud build{holder} is writing this output folder; "
                            f"gave up after waiting {wait:g} s",
                            "let it finish, or build into another folder with -o")) from None
                    if not told:
                        print(f"antifraud: waiting for the build{holder} writing {display(self.out)} to finish",
                              file=sys.stderr)
                        told = True
                    time.sleep(0.1)
            if not self.check:  # say who holds it, for the message another build prints
                try:
                    os.ftruncate(fd, 0)
                    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
                except OSError as e:  # a disk already full when the build starts (N142)
                    raise _write_error(e, path) from None
        except BaseException:
            os.close(fd)
            raise
        return fd

    def _unlock(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # closing releases the flock
            self._lock_fd = None

    def _clean_leftovers(self) -> None:
        """Staging folders and temp files of a build that was killed (we hold the lock: none is in use)."""
        state = self._state_fd
        assert state is not None
        fresh = not _exists(INDEX, state)
        for entry in os.scandir(state):
            if entry.name.startswith("staging-") and entry.is_dir(follow_symlinks=False):
                _rmtree_at(entry.name, state)
            elif entry.name.endswith(".tmp") and not entry.is_dir(follow_symlinks=False):
                try:
                    os.unlink(entry.name, dir_fd=state)
                except OSError:
                    pass
        if fresh:  # first build of this version here: temp files that older versions left beside outputs
            self._clean_old_temp_files()

    def _clean_old_temp_files(self) -> None:
        """Older versions wrote each output (and the manifest) to `.NAME.XXXXXXXX.tmp` beside it. Only such names
        beside a file the manifest records are removed, never a name anywhere that merely looks like one: with
        `-o .` OUT is the whole project, and other programs name their temp files the same way (N145). Folders
        are opened without following symbolic links, so nothing outside OUT is reached."""
        folders: dict[tuple[str, ...], set[str]] = {(): {MANIFEST}}
        for path in self.manifest.entries:  # _entries() accepted only relative paths with no hidden part
            parts = path.split("/")
            folders.setdefault(tuple(parts[:-1]), set()).add(parts[-1])
        old = re.compile(r"\.(.+)\.[a-z0-9_]{8}\.tmp")
        assert self._out_fd is not None
        for parents, names in folders.items():
            try:
                folder = descend(self._out_fd, parents)
                try:
                    for entry in os.scandir(folder):
                        m = old.fullmatch(entry.name)
                        if m and m[1] in names and _OLD_TMP.fullmatch(entry.name) \
                                and entry.is_file(follow_symlinks=False):
                            os.unlink(entry.name, dir_fd=folder)
                finally:
                    os.close(folder)
            except OSError:
                pass  # a folder gone, a link or not a folder on the way: nothing to sweep there

    def _discard(self) -> None:
        self._close_folders(("_new_fd", "_staging_fd"))
        if self._staging is not None and self._state_fd is not None:
            _rmtree_at(self._staging.name, self._state_fd)
        self._staging = None

    # -------------------------------------------------------------- the keyed record of what this tool wrote

    def _load_written(self) -> None:
        """The key (made on the first build here) and the records made with it. A record names a path and the
        sha256 of what was written there: a manifest entry, however well its hash matches, prunes a file only
        when its record is here (N160). A damaged key or record means: nothing is known to be ours."""
        state = self._state_fd
        try:
            self._key = read_regular(KEY, dir_fd=state)
        except OSError:  # missing, a link, a FIFO: a new key
            self._key = b""
        if len(self._key) != 32:
            self._key = secrets.token_bytes(32)
            try:
                os.unlink(KEY, dir_fd=state)
            except FileNotFoundError:
                pass
            except OSError as e:
                raise _write_error(e, self.out / STATE / KEY) from None
            try:
                fd = os.open(KEY, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o600, dir_fd=state)
                with os.fdopen(fd, "wb") as fh:
                    fh.write(self._key)
            except OSError as e:
                raise _write_error(e, self.out / STATE / KEY) from None
            return  # a new key: no record made with another one counts
        try:
            macs = json.loads(read_regular(WRITTEN, dir_fd=state).decode("utf-8"))["macs"]
            self._written = {m for m in macs if isinstance(m, str)}
        except (OSError, ValueError, KeyError, TypeError):
            self._written = set()

    def _mac(self, path: str, sha256: str) -> str:
        return hmac.new(self._key, f"{path}\0{sha256}".encode("utf-8"), hashlib.sha256).hexdigest()[:32]

    def wrote(self, path: str, sha256: str) -> bool:
        """Whether this tool wrote `path` with this content here (and has not pruned it since)."""
        return self._mac(path, sha256) in self._written

    def _save_written(self, macs: set[str]) -> None:
        _replace_at(self._state_fd, WRITTEN, json.dumps({"macs": sorted(macs)}, separators=(",", ":")))

    # -------------------------------------------------------------- writing

    def _make_staging(self) -> None:
        assert self._state_fd is not None
        name = f"staging-{secrets.token_hex(6)}"
        os.mkdir(name, 0o700, dir_fd=self._state_fd)
        self._staging = self.out / STATE / name
        self._staging_fd = os.open(name, _DIR | _NOFOLLOW, dir_fd=self._state_fd)
        os.mkdir("new", dir_fd=self._staging_fd)
        self._new_fd = os.open("new", _DIR | _NOFOLLOW, dir_fd=self._staging_fd)

    def put(self, job, data: bytes) -> None:
        """Stage one rendered output (nothing in OUT changes until commit)."""
        assert not self.check, "a --check build writes nothing"
        try:
            if self._staging_fd is None:
                self._make_staging()
            # staged flat, numbered: creating a folder costs about as much as writing a leaflet, and the
            # outputs' folders are made (or already exist) in OUT when they are moved into place
            name = self._staged_files.setdefault(job.path, f"{len(self._staged_files)}{Path(job.path).suffix}")
            fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | _NOFOLLOW, 0o666, dir_fd=self._new_fd)
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
        except OSError as e:
            raise _write_error(e, self.out / job.path) from None
        self._staged[job.path] = (job, hashlib.sha256(data).hexdigest(), len(data))

    def commit(self, remove=(), clock=None) -> list[str]:
        """Move the staged outputs into place, prune `remove` (only files this tool wrote, unchanged), write
        the manifest last. All or nothing. Returns the paths actually removed."""
        assert not self.check, "a --check build writes nothing"
        manifest = self.manifest
        for path, (job, sha, nbytes) in self._staged.items():
            manifest.record(job, sha, nbytes)
        removed: list[str] = []
        with lifetime.deferred():  # Ctrl-C/SIGTERM now would leave a half-moved folder: act on it after
            txn = None
            try:
                if self._staging_fd is None:
                    self._make_staging()
                new = {self._mac(path, sha) for path, (_, sha, _) in self._staged.items()}
                if new - self._written:  # recorded before they move in: a killed commit leaves them known
                    self._save_written(self._written | new)
                txn = _Moves(self.out, self._out_fd, self._staging_fd, self._new_fd)
                for path in sorted(self._staged):
                    txn.place(path, self._staged_files[path])
                forgotten = False
                for path in remove:
                    entry = manifest.entries.get(path)
                    kept = txn.take(path, entry["sha256"], self.wrote(path, entry["sha256"])) if entry else None
                    if kept is None:
                        removed.append(path)
                        manifest.entries.pop(path, None)
                        continue
                    reason, retry = kept
                    self.warnings.append(f"{display(self.out / path)}: kept, although it is no longer in the "
                                         f"project: {reason}")
                    if not retry:  # not ours as it is now: forget it, and never touch it again
                        manifest.entries.pop(path, None)
                        forgotten = True
                if self._staged or removed or forgotten or manifest.untrusted or manifest.entries_dirty:
                    if manifest.untrusted:
                        txn.set_aside()
                    txn.write_manifest(manifest.dumps(clock))
            except BaseException as e:
                if txn is not None:
                    txn.rollback()
                    try:  # what was recorded for the outputs that went back out
                        self._save_written(self._written)
                    except OSError:
                        pass
                if isinstance(e, OSError):
                    raise _write_error(e, self.out / MANIFEST) from None
                raise
            finally:
                if txn is not None:
                    txn.close()
        manifest.untrusted = None
        self._committed = True
        self._after_commit(removed, new)
        return removed

    def _after_commit(self, removed: list[str], new: set[str]) -> None:
        """Best effort: drop folders that pruning emptied, remember file stamps and what was written, remove
        staging."""
        assert self._out_fd is not None
        for path in removed:
            parts = path.split("/")
            for depth in range(len(parts) - 1, 0, -1):
                try:
                    parent = descend(self._out_fd, parts[:depth - 1])
                except OSError:
                    break
                try:
                    os.rmdir(parts[depth - 1], dir_fd=parent)  # only an empty folder, never through a link
                except OSError:
                    break
                finally:
                    os.close(parent)
        manifest = self.manifest
        mine = self._written | new
        kept = {m for path, entry in manifest.entries.items() if (m := self._mac(path, entry["sha256"])) in mine}
        if kept != self._written:
            try:
                self._save_written(kept)
                self._written = kept
            except OSError:
                pass
        files, now = {}, time.time_ns()
        for path, entry in manifest.entries.items():
            if path in self._staged:
                try:
                    st = os.stat(self.out / path)
                except OSError:
                    continue
                if st.st_mtime_ns + RACY_NS <= now:  # else hashed once more next time (see RACY_NS)
                    files[path] = list(stamp(st, entry["sha256"]))
            elif path in manifest.index and manifest.index[path][4] == entry["sha256"]:
                files[path] = list(manifest.index[path])
        if self._staged or removed or manifest.index_dirty or not _exists(INDEX, self._state_fd):
            try:
                _replace_at(self._state_fd, INDEX, json.dumps({"files": files}, separators=(",", ":")))
            except OSError:
                pass
        self._discard()


def _exists(name: str, dir_fd) -> bool:
    try:
        os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
        return True
    except OSError:
        return False


def _replace_at(folder_fd, name: str, text: str) -> None:
    """Write `name` in the open folder atomically: a fresh temp file (never through a link), then rename."""
    tmp = f"{name}.{os.getpid()}.tmp"
    try:
        os.unlink(tmp, dir_fd=folder_fd)
    except FileNotFoundError:
        pass
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o666, dir_fd=folder_fd)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, name, src_dir_fd=folder_fd, dst_dir_fd=folder_fd)
    except BaseException:
        try:
            os.unlink(tmp, dir_fd=folder_fd)
        except OSError:
            pass
        raise


def _rmtree_at(name: str, dir_fd: int) -> None:
    """Remove the folder `name` of the open folder `dir_fd` and all in it, never following a link (best effort;
    shutil.rmtree takes dir_fd only from Python 3.11)."""
    try:
        fd = os.open(name, _DIR | _NOFOLLOW, dir_fd=dir_fd)
    except OSError:
        return
    try:
        for entry in os.scandir(fd):
            if entry.is_dir(follow_symlinks=False):
                _rmtree_at(entry.name, fd)
            else:
                try:
                    os.unlink(entry.name, dir_fd=fd)
                except OSError:
                    pass
    finally:
        os.close(fd)
    try:
        os.rmdir(name, dir_fd=dir_fd)
    except OSError:
        pass


def _read_pid(path: Path) -> str:
    try:
        pid = path.read_text(encoding="ascii").strip()
        return f" (process {pid})" if pid.isdigit() else ""
    except (OSError, ValueError):
        return ""


class _Moves:
    """The file moves of one commit, each recorded so that a failure can undo all of them in reverse. Every
    move goes between open folders: OUT's (opened once), the staging folder's, and each folder below OUT,
    opened without following a symbolic link (N159)."""

    def __init__(self, out: Path, out_fd, staging_fd, new_fd):
        self.out, self.staging_fd, self.new_fd = out, staging_fd, new_fd
        self.folders: dict[tuple[str, ...], int] = {(): out_fd}  # opened here, closed by close() (but OUT's)
        self.opened: list[int] = []
        self.old_fd: int | None = None
        self.undo: list = []
        self.spares = 0

    def close(self) -> None:
        for fd in self.opened:
            os.close(fd)
        self.opened.clear()

    def _open(self, name: str, parent: int) -> int:
        fd = os.open(name, _DIR | _NOFOLLOW, dir_fd=parent)
        self.opened.append(fd)
        return fd

    def _spare(self) -> str:
        """A place in staging for a file moved out of OUT (the old version of a replaced output, a pruned one)."""
        self.spares += 1
        if self.old_fd is None:
            os.mkdir("old", dir_fd=self.staging_fd)
            self.old_fd = self._open("old", self.staging_fd)
        return str(self.spares)

    def folder(self, parts: tuple[str, ...]) -> int:
        """The folder `parts` below OUT, made if missing; an OSError when a link or a file is in the way."""
        if parts in self.folders:
            return self.folders[parts]
        parent, name = self.folder(parts[:-1]), parts[-1]
        try:
            fd = self._open(name, parent)
        except FileNotFoundError:
            os.mkdir(name, dir_fd=parent)
            self.undo.append(lambda: os.rmdir(name, dir_fd=parent))
            fd = self._open(name, parent)
        except OSError:
            if stat.S_ISLNK(os.stat(name, dir_fd=parent, follow_symlinks=False).st_mode):
                raise OSError(errno.ELOOP, "a symbolic link is on its way") from None
            raise
        self.folders[parts] = fd
        return fd

    def place(self, rel: str, staged_name: str) -> None:
        parts = rel.split("/")
        leaf = parts[-1]
        try:
            fd = self.folder(tuple(parts[:-1]))
            if _exists(leaf, fd):
                old = self._spare()
                _link_or_copy(leaf, fd, old, self.old_fd)
                os.replace(staged_name, leaf, src_dir_fd=self.new_fd, dst_dir_fd=fd)
                self.undo.append(lambda: os.replace(old, leaf, src_dir_fd=self.old_fd, dst_dir_fd=fd))
            else:
                os.replace(staged_name, leaf, src_dir_fd=self.new_fd, dst_dir_fd=fd)
                self.undo.append(lambda: os.unlink(leaf, dir_fd=fd))
        except OSError as e:
            raise _write_error(e, self.out / rel) from None

    def take(self, rel: str, sha256: str, ours: bool) -> tuple[str, bool] | None:
        """Move a pruned output out of OUT, only if it is a regular file under OUT with no symbolic link on
        its path and the content antifraud wrote, and `ours`: antifraud's keyed record says it wrote it (a
        manifest alone proves nothing, N160). None when done (or already gone), else (why kept, retry)."""
        parts = rel.split("/")
        try:
            fd = descend(self.folders[()], parts[:-1])
        except FileNotFoundError:
            return None
        except OSError as e:
            return f"'{e.filename}' on its path is a symbolic link or not a folder", False
        self.opened.append(fd)  # kept open: an undo may move the file back into it
        try:
            st = os.stat(parts[-1], dir_fd=fd, follow_symlinks=False)
        except FileNotFoundError:
            return None
        if not stat.S_ISREG(st.st_mode):
            return "it is not a regular file", False
        if _sha256_file(parts[-1], dir_fd=fd) != sha256:
            return "it has changed since antifraud wrote it", False
        if not ours:
            return "antifraud has no record of writing it here", False
        spare = self._spare()
        try:
            os.rename(parts[-1], spare, src_dir_fd=fd, dst_dir_fd=self.old_fd)
        except OSError as e:
            return f"cannot remove it: {e.strerror}", True
        self.undo.append(lambda: os.rename(spare, parts[-1], src_dir_fd=self.old_fd, dst_dir_fd=fd))
        return None

    def set_aside(self) -> None:
        out = self.folders[()]
        if not _exists(MANIFEST, out):
            return
        n = 1
        while _exists(dst := ("manifest.untrusted.json" if n == 1 else f"manifest.untrusted-{n}.json"), out):
            n += 1
        os.rename(MANIFEST, dst, src_dir_fd=out, dst_dir_fd=out)
        self.undo.append(lambda: os.rename(dst, MANIFEST, src_dir_fd=out, dst_dir_fd=out))

    def write_manifest(self, text: str) -> None:
        """The last step: once the manifest is replaced, the build is done. Written as text (encoded a piece at
        a time: a county's manifest is 13 MB, and two more copies of it were the build's peak memory)."""
        tmp = f"{MANIFEST}.{os.getpid()}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | _NOFOLLOW, 0o666, dir_fd=self.staging_fd)
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
                for at in range(0, len(text), 1 << 20):  # TextIOWrapper encodes what it is given at once
                    fh.write(text[at:at + (1 << 20)])
                fh.write("\n")
            os.replace(tmp, MANIFEST, src_dir_fd=self.staging_fd, dst_dir_fd=self.folders[()])
        except BaseException:
            try:
                os.unlink(tmp, dir_fd=self.staging_fd)
            except OSError:
                pass
            raise

    def rollback(self) -> None:
        for undo in reversed(self.undo):
            try:
                undo()
            except OSError:
                pass  # keep undoing the rest
        self.undo.clear()


def _link_or_copy(name: str, fd: int, spare: str, spare_fd) -> None:
    """Keep the old version of a file about to be replaced, so a failed commit can put it back."""
    try:
        os.link(name, spare, src_dir_fd=fd, dst_dir_fd=spare_fd, follow_symlinks=False)
        return
    except OSError:  # a file system without hard links
        pass
    st = os.stat(name, dir_fd=fd, follow_symlinks=False)
    if stat.S_ISLNK(st.st_mode):
        os.symlink(os.readlink(name, dir_fd=fd), spare, dir_fd=spare_fd)
    elif stat.S_ISDIR(st.st_mode):
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR))
    else:
        src = os.open(name, os.O_RDONLY | _NOFOLLOW, dir_fd=fd)
        with os.fdopen(src, "rb") as fin:
            dst = os.open(spare, os.O_WRONLY | os.O_CREAT | os.O_EXCL, st.st_mode & 0o7777, dir_fd=spare_fd)
            with os.fdopen(dst, "wb") as fout:
                shutil.copyfileobj(fin, fout)
