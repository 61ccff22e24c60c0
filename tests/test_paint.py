"""The ReportLab painter read back: structure (pypdf, strict), ReportLab as the producer, the build's date and
language, byte-identical output, overprint inside a form (the card sheet's cards), one image object per JPEG
however often placed, a page over 200 inches drawn at a stated scale; and the private ReportLab attributes the
painter relies on, so that a ReportLab release that changes them fails here first."""
from __future__ import annotations

import io
import shutil
import subprocess

import pypdfium2 as pdfium
import pytest
from PIL import Image as PILImage
from pypdf import PdfReader
from pypdf.generic import ContentStream
from reportlab.pdfgen.canvas import Canvas

from antifraud_cli import fonts
from antifraud_cli.display import DisplayDoc, Form, Glyphs, Image, Page, Rect, Source, Use
from antifraud_cli.errors import Location
from antifraud_cli.layout import measure
from antifraud_cli.paint import _form_resources, paint

EPOCH = 1799539200  # 2027-01-10 00:00 UTC
TEXT = "扫码拨打反诈专线96110"
LATER = "谨防"  # characters only the second document uses
SRC = Source(Location("test", 1))
META = {"title": "反诈宣传单", "author": "新城派出所", "subject": "test", "keywords": "反诈", "lang": "zh-CN"}


@pytest.fixture(scope="module")
def faces(tmp_path_factory) -> tuple[str, str]:
    prepared = fonts.prepare(fonts.default_fontset(), TEXT + LATER + "，。", cache_dir=tmp_path_factory.mktemp("fc"))
    return fonts.register(prepared)


def glyphs(font: str, text: str, x: float, y: float, colour: str = "#000000", size: float = 12) -> Glyphs:
    return Glyphs(x, y, text, font, size, colour, "#FFFFFF", SRC, 0.0, measure(text, font, size))


def page(*items, w=200.0, h=100.0) -> Page:
    return Page(w, h, (10, 10, w - 10, h - 10), (5, 5, w - 5, h - 5), tuple(items))


def document(faces, text: str = TEXT, **meta) -> bytes:
    items = [glyphs(face, text, 15, y) for face, y in zip(faces, (60, 30))]
    return paint(DisplayDoc((page(*items),), {**META, **meta}), faces[0], EPOCH)


def reader(data: bytes) -> PdfReader:
    return PdfReader(io.BytesIO(data), strict=True)


def test_structure_reads_back_strictly_and_reportlab_wrote_it(faces):
    data = document(faces)
    pdf = reader(data)
    assert data.startswith(b"%PDF-1.4") and pdf.pdf_header == "%PDF-1.4"  # /Lang is PDF 1.4
    for num in range(1, pdf.trailer["/Size"]):
        assert pdf.get_object(num) is not None
    first = pdf.pages[0]
    assert [float(v) for v in first.mediabox] == [0, 0, 200, 100]
    assert [float(v) for v in first.trimbox] == [10, 10, 190, 90]
    assert [float(v) for v in first.bleedbox] == [5, 5, 195, 95]
    meta = pdf.metadata
    assert (meta.title, meta.author, meta.subject, meta["/Keywords"]) == ("反诈宣传单", "新城派出所", "test", "反诈")
    assert "ReportLab" in meta["/Producer"] and meta["/Creator"].startswith("antifraud")
    assert meta["/CreationDate"].startswith("D:20270110000000") and meta["/ModDate"] == meta["/CreationDate"]
    assert pdf.trailer["/Root"]["/Lang"] == "zh-CN"
    names = [str(f.get_object()["/BaseFont"]) for f in first["/Resources"]["/Font"].values()]
    assert len(names) == 2 and all("+" in n for n in names)  # our two faces, no unembedded Helvetica


def test_output_is_byte_identical_and_the_file_id_comes_from_the_content(faces):
    first, again = document(faces), document(faces)
    assert first == again
    other = document(faces, title="别的标题")
    ids = [reader(d).trailer["/ID"] for d in (first, other)]
    assert ids[0] != ids[1]


def test_qpdf_finds_nothing_wrong(faces, tmp_path):
    if not shutil.which("qpdf"):
        pytest.skip("qpdf is not installed")
    path = tmp_path / "doc.pdf"
    path.write_bytes(document(faces))
    result = subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_character_of_a_second_document_is_embedded_and_extracts(faces):
    first = document(faces)
    second = document(faces, text=TEXT + LATER)
    assert pdfium.PdfDocument(first)[0].get_textpage().get_text_range() == f"{TEXT}\r\n{TEXT}"
    assert pdfium.PdfDocument(second)[0].get_textpage().get_text_range() == f"{TEXT}{LATER}\r\n{TEXT}{LATER}"


def _overprint_in(stream, resources) -> list[bool]:
    """Overprint on or off for every text-showing operator of a content stream."""
    states = resources["/ExtGState"]
    current, out = {"/op": False, "/OPM": 0}, []  # ReportLab sets each entry with a graphics state of its own
    for operands, op in ContentStream(stream, None).operations:
        if op == b"gs":
            current.update(states[operands[0]].get_object())
        elif op in (b"Tj", b"TJ"):
            out.append(bool(current["/op"]) and current["/OPM"] == 1)
    return out


def test_black_text_in_a_form_overprints_and_the_form_names_its_states(faces, tmp_path):
    card = Form((0, 0, 90, 54), (Rect(0, 0, 90, 54, fill="#C0392B"), glyphs(faces[0], TEXT, 5, 20, size=10),
                                 glyphs(faces[0], TEXT, 5, 35, colour="#FFFFFF", size=12)))
    doc = DisplayDoc((page(Use("card0p0", 0, 0), Use("card0p0", 100, 0)),), META, forms={"card0p0": card})
    data = paint(doc, faces[0], EPOCH)
    sheet = reader(data).pages[0]
    forms = list(sheet["/Resources"]["/XObject"].values())
    assert len(forms) == 1
    form = forms[0].get_object()
    assert form["/Subtype"] == "/Form" and [float(v) for v in form["/BBox"]] == [0, 0, 90, 54]
    assert _overprint_in(form, form["/Resources"]) == [True, False]  # black overprints, white knocks out
    assert "/Font" in form["/Resources"]
    assert pdfium.PdfDocument(data)[0].get_textpage().get_text_range().count(TEXT) == 4
    if shutil.which("mutool"):  # MuPDF complains of a graphics state a form does not define
        path = tmp_path / "sheet.pdf"
        path.write_bytes(data)
        result = subprocess.run(["mutool", "draw", "-o", str(tmp_path / "x.png"), "-r", "20", str(path)],
                                capture_output=True, text=True)
        assert result.returncode == 0 and "error" not in result.stderr.lower(), result.stderr


def _jpeg(colour, mode="CMYK") -> bytes:
    out = io.BytesIO()
    PILImage.new(mode, (40, 30), colour).save(out, "JPEG", quality=90)
    return out.getvalue()


def test_a_jpeg_is_one_image_object_however_often_placed(faces):
    cyan, red = _jpeg((255, 0, 0, 0)), _jpeg((255, 0, 0), "RGB")
    pages = (page(Image(0, 0, 40, 30, cyan), Image(100, 0, 40, 30, red)), page(Image(50, 50, 80, 60, cyan)))
    data = paint(DisplayDoc(pages, META), faces[0], EPOCH)
    pdf = reader(data)
    first = pdf.pages[0]["/Resources"]["/XObject"]
    second = pdf.pages[1]["/Resources"]["/XObject"]
    assert len(first) == 2 and len(second) == 1
    images = {ref.get_object()["/ColorSpace"]: ref.idnum for ref in first.values()}
    assert set(images) == {"/DeviceCMYK", "/DeviceRGB"}
    assert list(second.values())[0].idnum == images["/DeviceCMYK"]  # the same object on both pages
    cmyk = pdf.get_object(images["/DeviceCMYK"])
    assert cmyk["/Filter"] in ("/DCTDecode", ["/DCTDecode"]) and (cmyk["/Width"], cmyk["/Height"]) == (40, 30)
    assert cmyk.get_data() == cyan  # the JPEG as it is
    pixels = pdfium.PdfDocument(data)[0].render(scale=1).to_pil().convert("RGB")
    r, g, b = pixels.getpixel((20, 85))
    assert r < 60 and g > 120 and b > 180  # cyan, not its inverse
    r, g, b = pixels.getpixel((120, 85))
    assert r > 200 and g < 60 and b < 60


def test_a_page_bigger_than_200_inches_is_drawn_at_a_stated_scale(faces):
    big = Page(15000, 1000, (10, 10, 14990, 990), (5, 5, 14995, 995), (Rect(0, 0, 15000, 1000, fill="#00FFFF"),))
    data = paint(DisplayDoc((big,), META, scale=2), faces[0], EPOCH)
    pdf = reader(data)
    first = pdf.pages[0]
    assert float(first.mediabox.width) == 7500 and [float(v) for v in first.trimbox] == [5, 5, 7495, 495]
    assert "1:2" in pdf.metadata.title and "1:2" in pdf.metadata.subject
    assert pdfium.PdfDocument(data)[0].get_size() == (7500, 500)


def test_the_reportlab_internals_the_painter_reads_are_there():
    """paint._form_resources reads two private attributes of ReportLab's canvas (see its docstring); a release
    that renames them must fail here, not print card sheets whose overprint a RIP cannot find."""
    c = Canvas(io.BytesIO())
    c.beginForm("f", 0, 0, 10, 10)
    c.setFillOverprint(True)
    c.setOverprintMask(True)
    resources = _form_resources(c)
    states = getattr(resources.ExtGState, "dict", resources.ExtGState)
    assert states and all(name.startswith("gRLs") for name in states)
    assert isinstance(c._formsinuse, list)
    c.endForm(Resources=resources)
