"""Render the README's pictures of a kit: build the built-in project for some audiences and turn every page of
the poster, leaflet, card and card sheet into one PNG per product (pages side by side).

    python docs/render_images.py elderly students            # docs/<audience>-<product>.png
    python docs/render_images.py --out /tmp/after elderly    # somewhere else, e.g. to compare versions
    python docs/render_images.py --compare /tmp/before /tmp/after --out docs/compare elderly

With --compare, nothing is built: the two folders' images of each product are put one above the other
(before, after) for looking at a change by eye. Run with PYTHONPATH pointing at an older checkout to
render that version.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

PRODUCTS = ["poster", "leaflet", "card", "card-sheet"]
HEIGHT = 700  # px of the tallest page in a picture


def render_kit(audiences: list[str], out: Path) -> None:
    import pypdfium2 as pdfium
    from PIL import Image

    with tempfile.TemporaryDirectory() as work:
        env = {**os.environ, "SOURCE_DATE_EPOCH": os.environ.get("SOURCE_DATE_EPOCH", "1799539200")}
        args = [sys.executable, "-m", "antifraud_cli", "build", "-o", work]  # the day: SOURCE_DATE_EPOCH
        for a in audiences:
            args += ["-a", a]
        for p in PRODUCTS:
            args += ["-p", p]
        subprocess.run(args, cwd=work, env=env, check=True, capture_output=True)
        out.mkdir(parents=True, exist_ok=True)
        for audience in audiences:
            for product in PRODUCTS:
                pdf = pdfium.PdfDocument(str(Path(work) / audience / f"{product}.pdf"))
                pages = []
                for page in pdf:
                    scale = HEIGHT / page.get_height()
                    pages.append(page.render(scale=scale).to_pil().convert("RGB"))
                gap = 24
                sheet = Image.new("RGB", (sum(p.width for p in pages) + gap * (len(pages) - 1),
                                          max(p.height for p in pages)), "#DDDDDD")
                x = 0
                for p in pages:
                    sheet.paste(p, (x, 0))
                    x += p.width + gap
                _save(sheet, out / f"{audience}-{product}.png")


def compare(before: Path, after: Path, out: Path) -> None:
    from PIL import Image, ImageDraw

    out.mkdir(parents=True, exist_ok=True)
    for b in sorted(before.glob("*.png")):
        a = after / b.name
        if not a.exists():
            continue
        top, bottom = Image.open(b), Image.open(a)
        label = 40
        sheet = Image.new("RGB", (max(top.width, bottom.width), top.height + bottom.height + 2 * label), "white")
        draw = ImageDraw.Draw(sheet)
        draw.text((8, 8), f"before: {b}", fill="black")
        sheet.paste(top, (0, label))
        draw.text((8, top.height + label + 8), f"after: {a}", fill="black")
        sheet.paste(bottom, (0, top.height + 2 * label))
        _save(sheet, out / b.name)


def _save(image, path: Path) -> None:
    """A palette PNG: the pictures stay a tenth of their full-colour size, and these pages have few colours."""
    image.quantize(colors=128).save(path, optimize=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("audiences", nargs="+")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent)
    parser.add_argument("--compare", nargs=2, type=Path, metavar=("BEFORE", "AFTER"))
    args = parser.parse_args()
    if args.compare:
        compare(*args.compare, args.out)
    else:
        render_kit(args.audiences, args.out)


if __name__ == "__main__":
    main()
