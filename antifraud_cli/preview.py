"""`antifraud preview`: a PNG thumbnail of every page of every output in OUT, and OUT/index.html to browse them.

Thumbnails live in OUT/_preview/ (no unit, audience or product id starts with `_`), named after the output.
OUT/_preview/state.json remembers the sha256 each output had when its thumbnails were made, so a second run
renders only outputs whose content changed. The gallery is plain HTML and CSS with relative links: it opens
from the file system, offline. pypdfium2 and Pillow are imported only when something is rendered.

A PDF or PNG output gets a thumbnail of each page; a text output (a script, a WeChat notice) a card with its
stated title and duration and its first lines; anything else, or a file that does not open, a placeholder card
and a warning (each run, once per output) — never a crash.
"""
from __future__ import annotations

import codecs
import hashlib
import html
import json
import os
import re
import stat
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from .errors import AntifraudError, Location, Problem
from .lifetime import worker_count
from .paths import display
from .speech import DURATION_RE
from .write import _safe_path, descend, read_regular

FOLDER = "_preview"
STATE = "state.json"
INDEX = "index.html"
THUMB_PX = 360  # the longer side of a thumbnail
TEXT_LINES = 6  # the first lines of a text output its card shows
TEXT_LINE_CHARS = 48  # each cut to this many characters
TEXT_READ = 64 * 1024  # what is read of a text output for its card (they are a few KB)
TITLE_RE = re.compile(r"^#\s*标题：\s*(.+?)\s*$")
THUMB_RE = re.compile(r"\.p[1-9][0-9]*\.png")  # how every thumbnail's name ends (see thumb_names)
# The gallery's order of audiences: the elderly first (what a township prints most), the bank counter's staff
# last (a kit for the counter, not for residents), the others in the project's order (then by id).
FIRST_AUDIENCES = ("elderly",)
LAST_AUDIENCES = ("bank-staff",)


@dataclass
class PreviewReport:
    rendered: list[str] = field(default_factory=list)  # outputs whose thumbnails were made now
    kept: list[str] = field(default_factory=list)  # unchanged since the last preview
    missing: list[str] = field(default_factory=list)  # in the manifest, but not on disk
    placeholders: list[str] = field(default_factory=list)  # shown without a thumbnail (each has a warning)
    removed: int = 0  # thumbnails of outputs no longer in the manifest

    def summary(self, out: Path) -> str:
        gone = f", {len(self.missing)} missing from {display(out)}" if self.missing else ""
        blank = f", {len(self.placeholders)} without a thumbnail" if self.placeholders else ""
        return (f"previewed {len(self.rendered)}, unchanged {len(self.kept)}{gone}{blank}: "
                f"{display(out / INDEX)}")


@dataclass(frozen=True)
class Names:
    """What the gallery calls things; ids when the project does not know them (any more)."""
    units: dict[str, str] = field(default_factory=dict)
    audiences: dict[str, str] = field(default_factory=dict)
    products: dict[str, tuple[str, dict]] = field(default_factory=dict)  # id -> (name, {size: (w, h)})

    @classmethod
    def of(cls, project) -> "Names":
        return cls(units={u.id: u.name for u in project.units},
                   audiences={a.id: a.name for a in project.audiences.values()},
                   products={p.id: (p.name, {n: (s.w, s.h, p.format, p.width_px) for n, s in p.sizes.items()})
                             for p in project.products.values()})


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def thumb_names(rel: str, pages: int) -> list[str]:
    return [f"{rel}.p{n}.png" for n in range(1, pages + 1)]


class Unviewable(Exception):
    """An output the gallery cannot show: (what the warning says, what the placeholder card says)."""

    def __init__(self, reason: str, label: str):
        super().__init__(reason)
        self.reason, self.label = reason, label


def render_thumbs(task: tuple[str, str]) -> tuple[str, dict]:
    """What the gallery shows of one output (run in workers): {"thumbs": [(name under _preview, width, height)]},
    plus {"text": …} for a text output or {"problem": …} for one it cannot show. Never raises for a file that
    does not open: the gallery shows a placeholder instead."""
    out, rel = task
    try:
        if rel.endswith(".txt"):
            return rel, {"thumbs": [], "text": text_card(Path(out) / rel)}
        return rel, {"thumbs": _save_thumbs(Path(out), rel, _page_images(Path(out) / rel))}
    except Unviewable as e:
        return rel, {"thumbs": [], "problem": e.reason, "label": e.label}


def _page_images(src: Path) -> list:
    """Each page of a PDF, or a PNG, as a thumbnail-sized RGB image."""
    suffix = src.suffix.lower()
    if suffix == ".png":
        from PIL import Image, UnidentifiedImageError

        try:
            with Image.open(src) as opened:
                image = opened.convert("RGB")
                image.thumbnail((THUMB_PX, THUMB_PX))
                return [image]
        except UnidentifiedImageError:
            raise Unviewable("the file is not an image Pillow can read", "图片无法打开") from None
        except Exception as e:  # whatever a damaged image raises (a truncated file, a decompression bomb, …)
            raise Unviewable(f"the image does not open: {_reason(e, src)}", "图片无法打开") from None
    if suffix == ".pdf":
        import pypdfium2  # noqa: F401  (a missing library is a broken install, not a damaged output)

        from .raster import render_pages

        try:
            images = render_pages(str(src), longest_px=THUMB_PX)
        except Exception as e:  # PdfiumError for a damaged file; anything else a malformed page may raise
            raise Unviewable(f"the PDF does not open: {_reason(e, src)}", "PDF 无法打开") from None
        if not images:
            raise Unviewable("the PDF has no pages", "PDF 没有页面")
        return images
    if suffix == ".pptx":  # slides: drawn from the file's shapes (slides.preview), an approximation of PowerPoint
        from .slides import preview as slide_images

        try:
            return slide_images(src.read_bytes(), width_px=THUMB_PX)
        except Exception as e:  # a damaged or foreign file: whatever python-pptx raises
            raise Unviewable(f"the slides do not open: {_reason(e, src)}", "幻灯片无法打开") from None
    raise Unviewable(f"no preview for {suffix + ' files' if suffix else 'a file without an extension'}",
                     f"不支持预览 {suffix} 文件" if suffix else "不支持预览此类文件")


def _save_thumbs(out: Path, rel: str, images: list) -> list[tuple[str, int, int]]:
    made = []
    for name, image in zip(thumb_names(rel, len(images)), images):
        target = out / FOLDER / name
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(target.name + ".tmp")
        tmp.unlink(missing_ok=True)  # a leftover (or a link put there) is replaced, never written through
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o666)
        try:
            with os.fdopen(fd, "wb") as f:
                image.save(f, format="PNG", compress_level=1)  # thumbnails are small: speed over bytes
            os.replace(tmp, target)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        made.append((name, image.width, image.height))
    return made


def _outside(out: Path, rel) -> str | None:
    """Why a path read from manifest.json or state.json (untrusted: anyone may edit them) names no file preview
    may read, write or delete; None when it is relative, inside OUT, with no hidden or special part and no
    symbolic link on its way (parts that do not exist are fine: there is nothing there)."""
    if not _safe_path(rel):
        return "not a path inside the output folder"
    at = out
    for part in rel.split("/"):
        at = at / part
        try:
            if stat.S_ISLNK(os.lstat(at).st_mode):
                return f"'{part}' on its path is a symbolic link"
        except OSError:
            return None
    return None


def _trusted_outputs(out: Path, outputs, manifest_path: Path, warn) -> list[dict]:
    """The manifest's entries preview may show: each names a file inside OUT, reached without a link, whose
    thumbnails go inside OUT/_preview the same way. The others are ignored, with a warning each."""
    if not isinstance(outputs, list):
        raise AntifraudError(Problem(Location(display(manifest_path)), "cannot read the manifest: its outputs are "
                                     "not a list", "build again to write a new one"))
    kept = []
    for n, entry in enumerate(outputs, 1):
        rel = entry.get("path") if isinstance(entry, dict) else None
        why = _outside(out, rel) or _outside(out, f"{FOLDER}/{rel}")
        if why:
            warn(f"{display(manifest_path)}: output {n} names {rel!r}, not a file inside {display(out)} ({why}); "
                 "preview ignores it")
        else:
            kept.append(entry)
    return kept


def _trusted_state(out: Path, saved, state_path: Path, warn) -> dict:
    """What the last preview remembered (state.json, untrusted): an output whose thumbnails are not all files
    inside OUT/_preview (reached without a link, named as preview names them) is forgotten, with a warning for
    each such name: it is never deleted. A malformed entry is forgotten silently (it is only a cache)."""
    state = {}
    for rel, value in (saved.items() if isinstance(saved, dict) else ()):
        thumbs = value.get("thumbs") if isinstance(value, dict) else None
        if not (isinstance(thumbs, list) and all(
                isinstance(t, list) and len(t) == 3 and isinstance(t[0], str) and all(type(x) is int for x in t[1:])
                for t in thumbs)):
            continue
        good = []
        for name, *_ in thumbs:
            why = _outside(out, f"{FOLDER}/{name}") or (None if THUMB_RE.search(name) else "not a thumbnail's name")
            if why:
                warn(f"{display(state_path)}: the thumbnail {name!r} is not one inside {display(out / FOLDER)} "
                     f"({why}); ignored, never deleted")
            else:
                good.append(name)
        state[rel] = value if len(good) == len(thumbs) else {"sha256": None, "thumbs": [[t, 0, 0] for t in good]}
    return state


def _reason(e: Exception, src: Path) -> str:
    """An exception's message for a warning: one line, short, without the file's absolute path (the warning
    names the file)."""
    text = " ".join(str(e).replace(str(src), src.name).split()).rstrip(".")
    return text[:160] if text else type(e).__name__


def text_card(src: Path) -> dict:
    """What a text output's card shows: the title and duration its `#` lines state (`# 标题：…`,
    `# 时长：约 N 秒`, see speech.py), its first lines as read, and its length in characters."""
    try:
        with open(src, "rb") as f:
            data = f.read(TEXT_READ + 1)
    except OSError as e:
        raise Unviewable(f"the file cannot be read: {e.strerror or e}", "文件无法读取") from None
    whole = len(data) <= TEXT_READ
    try:  # a cut in the middle of a character at the end of what was read is not an error
        text = codecs.getincrementaldecoder("utf-8-sig")().decode(data[:TEXT_READ], final=whole)
    except UnicodeDecodeError:
        raise Unviewable("the text is not UTF-8", "不是 UTF-8 文本") from None
    title: str | None = None
    seconds: int | None = None
    lines: list[str] = []
    more = not whole
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("#"):
            if title is None and (m := TITLE_RE.match(line)):
                title = m[1]
            elif seconds is None and (m := DURATION_RE.match(line)):
                seconds = int(m[1])
        elif line and len(lines) == TEXT_LINES:
            more = True
        elif line:
            lines.append(line if len(line) <= TEXT_LINE_CHARS else line[:TEXT_LINE_CHARS - 1] + "…")
    return {"title": title, "seconds": seconds, "lines": lines, "more": more,
            "chars": len(text.strip()) if whole else None}


def make_preview(out: Path, names=Names, jobs: int | None = None, warn=None) -> PreviewReport:
    """`names`: a function giving the gallery's Names (loading the project costs more than a no-op preview
    may take, so it is called only when index.html is written). `warn(message)`: by default a `warning: …`
    line on stderr, as the other commands print theirs."""
    out = Path(out)
    warn = warn or _warn
    manifest_path = out / "manifest.json"
    try:
        manifest_bytes = read_regular(manifest_path, follow=True)  # a FIFO or a device is never read (N150)
        outputs = json.loads(manifest_bytes.decode("utf-8"))["outputs"]
    except FileNotFoundError:
        raise AntifraudError(Problem(Location(display(manifest_path)), "no manifest: nothing has been built here",
                                     "run `antifraud build` first, or give the build's output folder with -o")) from None
    except (OSError, ValueError, KeyError, TypeError) as e:
        why = e.strerror if isinstance(e, OSError) and e.strerror else e
        raise AntifraudError(Problem(Location(display(manifest_path)), f"cannot read the manifest: {why}",
                                     "build again to write a new one")) from None
    folder = out / FOLDER
    try:
        st = os.lstat(folder)
    except OSError:
        st = None
    if st is not None and not stat.S_ISDIR(st.st_mode):  # a link would take thumbnails (and deletions) elsewhere
        raise AntifraudError(Problem(
            Location(display(folder)), "is a symbolic link" if stat.S_ISLNK(st.st_mode) else "is not a folder",
            "remove it (preview makes the thumbnails again); preview never writes through a link"))
    outputs = _trusted_outputs(out, outputs, manifest_path, warn)
    try:
        saved = json.loads(read_regular(folder / STATE).decode("utf-8"))
        state, last_manifest = _trusted_state(out, saved["outputs"], folder / STATE, warn), saved["manifest"]
        forgot = state != saved["outputs"]  # written again without what was ignored: warned about once
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        state, last_manifest, forgot = {}, None, False
    manifest_sha = hashlib.sha256(manifest_bytes).hexdigest()
    report = PreviewReport()
    todo, fresh = [], {}
    for entry in outputs:
        rel = entry["path"]
        try:
            sha = sha256_file(out / rel)
        except OSError:
            report.missing.append(rel)
            continue
        known = state.get(rel)
        if (known and known.get("sha256") == sha and (known["thumbs"] or known.get("text") or known.get("problem"))
                and all((folder / t[0]).is_file() for t in known["thumbs"])):
            fresh[rel] = known
            report.kept.append(rel)
        else:
            fresh[rel] = {"sha256": sha, "thumbs": []}
            todo.append(rel)
    for rel, shown in _run(out, todo, jobs):
        fresh[rel].update(shown)
        report.rendered.append(rel)
    for entry in outputs:  # in the manifest's order; each run says again what its gallery cannot show
        shown = fresh.get(entry["path"])
        if shown and shown.get("problem"):
            report.placeholders.append(entry["path"])
            warn(f"{display(out / entry['path'])}: {shown['problem']}; the gallery shows a placeholder")
    report.removed = _prune(folder, fresh, state)
    if todo or report.removed or forgot or manifest_sha != last_manifest or not (out / INDEX).is_file():
        # names come from the project; what they name is printed on the outputs, so the manifest changes with them
        folder.mkdir(parents=True, exist_ok=True)
        _write_if_changed(out / INDEX, gallery(outputs, fresh, names()))
        _write_if_changed(folder / STATE, json.dumps({"manifest": manifest_sha, "outputs": fresh},
                                                     ensure_ascii=False, indent=1, sort_keys=True))
    return report


def _warn(message: str) -> None:
    import click

    # the message holds paths from the manifest: nothing in it may drive the terminal
    click.echo("warning: " + "".join(c if c.isprintable() else repr(c)[1:-1] for c in message), err=True)


def _run(out: Path, todo: list[str], jobs: int | None):
    tasks = [(str(out), rel) for rel in todo]
    workers = min(worker_count(jobs), len(tasks))  # at most one per CPU (N170)
    if workers <= 1 or len(tasks) < 4:
        yield from map(render_thumbs, tasks)
        return
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    method = "fork" if "fork" in mp.get_all_start_methods() else None
    with ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context(method)) as pool:
        yield from pool.map(render_thumbs, tasks, chunksize=max(1, len(tasks) // (workers * 4)))


def _prune(folder: Path, fresh: dict, old: dict) -> int:
    """Delete thumbnails the previous preview made that no current output uses (`old` holds only names
    _trusted_state accepted; folders are opened without following links all the same)."""
    keep = {t[0] for v in fresh.values() for t in v["thumbs"]}
    removed = 0
    for value in old.values():
        for thumb in value.get("thumbs", []):
            if thumb[0] not in keep and _remove_thumb(folder, thumb[0]):
                removed += 1
    return removed


def _remove_thumb(folder: Path, name: str) -> bool:
    """Unlink OUT/_preview/NAME if it is a regular file reached without a symbolic link."""
    *parents, leaf = name.split("/")
    try:
        top = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return False
    try:
        fd = descend(top, parents)
    except OSError:
        return False
    finally:
        os.close(top)
    try:
        if not stat.S_ISREG(os.stat(leaf, dir_fd=fd, follow_symlinks=False).st_mode):
            return False
        os.unlink(leaf, dir_fd=fd)
        return True
    except OSError:
        return False
    finally:
        os.close(fd)


def _write_if_changed(path: Path, text: str) -> None:
    data = text.encode("utf-8")
    try:
        if read_regular(path) == data:
            return
    except OSError:
        pass
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


# ---------------------------------------------------------------- the gallery

CSS = """
body{font-family:"Noto Sans SC","Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:0;background:#f4f4f2;color:#1a1a1a}
header{background:#9b1b1f;color:#fff;padding:16px 24px}
header h1{margin:0;font-size:22px} header p{margin:4px 0 0;font-size:14px;opacity:.9}
main{padding:8px 24px 32px}
h2{font-size:20px;margin:28px 0 4px;border-bottom:2px solid #9b1b1f;padding-bottom:4px}
h3{font-size:16px;margin:16px 0 8px;color:#444}
.outputs{display:flex;flex-wrap:wrap;gap:14px}
.output{background:#fff;border:1px solid #ddd;border-radius:6px;padding:10px;max-width:400px}
.output .pages{display:flex;gap:6px;align-items:flex-start;flex-wrap:wrap}
.output img{display:block;max-width:180px;max-height:240px;width:auto;height:auto;border:1px solid #ccc;background:#fff}
.output.wide img{max-width:380px}
.output .name{font-weight:bold;margin-top:8px} .output .meta{font-size:13px;color:#555}
.output a.sheet{display:block;width:240px;min-height:150px;padding:10px 12px;border:1px solid #ccc;
 background:#fffdf6;color:#1a1a1a;text-decoration:none;font-size:13px;line-height:1.6}
.output a.sheet .title{font-weight:bold;margin-bottom:4px} .output a.sheet p{margin:0}
.output a.sheet .more{color:#888}
.output a.blank{display:flex;flex-direction:column;justify-content:center;align-items:center;gap:6px;
 width:180px;height:240px;border:1px dashed #999;color:#555;
 background:repeating-linear-gradient(45deg,#f6f6f6 0 10px,#ececec 10px 20px);text-decoration:none;text-align:center;font-size:14px}
.output a.blank b{font-size:16px;color:#9b1b1f}
a{color:#0b3c7a}
"""


def _size_text(entry: dict, names: Names) -> str:
    product = names.products.get(entry.get("product") or "")
    size = entry.get("size") or ""
    if product and size in product[1]:
        w, h, fmt, px = product[1][size]
        if fmt == "png":
            return f"{px}×{round(px * h / w)} px"
        return f"{size}, {w:g}×{h:g} mm" if size != f"{w:g}x{h:g}" else f"{w:g}×{h:g} mm"
    return size


def audience_order(ids, names: Names) -> list[str]:
    """The audiences as the gallery lists them: the elderly first, the bank staff last, the others in the
    project's order, audiences the project no longer knows after them by id; station-wide outputs (no
    audience) before all."""
    known = {aid: n for n, aid in enumerate(names.audiences)}

    def key(aid: str):
        rank = 0 if aid in FIRST_AUDIENCES else 2 if aid in LAST_AUDIENCES else 1
        return (aid != "", rank, known.get(aid, len(known)), aid)

    return sorted(ids, key=key)


def _duration_text(seconds: int) -> str:
    if seconds < 60:
        return f"约 {seconds} 秒"
    minutes, rest = divmod(seconds, 60)
    return f"约 {seconds} 秒（{minutes} 分 {rest} 秒）" if rest else f"约 {seconds} 秒（{minutes} 分钟）"


def _card(entry: dict, shown: dict, names: Names) -> str:
    esc = html.escape
    rel = entry["path"]
    href = quote(rel)
    product = names.products.get(entry.get("product") or "")
    label = f"{product[0]}（{entry.get('product')}）" if product else entry.get("product") or rel
    thumbs = shown.get("thumbs", [])
    text = shown.get("text") if isinstance(shown.get("text"), dict) else None
    meta = [_size_text(entry, names)]
    if shown.get("problem"):
        kind, body = "output placeholder", (
            f'<a class="blank" href="{href}"><b>无法预览</b><span>{esc(str(shown.get("label") or ""))}</span>'
            "<span>点击打开文件</span></a>")
    elif text is not None:
        lines = [str(line) for line in text.get("lines") or []]
        title = f'<p class="title">{esc(str(text["title"]))}</p>' if text.get("title") else ""
        body = "".join(f"<p>{esc(line)}</p>" for line in lines)
        body += '<p class="more">……</p>' if text.get("more") else ""
        kind, body = "output script", f'<a class="sheet" href="{href}">{title}{body}</a>'
        seconds = text.get("seconds")
        meta = ["文本", f"时长{_duration_text(seconds)}" if isinstance(seconds, int) else
                f"{text['chars']} 字" if isinstance(text.get("chars"), int) else ""]
    elif thumbs:
        wide = any(w > 2 * h for _, w, h in thumbs)
        kind = "output wide" if wide else "output"
        body = "".join(f'<a href="{href}"><img src="{quote(FOLDER + "/" + name)}" width="{w}" height="{h}" '
                       f'alt="{esc(label)} 第{n}页"></a>' for n, (name, w, h) in enumerate(thumbs, 1))
        meta.append(f"{len(thumbs)} 页")
    else:
        kind, body = "output", "<span class=meta>（文件缺失）</span>"
    about = " · ".join([esc(m) for m in meta if m] + [f'<a href="{href}">{esc(rel)}</a>'])
    return (f'<div class="{kind}"><div class="pages">{body}</div><div class="name"><a href="{href}">{esc(label)}</a>'
            f'</div><div class="meta">{about}</div></div>')


def gallery(outputs: list[dict], state: dict, names: Names) -> str:
    groups: dict[str, dict[str, list[dict]]] = {}
    for entry in sorted(outputs, key=lambda e: ((e.get("unit") or ""), e["path"])):
        groups.setdefault(entry.get("unit") or "", {}).setdefault(entry.get("audience") or "", []).append(entry)
    esc = html.escape
    parts = ["<!DOCTYPE html>", '<html lang="zh-CN"><head><meta charset="utf-8">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             "<title>反诈宣传材料一览</title>", f"<style>{CSS}</style></head><body>",
             f"<header><h1>反诈宣传材料一览</h1><p>{len(outputs)} 个文件 · 点击缩略图打开文件</p></header><main>"]
    for unit, audiences in groups.items():
        title = f"{names.units.get(unit, unit)}（{unit}）" if unit else "全镇通用（不分村社）"
        parts.append(f'<section class="unit"><h2>{esc(title)}</h2>')
        for audience in audience_order(audiences, names):
            parts.append(f'<h3>{esc(names.audiences.get(audience, audience) or "—")}</h3><div class="outputs">')
            parts.extend(_card(entry, state.get(entry["path"], {}), names) for entry in audiences[audience])
            parts.append("</div>")
        parts.append("</section>")
    parts.append("</main></body></html>\n")
    return "\n".join(parts)
