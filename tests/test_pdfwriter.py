"""The PDF writer read back: structure (pypdf, strict), fonts as subsets with ToUnicode (pypdfium2 text),
overprint inside a form, one image object per JPEG however often placed, a page with a /UserUnit."""
from __future__ import annotations

import io
import shutil
import subprocess

import pypdfium2 as pdfium
import pytest
from fontTools.ttLib import TTFont
from PIL import Image
from pypdf import PdfReader
from pypdf.generic import ContentStream

from antifraud_cli import fonts
from antifraud_cli.pdfwriter import Canvas

EPOCH = 1799539200  # 2027-01-10 00:00 UTC
TEXT = "扫码拨打反诈专线96110"
LATER = "谨防"  # characters only the second document uses


@pytest.fixture(scope="module")
def faces(tmp_path_factory) -> tuple[str, str]:
    prepared = fonts.prepare(fonts.default_fontset(), TEXT + LATER + "，。", cache_dir=tmp_path_factory.mktemp("fc"))
    return fonts.register(prepared)


def document(faces, text: str = TEXT, **info) -> bytes:
    c = Canvas((200, 100), epoch=EPOCH)
    c.setTitle(info.get("title", "反诈宣传单"))
    c.setAuthor("新城派出所")
    c.setSubject("test")
    c.setKeywords("反诈")
    c.setLang("zh-CN")
    c.setTrimBox((10, 10, 190, 90))
    c.setBleedBox((5, 5, 195, 95))
    for face, y in zip(faces, (60, 30)):
        c.setFont(face, 12)
        c.drawString(15, y, text)
    c.showPage()
    return c.save()


def reader(data: bytes) -> PdfReader:
    return PdfReader(io.BytesIO(data), strict=True)


def test_structure_reads_back_strictly(faces):
    data = document(faces)
    pdf = reader(data)
    assert data.startswith(b"%PDF-1.4\n") and pdf.pdf_header == "%PDF-1.4"
    start = int(data.rsplit(b"startxref", 1)[1].split()[0])
    lines = data[start:].split(b"\n")
    assert lines[0] == b"xref" and lines[1] == b"0 %d" % pdf.trailer["/Size"]
    for num in range(1, pdf.trailer["/Size"]):  # every object starts where the table says
        offset = int(lines[2 + num][:10])
        assert data[offset:].startswith(b"%d 0 obj" % num)
        assert pdf.get_object(num) is not None
    page = pdf.pages[0]
    assert [float(v) for v in page.mediabox] == [0, 0, 200, 100]
    assert [float(v) for v in page.trimbox] == [10, 10, 190, 90]
    assert [float(v) for v in page.bleedbox] == [5, 5, 195, 95]
    meta = pdf.metadata
    assert (meta.title, meta.author, meta.subject, meta["/Keywords"]) == ("反诈宣传单", "新城派出所", "test", "反诈")
    assert meta["/CreationDate"] == meta["/ModDate"] == "D:20270110000000+00'00'"
    assert pdf.trailer["/Root"]["/Lang"] == "zh-CN"


def test_the_file_id_comes_from_the_content(faces):
    first, again = document(faces), document(faces)
    assert first == again  # byte-identical rebuilds
    other = document(faces, title="别的标题")
    ids = [reader(d).trailer["/ID"] for d in (first, other)]
    assert ids[0][0] == ids[0][1] and ids[0] != ids[1]


def test_qpdf_finds_nothing_wrong(faces, tmp_path):
    if not shutil.which("qpdf"):
        pytest.skip("qpdf is not installed")
    path = tmp_path / "doc.pdf"
    path.write_bytes(document(faces))
    result = subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def _fonts(pdf: PdfReader) -> list:
    return [ref.get_object() for ref in pdf.pages[0]["/Resources"]["/Font"].values()]


def test_fonts_are_embedded_cid_subsets_with_tounicode(faces):
    pdf = reader(document(faces))
    used = {ord(ch) for ch in TEXT}
    for font in _fonts(pdf):
        assert font["/Subtype"] == "/Type0" and font["/Encoding"] == "/Identity-H"
        cid = font["/DescendantFonts"][0].get_object()
        assert cid["/Subtype"] == "/CIDFontType2" and cid["/CIDToGIDMap"] == "/Identity"
        name = str(font["/BaseFont"])
        assert name[7] == "+" and name[1:7].isupper()  # a subset's tag
        program = TTFont(io.BytesIO(cid["/FontDescriptor"]["/FontFile2"].get_object().get_data()))
        drawn = [g for g in program.getGlyphOrder() if program["glyf"][g].numberOfContours != 0]
        assert len(used) <= len(drawn) <= len(used) + 1  # the text's glyphs (and .notdef), nothing else
        assert "/ToUnicode" in font
        widths = cid["/W"]  # glyph ids of the text, each with its advance (what layout measures)
        assert sum(len(w) for w in widths[1::2]) == len(used)
    assert pdfium.PdfDocument(document(faces))[0].get_textpage().get_text_range() == f"{TEXT}\r\n{TEXT}"


def test_a_character_of_a_second_document_is_embedded_and_extracts(faces):
    first = document(faces)
    second = document(faces, text=TEXT + LATER)  # the first one's glyph set is cached: this one needs its own
    assert pdfium.PdfDocument(first)[0].get_textpage().get_text_range() == f"{TEXT}\r\n{TEXT}"
    text = pdfium.PdfDocument(second)[0].get_textpage().get_text_range()
    assert text == f"{TEXT}{LATER}\r\n{TEXT}{LATER}"
    sizes = []
    for data in (first, second):
        cid = _fonts(reader(data))[0]["/DescendantFonts"][0].get_object()
        program = TTFont(io.BytesIO(cid["/FontDescriptor"]["/FontFile2"].get_object().get_data()))
        sizes.append(sum(1 for g in program.getGlyphOrder() if program["glyf"][g].numberOfContours != 0))
    assert sizes[1] == sizes[0] + len(LATER)


def _overprint_in(stream, resources) -> list[tuple[str, bool]]:
    """(text shown, overprint on) for every text operator of a content stream."""
    states = resources["/ExtGState"]
    on, out = False, []
    for operands, op in ContentStream(stream, None).operations:
        if op == b"gs":
            state = states[operands[0]].get_object()
            on = bool(state["/op"]) and state["/OPM"] == 1 and bool(state["/OP"])
        elif op == b"Tj":
            out.append(on)
    return out


def test_black_text_in_a_form_overprints(faces):
    c = Canvas((200, 100), epoch=EPOCH)
    c.beginForm("card", 0, 0, 90, 54)
    t = c.beginText()
    t.setFont(faces[0], 10)
    t.setFillColor((0, 0, 0, 1))
    t.overprint(True)
    t.setTextOrigin(5, 20)
    t.textOut(TEXT)
    c.drawText(t)
    c.endForm()
    for x in (0, 100):
        c.saveState()
        c.translate(x, 0)
        c.doForm("card")
        c.restoreState()
    data = c.save()
    page = reader(data).pages[0]
    forms = list(page["/Resources"]["/XObject"].values())
    assert len(forms) == 1
    form = forms[0].get_object()
    assert form["/Subtype"] == "/Form" and [float(v) for v in form["/BBox"]] == [0, 0, 90, 54]
    assert _overprint_in(form, form["/Resources"]) == [True]  # the form names its own graphics state
    assert "/Font" in form["/Resources"]
    assert pdfium.PdfDocument(data)[0].get_textpage().get_text_range().count(TEXT) == 2


def _jpeg(colour, mode="CMYK") -> bytes:
    out = io.BytesIO()
    Image.new(mode, (40, 30), colour).save(out, "JPEG", quality=90)
    return out.getvalue()


def test_a_jpeg_is_one_image_object_however_often_placed(faces):
    cyan, red = _jpeg((255, 0, 0, 0)), _jpeg((255, 0, 0), "RGB")
    c = Canvas((200, 100))
    c.drawImage(cyan, 0, 0, 40, 30)
    c.drawImage(red, 100, 0, 40, 30)
    c.showPage()
    c.drawImage(cyan, 50, 50, 80, 60)
    data = c.save()
    pdf = reader(data)
    first = pdf.pages[0]["/Resources"]["/XObject"]
    second = pdf.pages[1]["/Resources"]["/XObject"]
    assert len(first) == 2 and len(second) == 1
    images = {ref.get_object()["/ColorSpace"]: ref.idnum for ref in first.values()}
    assert set(images) == {"/DeviceCMYK", "/DeviceRGB"}
    assert list(second.values())[0].idnum == images["/DeviceCMYK"]  # the same object on both pages
    cmyk = pdf.get_object(images["/DeviceCMYK"])
    assert cmyk["/Filter"] == "/DCTDecode" and (cmyk["/Width"], cmyk["/Height"]) == (40, 30)
    assert cmyk.get_data() == cyan  # the JPEG as it is
    pixels = pdfium.PdfDocument(data)[0].render(scale=1).to_pil().convert("RGB")
    r, g, b = pixels.getpixel((20, 85))
    assert r < 60 and g > 120 and b > 180  # cyan, not its inverse
    r, g, b = pixels.getpixel((120, 85))
    assert r > 200 and g < 60 and b < 60


def test_a_page_bigger_than_200_inches_has_a_user_unit(faces):
    c = Canvas((15000 / 2, 1000 / 2), user_unit=2, epoch=EPOCH)
    c.setTrimBox((10, 10, 7490, 490))
    c.scale(0.5, 0.5)
    c.setFillColor((0, 1, 1, 0))
    c.rect(0, 0, 15000, 1000, stroke=0, fill=1)
    data = c.save()
    pdf = reader(data)
    assert pdf.pdf_header == "%PDF-1.6"
    page = pdf.pages[0]
    assert page["/UserUnit"] == 2 and float(page.mediabox.width) == 7500
    assert pdfium.PdfDocument(data)[0].get_size() == (7500, 500)
