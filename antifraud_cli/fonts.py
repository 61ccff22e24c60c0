"""Font preparation: static TrueType fonts (glyf outlines, one weight each) that cidfont.py embeds through ReportLab.

The PDF writer embeds TrueType (``glyf``) outlines from static fonts.  The default face,
Noto Sans SC from ``justmytype-intl-cjk``, is a *variable* glyf font whose default instance
is Thin, and user fonts may be OTF (CFF outlines) or TTC collections.  This module turns any
of those into small static glyf TTFs that contain just the characters a build needs:

    for each needed glyph (needed characters + BASE_CHARS, plus .notdef):
      draw it from the source at the face's weight (variable fonts), decomposing components
      and converting CFF/CFF2 curves to quadratic glyf outlines (OTF only)
      -> a new font with just those glyphs, tidy tables/names, saved deterministically
         into the cache directory.

Results are cached on disk, keyed by a hash of (source file contents, face index, weight,
requested characters, fontTools version, FORMAT_VERSION).  Writes are atomic (temp file +
``os.replace``), so concurrent processes never see a half-written file.
"""

from __future__ import annotations

import copy
import gc
import hashlib
import io
import json
import logging
import os
import math
import operator
import re
import struct
import tempfile
import threading
import time
import unicodedata
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import repeat
from pathlib import Path

__all__ = [
    "BASE_CHARS",
    "FORMAT_VERSION",
    "FontError",
    "FontSet",
    "FontSource",
    "PreparedFonts",
    "coverage",
    "default_fontset",
    "fingerprint",
    "fontset_from_paths",
    "missing",
    "prepare",
    "register",
]

log = logging.getLogger(__name__)

#: Bump whenever the output of :func:`prepare` changes for the same inputs.
FORMAT_VERSION = 3  # 3: every prepared font has a size + sha256 record; coverage files carry a digest

#: Characters every prepared font contains, whatever the text needs: printable ASCII,
#: common full-width punctuation, the ideographic space and full-width digits.
BASE_CHARS: str = (
    "".join(chr(c) for c in range(0x20, 0x7F))
    + "，。、；：！？“”‘’（）《》【】「」…—·～￥"
    + "\u3000"
    + "０１２３４５６７８９"
)

#: Tables kept in a prepared font (loca is implied by glyf).
_KEEP_TABLES = frozenset({"cmap", "hmtx", "glyf", "loca", "head", "hhea", "maxp", "post", "name", "OS/2"})
#: Outline tables we know how to use.
_OUTLINE_TABLES = ("glyf", "CFF ", "CFF2")
#: name IDs copied from the source font (copyright, trademark, vendor, designer, URLs, licence).
_COPIED_NAME_IDS = (0, 5, 7, 8, 9, 10, 11, 12, 13, 14)
_WEIGHT_NAMES = {
    100: "Thin",
    200: "ExtraLight",
    300: "Light",
    400: "Regular",
    500: "Medium",
    600: "SemiBold",
    700: "Bold",
    800: "ExtraBold",
    900: "Black",
}
_DEFAULT_PACKAGE = "justmytype_intl_cjk"
_DEFAULT_FONT = ("fonts", "ofl", "notosanssc", "NotoSansSC[wght].ttf")


class FontError(Exception):
    """A font file that is missing, unreadable, not a font, or has no usable outlines."""


@dataclass(frozen=True)
class FontSource:
    path: Path  # TTF/OTF/TTC file
    index: int = 0  # face index in a TTC
    wght: float | None = None  # variable font: the weight to instance; None for static fonts


@dataclass(frozen=True)
class FontSet:
    regular: FontSource
    bold: FontSource


@dataclass(frozen=True)
class PreparedFonts:
    regular: Path  # static glyf TTF in the cache dir
    bold: Path


# --------------------------------------------------------------------------- font sets


def _default_font_path() -> Path:
    from importlib.util import find_spec

    spec = find_spec(_DEFAULT_PACKAGE)  # located, not imported: a no-op build never opens the font
    if spec is None or not spec.submodule_search_locations:  # pragma: no cover - dependency missing
        raise FontError(f"default font package {_DEFAULT_PACKAGE!r} is not installed")
    path = Path(list(spec.submodule_search_locations)[0]).joinpath(*_DEFAULT_FONT)
    if not path.is_file():  # pragma: no cover - broken install
        raise FontError(f"{path}: default font file not found in package {_DEFAULT_PACKAGE!r}")
    return path


def default_fontset() -> FontSet:
    """Noto Sans SC (variable) instanced at wght 400 (regular) and 700 (bold)."""
    path = _default_font_path()
    return FontSet(regular=FontSource(path, 0, 400.0), bold=FontSource(path, 0, 700.0))


def fontset_from_paths(regular: Path, bold: Path | None) -> FontSet:
    """A font set from user font files (TTF/OTF/TTC; a TTC path may end in ``#N`` for face N).

    ``bold=None`` reuses the regular file.  For a *variable* font with a wght axis the regular
    face is instanced at 400 and the bold face at 700 (clamped to the axis range), so a single
    variable file yields a real bold; for a static font bold=None means bold looks like regular
    (we make no synthetic bold).
    """
    reg_path, reg_index = _split_index(regular)
    reg_src = _user_source(reg_path, reg_index, 400.0)
    if bold is None:
        bold_src = _user_source(reg_path, reg_index, 700.0)
    else:
        bold_path, bold_index = _split_index(bold)
        bold_src = _user_source(bold_path, bold_index, 700.0)
    return FontSet(regular=reg_src, bold=bold_src)


def _split_index(p: Path | str) -> tuple[Path, int]:
    s = str(p)
    m = re.fullmatch(r"(.*\.(?:ttc|otc))#(\d+)", s, flags=re.IGNORECASE)
    if m:
        return Path(m.group(1)), int(m.group(2))
    return Path(p), 0


def _user_source(path: Path, index: int, want_wght: float) -> FontSource:
    path = Path(path).expanduser()
    with _open_font(path, index, lazy=True) as font:
        wght: float | None = None
        if "fvar" in font:
            for axis in font["fvar"].axes:
                if axis.axisTag == "wght":
                    wght = float(min(max(want_wght, axis.minValue), axis.maxValue))
    return FontSource(path=path, index=index, wght=wght)


# --------------------------------------------------------------------------- hashing


_lock = threading.RLock()
_hash_cache: dict[tuple[str, int, int], str] = {}
_coverage_cache: dict[tuple[str, int], frozenset[int]] = {}


def _stat(path: Path) -> os.stat_result:
    try:
        st = path.stat()
    except FileNotFoundError:
        raise FontError(f"{path}: font file not found") from None
    except OSError as e:
        raise FontError(f"{path}: cannot access font file ({e.strerror or e})") from None
    if not path.is_file():
        raise FontError(f"{path}: not a regular file")
    return st


def _file_hash(path: Path, data: bytes | None = None) -> str:
    """sha256 hex of a file's contents, cached in-process by (path, size, mtime_ns)."""
    st = _stat(path)
    key = (str(path.resolve()), st.st_size, st.st_mtime_ns)
    with _lock:
        h = _hash_cache.get(key) or _disk_hashes().get("|".join(map(str, key)))
    if h is not None:
        return h
    if data is not None and len(data) == st.st_size:
        h = hashlib.sha256(data).hexdigest()
    else:
        hasher = hashlib.sha256()
        try:
            with open(path, "rb") as fh:
                for chunk in iter(lambda: fh.read(1 << 20), b""):
                    hasher.update(chunk)
        except OSError as e:
            raise FontError(f"{path}: cannot read font file ({e.strerror or e})") from None
        h = hasher.hexdigest()
    with _lock:
        _hash_cache[key] = h
    if st.st_size > 1 << 20:  # remember big font files' hashes across runs: a no-op build should not read 17 MB
        _remember_hash("|".join(map(str, key)), h)
    return h


def _hashes_file() -> Path:
    return _cache_root(None) / "fonts" / "file-hashes.json"


def _disk_hashes() -> dict:
    global _disk_hash_cache
    if _disk_hash_cache is None:
        try:
            _disk_hash_cache = json.loads(_hashes_file().read_text(encoding="utf-8"))
        except (OSError, ValueError):
            _disk_hash_cache = {}
    return _disk_hash_cache


def _remember_hash(key: str, value: str) -> None:
    hashes = dict(_disk_hashes())
    hashes[key] = value
    try:
        _hashes_file().parent.mkdir(parents=True, exist_ok=True)
        _atomic_write(_hashes_file(), json.dumps(hashes, sort_keys=True).encode())
        _disk_hashes().update(hashes)
    except OSError:  # a read-only cache only costs speed
        pass


_disk_hash_cache: dict | None = None



def _read(path: Path) -> bytes:
    _stat(path)
    try:
        return path.read_bytes()
    except OSError as e:
        raise FontError(f"{path}: cannot read font file ({e.strerror or e})") from None


def fingerprint(fontset: FontSet) -> str:
    """sha256 hex identifying the font set: file contents, face index, weight, FORMAT_VERSION."""
    h = hashlib.sha256(f"antifraud-fonts/{FORMAT_VERSION}\n".encode())
    for role, src in (("regular", fontset.regular), ("bold", fontset.bold)):
        h.update(f"{role} {_file_hash(src.path)} {src.index} {_wght_key(src.wght)}\n".encode())
    return h.hexdigest()


def _wght_key(w: float | None) -> str:
    return "static" if w is None else repr(float(w))


# --------------------------------------------------------------------------- opening/validating


@contextmanager
def _open_font(path: Path, index: int, *, lazy: bool, data: bytes | None = None) -> Iterator:
    """Open and validate one face; raises FontError with the path and the problem."""
    from fontTools.ttLib import TTFont, TTLibError

    path = Path(path)
    if data is None:
        _stat(path)
    if index < 0:
        raise FontError(f"{path}: invalid face index {index}")
    try:
        file: object = io.BytesIO(data) if data is not None else str(path)
        font = TTFont(file, fontNumber=index, lazy=lazy, recalcTimestamp=False)
    except FileNotFoundError:
        raise FontError(f"{path}: font file not found") from None
    except OSError as e:
        raise FontError(f"{path}: cannot read font file ({e.strerror or e})") from None
    except Exception as e:  # fontTools raises assorted errors for junk input
        if isinstance(e, TTLibError) and "font number" in str(e).lower():
            raise FontError(f"{path}: face index {index} out of range ({e})") from None
        raise FontError(f"{path}: not a usable font file ({type(e).__name__}: {e})") from None
    try:
        if index and not _is_collection(path, data):
            # fontTools silently ignores fontNumber for a single-font file.
            raise FontError(f"{path}: face index {index} given, but the file is not a font collection")
        if not any(tag in font for tag in _OUTLINE_TABLES):
            raise FontError(f"{path}: font has no usable outlines (no glyf, CFF or CFF2 table)")
        for tag in ("cmap", "head", "hhea", "hmtx", "maxp"):
            if tag not in font:
                raise FontError(f"{path}: font has no {tag!r} table")
        if "OS/2" in font:
            fs_type = font["OS/2"].fsType
            if fs_type == 0x0002 or fs_type & 0x0300:
                raise FontError(
                    f"{path}: font licence forbids embedding or subsetting (OS/2 fsType 0x{fs_type:04X})"
                )
        yield font
    finally:
        font.close()


def _is_collection(path: Path, data: bytes | None) -> bool:
    if data is not None:
        return data[:4] == b"ttcf"
    try:
        with open(path, "rb") as fh:
            return fh.read(4) == b"ttcf"
    except OSError:
        return False


def _name_glyphs_by_index(font) -> None:
    """Name a glyf font's glyphs by index: fontTools would otherwise derive 65k names from the post
    table or, for post format 3 fonts like Noto Sans SC, by decoding every cmap subtable (seconds).
    CFF fonts keep their names: their outlines are looked up by them."""
    if "glyf" in font:
        font.setGlyphOrder([".notdef"] + [f"glyph{i:05d}" for i in range(1, font["maxp"].numGlyphs)])


def _best_cmap(font, path: Path) -> dict[int, str]:
    try:
        cmap = font.getBestCmap()
    except Exception as e:
        raise FontError(f"{path}: cannot read the cmap table ({type(e).__name__}: {e})") from None
    if not cmap:
        raise FontError(f"{path}: font has no Unicode character map")
    return cmap


# --------------------------------------------------------------------------- coverage


def coverage(src: FontSource) -> frozenset[int]:
    """Code points the source face's cmap covers (cached on disk as JSON and in-process)."""
    path = Path(src.path)
    fhash = _file_hash(path)
    key = (fhash, src.index)
    with _lock:
        cov = _coverage_cache.get(key)
    if cov is not None:
        return cov
    cache_file = _fonts_dir(None) / f"coverage-{fhash[:32]}-{src.index}.json"
    cov = _load_coverage(cache_file, fhash, src.index)
    if cov is None:
        with _open_font(path, src.index, lazy=True) as font:
            _name_glyphs_by_index(font)
            cov = frozenset(_best_cmap(font, path))
        ranges = _to_ranges(sorted(cov))
        payload = json.dumps(
            {"format": FORMAT_VERSION, "sha256": fhash, "index": src.index, "ranges": ranges,
             "check": _ranges_digest(ranges)},
            separators=(",", ":"),
        ).encode()
        try:
            _cache_write(cache_file, payload)
        except FontError as e:  # the coverage is known now; an unwritable cache only costs time next build
            log.warning("warning: %s", e)
    with _lock:
        _coverage_cache[key] = cov
    return cov


def _ranges_digest(ranges: list) -> str:
    return hashlib.sha256(json.dumps(ranges, separators=(",", ":")).encode()).hexdigest()


def _load_coverage(cache_file: Path, fhash: str | None = None, index: int | None = None) -> frozenset[int] | None:
    """The cached coverage, or None when absent or not exactly what we wrote for this font (a damaged
    file that claimed extra code points would let a missing glyph print as a blank box)."""
    try:
        obj = json.loads(cache_file.read_bytes())
        if obj.get("format") != FORMAT_VERSION:
            return None
        if fhash is not None and (obj.get("sha256") != fhash or obj.get("index") != index):
            return None
        if obj.get("check") != _ranges_digest(obj["ranges"]):
            log.warning("warning: font coverage cache %s is damaged; recomputing it", cache_file)
            return None
        return frozenset(c for a, b in obj["ranges"] for c in range(a, b + 1))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def _to_ranges(cps: Iterable[int]) -> list[list[int]]:
    ranges: list[list[int]] = []
    for c in cps:
        if ranges and c == ranges[-1][1] + 1:
            ranges[-1][1] = c
        else:
            ranges.append([c, c])
    return ranges


def _ignorable(ch: str) -> bool:
    """Whitespace and control/format characters: never looked up in a font."""
    return ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp")


def missing(text: str, fontset: FontSet) -> list[str]:
    """Characters of ``text`` (minus whitespace/control chars) that the regular or the bold face
    lacks, in order of first appearance, each once."""
    cov_r = coverage(fontset.regular)
    cov_b = coverage(fontset.bold)
    out: list[str] = []
    seen: set[str] = set()
    for ch in text:
        if ch in seen:
            continue
        seen.add(ch)
        if _ignorable(ch):
            continue
        cp = ord(ch)
        if cp not in cov_r or cp not in cov_b:
            out.append(ch)
    return out


# --------------------------------------------------------------------------- cache dir / io


def _cache_root(cache_dir: Path | None) -> Path:
    if cache_dir is not None:
        return Path(cache_dir)
    env = os.environ.get("ANTIFRAUD_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg:
        return Path(xdg).expanduser() / "antifraud"
    return Path.home() / ".cache" / "antifraud"


def _fonts_dir(cache_dir: Path | None) -> Path:
    if cache_dir is None and _fallback_dir is not None:
        return _fallback_dir
    return _cache_root(cache_dir) / "fonts"


# Set once the configured cache folder turned out unusable (a file, read-only, full): the rest of the
# process prepares fonts in a private temporary folder instead of failing the build.
_fallback_dir: Path | None = None


def _use_fallback(failed: Path, e: OSError) -> Path:
    global _fallback_dir
    with _lock:
        if _fallback_dir is None:
            _fallback_dir = _private_temp_dir()
            log.warning("warning: font cache %s cannot be written (%s); using %s for this build",
                        failed.parent, e.strerror or e, _fallback_dir)
        return _fallback_dir


def _shared_temp_dir() -> Path:
    return Path(tempfile.gettempdir()) / f"antifraud-fonts-{os.getuid() if hasattr(os, 'getuid') else 0}"


def _ours(folder: Path) -> bool:
    """A real folder (not a symlink) owned by this user: safe to read prepared fonts from."""
    try:
        st = os.lstat(folder)
    except OSError:
        return False
    import stat

    return stat.S_ISDIR(st.st_mode) and st.st_uid == (os.getuid() if hasattr(os, "getuid") else st.st_uid)


def _unwritable(folder: Path) -> OSError | None:
    """Why a file cannot be created in `folder` (None when it can): tried, since modes lie to root."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=folder, prefix=".probe-")
        os.close(fd)
        os.unlink(probe)
        return None
    except OSError as e:
        return e


def _earlier_fallback(target: Path) -> Path | None:
    folder = _fallback_dir or _shared_temp_dir()
    if folder == target.parent or not _ours(folder):
        return None
    candidate = folder / target.name
    return candidate if candidate.exists() and _cache_hit(candidate) else None


def _private_temp_dir() -> Path:
    """A per-user folder under the system temp folder, reused by later builds; a fresh one when that
    name is taken by something we do not own (another user's folder, a symlink)."""
    base = _shared_temp_dir()
    try:
        base.mkdir(mode=0o700, exist_ok=True)
        if _ours(base):
            probe = base / f".probe-{os.getpid()}"
            probe.write_bytes(b"")
            probe.unlink()
            return base
    except (OSError, AttributeError):
        pass
    return Path(tempfile.mkdtemp(prefix="antifraud-fonts-"))


def _cache_write(target: Path, data: bytes) -> Path:
    """Write a cache file atomically; when the cache folder cannot take it, write it to the fallback
    folder instead. Returns where the file now is."""
    return _cache_write_files(target, [("", data)])


def _cache_write_files(target: Path, files: list[tuple[str, bytes]]) -> Path:
    """Write `target` + each suffix with its data (a font and its record), atomically each; to the fallback
    folder when the cache folder cannot take them. Returns where `target` now is."""
    def write_all(path: Path) -> None:
        for suffix, data in files:
            _atomic_write(path.with_name(path.name + suffix), data)

    try:
        write_all(target)
        return target
    except OSError as e:
        if _fallback_dir is not None and target.parent == _fallback_dir:
            raise FontError(f"cannot write the font cache in {target.parent} ({e.strerror or e})") from None
        moved = _use_fallback(target, e) / target.name
    try:
        write_all(moved)
    except OSError as e:
        raise FontError(f"cannot write the font cache in {moved.parent} ({e.strerror or e})") from None
    return moved


def _atomic_write(target: Path, data: bytes) -> None:
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
    removed = []
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


# --------------------------------------------------------------------------- prepare


def _charset_codepoints(charset: str) -> list[int]:
    # Spaces (incl. U+3000) need a glyph for their advance; controls/format chars/line breaks don't.
    return sorted(
        {ord(c) for c in charset + BASE_CHARS if unicodedata.category(c) not in ("Cc", "Cf", "Cs", "Zl", "Zp")}
    )


def _face_key(fhash: str, src: FontSource, cps: list[int]) -> str:
    from fontTools import version as ft_version

    cps_text = ",".join(f"{a:x}-{b:x}" for a, b in _to_ranges(cps))
    blob = "\n".join(
        [
            f"antifraud-fonts/{FORMAT_VERSION}",
            f"fonttools {ft_version}",
            f"font {fhash} {src.index} {_wght_key(src.wght)}",
            f"chars {cps_text}",
        ]
    )
    return hashlib.sha256(blob.encode()).hexdigest()


def _out_name(src: FontSource, key: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9]+", "", Path(src.path).stem)[:32] or "font"
    w = "static" if src.wght is None else f"w{float(src.wght):g}"
    return f"{stem}-{src.index}-{w}-{key[:24]}.ttf"


def prepare(fontset: FontSet, charset: str, cache_dir: Path | None = None) -> PreparedFonts:
    """Static glyf TTFs of the font set's faces, subset to ``charset`` + :data:`BASE_CHARS`.

    Cached in ``cache_dir/fonts`` (default: $ANTIFRAUD_CACHE_DIR, else
    $XDG_CACHE_HOME/antifraud, else ~/.cache/antifraud).  Deterministic: identical inputs give
    byte-identical files.  Faces from the same file are loaded and subset only once.
    """
    out_dir = _fonts_dir(cache_dir)
    cps = _charset_codepoints(charset)
    faces = [fontset.regular, fontset.bold]
    targets: dict[FontSource, Path] = {}
    todo: dict[tuple[Path, int], list[FontSource]] = {}
    probed, problem = False, None
    for src in faces:
        if src in targets:
            continue
        target = targets[src] = _target(out_dir, src, cps)
        if _cache_hit(target):
            continue
        if not probed:  # once, and only on a miss: a healthy cache costs nothing extra
            clean_leftovers(out_dir)
            problem = _unwritable(out_dir) if cache_dir is None and out_dir != _fallback_dir else None
            probed = True
        earlier = _earlier_fallback(target) if problem else None
        if earlier is not None:  # the cache cannot be written: reuse what an earlier build prepared instead
            _use_fallback(target, problem)
            targets[src] = earlier
        else:
            todo.setdefault((Path(src.path), src.index), []).append(src)
    for (path, index), srcs in todo.items():
        built = {s: targets[s] for s in srcs}
        _build_group(path, index, srcs, cps, built)
        targets.update(built)  # a face may have gone to the fallback folder
    return PreparedFonts(regular=targets[fontset.regular], bold=targets[fontset.bold])


def prepared(fontset: FontSet, charset: str, cache_dir: Path | None = None) -> PreparedFonts | None:
    """What :func:`prepare` would return when the cache already holds both faces (each verified), else None.
    Writes nothing: the caller can then prepare elsewhere (build.py does it in a child process)."""
    out_dir = _fonts_dir(cache_dir)
    cps = _charset_codepoints(charset)
    targets = {}
    for src in (fontset.regular, fontset.bold):
        target = _target(out_dir, src, cps)
        if not _cache_hit(target):
            return None
        targets[src] = target
    return PreparedFonts(regular=targets[fontset.regular], bold=targets[fontset.bold])


def _target(out_dir: Path, src: FontSource, cps) -> Path:
    """Where the face prepared for these code points is cached: named by the source file and what it holds."""
    return out_dir / _out_name(src, _face_key(_file_hash(Path(src.path)), src, cps))


RECORD_SUFFIX = ".sha256"


def _record(target: Path) -> Path:
    """Next to each prepared font: its size and sha256, written after the font itself."""
    return target.with_name(target.name + RECORD_SUFFIX)


def _cache_hit(target: Path) -> bool:
    """True only for a prepared font whose size and sha256 match the record written with it: a
    truncated, scrambled or hand-edited file is rebuilt, never embedded (it would print blank glyphs)."""
    try:
        size_text, digest = _record(target).read_text(encoding="ascii").split()
        data = target.read_bytes()
        st = os.stat(target)
    except (OSError, ValueError):
        return False
    if len(data) != int(size_text) or hashlib.sha256(data).hexdigest() != digest:
        log.warning("warning: font cache file %s is damaged; preparing it again", target)
        return False
    with _lock:  # register() names the font by this hash: no need to read the file again
        _hash_cache[(str(target.resolve()), st.st_size, st.st_mtime_ns)] = digest
    return True


def _store_font(target: Path, data: bytes) -> Path:
    """Write a prepared font and its record; to the fallback folder when the cache cannot take them."""
    record = f"{len(data)} {hashlib.sha256(data).hexdigest()}\n".encode()
    return _cache_write_files(target, [("", data), (RECORD_SUFFIX, record)])


@contextmanager
def _no_gc() -> Iterator[None]:
    # fontTools allocates hundreds of thousands of small objects while loading a CJK font;
    # the cyclic GC would rescan them over and over.  Nothing here creates garbage cycles worth
    # collecting before we finish.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class _Timer:
    """Per-step wall and CPU times, logged at DEBUG level."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.t = time.perf_counter()
        self.c = time.process_time()
        self.steps: list[tuple[str, float, float]] = []

    def step(self, name: str) -> None:
        now, cpu = time.perf_counter(), time.process_time()
        self.steps.append((name, now - self.t, cpu - self.c))
        self.t, self.c = now, cpu

    def report(self) -> None:
        log.debug(
            "%s: %s",
            self.label,
            ", ".join(f"{n} {t * 1000:.0f} ms (cpu {c * 1000:.0f})" for n, t, c in self.steps),
        )


def _build_group(path: Path, index: int, srcs: list[FontSource], cps: list[int], targets: dict) -> None:
    """Load ``path`` once, then draw each requested face's glyphs into a new static font.

    Only the glyphs the build needs are read, instanced and written: a CJK font has ~65,000
    glyphs and a township's texts need ~1,000, so working glyph by glyph is far cheaper than
    subsetting and instancing whole tables (4.7 M Python calls → 1.4 M for Noto Sans SC).
    """
    timer = _Timer(f"prepare {path.name}#{index}")
    data = _read(path)
    _file_hash(path, data)
    timer.step("read")
    with _no_gc(), _open_font(path, index, lazy=True, data=data) as font:
        is_variable = "fvar" in font
        _name_glyphs_by_index(font)
        if "glyf" in font and "gvar" in font and "HVAR" in font:
            # Advances then come from gvar's phantom points (identical values), which saves
            # decoding the whole-font HVAR table (~1.8 s for Noto Sans SC).
            del font["HVAR"]
        best = _best_cmap(font, path)
        cmap = {cp: best[cp] for cp in cps if cp in best}
        timer.step("open")
        for src in srcs:
            try:
                face = _static_face(font, cmap, src, is_variable)
                timer.step(f"draw {_wght_key(src.wght)}")
                _finalize(face, src, path, is_variable)
                buf = io.BytesIO()
                face.save(buf)
            except FontError:
                raise
            except Exception as e:
                raise FontError(f"{path}: cannot convert font ({type(e).__name__}: {e})") from None
            targets[src] = _store_font(targets[src], buf.getvalue())
            timer.step(f"save {_wght_key(src.wght)}")
    timer.report()


def _static_face(font, cmap: dict[int, str], src: FontSource, is_variable: bool):
    """A new static glyf font holding ``.notdef`` and the glyphs of ``cmap``, taken from
    ``font`` at the source's weight (composites decomposed, CFF outlines made quadratic)."""
    from fontTools.ttLib import TTFont, newTable

    source_order = {name: i for i, name in enumerate(font.getGlyphOrder())}
    names = sorted({".notdef", *cmap.values()}, key=source_order.__getitem__)
    outlines = _GlyphSource(font, _normalized_location(font, src) if is_variable else {})
    glyphs = {name: outlines.get(name) for name in names}

    glyf = newTable("glyf")
    glyf.glyphOrder = names
    glyf.glyphs = {name: _raw_glyph(g.data) for name, g in glyphs.items()}
    hmtx = newTable("hmtx")
    hmtx.metrics = {name: (g.advance, g.bounds[0] if g.bounds else 0) for name, g in glyphs.items()}

    # The glyphs are already compiled, so bounds and maxima are set here rather than recomputed
    # by fontTools (which would decompile every glyph again).
    out = TTFont(recalcTimestamp=False, recalcBBoxes=False)
    out.setGlyphOrder(names)
    for tag in ("head", "hhea", "OS/2", "post", "name", "maxp"):
        if tag in font:
            out[tag] = copy.deepcopy(font[tag])
    out["glyf"] = glyf
    out["loca"] = newTable("loca")
    out["hmtx"] = hmtx
    out["cmap"] = _cmap_table(cmap)

    inked = [g for g in glyphs.values() if g.bounds]
    head = out["head"]
    head.glyphDataFormat = 0
    head.indexToLocFormat = 0  # recomputed when loca is compiled
    head.xMin, head.yMin = min(g.bounds[0] for g in inked), min(g.bounds[1] for g in inked)
    head.xMax, head.yMax = max(g.bounds[2] for g in inked), max(g.bounds[3] for g in inked)
    hhea = out["hhea"]
    hhea.advanceWidthMax = max(g.advance for g in glyphs.values())
    hhea.minLeftSideBearing = min(g.bounds[0] for g in inked)
    hhea.minRightSideBearing = min(g.advance - g.bounds[2] for g in inked)
    hhea.xMaxExtent = max(g.bounds[2] for g in inked)
    maxp = out["maxp"]
    maxp.tableVersion = 0x00010000
    maxp.numGlyphs = len(names)
    for attr in _MAXP_ZERO_FIELDS:  # no components and no hinting programs survive
        setattr(maxp, attr, 0)
    maxp.maxZones = 1
    maxp.maxPoints = max(g.points for g in glyphs.values())
    maxp.maxContours = max(g.contours for g in glyphs.values())
    post = out["post"]
    post.formatType = 3.0  # no glyph names
    for attr in ("extraNames", "mapping", "glyphOrder"):
        if hasattr(post, attr):
            delattr(post, attr)
    return out


_MAXP_ZERO_FIELDS = (
    "maxTwilightPoints", "maxStorage", "maxFunctionDefs", "maxInstructionDefs", "maxStackElements",
    "maxSizeOfInstructions", "maxComponentElements", "maxComponentDepth", "maxCompositePoints",
    "maxCompositeContours",
)


def _normalized_location(font, src: FontSource) -> dict[str, float]:
    """The source's weight (other axes at their defaults) in normalized coordinates, avar applied."""
    from fontTools.varLib.models import normalizeLocation, piecewiseLinearMap

    axes = {a.axisTag: (a.minValue, a.defaultValue, a.maxValue) for a in font["fvar"].axes}
    user = {tag: default for tag, (_, default, _) in axes.items()}
    if src.wght is not None and "wght" in user:
        user["wght"] = src.wght
    location = normalizeLocation(user, axes)
    if "avar" in font:
        segments = font["avar"].segments
        location = {tag: piecewiseLinearMap(v, segments[tag]) if segments.get(tag) else v
                    for tag, v in location.items()}
    return {tag: v for tag, v in location.items() if v}


@dataclass(frozen=True)
class _Outline:
    """One glyph of a prepared font, already in glyf binary form."""

    data: bytes
    advance: int
    bounds: tuple[int, int, int, int] | None  # None: no outline (a space)
    points: int
    contours: int


def _raw_glyph(data: bytes):
    from fontTools.ttLib.tables._g_l_y_f import Glyph

    return Glyph(data)  # kept compiled: written out byte for byte


class _GlyphSource:
    """Outlines of a loaded font at one normalized location.

    Simple glyf glyphs (all of Noto Sans SC) take a fast path: the gvar deltas are applied to
    the points directly and the result is encoded with list operations, so only the glyphs a
    build needs are touched.  Composite glyphs and CFF/CFF2 outlines are drawn through
    fontTools pens (decomposed; cubic curves converted to quadratic).
    """

    def __init__(self, font, location: dict[str, float]) -> None:
        self.font = font
        self.location = location
        self.is_glyf = "glyf" in font
        if self.is_glyf:
            self.glyf = font["glyf"]
            self.hmtx = font["hmtx"].metrics
            self.gvar = font["gvar"].variations if location and "gvar" in font else {}
        self._glyph_set = None

    def get(self, name: str) -> _Outline:
        if self.is_glyf:
            glyph = self.glyf[name]
            if glyph.numberOfContours >= 0 and max(getattr(glyph, "flags", ()), default=0) < 0x80:  # no cubic
                return self._simple(name, glyph)
        return self._drawn(name)

    def _simple(self, name: str, glyph) -> _Outline:
        from fontTools.varLib.iup import iup_delta
        from fontTools.varLib.models import supportScalar

        advance, lsb = self.hmtx[name]
        if glyph.numberOfContours == 0:
            points: list[tuple[float, float]] = []
            left = -lsb
        else:
            coords = glyph.coordinates.array
            points = list(zip(coords[0::2], coords[1::2]))
            left = glyph.xMin - lsb
        n = len(points)
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        # gvar deltas cover the points plus four phantom points: left and right side (the advance), top, bottom.
        phantoms = [(left, 0), (left + advance, 0), (0, 0), (0, 0)]
        right = left + advance
        for var in self.gvar.get(name, ()):
            scalar = supportScalar(self.location, var.axes)
            if not scalar:
                continue
            delta = var.coordinates
            if None in delta:  # points without a delta are interpolated (IUP) from the original outline
                delta = iup_delta(delta, points + phantoms, list(glyph.endPtsOfContours) if n else [])
            xs = [x + scalar * d[0] for x, d in zip(xs, delta)]
            ys = [y + scalar * d[1] for y, d in zip(ys, delta)]
            left += scalar * delta[n][0]
            right += scalar * delta[n + 1][0]
        # Outlines sit relative to the (moved) left side point; round half up like fontTools (otRound).
        xs = [math.floor(x - left + 0.5) for x in xs]
        ys = [math.floor(y + 0.5) for y in ys]
        advance = max(0, math.floor(right - left + 0.5))
        if not n:
            return _Outline(b"", advance, None, 0, 0)
        ends = list(glyph.endPtsOfContours)
        return _Outline(_encode_simple(xs, ys, glyph.flags, ends), advance,
                        (min(xs), min(ys), max(xs), max(ys)), n, len(ends))

    def _drawn(self, name: str) -> _Outline:
        from fontTools.pens.cu2quPen import Cu2QuPen
        from fontTools.pens.filterPen import DecomposingFilterPointPen
        from fontTools.pens.ttGlyphPen import TTGlyphPen, TTGlyphPointPen

        if self._glyph_set is None:
            self._glyph_set = self.font.getGlyphSet(location=self.location or None, normalized=True)
        glyph = self._glyph_set[name]
        if self.is_glyf:  # same points, same on/off-curve flags: an exact copy of the outline
            pen = TTGlyphPointPen(None)
            glyph.drawPoints(DecomposingFilterPointPen(pen, self._glyph_set))
        else:  # CFF contours run counter-clockwise, TrueType clockwise: reverse while converting
            pen = TTGlyphPen(None)
            glyph.draw(Cu2QuPen(pen, max_err=1.0, reverse_direction=True))
        new = pen.glyph()
        new.recalcBounds(None)
        advance = max(0, round(glyph.width))
        if not new.numberOfContours:
            return _Outline(b"", advance, None, 0, 0)
        return _Outline(new.compile(None, recalcBBoxes=False), advance, (new.xMin, new.yMin, new.xMax, new.yMax),
                        len(new.coordinates), new.numberOfContours)


class _DeltaBytes(dict):
    """Coordinate delta -> its bytes in a glyf record: none for 0, one byte (the sign goes in the flag)
    up to 255, else two bytes.  A dict so that encoding a glyph is a C-level ``map``."""

    def __missing__(self, delta: int) -> bytes:
        return delta.to_bytes(2, "big", signed=True)


_DELTA_BYTES = _DeltaBytes({d: b"" if d == 0 else bytes([abs(d)]) for d in range(-255, 256)})
# Flag bits per delta: 0x02/0x04 short X/Y; with a short value 0x10/0x20 mean "positive", without it
# "same as the previous point" (a zero delta).  Long deltas have neither bit.
_X_FLAGS = {d: 0x10 if d == 0 else 0x12 if d > 0 else 0x02 for d in range(-255, 256)}
_Y_FLAGS = {d: 0x20 if d == 0 else 0x24 if d > 0 else 0x04 for d in range(-255, 256)}


def _encode_simple(xs: list[int], ys: list[int], flags, ends: list[int]) -> bytes:
    """A simple glyf glyph record: header, contour ends, no instructions, one flag byte per point
    (the source's on-curve and overlap bits plus the delta sizes), then the X and Y deltas."""
    dxs = list(map(operator.sub, xs, [0, *xs[:-1]]))
    dys = list(map(operator.sub, ys, [0, *ys[:-1]]))
    point_flags = map(operator.or_, map(operator.and_, flags, repeat(0x41)),
                      map(operator.or_, map(_X_FLAGS.get, dxs, repeat(0)), map(_Y_FLAGS.get, dys, repeat(0))))
    return b"".join([
        struct.pack(">hhhhh", len(ends), min(xs), min(ys), max(xs), max(ys)),
        struct.pack(f">{len(ends)}HH", *ends, 0),
        bytes(point_flags),
        b"".join(map(_DELTA_BYTES.__getitem__, dxs)),
        b"".join(map(_DELTA_BYTES.__getitem__, dys)),
    ])


def _cmap_table(mapping: dict[int, str]):
    """A minimal cmap: format 4 for the BMP, plus format 12 when astral characters are present."""
    from fontTools.ttLib import newTable
    from fontTools.ttLib.tables._c_m_a_p import CmapSubtable

    cmap = newTable("cmap")
    cmap.tableVersion = 0
    bmp = {cp: g for cp, g in mapping.items() if cp <= 0xFFFF}
    sub4 = CmapSubtable.newSubtable(4)
    sub4.platformID, sub4.platEncID, sub4.language, sub4.cmap = 3, 1, 0, bmp
    cmap.tables = [sub4]
    if len(bmp) != len(mapping):
        sub12 = CmapSubtable.newSubtable(12)
        sub12.platformID, sub12.platEncID, sub12.language, sub12.cmap = 3, 10, 0, dict(mapping)
        cmap.tables.append(sub12)
    return cmap


def _style_name(wght: float) -> str:
    w = round(wght)
    return _WEIGHT_NAMES.get(w, f"W{w}")


def _ps_safe(s: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "", s)[:63]


def _finalize(font, src: FontSource, path: Path, was_variable: bool) -> None:
    """Tidy up: only the tables we ship, sane names and style bits, deterministic output."""
    for tag in list(font.keys()):
        if tag != "GlyphOrder" and tag not in _KEEP_TABLES:
            del font[tag]
    for tag in ("cmap", "hmtx", "glyf", "head", "hhea", "maxp", "post"):
        if tag not in font:
            raise FontError(f"{path}: converted font lacks a {tag!r} table")

    old = font["name"] if "name" in font else None

    def old_name(*ids: int) -> str | None:
        if old is None:
            return None
        for i in ids:
            s = old.getDebugName(i)
            if s and s.strip():
                return s.strip()
        return None

    family = old_name(16, 1) or Path(path).stem
    if was_variable:
        if src.wght is not None:
            weight = src.wght
        else:
            weight = font["OS/2"].usWeightClass if "OS/2" in font else 400
        style = _style_name(weight)
        ps_family = old_name(25) or (old_name(6) or "").split("-")[0] or family
        ps_name = _ps_safe(f"{ps_family}-{style}")
    else:
        style = old_name(17, 2) or "Regular"
        ps_name = _ps_safe(old_name(6) or f"{family}-{style}")
    if not ps_name:
        ps_name = "Font-" + hashlib.sha256(family.encode()).hexdigest()[:8]
    ribbi = style in ("Regular", "Bold", "Italic", "Bold Italic")

    from fontTools.ttLib import newTable

    name = newTable("name")
    name.names = []
    for nid in _COPIED_NAME_IDS:
        s = old_name(nid)
        if s:
            name.setName(s, nid, 3, 1, 0x409)
    if ribbi:
        name.setName(family, 1, 3, 1, 0x409)
        name.setName(style, 2, 3, 1, 0x409)
    else:
        name.setName(f"{family} {style}", 1, 3, 1, 0x409)
        name.setName("Regular", 2, 3, 1, 0x409)
        name.setName(family, 16, 3, 1, 0x409)
        name.setName(style, 17, 3, 1, 0x409)
    name.setName(f"{ps_name};antifraud-subset", 3, 3, 1, 0x409)
    name.setName(f"{family} {style}" if style != "Regular" else family, 4, 3, 1, 0x409)
    name.setName(ps_name, 6, 3, 1, 0x409)
    name.names.sort(key=lambda r: (r.platformID, r.platEncID, r.langID, r.nameID))
    font["name"] = name

    if was_variable and "OS/2" in font:
        os2 = font["OS/2"]
        if src.wght is not None:
            os2.usWeightClass = int(min(max(round(src.wght), 1), 1000))
        bold = style.startswith("Bold")
        sel = os2.fsSelection & ~((1 << 0) | (1 << 5) | (1 << 6))
        italic = bool(font["post"].italicAngle)
        if bold:
            sel |= 1 << 5
        if italic:
            sel |= 1 << 0
        if not bold and not italic:
            sel |= 1 << 6
        os2.fsSelection = sel
        font["head"].macStyle = (1 if bold else 0) | (2 if italic else 0)

    font.flavor = None
    font.recalcTimestamp = False  # keep head.modified from the source: deterministic bytes


# --------------------------------------------------------------------------- registration


def register(prepared: PreparedFonts) -> tuple[str, str]:
    """Register both prepared TTFs with ReportLab (cidfont.py; idempotent) and return their names.

    Names are derived from the file contents ("AF-<sha12>-R" / "AF-<sha12>-B"): a name is one font for ever.
    Each file is read when its font is first used (cidfont.face, a measurement, a drawing); a damaged one raises
    cidfont.FontFileError (a ValueError naming the file) then.
    """
    from . import cidfont

    names = []
    with _lock:
        for path, suffix in ((Path(prepared.regular), "R"), (Path(prepared.bold), "B")):
            name = f"AF-{_file_hash(path)[:12]}-{suffix}"
            cidfont.register(name, path)
            names.append(name)
    return names[0], names[1]
