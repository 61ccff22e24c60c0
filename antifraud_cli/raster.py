"""Pixels from rendered PDFs: the PNG of a screen product (sRGB, its text in a `Description` chunk) and the
preview's thumbnails. pypdfium2 and Pillow are imported only when an image is made."""
from __future__ import annotations

import io
import re

from .layoutdoc import Node

TEXT_TAGS = {"text", "h", "p", "item"}


def layout_text(docs: list[Node]) -> str:
    """Every text of the layout documents, one per line in drawing order: a screen image's alt text."""
    lines: list[str] = []

    def walk(node: Node) -> None:
        for child in node.elements():
            if child.tag in TEXT_TAGS:
                text = re.sub(r"[ \t\r\n]+", " ", child.text()).strip()
                if text:
                    lines.append(text)
            else:
                walk(child)

    for doc in docs:
        walk(doc)
    return "\n".join(lines)


def render_pages(pdf, longest_px: int | None = None, width_px: int | None = None) -> list:
    """Each page of a PDF (bytes or a path) as an RGB Pillow image, `width_px` wide or with its longer side
    `longest_px` long. The page's /UserUnit does not matter: the scale comes from the page's own size."""
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(pdf)
    try:
        images = []
        for page in doc:
            w, h = page.get_size()
            scale = width_px / w if width_px else longest_px / max(w, h)
            images.append(page.render(scale=scale, draw_annots=False).to_pil().convert("RGB"))
            page.close()
        return images
    finally:
        doc.close()


def png_from_pdf(pdf: bytes, width_px: int, description: str) -> bytes:
    """A one-page RGB PDF as a PNG `width_px` wide: sRGB (the PDF's colours are the palette's RGB), with an
    iTXt `Description` chunk holding the full text for screen readers and search."""
    from PIL import PngImagePlugin

    (image,) = render_pages(pdf, width_px=width_px)
    info = PngImagePlugin.PngInfo()
    info.add(b"sRGB", b"\x00")  # the pixels are sRGB (perceptual intent)
    info.add_itxt("Description", description, lang="zh-CN")
    out = io.BytesIO()
    image.save(out, format="PNG", pnginfo=info, compress_level=6)  # optimize: 2x the time for 3 % less
    return out.getvalue()
