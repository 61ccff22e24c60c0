"""`antifraud preview`: a PNG thumbnail of every page of every output in OUT, and OUT/index.html to browse them.

Thumbnails live in OUT/_preview/ (no unit, audience or product id starts with `_`), named after the output.
OUT/_preview/state.json remembers the sha256 each output had when its thumbnails were made, so a second run
renders only outputs whose content changed. The gallery is plain HTML and CSS with relative links: it opens
from the file system, offline. pypdfium2 and Pillow are imported only when something is rendered.
"""
from __future__ import annotations

import hashlib
import html
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from .errors import AntifraudError, Location, Problem
from .paths import display

FOLDER = "_preview"
STATE = "state.json"
INDEX = "index.html"
THUMB_PX = 360  # the longer side of a thumbnail


@dataclass
class PreviewReport:
    rendered: list[str] = field(default_factory=list)  # outputs whose thumbnails were made now
    kept: list[str] = field(default_factory=list)  # unchanged since the last preview
    missing: list[str] = field(default_factory=list)  # in the manifest, but not on disk
    removed: int = 0  # thumbnails of outputs no longer in the manifest

    def summary(self, out: Path) -> str:
        gone = f", {len(self.missing)} missing from {display(out)}" if self.missing else ""
        return (f"previewed {len(self.rendered)}, unchanged {len(self.kept)}{gone}: "
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


def render_thumbs(task: tuple[str, str]) -> tuple[str, list[tuple[str, int, int]]]:
    """Thumbnails of one output (run in workers): [(name under _preview, width, height)]."""
    out, rel = task
    from .raster import render_pages

    src = Path(out) / rel
    if rel.endswith(".png"):
        from PIL import Image

        with Image.open(src) as opened:
            image = opened.convert("RGB")
            image.thumbnail((THUMB_PX, THUMB_PX))
            images = [image]
    else:
        images = render_pages(str(src), longest_px=THUMB_PX)
    made = []
    for name, image in zip(thumb_names(rel, len(images)), images):
        target = Path(out) / FOLDER / name
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(target.name + ".tmp")
        image.save(tmp, format="PNG", compress_level=1)  # thumbnails are small: speed over bytes
        os.replace(tmp, target)
        made.append((name, image.width, image.height))
    return rel, made


def make_preview(out: Path, names=Names, jobs: int | None = None) -> PreviewReport:
    """`names`: a function giving the gallery's Names (loading the project costs more than a no-op preview
    may take, so it is called only when index.html is written)."""
    out = Path(out)
    manifest_path = out / "manifest.json"
    try:
        manifest_bytes = manifest_path.read_bytes()
        outputs = json.loads(manifest_bytes.decode("utf-8"))["outputs"]
    except FileNotFoundError:
        raise AntifraudError(Problem(Location(display(manifest_path)), "no manifest: nothing has been built here",
                                     "run `antifraud build` first, or give the build's output folder with -o")) from None
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise AntifraudError(Problem(Location(display(manifest_path)), f"cannot read the manifest: {e}",
                                     "build again to write a new one")) from None
    folder = out / FOLDER
    try:
        saved = json.loads((folder / STATE).read_text(encoding="utf-8"))
        state, last_manifest = saved["outputs"], saved["manifest"]
    except (OSError, ValueError, KeyError, TypeError):
        state, last_manifest = {}, None
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
        if known and known.get("sha256") == sha and all((folder / t[0]).is_file() for t in known["thumbs"]):
            fresh[rel] = known
            report.kept.append(rel)
        else:
            fresh[rel] = {"sha256": sha, "thumbs": []}
            todo.append(rel)
    for rel, made in _run(out, todo, jobs):
        fresh[rel]["thumbs"] = made
        report.rendered.append(rel)
    report.removed = _prune(folder, fresh, state)
    if todo or report.removed or manifest_sha != last_manifest or not (out / INDEX).is_file():
        # names come from the project; what they name is printed on the outputs, so the manifest changes with them
        folder.mkdir(parents=True, exist_ok=True)
        _write_if_changed(out / INDEX, gallery(outputs, fresh, names()))
        _write_if_changed(folder / STATE, json.dumps({"manifest": manifest_sha, "outputs": fresh},
                                                     ensure_ascii=False, indent=1, sort_keys=True))
    return report


def _run(out: Path, todo: list[str], jobs: int | None):
    tasks = [(str(out), rel) for rel in todo]
    workers = min(jobs or os.cpu_count() or 1, len(tasks))
    if workers <= 1 or len(tasks) < 4:
        yield from map(render_thumbs, tasks)
        return
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    method = "fork" if "fork" in mp.get_all_start_methods() else None
    with ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context(method)) as pool:
        yield from pool.map(render_thumbs, tasks, chunksize=max(1, len(tasks) // (workers * 4)))


def _prune(folder: Path, fresh: dict, old: dict) -> int:
    """Delete thumbnails the previous preview made that no current output uses."""
    keep = {t[0] for v in fresh.values() for t in v["thumbs"]}
    removed = 0
    for value in old.values():
        for thumb in value.get("thumbs", []):
            name = thumb[0]
            if name in keep or ".." in Path(name).parts:
                continue
            try:
                (folder / name).unlink()
                removed += 1
            except OSError:
                pass
    return removed


def _write_if_changed(path: Path, text: str) -> None:
    data = text.encode("utf-8")
    try:
        if path.read_bytes() == data:
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


def gallery(outputs: list[dict], state: dict, names: Names) -> str:
    groups: dict[str, dict[str, list[dict]]] = {}
    for entry in sorted(outputs, key=lambda e: ((e.get("unit") or ""), e.get("audience") or "", e["path"])):
        groups.setdefault(entry.get("unit") or "", {}).setdefault(entry.get("audience") or "", []).append(entry)
    esc = html.escape
    parts = ["<!DOCTYPE html>", '<html lang="zh-CN"><head><meta charset="utf-8">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             "<title>反诈宣传材料一览</title>", f"<style>{CSS}</style></head><body>",
             f"<header><h1>反诈宣传材料一览</h1><p>{len(outputs)} 个文件 · 点击缩略图打开文件</p></header><main>"]
    for unit, audiences in groups.items():
        title = f"{names.units.get(unit, unit)}（{unit}）" if unit else "全镇通用（不分村社）"
        parts.append(f'<section class="unit"><h2>{esc(title)}</h2>')
        for audience, entries in audiences.items():
            parts.append(f'<h3>{esc(names.audiences.get(audience, audience) or "—")}</h3><div class="outputs">')
            for entry in entries:
                rel = entry["path"]
                href = quote(rel)
                product = names.products.get(entry.get("product") or "")
                label = f"{product[0]}（{entry.get('product')}）" if product else entry.get("product") or rel
                thumbs = state.get(rel, {}).get("thumbs", [])
                wide = any(w > 2 * h for _, w, h in thumbs)
                parts.append(f'<div class="output{" wide" if wide else ""}"><div class="pages">')
                for n, (name, w, h) in enumerate(thumbs, 1):
                    parts.append(f'<a href="{href}"><img src="{quote(FOLDER + "/" + name)}" width="{w}" height="{h}" '
                                 f'alt="{esc(label)} 第{n}页"></a>')
                if not thumbs:
                    parts.append("<span class=meta>（文件缺失）</span>")
                parts.append(f'</div><div class="name"><a href="{href}">{esc(label)}</a></div>'
                             f'<div class="meta">{esc(_size_text(entry, names))} · {len(thumbs)} 页 · '
                             f'<a href="{href}">{esc(rel)}</a></div></div>')
            parts.append("</div>")
        parts.append("</section>")
    parts.append("</main></body></html>\n")
    return "\n".join(parts)
