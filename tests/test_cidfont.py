"""Tests for antifraud_cli.cidfont: the prepared faces as ReportLab fonts, read back from the PDFs ReportLab
writes with them (text extraction, the font objects, every embedded program opened with fontTools)."""
from __future__ import annotations

import inspect
import io
import re
import shutil
import subprocess
import zlib

import pypdfium2 as pdfium
import pytest
from fontTools.fontBuilder import FontBuilder
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTFont
from pypdf import PdfReader
from reportlab.pdfbase import pdfdoc, pdfmetrics
from reportlab.pdfgen.canvas import Canvas

from antifraud_cli import cidfont, fonts

TEXT = "遇到陌生来电要求转账，先挂断再核实。打96110"
OTHER = "公安提醒：验证码不告诉任何人！"  # for a second document: characters TEXT lacks
METRIC_TEXT = "接到96110来电一定要扫码拨打反诈热线国你好"  # what tests/test_ttf.py prepared

# At 1 pt, as ReportLab 4 measured them (pdfmetrics.stringWidth on the same prepared faces; recorded in
# tests/test_ttf.py when ttf.py replaced ReportLab): these numbers must not change, or every page would move.
WIDTHS = {
    "R": {"接到96110来电一定要": 9.775, "国国": 2.0, "abc XYZ 123": 5.511, "，。“”": 4.0, "\xa0 \u3000": 1.448,
          "扫码拨打反诈热线96110": 10.775, "Hello, world! 你好": 8.205, "\uffff": 1.0, "": 0.0},
    "B": {"接到96110来电一定要": 9.950000000000001, "国国": 2.0, "abc XYZ 123": 5.806, "，。“”": 4.0,
          "\xa0 \u3000": 1.454, "扫码拨打反诈热线96110": 10.950000000000001, "Hello, world! 你好": 8.628,
          "\uffff": 1.0, "": 0.0},
}
# Recorded from ttf.Face (equal to ours while it existed) on faces prepared for TEXT + OTHER + METRIC_TEXT:
# every character of ALL's width summed, and the glyphs' box (the prepared faces' own).
ALL = TEXT + OTHER + METRIC_TEXT + "Hello, world! 0123456789 abcxyz ABCXYZ"
RECORDED = {"R": (76.548, [-44, -279, 974, 880]), "B": (78.089, [-54, -284, 984, 924])}
# The font descriptor's values: PostScript name, ascent, descent, cap height, StemV, flags.
FACE = {"R": ("NotoSansSC-Regular", 880, -120, 733, 87, 4), "B": ("NotoSansSC-Bold", 880, -120, 733, 165, 262148)}


@pytest.fixture(scope="module")
def prepared(tmp_path_factory) -> fonts.PreparedFonts:
    return fonts.prepare(fonts.default_fontset(), TEXT + OTHER + METRIC_TEXT,
                         cache_dir=tmp_path_factory.mktemp("cache"))


@pytest.fixture(scope="module")
def names(prepared) -> tuple[str, str]:
    return fonts.register(prepared)


def _canvas(buf: io.BytesIO, names) -> Canvas:
    # initialFontName: one of ours, so ReportLab adds no Helvetica to every file
    return Canvas(buf, pagesize=(595, 842), invariant=1, initialFontName=names[0])


def _draw(names, text: str = TEXT) -> bytes:
    """A page with text in both faces (canvas.drawString, and a text object) and once more inside a form."""
    buf = io.BytesIO()
    c = _canvas(buf, names)
    c.setFont(names[0], 14)
    c.drawString(50, 750, text)
    t = c.beginText(50, 720)
    t.setFont(names[1], 14)
    t.textOut(text)
    c.drawText(t)
    c.beginForm("box")
    t = c.beginText(50, 600)
    t.setFont(names[0], 12)
    t.textOut(text)
    c.drawText(t)
    c.endForm()
    c.doForm("box")
    c.showPage()
    c.save()
    return buf.getvalue()


def _fonts(pdf: bytes) -> list[dict]:
    """Every font object in the file (pypdf's resolved dictionaries)."""
    reader = PdfReader(io.BytesIO(pdf))
    out = []
    for num in range(1, int(reader.trailer["/Size"])):
        try:
            obj = reader.get_object(num)
        except Exception:
            continue
        if hasattr(obj, "get") and obj.get("/Type") == "/Font":
            out.append(obj)
    return out


def _by_index(font: TTFont) -> TTFont:
    font.setGlyphOrder([f"g{i}" for i in range(font["maxp"].numGlyphs)])
    return font


def _outline(glyf, name: str):
    glyph = glyf[name]
    if glyph.isComposite():
        return [(c.glyphName, c.x, c.y, c.flags) for c in glyph.components]
    coordinates, ends, flags = glyph.getCoordinates(glyf)
    return list(coordinates), list(ends), list(flags)


def _widths(w) -> dict[int, float]:
    out, i = {}, 0
    while i < len(w):
        out.update((int(w[i]) + k, float(v)) for k, v in enumerate(w[i + 1]))
        i += 2
    return out


# --------------------------------------------------------------------------- the PDF, read back


def test_text_extraction_round_trips_every_character(names):
    pdf = _draw(names)
    page = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert page.split("\n") == [TEXT, TEXT, TEXT]
    text = pdfium.PdfDocument(pdf)[0].get_textpage().get_text_range()
    assert text.replace("\r", "").split("\n") == [TEXT, TEXT, TEXT]


def test_one_type0_font_per_face(names, prepared):
    pdf = _draw(names)
    found = _fonts(pdf)
    type0 = [f for f in found if f["/Subtype"] == "/Type0"]
    assert len(type0) == 2 and len(found) == 4  # and their two CIDFontType2 descendants: nothing else
    for font, role in zip(sorted(type0, key=lambda f: "Bold" in f["/BaseFont"]), "RB"):
        assert re.fullmatch(rf"/[A-Z]{{6}}\+{FACE[role][0]}-[0-9a-f]{{6}}", font["/BaseFont"])
        assert font["/Encoding"] == "/Identity-H" and "/ToUnicode" in font
        (cid,) = [d.get_object() for d in font["/DescendantFonts"]]
        assert cid["/Subtype"] == "/CIDFontType2" and cid["/CIDToGIDMap"] == "/Identity"
        assert cid["/BaseFont"] == font["/BaseFont"] == cid["/FontDescriptor"]["/FontName"]
        assert dict(cid["/CIDSystemInfo"]) == {"/Registry": "Adobe", "/Ordering": "Identity", "/Supplement": 0}
        descriptor = cid["/FontDescriptor"]
        _, ascent, descent, cap, stem, flags = FACE[role]
        assert (descriptor["/Ascent"], descriptor["/Descent"], descriptor["/CapHeight"], descriptor["/StemV"],
                descriptor["/Flags"], descriptor["/ItalicAngle"]) == (ascent, descent, cap, stem, flags, 0)
        head = TTFont(prepared.regular if role == "R" else prepared.bold)["head"]
        assert list(descriptor["/FontBBox"]) == [head.xMin, head.yMin, head.xMax, head.yMax]
        assert descriptor["/FontFile2"]["/Filter"] == "/FlateDecode"  # once: not compressed twice


@pytest.mark.parametrize("role", ["R", "B"])
def test_embedded_programs_are_the_faces_glyphs(names, prepared, role):
    """Every used glyph's outline and advance, and /W, as in the source; every other glyph empty."""
    pdf = _draw(names)
    face = cidfont.face(names[role == "B"])
    (font,) = [f for f in _fonts(pdf) if f["/Subtype"] == "/Type0" and ("Bold" in f["/BaseFont"]) == (role == "B")]
    cid = font["/DescendantFonts"][0].get_object()
    program = cid["/FontDescriptor"]["/FontFile2"]
    data = program.get_data()
    assert len(data) == program["/Length1"]
    embedded = _by_index(TTFont(io.BytesIO(data)))
    source = _by_index(TTFont(prepared.regular if role == "R" else prepared.bold))
    used = {face.glyphs[ch] for ch in TEXT}
    assert 0 not in used and embedded["maxp"].numGlyphs == source["maxp"].numGlyphs
    glyf, source_glyf = embedded["glyf"], source["glyf"]
    for g in range(embedded["maxp"].numGlyphs):
        name = f"g{g}"
        if g in used or g == 0:
            assert _outline(glyf, name) == _outline(source_glyf, name)
            assert embedded["hmtx"][name] == source["hmtx"][name]
        else:
            assert glyf[name].numberOfContours == 0, g
    assert _widths(cid["/W"]) == {g: source["hmtx"][f"g{g}"][0] for g in used} == {g: face.widths[g] for g in used}


def test_each_document_gets_its_own_subset(names):
    """Two documents drawn at the same time in one process (not one after the other): each font's subset
    covers exactly the characters of its own document."""
    buffers = [io.BytesIO(), io.BytesIO()]
    canvases = [_canvas(b, names) for b in buffers]
    for c, text in zip(canvases, (TEXT, OTHER)):
        c.setFont(names[0], 12)
        c.drawString(50, 700, text[:5])
    for c, text in zip(canvases, (TEXT, OTHER)):
        c.drawString(50, 680, text[5:])
        c.save()
    face = cidfont.face(names[0])
    for buf, text in zip(buffers, (TEXT, OTHER)):
        pdf = buf.getvalue()
        assert PdfReader(io.BytesIO(pdf)).pages[0].extract_text().replace("\n", "") == text
        (font,) = [f for f in _fonts(pdf) if f["/Subtype"] == "/Type0"]
        cid = font["/DescendantFonts"][0].get_object()
        assert set(_widths(cid["/W"])) == {face.glyphs[ch] for ch in text}
        embedded = _by_index(TTFont(io.BytesIO(cid["/FontDescriptor"]["/FontFile2"].get_data())))
        drawn = {g for g in range(1, embedded["maxp"].numGlyphs) if embedded["glyf"][f"g{g}"].numberOfContours}
        assert drawn == {face.glyphs[ch] for ch in text} - {face.glyphs[" "]}


def test_same_input_same_bytes(names):
    assert _draw(names) == _draw(names)
    other = _draw(names, OTHER)  # the next document, with characters the last one lacked
    assert other == _draw(names, OTHER) != _draw(names)
    assert PdfReader(io.BytesIO(other)).pages[0].extract_text().split("\n") == [OTHER] * 3


@pytest.mark.skipif(not shutil.which("qpdf"), reason="qpdf is not installed")
def test_qpdf_check_passes(names, tmp_path):
    path = tmp_path / "text.pdf"
    path.write_bytes(_draw(names))
    out = subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True)
    assert out.returncode == 0 and "WARNING" not in out.stdout + out.stderr, out.stdout + out.stderr


# --------------------------------------------------------------------------- what we rely on in ReportLab


def test_reportlab_document_internals_we_use_are_there(names):
    """cidfont._enter and _font_resources use ReportLab's undocumented document attributes (as its TTFont
    does): if ReportLab changes them, this fails first, saying what moved."""
    buf = io.BytesIO()
    c = _canvas(buf, names)
    doc = c._doc
    assert isinstance(doc.fontMapping, dict), "PDFDocument.fontMapping is gone"
    assert isinstance(doc.delayedFonts, list), "PDFDocument.delayedFonts is gone"
    assert isinstance(doc.idToObject[pdfdoc.BasicFonts], pdfdoc.PDFDictionary), "no BasicFonts dictionary"
    assert "delayedFonts" in inspect.getsource(pdfdoc.PDFDocument.GetPDFData), "GetPDFData no longer asks them"
    c.setFont(names[1], 10)
    c.drawString(10, 10, "国")
    font = pdfmetrics.getFont(names[1])
    assert doc.fontMapping[names[1]] == "/F1" and doc.delayedFonts == [font]
    c.save()  # addObjects put the font among the fonts every page names
    assert isinstance(doc.idToObject[pdfdoc.BasicFonts].dict["F1"], pdfdoc.PDFObjectReference)
    reader = PdfReader(io.BytesIO(buf.getvalue()))
    assert reader.pages[0]["/Resources"]["/Font"]["/F1"]["/Subtype"] == "/Type0"


def test_a_stream_with_a_filter_is_not_compressed_again():
    content = zlib.compress(b"BT ET")
    doc = pdfdoc.PDFDocument(invariant=1)
    doc.defaultStreamFilters = [pdfdoc.PDFZCompress]  # what a compressing document would apply
    out = cidfont._deflated(content, Length1=5).format(doc)
    assert out.count(b"/FlateDecode") == 1 and content in out and b"/Length1 5" in out


def test_the_dynamic_font_protocol_reportlab_calls():
    """ReportLab's text object encodes a dynamic font's text with splitString and names it with
    getSubsetInternalName; with any other font it would ask the document for the font's objects at once."""
    from reportlab.pdfgen.textobject import PDFTextObject

    source = inspect.getsource(PDFTextObject._formatText)
    assert "font._dynamicFont" in source and "splitString(text, canv._doc)" in source
    assert "getSubsetInternalName(subset, canv._doc)" in source


# --------------------------------------------------------------------------- metrics and registration


@pytest.mark.parametrize("role", ["R", "B"])
def test_metrics_are_reportlabs(names, prepared, role):
    name = names[role == "B"]
    face = cidfont.face(name)
    for text, width in WIDTHS[role].items():
        assert face.width_1pt(text) == width, text  # exactly: the same float
        assert pdfmetrics.stringWidth(text, name, 12) == width * 12
    ps, ascent, descent, cap, stem, flags = FACE[role]
    assert face.name == f"{ps}-{face._suffix}"
    assert (face.ascent, face.descent, face.cap_height, face.stem_v, face.flags) == (ascent, descent, cap, stem, flags)
    head = TTFont(prepared.bold if role == "B" else prepared.regular)["head"]
    assert face.bbox == [head.xMin, head.yMin, head.xMax, head.yMax]
    assert face.italic_angle == 0 and face.units_per_em == 1000
    assert pdfmetrics.getAscentDescent(name, 10) == (8.8, -1.2)
    assert (face.width_1pt(ALL), face.bbox) == RECORDED[role]


def test_missing_characters(names):
    face = cidfont.face(names[0])
    assert face.missing(TEXT + OTHER + " \t\n\u3000\xa0\u200b\ufeff") == []
    assert face.missing("国龘反\ue000诈龘") == ["龘", "\ue000"]
    assert face.width_1pt("龘") == face.widths[0] * 0.001  # measured (and drawn) as glyph 0


def test_register_and_first_use_from_many_threads(prepared):
    from concurrent.futures import ThreadPoolExecutor

    def use(_):
        cidfont.register("test-threads", prepared.bold)
        return cidfont.face("test-threads"), cidfont.face("test-threads").width_1pt(TEXT)

    with ThreadPoolExecutor(8) as pool:
        found = list(pool.map(use, range(32)))
    assert len({id(f) for f, _ in found}) == 1 and len({w for _, w in found}) == 1


def test_register_is_lazy_idempotent_and_named(prepared, names):
    assert fonts.register(prepared) == names and cidfont.registered(names[0])
    assert cidfont.face(names[0]) is pdfmetrics.getFont(names[0])
    with pytest.raises(KeyError, match="not registered"):
        cidfont.face("AF-000000000000-R")
    cidfont.register("test-lazy", prepared.regular)
    font = pdfmetrics.getFont("test-lazy")
    assert "glyphs" not in font.__dict__  # nothing read yet
    assert font.stringWidth("国", 10) == 10.0 and "glyphs" in font.__dict__


@pytest.mark.parametrize("damage", ["truncate", "not a font", "no cmap", "absent"])
def test_a_bad_file_is_a_font_file_error(prepared, tmp_path, damage):
    data = prepared.regular.read_bytes()
    data = {"truncate": data[:3000], "not a font": b"%PDF-1.4\n" + data[9:],
            "no cmap": data.replace(b"cmap", b"cmaq", 1), "absent": b""}[damage]
    bad = tmp_path / f"{damage}.ttf"
    if damage != "absent":
        bad.write_bytes(data)
    cidfont.register(f"test-bad-{damage}", bad)  # lazy: nothing read yet
    with pytest.raises(cidfont.FontFileError, match=re.escape(str(bad))):
        cidfont.face(f"test-bad-{damage}")


def _font_2048(path):
    """A small TrueType font unlike the prepared faces: 2048 units per em, italic, a composite glyph."""
    fb = FontBuilder(2048, isTTF=True)
    fb.setupGlyphOrder([".notdef", "space", "A", "B", "C"])
    fb.setupCharacterMap({0x20: "space", 0x41: "A", 0x42: "B", 0x43: "C"})
    glyphs = {}
    for g in (".notdef", "space", "A", "B"):
        pen = TTGlyphPen(None)
        if g != "space":
            pen.moveTo((100, 0)), pen.lineTo((100, 1400)), pen.lineTo((900 if g != "B" else 700, 0))
            pen.closePath()
        glyphs[g] = pen.glyph()
    pen = TTGlyphPen(glyphs)
    pen.addComponent("A", (1, 0, 0, 1, 300, 0))
    glyphs["C"] = pen.glyph()
    fb.setupGlyf(glyphs)
    fb.setupHorizontalMetrics({".notdef": (1024, 100), "space": (512, 0), "A": (1229, 100), "B": (1229, 100),
                               "C": (1229, 400)})
    fb.setupHorizontalHeader(ascent=1800, descent=-500)
    fb.setupNameTable({"familyName": "Test Sans", "styleName": "Italic", "psName": "TestSans-Italic"})
    fb.setupOS2(sTypoAscender=1638, sTypoDescender=-410, usWeightClass=400, sCapHeight=1400, version=4)
    fb.setupPost(italicAngle=-12.5)
    fb.save(path)
    return path


def test_other_units_per_em_and_composite_glyphs(tmp_path):
    path = _font_2048(tmp_path / "t.ttf")
    cidfont.register("test-2048", path)
    face = cidfont.face("test-2048")
    k = 1000 / 2048
    assert face.units_per_em == 2048 and face.name.startswith("TestSans-Italic-")
    assert (face.ascent, face.descent, face.cap_height) == (1638 * k, -410 * k, 1400 * k)
    assert face.italic_angle == -12.5 and face.flags == cidfont.FLAG_SYMBOLIC | cidfont.FLAG_ITALIC
    assert face.width_1pt("AB C") == (1229 * k + 1229 * k + 512 * k + 1229 * k) * 0.001
    buf = io.BytesIO()
    c = Canvas(buf, invariant=1, initialFontName="test-2048")
    c.setFont("test-2048", 20)
    c.drawString(10, 10, "C")  # drawn from A: A must come along
    c.save()
    (font,) = [f for f in _fonts(buf.getvalue()) if f["/Subtype"] == "/Type0"]
    cid = font["/DescendantFonts"][0].get_object()
    assert cid["/FontDescriptor"]["/ItalicAngle"] == -12.5
    assert _widths(cid["/W"]) == {4: pytest.approx(1229 * k, abs=1e-4)}
    embedded = _by_index(TTFont(io.BytesIO(cid["/FontDescriptor"]["/FontFile2"].get_data())))
    source = _by_index(TTFont(path))
    for g in ("g0", "g2", "g4"):  # .notdef, A (a component of C), C
        assert _outline(embedded["glyf"], g) == _outline(source["glyf"], g)
    assert embedded["glyf"]["g3"].numberOfContours == 0  # B: not drawn
    assert PdfReader(io.BytesIO(buf.getvalue())).pages[0].extract_text().strip() == "C"
