"""Tests for antifraud_cli.ttf: our reader of the prepared TrueType fonts (it replaced ReportLab's).

The expected numbers were recorded from ReportLab 4 (pdfmetrics.stringWidth and TTFontFace) on the same prepared
fonts before the switch: widths and vertical metrics must not change, or every page would move.
"""
from __future__ import annotations

import subprocess
import sys

import pytest
from fontTools.fontBuilder import FontBuilder
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTFont

from antifraud_cli import fonts, ttf
from antifraud_cli.fonts import FontError, PreparedFonts
from antifraud_cli.render import font_ascent, measure

from conftest import UNITS

TEXT = "接到96110来电一定要扫码拨打反诈热线国你好"

# At 1 pt, as ReportLab measured them (the sum of the advances in 1000ths of an em, times 0.001).
REPORTLAB_WIDTHS = {
    "R": {"接到96110来电一定要": 9.775, "国国": 2.0, "abc XYZ 123": 5.511, "，。“”": 4.0, "\xa0 \u3000": 1.448,
          "扫码拨打反诈热线96110": 10.775, "Hello, world! 你好": 8.205, "\uffff": 1.0, "": 0.0},
    "B": {"接到96110来电一定要": 9.950000000000001, "国国": 2.0, "abc XYZ 123": 5.806, "，。“”": 4.0,
          "\xa0 \u3000": 1.454, "扫码拨打反诈热线96110": 10.950000000000001, "Hello, world! 你好": 8.628,
          "\uffff": 1.0, "": 0.0},
}
# What the PDF's font descriptors said (ReportLab's TTFontFace): ascent, descent, cap height, stem, flags.
REPORTLAB_FACE = {
    "R": ("NotoSansSC-Regular", 880, -120, 733, 87, 4),
    "B": ("NotoSansSC-Bold", 880, -120, 733, 165, 262148),
}


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    return fonts.prepare(fonts.default_fontset(), TEXT, cache_dir=tmp_path_factory.mktemp("cache"))


@pytest.fixture(scope="module")
def names(prepared):
    return fonts.register(prepared)


@pytest.mark.parametrize("role", ["R", "B"])
def test_widths_are_reportlabs(names, role):
    name = names[role == "B"]
    for text, width in REPORTLAB_WIDTHS[role].items():
        assert measure(text, name, 1.0) == width, text  # exactly: the same float, not approximately
        assert ttf.face(name).width(text) == width
    assert measure("接到96110来电一定要", name, 12) == REPORTLAB_WIDTHS[role]["接到96110来电一定要"] * 12


@pytest.mark.parametrize("role", ["R", "B"])
def test_face_metrics_are_reportlabs(prepared, names, role):
    name = names[role == "B"]
    face = ttf.face(name)
    ps, ascent, descent, cap, stem, flags = REPORTLAB_FACE[role]
    assert face.name == f"{ps}-{name[3:9]}"  # each prepared subset has its own PostScript name
    assert (face.ascent, face.descent, face.cap_height, face.stem_v, face.flags) == (ascent, descent, cap, stem, flags)
    head = TTFont(prepared.bold if role == "B" else prepared.regular)["head"]  # the box of the glyphs prepared
    assert face.bbox == [head.xMin, head.yMin, head.xMax, head.yMax]
    assert face.italic_angle == 0 and face.units_per_em == 1000
    assert font_ascent(name) == 880 / 1000


def test_missing_character_measures_as_notdef(names):
    """ReportLab gave a character the font lacks glyph 0's advance (and drew glyph 0); so do we."""
    face = ttf.face(names[0])
    assert "\u4dc0" not in face.glyphs  # a hexagram: not in the prepared subset
    assert face.width("\u4dc0") == face.widths[0] * 0.001 == 1.0
    assert face.width("国\u4dc0") == face.width("国") + face.width("\u4dc0")


def test_no_break_space_sets_like_a_space(names):
    face = ttf.face(names[0])
    assert face.glyphs["\xa0"] == face.glyphs[" "] and face.width("\xa0") == face.width(" ") == 0.224


@pytest.mark.parametrize("role", ["regular", "bold"])
def test_cmap_widths_and_glyph_offsets_agree_with_fonttools(prepared, role):
    path = getattr(prepared, role)
    face = ttf.Face(path.read_bytes())
    font = TTFont(path)
    order = font.getGlyphOrder()
    expected = {chr(c): order.index(g) for c, g in font.getBestCmap().items()}
    expected["\xa0"] = expected[" "]
    assert {ch: g for ch, g in face.glyphs.items() if g} == expected  # (format 4 ends by mapping U+FFFF to 0)
    assert face.widths == [font["hmtx"][g][0] for g in order]
    assert face.num_glyphs == len(order)
    glyf = face.data[face.tables["glyf"][0]:]
    offsets = face.glyph_offsets()
    for g in (expected["国"], expected["A"], 0):  # each glyph's bytes are fontTools' glyph, compiled
        assert glyf[offsets[g]:offsets[g + 1]].rstrip(b"\0") == \
            font["glyf"][order[g]].compile(font["glyf"]).rstrip(b"\0")


def test_astral_characters_come_from_the_format_12_cmap(tmp_path):
    astral = "".join(chr(c) for c in sorted(fonts.coverage(fonts.default_fontset().regular)) if c > 0xFFFF)[:5]
    assert len(astral) == 5
    prep = fonts.prepare(fonts.default_fontset(), "国" + astral, cache_dir=tmp_path)
    font = TTFont(prep.regular)
    assert [t.format for t in font["cmap"].tables] == [4, 12]
    face = ttf.Face(prep.regular.read_bytes())
    order = font.getGlyphOrder()
    for ch in astral:
        assert face.glyphs[ch] == order.index(font.getBestCmap()[ord(ch)]) > 0


def _font_2048(path):
    """A small TrueType font with 2048 units per em and an italic angle (not like the prepared Noto faces)."""
    fb = FontBuilder(2048, isTTF=True)
    fb.setupGlyphOrder([".notdef", "space", "A", "B"])
    fb.setupCharacterMap({0x20: "space", 0x41: "A", 0x42: "B"})
    glyphs = {}
    for g in (".notdef", "space", "A", "B"):
        pen = TTGlyphPen(None)
        if g != "space":
            pen.moveTo((100, 0)), pen.lineTo((100, 1400)), pen.lineTo((900, 1400)), pen.lineTo((900, 0))
            pen.closePath()
        glyphs[g] = pen.glyph()
    fb.setupGlyf(glyphs)
    fb.setupHorizontalMetrics({".notdef": (1024, 100), "space": (512, 0), "A": (1229, 100), "B": (1229, 100)})
    fb.setupHorizontalHeader(ascent=1800, descent=-500)
    fb.setupNameTable({"familyName": "Test Sans", "styleName": "Italic", "psName": "TestSans-Italic"})
    fb.setupOS2(sTypoAscender=1638, sTypoDescender=-410, usWeightClass=400, sCapHeight=1400, version=4)
    fb.setupPost(italicAngle=-12.5)
    fb.save(path)
    return path


def test_other_units_per_em_scale_to_thousandths(tmp_path):
    face = ttf.Face(_font_2048(tmp_path / "t.ttf").read_bytes())
    k = 1000 / 2048
    assert face.units_per_em == 2048 and face.name == "TestSans-Italic"
    assert (face.ascent, face.descent, face.cap_height) == (1638 * k, -410 * k, 1400 * k)
    assert face.italic_angle == -12.5 and face.flags == ttf.FLAG_SYMBOLIC | ttf.FLAG_ITALIC
    # fontTools stores B's advance once (A and B share the last one): the rest repeat it
    assert face.widths == [1024 * k, 512 * k, 1229 * k, 1229 * k]
    assert face.width("AB A") == (1229 * k + 1229 * k + 512 * k + 1229 * k) * 0.001
    assert face.width("中") == 1024 * k * 0.001


@pytest.mark.parametrize("damage", ["truncate", "not a font", "no cmap"])
def test_damaged_font_is_a_font_error(prepared, tmp_path, damage):
    data = prepared.regular.read_bytes()
    if damage == "truncate":
        data = data[:3000]
    elif damage == "not a font":
        data = b"%PDF-1.4\n" + data[9:]
    else:
        data = data.replace(b"cmap", b"cmaq", 1)
    bad = tmp_path / f"{damage}.ttf"
    bad.write_bytes(data)
    with pytest.raises(FontError, match=f"{damage}.ttf: cannot load font"):
        fonts.register(PreparedFonts(bad, bad))
    with pytest.raises(ttf.FontFileError):
        ttf.Face(data)


def test_register_is_idempotent_and_unknown_names_are_errors(prepared, names):
    assert fonts.register(prepared) == names
    assert ttf.face(names[0]) is ttf.face(fonts.register(prepared)[0])
    with pytest.raises(KeyError, match="not registered"):
        ttf.face("AF-000000000000-R")


def test_a_build_never_imports_reportlab(make_project):
    """ReportLab was a whole build's largest import; nothing of ours may bring it back."""
    root = make_project({"antifraud.yaml": UNITS})
    code = (
        "import sys\n"
        "from antifraud_cli.cli import cli\n"
        "try:\n"
        "    cli(['build', '-a', 'elderly', '-p', 'card', '-p', 'leaflet', '-j', '1'])\n"
        "except SystemExit as e:\n"
        "    assert not e.code, e.code\n"
        "print(sorted(m for m in sys.modules if 'reportlab' in m or 'rl_accel' in m))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"
    assert len(list(root.glob("dist/**/*.pdf"))) == 4  # two units x card and leaflet
