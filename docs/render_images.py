"""Render the README's pictures of a kit: build the built-in project for some audiences and turn every page of
the poster, leaflet, card, card sheet and picture poster into one PNG per product (pages side by side).

    python docs/render_images.py elderly pupils              # docs/<audience>-<product>.png and
                                                             # docs/picture-poster-<audience>.png
    python docs/render_images.py --out /tmp/after elderly    # somewhere else, e.g. to compare versions
    python docs/render_images.py --compare /tmp/before /tmp/after --out docs/compare elderly
    python docs/render_images.py --compare /tmp/before /tmp/after --labels "before: 37bf0e5" "after" students
    python docs/render_images.py --date 2026-12-01 --pdfs /tmp/after-pdf --out /tmp/after elderly
    python docs/render_images.py --measure /tmp/before-pdf /tmp/after-pdf elderly

The build day is --date, else SOURCE_DATE_EPOCH, else 2027-01-10. --pdfs keeps the built PDFs
(<dir>/<audience>/<product>.pdf). With --compare, nothing is built: the two folders' images of each product
are put one above the other (before, after) for looking at a change by eye. With --measure, nothing is built
either: the two folders' PDFs are compared page by page (page count, extracted text, share of pixels that
differ at 50 dpi, and the share that differ by more than a quarter of the range: not anti-aliasing). Run
with PYTHONPATH pointing at an older checkout to render that version.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

PRODUCTS = ["poster", "leaflet", "card", "card-sheet", "picture-poster"]
HEIGHT = 700  # px of the tallest page in a picture
TOLD = {"picture-poster": 1000}  # products shown larger, as picture-poster-<audience>.png: px of their page


def render_kit(audiences: list[str], out: Path, date: str | None = None, pdfs: Path | None = None) -> None:
    import pypdfium2 as pdfium
    from PIL import Image

    with tempfile.TemporaryDirectory() as work:
        env = {**os.environ, "SOURCE_DATE_EPOCH": os.environ.get("SOURCE_DATE_EPOCH", "1799539200")}
        args = [sys.executable, "-m", "antifraud_cli", "build", "-o", work]  # the day: SOURCE_DATE_EPOCH
        if date:
            args += ["--date", date]
        for a in audiences:
            args += ["-a", a]
        for p in PRODUCTS:
            args += ["-p", p]
        subprocess.run(args, cwd=work, env=env, check=True, capture_output=True)
        out.mkdir(parents=True, exist_ok=True)
        if pdfs:
            for audience in audiences:
                (pdfs / audience).mkdir(parents=True, exist_ok=True)
                for product in PRODUCTS:
                    shutil.copyfile(Path(work) / audience / f"{product}.pdf", pdfs / audience / f"{product}.pdf")
        for audience in audiences:
            for product in PRODUCTS:
                pdf = pdfium.PdfDocument(str(Path(work) / audience / f"{product}.pdf"))
                pages = []
                for page in pdf:
                    scale = TOLD.get(product, HEIGHT) / page.get_height()
                    pages.append(page.render(scale=scale).to_pil().convert("RGB"))
                gap = 24
                sheet = Image.new("RGB", (sum(p.width for p in pages) + gap * (len(pages) - 1),
                                          max(p.height for p in pages)), "#DDDDDD")
                x = 0
                for p in pages:
                    sheet.paste(p, (x, 0))
                    x += p.width + gap
                _save(sheet, out / (f"{product}-{audience}.png" if product in TOLD else f"{audience}-{product}.png"))


def compare(before: Path, after: Path, out: Path, labels: list[str] | None = None) -> None:
    from PIL import Image, ImageDraw, ImageFont

    out.mkdir(parents=True, exist_ok=True)
    font = ImageFont.load_default(size=20) if labels else None
    for b in sorted(before.glob("*.png")):
        a = after / b.name
        if not a.exists():
            continue
        top, bottom = Image.open(b), Image.open(a)
        label = 40
        sheet = Image.new("RGB", (max(top.width, bottom.width), top.height + bottom.height + 2 * label), "white")
        draw = ImageDraw.Draw(sheet)
        text_b, text_a = labels or (f"before: {b}", f"after: {a}")
        draw.text((8, 8), text_b, fill="black", font=font)
        sheet.paste(top, (0, label))
        draw.text((8, top.height + label + 8), text_a, fill="black", font=font)
        sheet.paste(bottom, (0, top.height + 2 * label))
        _save(sheet, out / b.name)


def measure(before: Path, after: Path, audiences: list[str], dpi: float = 50) -> list[dict]:
    """Each product's PDFs in the two folders compared: pages, text, differing pixels at `dpi`."""
    import pypdfium2 as pdfium
    from PIL import ImageChops

    rows = []
    for audience in audiences:
        for product in PRODUCTS:
            name = f"{audience}/{product}.pdf"
            b, a = pdfium.PdfDocument(str(before / name)), pdfium.PdfDocument(str(after / name))
            row = {"pdf": name, "pages": (len(b), len(a)), "text_equal": True, "sizes_equal": True,
                   "pixels": 0, "differ": 0, "differ_much": 0, "largest": 0}
            for pb, pa in zip(b, a):
                tb, ta = (p.get_textpage().get_text_range() for p in (pb, pa))
                row["text_equal"] &= tb == ta
                row["sizes_equal"] &= all(abs(x - y) < 0.01 for x, y in zip(pb.get_size(), pa.get_size()))
                ib, ia = (p.render(scale=dpi / 72).to_pil().convert("RGB") for p in (pb, pa))
                if ib.size != ia.size:
                    ia = ia.resize(ib.size)
                r, g, b_ = ImageChops.difference(ib, ia).split()
                histogram = ImageChops.lighter(ImageChops.lighter(r, g), b_).histogram()  # the largest channel
                row["pixels"] += ib.width * ib.height
                row["differ"] += sum(histogram[1:])
                row["differ_much"] += sum(histogram[64:])
                row["largest"] = max([row["largest"]] + [level for level, n in enumerate(histogram) if n])
            rows.append(row)
    return rows


def print_measure(rows: list[dict]) -> None:
    print("| PDF | pages before/after | same page sizes | same text | pixels differing at 50 dpi | by > 25 % "
          "| largest difference (of 255) |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['pdf']} | {r['pages'][0]}/{r['pages'][1]} | {'yes' if r['sizes_equal'] else 'NO'} | "
              f"{'yes' if r['text_equal'] else 'NO'} | {100 * r['differ'] / r['pixels']:.2f} % | "
              f"{100 * r['differ_much'] / r['pixels']:.2f} % | {r['largest']} |")


def _save(image, path: Path) -> None:
    """A palette PNG: the pictures stay a tenth of their full-colour size, and these pages have few colours."""
    image.quantize(colors=128).save(path, optimize=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("audiences", nargs="+")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent)
    parser.add_argument("--compare", nargs=2, type=Path, metavar=("BEFORE", "AFTER"))
    parser.add_argument("--measure", nargs=2, type=Path, metavar=("BEFORE", "AFTER"))
    parser.add_argument("--labels", nargs=2, metavar=("BEFORE", "AFTER"),
                        help="with --compare: the captions above the two pictures (default: their paths)")
    parser.add_argument("--date", help="the build day, YYYY-MM-DD")
    parser.add_argument("--pdfs", type=Path, help="keep the built PDFs in this folder")
    args = parser.parse_args()
    if args.compare:
        compare(*args.compare, args.out, args.labels)
    elif args.measure:
        print_measure(measure(*args.measure, args.audiences))
    else:
        render_kit(args.audiences, args.out, args.date, args.pdfs)


if __name__ == "__main__":
    main()
