"""The fonts of a build: font sets and their sources, the characters they cover, and the static TrueType fonts
prepared from them for cidfont.py to embed through ReportLab.

prepare() draws the glyphs a build needs (its characters + BASE_CHARS, and .notdef) from each face at its weight
(fontprep.py) into a new font, saved deterministically in the cache folder (cachedir.py) next to a record of its
size and sha256. A prepared font is keyed by a hash of (source file contents, face index, weight, characters,
fontTools version, FORMAT_VERSION).
"""

from __future__ import annotations

import gc
import hashlib
import io
import json
import logging
import os
import re
import threading
import time
import unicodedata
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from . import cachedir, filehash, fontprep
from .write import read_regular
from .fontfile import FontError, best_cmap, check_file, name_glyphs_by_index, open_face, read_file

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
    "prepared",
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

_DEFAULT_PACKAGE = "justmytype_intl_cjk"
_DEFAULT_FONT = ("fonts", "ofl", "notosanssc", "NotoSansSC[wght].ttf")


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
    with open_face(path, index, lazy=True) as font:
        wght: float | None = None
        if "fvar" in font:
            for axis in font["fvar"].axes:
                if axis.axisTag == "wght":
                    wght = float(min(max(want_wght, axis.minValue), axis.maxValue))
    return FontSource(path=path, index=index, wght=wght)


# --------------------------------------------------------------------------- hashing


def _file_hash(path: Path, data: bytes | None = None) -> str:
    """sha256 hex of a font file (remembered by size and mtime: filehash.py); FontError when it cannot be read."""
    check_file(path)
    try:
        return filehash.file_hash(path, data)
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


# --------------------------------------------------------------------------- coverage


_lock = threading.RLock()
_coverage_cache: dict[tuple[str, int], frozenset[int]] = {}


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
        with open_face(path, src.index, lazy=True) as font:
            name_glyphs_by_index(font)
            cov = frozenset(best_cmap(font, path))
        ranges = _to_ranges(sorted(cov))
        payload = json.dumps(
            {"format": FORMAT_VERSION, "sha256": fhash, "index": src.index, "ranges": ranges,
             "check": _ranges_digest(ranges)},
            separators=(",", ":"),
        ).encode()
        try:
            _cache_write_files(cache_file, [("", payload)])
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


# --------------------------------------------------------------------------- the cache folder


def _fonts_dir(cache_dir: Path | None) -> Path:
    fallback = cachedir.fallback_dir()
    if cache_dir is None and fallback is not None:
        return fallback
    return cachedir.cache_root(cache_dir) / "fonts"


def _earlier_fallback(target: Path) -> Path | None:
    folder = cachedir.fallback_dir() or cachedir.shared_temp_dir()
    if folder == target.parent or not cachedir.ours(folder):
        return None
    candidate = folder / target.name
    return candidate if candidate.exists() and _cache_hit(candidate) else None


def _cache_write_files(target: Path, files: list[tuple[str, bytes]]) -> Path:
    """Write `target` + each suffix with its data, atomically each; to the fallback folder when the cache folder
    cannot take them. Returns where `target` now is."""
    try:
        return cachedir.write_files(target, files)
    except cachedir.CacheWriteError as e:
        raise FontError(str(e)) from None


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
            cachedir.clean_leftovers(out_dir)
            problem = cachedir.unwritable(out_dir) if cache_dir is None and out_dir != cachedir.fallback_dir() else None
            probed = True
        earlier = _earlier_fallback(target) if problem else None
        if problem and earlier is not None:  # the cache cannot be written: reuse what an earlier build prepared
            cachedir.use_fallback(target, problem)
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
    try:  # a record or font that is a FIFO or /dev/zero is damage too, found before a byte is read (N155b)
        size_text, digest = read_regular(_record(target), follow=True).decode("ascii").split()
        data = read_regular(target, follow=True)
        st = os.stat(target)
    except (OSError, ValueError):
        return False
    if len(data) != int(size_text) or hashlib.sha256(data).hexdigest() != digest:
        log.warning("warning: font cache file %s is damaged; preparing it again", target)
        return False
    filehash.remember(target, st, digest)  # register() names the font by this hash: no need to read the file again
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
    data = read_file(path)
    _file_hash(path, data)
    timer.step("read")
    with _no_gc(), open_face(path, index, lazy=True, data=data) as font:
        is_variable = "fvar" in font
        name_glyphs_by_index(font)
        if "glyf" in font and "gvar" in font and "HVAR" in font:
            # Advances then come from gvar's phantom points (identical values), which saves
            # decoding the whole-font HVAR table (~1.8 s for Noto Sans SC).
            del font["HVAR"]
        best = best_cmap(font, path)
        cmap = {cp: best[cp] for cp in cps if cp in best}
        timer.step("open")
        for src in srcs:
            try:
                face = fontprep.static_face(font, cmap, src.wght, is_variable)
                timer.step(f"draw {_wght_key(src.wght)}")
                fontprep.finalize(face, src.wght, path, is_variable)
                buf = io.BytesIO()
                face.save(buf)
            except FontError:
                raise
            except Exception as e:
                raise FontError(f"{path}: cannot convert font ({type(e).__name__}: {e})") from None
            targets[src] = _store_font(targets[src], buf.getvalue())
            timer.step(f"save {_wght_key(src.wght)}")
    timer.report()


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
