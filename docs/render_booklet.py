"""Render the README's pictures of the booklet, the notice, the sticker and the screen image (issue 23): build a
small project (a station, one village and its officer) and turn the outputs into PNGs.

    python docs/render_booklet.py                 # docs/booklet-elderly.png, notice.png, sticker.png, screen.png
    python docs/render_booklet.py --out /tmp/x    # somewhere else

The build day is SOURCE_DATE_EPOCH, else 2027-01-10.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

PROJECT = """\
station: {name: 新城派出所, authority: 韩城市公安局, phone: "0913-5212110", address: 新城路1号}
officers:
  - {name: 李明, title: 社区民警, phone: "13800001111", units: [dongguan]}
units:
  - {id: dongguan, name: 东关村, officer: 李明}
"""
PAGE_H = 420  # px of a booklet page, the sticker
GAP, BACKGROUND = 24, "#DDDDDD"
SLUG_PT = 10 * 72 / 25.4  # the crop-mark margin round a page: left out of the pictures


def pages(pdf: Path, height: int) -> list:
    """Each page of a PDF as an image `height` px high, trimmed (without the crop-mark margin)."""
    import pypdfium2 as pdfium

    out = []
    for page in pdfium.PdfDocument(str(pdf)):
        scale = height / (page.get_height() - 2 * SLUG_PT)
        image = page.render(scale=scale).to_pil().convert("RGB")
        s = round(SLUG_PT * scale)
        out.append(image.crop((s, s, image.width - s, image.height - s)))
    return out


def row(images: list, gap: int = GAP):
    from PIL import Image

    sheet = Image.new("RGB", (sum(i.width for i in images) + gap * (len(images) - 1), max(i.height for i in images)),
                      BACKGROUND)
    x = 0
    for image in images:
        sheet.paste(image, (x, 0))
        x += image.width + gap
    return sheet


def column(images: list, gap: int = GAP):
    from PIL import Image

    sheet = Image.new("RGB", (max(i.width for i in images), sum(i.height for i in images) + gap * (len(images) - 1)),
                      BACKGROUND)
    y = 0
    for image in images:
        sheet.paste(image, (0, y))
        y += image.height + gap
    return sheet


def save(image, path: Path) -> None:
    image.quantize(colors=128).save(path, optimize=True)  # few colours: a tenth of the full-colour size


def render(out: Path) -> None:
    from PIL import Image

    with tempfile.TemporaryDirectory() as work:
        (Path(work) / "antifraud.yaml").write_text(PROJECT, encoding="utf-8")
        env = {**os.environ, "SOURCE_DATE_EPOCH": os.environ.get("SOURCE_DATE_EPOCH", "1799539200")}
        args = [sys.executable, "-m", "antifraud_cli", "build", "-a", "elderly", "-a", "students"]
        for product in ("booklet", "notice", "sticker", "screen"):
            args += ["-p", product]
        subprocess.run(args, cwd=work, env=env, check=True, capture_output=True)
        station = Path(work) / "dist"  # the sticker and the screen: once for the station, per audience
        dist = station / "dongguan"  # the booklet and the notice: per village
        out.mkdir(parents=True, exist_ok=True)
        # the booklet as it is read: the cover, the spreads (facing pages side by side), the back cover
        p = pages(dist / "elderly/booklet.pdf", PAGE_H)
        spreads = [p[0]] + [row([p[i], p[i + 1]], gap=2) for i in range(1, len(p) - 1, 2)] + [p[-1]]
        half = (len(spreads) + 1) // 2
        save(column([row(spreads[:half]), row(spreads[half:])]), out / "booklet-elderly.png")
        save(row(pages(dist / "notice.pdf", 900)), out / "notice.png")
        save(row(pages(station / "elderly/sticker.pdf", PAGE_H) + pages(station / "students/sticker.pdf", PAGE_H)),
             out / "sticker.png")
        screens = [Image.open(station / f"{a}/screen.png").convert("RGB").resize((960, 540), Image.LANCZOS)
                   for a in ("elderly", "students")]
        save(row(screens), out / "screen.png")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent)
    render(parser.parse_args().out)


if __name__ == "__main__":
    main()
