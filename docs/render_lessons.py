"""Render the README's pictures of the school products: build the built-in project for pupils and students and
make docs/lesson.png (nine of the pupils' slides, drawn from the PPTX's shapes by slides.preview),
docs/parents-letter.png (the pupils' and students' letters side by side) and docs/video-script.png (the pupils'
two pages).

    python docs/render_lessons.py               # into docs/
    python docs/render_lessons.py --out /tmp/x  # somewhere else

The build day is SOURCE_DATE_EPOCH, else 2027-01-10.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HEIGHT = 900  # px of an A4 page
SLIDE_PX = 560  # px of a slide's width
SLIDES = [0, 2, 3, 6, 7, 8, 15, 16, 17]  # title, two stories, red flags, a question and its answer, the end


def build(work: Path) -> None:
    env = {**os.environ, "SOURCE_DATE_EPOCH": os.environ.get("SOURCE_DATE_EPOCH", "1799539200")}
    args = [sys.executable, "-m", "antifraud_cli", "build", "-o", str(work), "-a", "pupils", "-a", "students"]
    for product in ("lesson", "parents-letter", "video-script", "video-script-sheet"):
        args += ["-p", product]
    subprocess.run(args, cwd=work, env=env, check=True, capture_output=True)


def pages(pdf: Path) -> list:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(str(pdf))
    return [page.render(scale=HEIGHT / page.get_height()).to_pil().convert("RGB") for page in doc]


def side_by_side(images: list, gap: int = 24):
    from PIL import Image

    sheet = Image.new("RGB", (sum(i.width for i in images) + gap * (len(images) - 1),
                              max(i.height for i in images)), "#DDDDDD")
    x = 0
    for image in images:
        sheet.paste(image, (x, 0))
        x += image.width + gap
    return sheet


def slide_grid(pptx: Path, cols: int = 3, gap: int = 16):
    from PIL import Image, ImageDraw

    from antifraud_cli.slides import preview

    slides = preview(pptx.read_bytes(), SLIDE_PX)
    chosen = [slides[i] for i in SLIDES if i < len(slides)]
    w, h = chosen[0].size
    rows = (len(chosen) + cols - 1) // cols
    sheet = Image.new("RGB", (cols * w + (cols - 1) * gap, rows * h + (rows - 1) * gap), "#DDDDDD")
    for n, slide in enumerate(chosen):
        ImageDraw.Draw(slide).rectangle([0, 0, w - 1, h - 1], outline="#9E9E9E")
        sheet.paste(slide, ((n % cols) * (w + gap), (n // cols) * (h + gap)))
    return sheet


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).parent)
    out = parser.parse_args().out
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        build(work)
        side_by_side(pages(work / "pupils" / "parents-letter.pdf") + pages(work / "students" / "parents-letter.pdf")) \
            .save(out / "parents-letter.png", optimize=True)
        side_by_side(pages(work / "pupils" / "video-script.pdf")).save(out / "video-script.png", optimize=True)
        slide_grid(work / "pupils" / "lesson.pptx").save(out / "lesson.png", optimize=True)


if __name__ == "__main__":
    main()
