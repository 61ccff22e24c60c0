"""Tests for antifraud_cli.fonts: preparing static glyf TTFs for our PDF writer."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from fontTools.fontBuilder import FontBuilder
from fontTools.pens.areaPen import AreaPen
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.t2CharStringPen import T2CharStringPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTFont
from fontTools.ttLib.ttCollection import TTCollection

from antifraud_cli import cachedir, fonts
from antifraud_cli.fonts import FontError, FontSet, FontSource, PreparedFonts

# A made-up anti-fraud notice, plus the first 240 GB2312 level-1 hanzi, for a few hundred
# distinct characters.
NOTICE = (
    "国家反诈中心提醒：警惕电信网络诈骗！凡是自称公检法要求转账到所谓安全账户的，一律是诈骗。"
    "不听、不信、不转账，遇到可疑来电请立即挂断，并拨打反诈专线九六一一零咨询。"
    "网上刷单返利、冒充客服退款、虚假投资理财、网络贷款先交保证金，都是常见骗局。"
    "保护好个人信息，不要向陌生人透露银行卡号、验证码和身份证照片。"
    "老人家接到孙子出事急需用钱的电话，先给家里人核实，再做决定。"
)


def _gb2312_level1(n: int) -> str:
    out = []
    for hi in range(0xB0, 0xD8):
        for lo in range(0xA1, 0xFF):
            try:
                out.append(bytes([hi, lo]).decode("gb2312"))
            except UnicodeDecodeError:
                pass
            if len(out) == n:
                return "".join(out)
    return "".join(out)


SAMPLE = NOTICE + _gb2312_level1(240)
SAMPLE_CHARS = sorted({c for c in SAMPLE if not c.isspace()})


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory) -> Path:
    """A private cache dir for prepare() (coverage() uses $ANTIFRAUD_CACHE_DIR, set by conftest)."""
    return tmp_path_factory.mktemp("afcache")


@pytest.fixture(scope="module")
def default_set() -> FontSet:
    return fonts.default_fontset()


@pytest.fixture(scope="module")
def prepared(default_set, cache_dir) -> PreparedFonts:
    return fonts.prepare(default_set, SAMPLE, cache_dir=cache_dir)


def _area(font: TTFont, ch: str) -> float:
    gs = font.getGlyphSet()
    pen = AreaPen(gs)
    gs[font.getBestCmap()[ord(ch)]].draw(pen)
    return pen.value


def _pdf_with(font_names: tuple[str, str], text: str) -> bytes:
    """The text in both registered faces, drawn by ReportLab's canvas as the painter draws it."""
    import io

    from reportlab.pdfgen.canvas import Canvas

    out = io.BytesIO()
    c = Canvas(out, pagesize=(595, 842), invariant=1, initialFontName=font_names[0])
    c.setFont(font_names[0], 24)
    c.drawString(72, 720, text)
    c.setFont(font_names[1], 24)
    c.drawString(72, 680, text)
    c.save()
    return out.getvalue()


# --------------------------------------------------------------------------- (a) default set


def test_sample_has_a_few_hundred_chars():
    assert len(SAMPLE_CHARS) >= 300


def test_default_fontset_is_packaged_variable_font(default_set):
    assert default_set.regular.path == default_set.bold.path
    assert default_set.regular.path.name == "NotoSansSC[wght].ttf"
    assert "justmytype_intl_cjk" in default_set.regular.path.parts
    assert (default_set.regular.wght, default_set.bold.wght) == (400, 700)


def test_prepared_fonts_are_static_glyf_and_cover_sample(prepared, cache_dir):
    for path in (prepared.regular, prepared.bold):
        assert path.parent == cache_dir / "fonts"
        font = TTFont(path)
        tags = set(font.keys()) - {"GlyphOrder"}
        assert "glyf" in tags and "fvar" not in tags and "gvar" not in tags
        assert tags <= {"cmap", "hmtx", "glyf", "loca", "head", "hhea", "maxp", "post", "name", "OS/2"}
        cmap = font.getBestCmap()
        assert [c for c in SAMPLE_CHARS if ord(c) not in cmap] == []
        assert [c for c in fonts.BASE_CHARS if ord(c) not in cmap] == []
        # subset: nowhere near the 31k glyphs of the source
        assert font["maxp"].numGlyphs < len(SAMPLE_CHARS) + len(fonts.BASE_CHARS) + 50
        assert font.sfntVersion == "\x00\x01\x00\x00"


def test_regular_is_lighter_than_bold(prepared):
    reg, bold = TTFont(prepared.regular), TTFont(prepared.bold)
    assert reg["OS/2"].usWeightClass == 400
    assert bold["OS/2"].usWeightClass == 700
    assert bold["OS/2"].fsSelection & (1 << 5) and bold["head"].macStyle & 1
    assert reg["OS/2"].fsSelection & (1 << 6) and not reg["head"].macStyle & 1
    for ch in "国骗":
        a_reg, a_bold = abs(_area(reg, ch)), abs(_area(bold, ch))
        assert a_bold > 1.2 * a_reg, (ch, a_reg, a_bold)
    # Latin advances vary with weight (taken from gvar phantom points), CJK stays full-width
    w = lambda f, ch: f["hmtx"][f.getBestCmap()[ord(ch)]][0]
    assert w(bold, "A") > w(reg, "A")
    assert w(reg, "国") == w(bold, "国") == 1000


@pytest.mark.parametrize("role", ["regular", "bold"])
def test_prepared_outlines_equal_fonttools_instancing(prepared, default_set, role):
    """Our glyph-by-glyph instancing and glyf encoding give the points and advances fontTools'
    own variable-font glyph set gives at that weight (the reference), glyph for glyph."""
    from fontTools.pens.recordingPen import RecordingPointPen

    src = getattr(default_set, role)
    ours = TTFont(getattr(prepared, role))
    ref = TTFont(src.path, lazy=True)
    ref_set = ref.getGlyphSet(location={"wght": src.wght}, normalized=False)
    ref_cmap, our_cmap = ref.getBestCmap(), ours.getBestCmap()
    our_set = ours.getGlyphSet()

    def points(glyph_set, name):
        pen = RecordingPointPen()
        glyph_set[name].drawPoints(pen)
        return [(round(args[0][0]), round(args[0][1]), args[1]) for op, args, _ in pen.value if op == "addPoint"]

    sample = "国家反诈中心警惕骗局，。！A9%gQ@（）" + "".join(SAMPLE_CHARS[::7])
    for ch in sample:
        ref_name, our_name = ref_cmap[ord(ch)], our_cmap[ord(ch)]
        assert points(our_set, our_name) == points(ref_set, ref_name), ch
        assert ours["hmtx"][our_name][0] == round(ref_set[ref_name].width), ch
    # compiled data decodes back (fontTools re-reads every glyph) and bounds agree with the points
    glyf = ours["glyf"]
    for name in ours.getGlyphOrder():
        glyph = glyf[name]
        if glyph.numberOfContours:
            xs = [x for x, _ in glyph.coordinates]
            assert (glyph.xMin, glyph.xMax) == (min(xs), max(xs)), name
            assert ours["hmtx"][name][1] == glyph.xMin, name


def test_prepared_names(prepared):
    reg, bold = TTFont(prepared.regular), TTFont(prepared.bold)
    assert reg["name"].getDebugName(1) == "Noto Sans SC"
    assert reg["name"].getDebugName(2) == "Regular"
    assert reg["name"].getDebugName(6) == "NotoSansSC-Regular"
    assert bold["name"].getDebugName(2) == "Bold"
    assert bold["name"].getDebugName(6) == "NotoSansSC-Bold"
    assert "Open Font License" in (reg["name"].getDebugName(13) or "")


def test_register_and_draw_default(prepared):
    names = fonts.register(prepared)
    assert names[0].startswith("AF-") and names[0].endswith("-R")
    assert names[1].startswith("AF-") and names[1].endswith("-B")
    assert fonts.register(prepared) == names  # idempotent
    pdf = _pdf_with(names, NOTICE[:20])
    assert pdf.startswith(b"%PDF") and b"FontFile2" in pdf
    from antifraud_cli.layout import measure

    assert measure("国国", names[0], 10) == pytest.approx(20.0)


# --------------------------------------------------------------------------- (b) cache hit


def test_second_prepare_hits_cache(prepared, default_set, cache_dir, monkeypatch):
    mtimes = [p.stat().st_mtime_ns for p in (prepared.regular, prepared.bold)]

    def rebuild(*args, **kwargs):  # a cache hit is a file check: nothing is instanced again
        raise AssertionError("the font was prepared again")

    monkeypatch.setattr(fonts, "_build_group", rebuild)  # how long it takes is measured in bench/, not here
    again = fonts.prepare(default_set, SAMPLE, cache_dir=cache_dir)
    assert again == prepared
    assert [p.stat().st_mtime_ns for p in (again.regular, again.bold)] == mtimes


def test_a_cache_record_that_is_a_device_or_fifo_is_damage_not_a_read_forever(default_set, tmp_path):
    """N155b: a font's `.sha256` record replaced by /dev/zero (or a FIFO) made the build read without end."""
    cache = tmp_path / "cache"
    first = fonts.prepare(default_set, SAMPLE, cache_dir=cache)
    record = first.regular.with_name(first.regular.name + fonts.RECORD_SUFFIX)
    record.unlink()
    os.mkfifo(record)  # opened without blocking and refused: no writer is needed
    again = fonts.prepare(default_set, SAMPLE, cache_dir=cache)
    assert again.regular.read_bytes() == first.regular.read_bytes()
    assert record.is_file() and not record.is_fifo()  # prepared again and recorded as a plain file
    record.unlink()
    record.symlink_to("/dev/zero")
    assert fonts.prepare(default_set, SAMPLE, cache_dir=cache).regular.read_bytes() == first.regular.read_bytes()


def test_charset_order_and_repeats_do_not_matter(prepared, default_set, cache_dir):
    # the same characters in another order / repeated → same cache entry
    shuffled = "".join(reversed(SAMPLE)) + SAMPLE
    assert fonts.prepare(default_set, shuffled, cache_dir=cache_dir) == prepared


def test_fingerprint(default_set):
    fp = fonts.fingerprint(default_set)
    assert len(fp) == 64 and fp == fonts.fingerprint(fonts.default_fontset())
    swapped = FontSet(regular=default_set.bold, bold=default_set.regular)
    assert fonts.fingerprint(swapped) != fp


# --------------------------------------------------------------------------- (c) determinism


def test_prepare_is_byte_deterministic(prepared, default_set, tmp_path):
    other = fonts.prepare(default_set, SAMPLE, cache_dir=tmp_path)
    assert other.regular.name == prepared.regular.name
    assert other.regular.read_bytes() == prepared.regular.read_bytes()
    assert other.bold.read_bytes() == prepared.bold.read_bytes()


# --------------------------------------------------------------------------- (d) missing / coverage


def test_missing(default_set):
    assert fonts.missing(SAMPLE, default_set) == []
    assert fonts.missing(" \t\n\r\u3000\u200b", default_set) == []
    text = "反诈\u0f40宣传\ue000\U00010300\u0f40"  # Tibetan KA, private use, Old Italic A
    assert fonts.missing(text, default_set) == ["\u0f40", "\ue000", "\U00010300"]


def test_coverage_is_cached_on_disk(default_set, tmp_path, monkeypatch):
    monkeypatch.setenv("ANTIFRAUD_CACHE_DIR", str(tmp_path))
    fonts._coverage_cache.clear()  # force the on-disk path
    cov = fonts.coverage(default_set.regular)
    assert ord("国") in cov and 0xE000 not in cov and len(cov) > 20000
    files = list((tmp_path / "fonts").glob("coverage-*.json"))
    assert len(files) == 1
    assert fonts._load_coverage(files[0]) == cov
    fonts._coverage_cache.clear()
    assert fonts.coverage(default_set.regular) == cov  # now read back from the JSON file


# --------------------------------------------------------------------------- user fonts

UPM = 1000


def _rect(pen, x0, y0, x1, y1):
    # counter-clockwise = PostScript/CFF outer contour direction
    pen.moveTo((x0, y0))
    pen.lineTo((x1, y0))
    pen.lineTo((x1, y1))
    pen.lineTo((x0, y1))
    pen.closePath()


def _blob(pen, cx, cy, r):
    k = 0.5523 * r
    pen.moveTo((cx + r, cy))
    pen.curveTo((cx + r, cy + k), (cx + k, cy + r), (cx, cy + r))
    pen.curveTo((cx - k, cy + r), (cx - r, cy + k), (cx - r, cy))
    pen.curveTo((cx - r, cy - k), (cx - k, cy - r), (cx, cy - r))
    pen.curveTo((cx + k, cy - r), (cx + r, cy - k), (cx + r, cy))
    pen.closePath()


def _shapes():
    return {
        ".notdef": (500, lambda p: _rect(p, 50, 0, 450, 700)),
        "space": (250, None),
        "A": (600, lambda p: _rect(p, 100, 0, 500, 700)),
        "B": (600, lambda p: _blob(p, 300, 350, 250)),
        "uni4E2D": (1000, lambda p: (_rect(p, 100, 100, 900, 600), _rect(p, 450, -100, 550, 800))),
    }


def _build_font(names: list[str], family: str, cff: bool) -> TTFont:
    shapes = _shapes()
    fb = FontBuilder(UPM, isTTF=not cff)
    fb.setupGlyphOrder(names)
    cmap = {0x20: "space", 0x41: "A", 0x42: "B", 0x4E2D: "uni4E2D"}
    fb.setupCharacterMap({u: g for u, g in cmap.items() if g in names})
    glyphs = {}
    for name in names:
        adv, draw = shapes[name]
        pen = T2CharStringPen(adv, None) if cff else TTGlyphPen(None)
        if draw:
            # TrueType: quadratic curves and clockwise outer contours
            draw(pen if cff else Cu2QuPen(pen, 1.0, reverse_direction=True))
        glyphs[name] = pen.getCharString() if cff else pen.glyph()
    if cff:
        fb.setupCFF(family.replace(" ", ""), {"FullName": family}, glyphs, {})
        metrics = {}
        for name, cs in glyphs.items():
            bounds = cs.calcBounds(None)
            metrics[name] = (shapes[name][0], bounds[0] if bounds else 0)
    else:
        fb.setupGlyf(glyphs)
        metrics = {n: (shapes[n][0], getattr(glyphs[n], "xMin", 0)) for n in names}
    fb.setupHorizontalMetrics(metrics)
    fb.setupHorizontalHeader(ascent=880, descent=-120)
    fb.setupNameTable({"familyName": family, "styleName": "Regular", "psName": family.replace(" ", "") + "-Regular"})
    fb.setupOS2(sTypoAscender=880, sTypoDescender=-120, usWinAscent=880, usWinDescent=120)
    fb.setupPost()
    return fb.font


def test_otf_cff_font_converts_to_glyf(tmp_path):
    otf_path = tmp_path / "Blocky.otf"
    _build_font([".notdef", "space", "A", "B", "uni4E2D"], "Blocky Test", cff=True).save(otf_path)
    assert "CFF " in TTFont(otf_path)

    fs = fonts.fontset_from_paths(otf_path, None)
    assert fs.regular == fs.bold == FontSource(otf_path, 0, None)
    assert fonts.missing("AB中文", fs) == ["文"]

    prep = fonts.prepare(fs, "AB中", cache_dir=tmp_path / "cache")
    assert prep.regular == prep.bold
    font = TTFont(prep.regular)
    assert "glyf" in font and "CFF " not in font and font.sfntVersion == "\x00\x01\x00\x00"
    assert font["maxp"].tableVersion == 0x00010000 and font["head"].glyphDataFormat == 0
    cmap = font.getBestCmap()
    assert {0x41, 0x42, 0x4E2D, 0x20} <= set(cmap)
    # outlines survive: rectangle area exact, circle-ish blob close, contour direction TrueType
    a = _area(font, "A")
    assert abs(a) == pytest.approx(400 * 700)
    assert abs(_area(font, "B")) == pytest.approx(3.14159 * 250**2, rel=0.01)
    src = TTFont(otf_path)
    assert a == pytest.approx(-_area(src, "A"))  # reversed: CFF ccw -> TrueType cw
    glyf = font["glyf"]
    gname = cmap[0x41]
    assert font["hmtx"][gname] == (600, 100) and glyf[gname].xMin == 100
    assert glyf[cmap[0x4E2D]].numberOfContours == 2
    assert font["name"].getDebugName(6) == "BlockyTest-Regular"

    names = fonts.register(prep)
    pdf = _pdf_with(names, "AB中")
    assert pdf.startswith(b"%PDF") and b"FontFile2" in pdf


def test_ttc_face_index(tmp_path):
    ttc_path = tmp_path / "pair.ttc"
    coll = TTCollection()
    coll.fonts = [
        _build_font([".notdef", "space", "A"], "Face Zero", cff=False),
        _build_font([".notdef", "space", "B", "uni4E2D"], "Face One", cff=False),
    ]
    coll.save(ttc_path)

    zero, one = FontSource(ttc_path, 0), FontSource(ttc_path, 1)
    assert ord("A") in fonts.coverage(zero) and ord("B") not in fonts.coverage(zero)
    assert {ord("B"), 0x4E2D} <= fonts.coverage(one) and ord("A") not in fonts.coverage(one)

    fs = fonts.fontset_from_paths(Path(f"{ttc_path}#1"), None)
    assert fs.regular == one and fs.bold == one
    prep = fonts.prepare(fs, "B中", cache_dir=tmp_path / "cache")
    font = TTFont(prep.regular)
    assert {0x42, 0x4E2D} <= set(font.getBestCmap()) and "glyf" in font
    assert font["name"].getDebugName(1) == "Face One"
    names = fonts.register(prep)
    assert _pdf_with(names, "B中").startswith(b"%PDF")

    with pytest.raises(FontError, match="pair.ttc"):
        fonts.coverage(FontSource(ttc_path, 5))


def test_static_ttf_bold_none_and_mixed_pair(tmp_path):
    reg = tmp_path / "r.ttf"
    bold = tmp_path / "b.ttf"
    _build_font([".notdef", "space", "A", "B"], "Pair", cff=False).save(reg)
    _build_font([".notdef", "space", "A"], "Pair Bold", cff=True).save(bold.with_suffix(".otf"))
    fs = fonts.fontset_from_paths(reg, bold.with_suffix(".otf"))
    assert fs.regular.wght is None and fs.bold.wght is None
    # B is only in the regular face → reported missing (bold lacks it)
    assert fonts.missing("AB", fs) == ["B"]
    prep = fonts.prepare(fs, "AB", cache_dir=tmp_path / "cache")
    assert prep.regular != prep.bold
    r_name, b_name = fonts.register(prep)
    assert r_name != b_name


# --------------------------------------------------------------------------- (g) errors


def test_missing_file_raises(tmp_path):
    path = tmp_path / "nope.ttf"
    fs = FontSet(FontSource(path), FontSource(path))
    with pytest.raises(FontError, match="nope.ttf.*not found"):
        fonts.prepare(fs, "abc", cache_dir=tmp_path)
    with pytest.raises(FontError, match="nope.ttf"):
        fonts.coverage(FontSource(path))
    with pytest.raises(FontError, match="nope.ttf"):
        fonts.fontset_from_paths(path, None)


def test_non_font_file_raises(tmp_path):
    path = tmp_path / "notes.ttf"
    path.write_text("这不是字体文件 / not a font\n" * 20, encoding="utf-8")
    fs = FontSet(FontSource(path), FontSource(path))
    with pytest.raises(FontError, match="notes.ttf.*not a usable font"):
        fonts.prepare(fs, "abc", cache_dir=tmp_path)
    with pytest.raises(FontError, match="notes.ttf"):
        fonts.missing("abc", fs)


def test_directory_and_bad_index_raise(tmp_path):
    with pytest.raises(FontError, match="not a regular file"):
        fonts.coverage(FontSource(tmp_path))
    ttf = tmp_path / "one.ttf"
    _build_font([".notdef", "space", "A"], "One", cff=False).save(ttf)
    with pytest.raises(FontError, match="not a font collection"):
        fonts.coverage(FontSource(ttf, 2))


def test_font_without_outlines_raises(tmp_path):
    font = _build_font([".notdef", "space", "A"], "Hollow", cff=False)
    del font["glyf"]
    del font["loca"]
    path = tmp_path / "hollow.ttf"
    font.save(path)
    with pytest.raises(FontError, match="hollow.ttf.*no usable outlines"):
        fonts.coverage(FontSource(path))


def test_two_prepared_subsets_of_one_family_do_not_share_glyphs(tmp_path):
    """Two subsets of one family have one PostScript name; the second must not reuse the first one's glyphs."""
    import pypdfium2 as pdfium

    first = fonts.register(fonts.prepare(fonts.default_fontset(), "扫码拨打", cache_dir=tmp_path))
    second = fonts.register(fonts.prepare(fonts.default_fontset(), "扫码添加", cache_dir=tmp_path))
    assert first != second
    pdf = pdfium.PdfDocument(_pdf_with((second[0], second[0]), "扫码添加"))
    assert pdf[0].get_textpage().get_text_range() == "扫码添加\r\n扫码添加"


def test_leftover_temporary_files_of_a_killed_writer_are_removed(tmp_path):
    """D24: a kill between writing a cache file and renaming it left `.NAME.XXXX.tmp` behind for ever."""
    import subprocess
    import sys

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True)
    dead_pid = int(dead.stdout)  # exited: nothing runs under it now (unless reused: then it is kept, safely)
    folder = tmp_path / "fonts"
    folder.mkdir()
    killed = folder / f".Font-w400-abc.ttf.{dead_pid}.x1y2z3.tmp"
    older = folder / ".Font-w400-abc.ttf.k2j3h4g5.tmp"  # the older name, without a pid
    live = folder / f".Font-w700-abc.ttf.{os.getppid()}.q1w2e3.tmp"  # a running writer's file
    kept = folder / "Font-w400-abc.ttf"
    for path in (killed, older, live, kept):
        path.write_bytes(b"x")
    removed = cachedir.clean_leftovers(folder)
    assert set(removed) <= {killed, older} and older in removed
    assert live.exists() and kept.exists()
