"""Tests for antifraud_cli.typography (Chinese line breaking and justification)."""

from __future__ import annotations

import os
import random
import unicodedata

import pytest

from antifraud_cli.typography import (
    NO_LINE_END,
    NO_LINE_START,
    Line,
    Piece,
    Run,
    break_lines,
    violations,
)

TOL = 0.01
FONT_PATH = str(__import__("antifraud_cli.fonts").fonts.default_fontset().regular.path)
TRIMMABLE = set("，。、．：；！？”’」』）］｝】〗〕》〉")
OPENERS = set("“‘「『（［｛【〖〔《〈")
HANGABLE = set("，。、．：；！")  # may hang past a justified line's end


# ----------------------------------------------------------------------------- helpers


def _fake_wide(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in ("W", "F") or ch in "“”‘’—…·"


def fake_measure(text: str, font: str, size: float) -> float:
    """CJK / full-width characters are 1 em, everything else 0.5 em."""
    return sum(size if _fake_wide(ch) else 0.5 * size for ch in text)


CALLS: list[tuple[str, str, float]] = []


def counting_measure(text, font, size):
    CALLS.append((text, font, size))
    return fake_measure(text, font, size)


def para(text: str, size: float = 10.0, font: str = "F", style=None) -> list[Run]:
    return [Run(text, font, size, style)]


def right_edge(line: Line, measure) -> float:
    """Independent recomputation of where the last glyph's (trimmed) box ends."""
    p = line.pieces[-1]
    w = measure(p.text, p.font, p.size) + p.char_space * (len(p.text) - 1)
    edge = p.x + w
    last = p.text[-1]
    lw = measure(last, p.font, p.size)
    if last in TRIMMABLE and lw >= 0.9 * p.size:
        edge -= lw / 2
    return edge


def _has_gap(text: str) -> bool:
    """Whether a line has at least two separately placed units (something to stretch)."""
    units = 0
    prev_narrow = False
    prev = ""
    for ch in text:
        if ch == " ":
            return True
        if _fake_wide(ch):
            if not (ch in "—…" and prev == ch):
                units += 1
            prev_narrow = False
        else:
            if not prev_narrow:
                units += 1
            prev_narrow = True
        prev = ch
    return units >= 2


def check_geometry(lines: list[Line], width: float, measure, *, justify_all_but_last=True, indent=0.0):
    for i, ln in enumerate(lines):
        if not ln.pieces:
            assert ln.text == ""
            continue
        assert ln.text == "".join(p.text for p in ln.pieces)
        assert all(p.text for p in ln.pieces)
        # nothing runs past the frame
        assert ln.width <= width + TOL, (i, ln.text, ln.width)
        # a hung mark's box starts at the line's width and reaches ``hang`` (half an em) past it
        assert abs(right_edge(ln, measure) - ln.width - ln.hang) < TOL, (i, ln.text, right_edge(ln, measure), ln.width)
        if ln.hang:
            last = ln.pieces[-1]
            assert last.text[-1] in HANGABLE and abs(last.x + (len(last.text) - 1) * last.char_space
                                                     + measure(last.text[:-1], last.font, last.size) - ln.width) < TOL
            assert 0 < ln.hang <= 0.5 * last.size + TOL and i < len(lines) - 1
            assert ln.text[-2] not in TRIMMABLE | OPENERS  # one mark hangs, never two
        # pieces are in reading order, never overlap more than a compressed half em (a whole em
        # between a closing and an opening mark, both squeezed to half width in a tight line)
        for a, b in zip(ln.pieces, ln.pieces[1:]):
            end_a = a.x + measure(a.text, a.font, a.size) + a.char_space * (len(a.text) - 1)
            both = a.text[-1] in TRIMMABLE and b.text[0] in OPENERS
            assert b.x >= a.x - 1e-9
            assert b.x >= end_a - (1.0 if both else 0.5) * a.size - TOL
        if i == 0 and indent is not None:
            assert abs(ln.pieces[0].x - indent) < 1e-9
        if justify_all_but_last and i < len(lines) - 1 and _has_gap(ln.text):  # a lone unit stays left
            assert abs(ln.width - width) < TOL, (i, ln.text, ln.width, width)


def assert_text_kept(src: str, lines: list[Line]) -> None:
    """Line texts, in order, are the source with only whitespace dropped at line boundaries."""
    s = src.strip()
    pos = 0
    for ln in lines:
        while pos < len(s) and s[pos].isspace() and not (ln.text and s.startswith(ln.text, pos)):
            pos += 1
        assert s.startswith(ln.text, pos), (ln.text, s[pos : pos + 30])
        pos += len(ln.text)
    assert s[pos:].strip() == "", s[pos:]


LONG_TEXT = (
    "近期，冒充公检法、冒充客服退款、刷单返利等电信网络诈骗案件高发。诈骗分子常常自称“公安局民警”，"
    "声称您的银行卡涉嫌洗钱，要求您把资金转入所谓的“安全账户”……请牢记：公检法机关绝不会通过电话、"
    "微信办案，更不存在“安全账户”！接到陌生来电（尤其是境外号码）时，务必提高警惕——不听、不信、不转账。"
    "如有疑问，请立即拨打全国反诈专线 96110 或本地报警电话 0913-5212110 咨询，也可以登录 "
    "https://www.example.gov.cn/fanzha?id=2024 查看《防范电信网络诈骗宣传手册》。老年人要特别注意"
    "“保健品”“养老投资”等骗局；学生要当心“兼职刷单”“游戏装备低价出售”等陷阱。记住：凡是要求转账汇款的，"
    "一律先核实身份！24小时热线随时为您服务，发现可疑情况请及时向 110 报警，或发送邮件至 fzzx@example.cn。"
)


# ----------------------------------------------------------------------------- long paragraph


@pytest.mark.parametrize("size", [10.0, 12.0])
def test_long_paragraph_many_widths_fake(size):
    for width in range(100, 501, 7):
        lines = break_lines(para(LONG_TEXT, size), float(width), fake_measure)
        assert lines
        assert violations(lines) == [], (width, violations(lines))
        check_geometry(lines, width, fake_measure)
        assert_text_kept(LONG_TEXT, lines)
        for token in ("0913-5212110", "96110", "https://www.example.gov.cn/fanzha?id=2024", "fzzx@example.cn。"):
            if fake_measure(token, "F", size) > width:
                continue  # wider than the line: cut as a last resort
            assert any(token in ln.text for ln in lines), (width, token)
        for ln in lines:
            assert "——" not in ln.text[:1] and not ln.text.startswith("…")


@pytest.fixture(scope="module")
def real_measure():
    if not os.path.exists(FONT_PATH):
        pytest.skip("Noto Sans SC not installed")
    from pathlib import Path

    from antifraud_cli import cidfont
    from antifraud_cli.layout import measure

    cidfont.register("NotoSansSC-test", Path(FONT_PATH))
    return measure


@pytest.mark.parametrize("size", [10.5, 12.0])
def test_long_paragraph_many_widths_real_font(real_measure, size):
    runs = [Run(LONG_TEXT, "NotoSansSC-test", size)]
    for width in range(100, 501, 7):
        lines = break_lines(runs, float(width), real_measure)
        assert violations(lines) == [], (width, violations(lines))
        check_geometry(lines, width, real_measure)
        assert_text_kept(LONG_TEXT, lines)
        assert any("0913-5212110" in ln.text for ln in lines)
        url = "https://www.example.gov.cn/fanzha?id=2024"
        if real_measure(url, "NotoSansSC-test", size) <= width:
            assert any(url in ln.text for ln in lines)


def test_real_font_mixed_runs_and_indent(real_measure):
    runs = [
        Run("注意：", "NotoSansSC-test", 12, "red"),
        Run(LONG_TEXT[:180], "NotoSansSC-test", 11, "black"),
    ]
    for width in (150.0, 233.0, 401.0):
        lines = break_lines(runs, width, real_measure, first_indent=24.0)
        assert violations(lines) == []
        check_geometry(lines, width, real_measure, indent=24.0)
        assert_text_kept("注意：" + LONG_TEXT[:180], lines)
        first = lines[0].pieces[0]
        assert first.text.startswith("注意") and first.style == "red" and first.size == 12


# ----------------------------------------------------------------------------- punctuation at the break


def test_closing_block_pushed_out_with_previous_char():
    # 10 ideographs fill 100 pt exactly; "。”" cannot be squeezed in -> "十" goes down with it
    lines = break_lines(para("一二三四五六七八九十。”后面还有"), 100, fake_measure)
    assert [ln.text for ln in lines] == ["一二三四五六七八九", "十。”后面还有"]
    assert violations(lines) == []
    check_geometry(lines, 100, fake_measure)


def test_closing_block_squeezed_in():
    # "。" (compressed before "”") + "”" (trimmed at line end) cost 10 pt -> fits in 110
    lines = break_lines(para("一二三四五六七八九十。”后面还有"), 110, fake_measure)
    assert [ln.text for ln in lines] == ["一二三四五六七八九十。”", "后面还有"]
    check_geometry(lines, 110, fake_measure)
    # a single closing mark squeezes in at half width
    lines = break_lines(para("一二三四五六七八九十，后面"), 105, fake_measure)
    assert lines[0].text == "一二三四五六七八九十，"
    assert abs(lines[0].width - 105) < TOL


@pytest.mark.parametrize("block", ["！」", "？！", "。）", "”。", "』，"])
def test_punctuation_runs_behave_as_block(block):
    text = "一二三四五六七八九十" + block + "后面还有几个字"
    for width in (95, 100, 104, 106, 110, 115):
        lines = break_lines(para(text), width, fake_measure)
        assert violations(lines) == [], (block, width, [ln.text for ln in lines])
        check_geometry(lines, width, fake_measure)
        assert_text_kept(text, lines)


@pytest.mark.parametrize("pair", ["……", "——"])
def test_ellipsis_and_dash_never_split_nor_start_line(pair):
    text = "一二三四五六七八九" + pair + "十一二三四五"
    lines = break_lines(para(text), 100, fake_measure)
    assert [ln.text for ln in lines] == ["一二三四五六七八", "九" + pair + "十一二三四五"]
    for width in range(60, 200, 3):
        lines = break_lines(para(text * 3), width, fake_measure)
        assert violations(lines) == [], (width, [ln.text for ln in lines])
        for ln in lines:
            assert not ln.text.startswith(pair[0])
            assert ln.text.count(pair[0]) % 2 == 0
        assert_text_kept(text * 3, lines)
        check_geometry(lines, width, fake_measure)


@pytest.mark.parametrize("opener", ["《", "“", "（", "「"])
def test_opener_before_break_moves_down(opener):
    closer = {"《": "》", "“": "”", "（": "）", "「": "」"}[opener]
    # "一…九" + opener = 100 pt exactly, but an opener may not end a line
    text = "一二三四五六七八九" + opener + "十一" + closer + "后面"
    lines = break_lines(para(text), 100, fake_measure)
    assert lines[0].text == "一二三四五六七八九"
    assert lines[1].text.startswith(opener)
    assert violations(lines) == []
    check_geometry(lines, 100, fake_measure)


def test_opener_then_closing_block_pushes_several():
    # break would land inside "“好”。" in every position near the edge
    text = "一二三四五六七八说“好”。后来"
    for width in range(80, 150):
        lines = break_lines(para(text), width, fake_measure)
        assert violations(lines) == [], (width, [ln.text for ln in lines])
        assert_text_kept(text, lines)
        check_geometry(lines, width, fake_measure)


def test_line_end_trimming_and_justification():
    text = "一二三四五六七八九，十一二三四五六七八九十"
    lines = break_lines(para(text), 98, fake_measure)
    assert lines[0].text == "一二三四五六七八九，"
    # natural width 95 (comma counted half), justified to 98; comma box x + 5 == 98
    last_piece = lines[0].pieces[-1]
    comma_x = last_piece.x + 10 * (len(last_piece.text) - 1) + last_piece.char_space * (len(last_piece.text) - 1)
    assert abs(comma_x + 5 - 98) < TOL
    assert abs(lines[0].width - 98) < TOL


def test_adjacent_punctuation_compression():
    lines = break_lines(para("他说，“快报警。”"), 500, fake_measure, align="left")
    # 他说(20) + ，(5, compressed) + “(10) + 快报警(30) + 。(5, compressed) + ”(5, trimmed) = 75
    assert abs(lines[0].width - 75) < TOL
    check_geometry(lines, 500, fake_measure)


def test_close_open_paren_not_compressed():
    lines = break_lines(para("空括号（）后"), 500, fake_measure, align="left")
    assert abs(lines[0].width - 60) < TOL


# ----------------------------------------------------------------------------- Latin, numbers, URLs


PHONES_URLS = [
    "0913-5212110",
    "13800001111",
    "96110",
    "https://x.y/z?a=1",
    "https://www.example.gov.cn/fanzha?id=2024&from=poster",
    "fzzx@example.cn",
    "400-820-8888",
]


def test_phone_numbers_and_urls_never_split():
    text = "如遇可疑情况请拨打" + "，或者".join(PHONES_URLS) + "，也可以访问官方网站咨询。"
    for width in range(80, 420, 3):
        for size in (9.0, 10.0, 12.0):
            lines = break_lines(para(text, size), width, fake_measure)
            # every token is followed by "，" (counted half at a line end): together they
            # form a block that cannot be broken; only wider blocks may be cut
            longest = max(fake_measure(t, "F", size) + 0.5 * size for t in PHONES_URLS)
            if longest > width:
                continue
            for token in PHONES_URLS:
                assert any(token in ln.text for ln in lines), (width, size, token, [ln.text for ln in lines])
            assert violations(lines) == []
            assert_text_kept(text, lines)
            check_geometry(lines, width, fake_measure)


def test_number_cjk_boundary_is_a_break_opportunity():
    lines = break_lines(para("一二三四五六七八24小时热线"), 95, fake_measure)
    assert lines[0].text == "一二三四五六七八24"
    assert lines[1].text == "小时热线"


def test_mixed_latin_words_spaces_dropped_and_stretched():
    text = "Anti-fraud hotline: please call 96110 now, 反诈热线 is free of charge for everyone in China."
    for width in range(60, 300, 5):
        lines = break_lines(para(text), width, fake_measure)
        assert_text_kept(text, lines)
        check_geometry(lines, width, fake_measure)
        words = text.replace("，", " ").split()
        for w in words:
            if fake_measure(w, "F", 10) <= width and not any("\u4e00" <= c <= "\u9fff" for c in w):
                assert any(w in ln.text for ln in lines), (width, w)
        for ln in lines:
            assert ln.text == ln.text.strip()
            for p in ln.pieces:
                if p.text.isascii() and len(p.text) > 1 and p.text.strip():
                    assert p.char_space == 0.0  # letters of a Latin word are never spaced


def test_spaces_are_the_stretch_points_in_latin_lines():
    lines = break_lines(para("aa bb cc dd ee ff gg hh"), 40, fake_measure)
    first = lines[0]
    assert first.text == "aa bb cc"  # 8 chars x 5 pt = 40
    lines = break_lines(para("aa bb cc dd ee ff gg hh"), 44, fake_measure)
    first = lines[0]
    assert first.text == "aa bb cc"
    xs = {p.text.strip(): p.x for p in first.pieces}
    assert abs(xs["bb"] - 17) < TOL and abs(xs["cc"] - 34) < TOL  # 4 pt over 2 spaces
    assert all(p.char_space == 0 for p in first.pieces)


def test_unit_wider_than_line_is_cut_without_loss():
    url = "https://example.com/" + "a" * 40 + "/" + "b" * 25 + "?x=1&y=2"
    text = "请访问" + url + "了解详情"
    for width in (30, 50, 73, 100, 151):
        lines = break_lines(para(text), width, fake_measure)
        assert_text_kept(text, lines)
        assert "".join(ln.text for ln in lines) == text
        for ln in lines:
            assert ln.width <= width + TOL
        assert violations(lines) == []


def test_line_narrower_than_one_glyph_terminates_without_loss():
    text = "反诈——人人有责……0913-5212110。"
    lines = break_lines(para(text), 4.0, fake_measure)
    assert "".join(ln.text for ln in lines) == text
    assert len(lines) <= len(text)


# ----------------------------------------------------------------------------- structure


def test_forced_newline():
    lines = break_lines(para("第一行文字\n第二行文字比较长一些需要折行显示"), 100, fake_measure)
    assert lines[0].text == "第一行文字"
    assert abs(lines[0].width - 50) < TOL  # not justified: ends a forced line
    assert lines[1].text == "第二行文字比较长一些"
    assert abs(lines[1].width - 100) < TOL
    assert lines[2].text == "需要折行显示"


def test_blank_line_and_spaces_around_newline():
    lines = break_lines(para("  甲乙 \n\n  丙丁  "), 100, fake_measure)
    assert [ln.text for ln in lines] == ["甲乙", "", "丙丁"]
    assert lines[1].pieces == () and lines[1].height == 10
    lines = break_lines(para("甲乙\r\n丙丁"), 100, fake_measure)
    assert [ln.text for ln in lines] == ["甲乙", "丙丁"]


@pytest.mark.parametrize("text", ["", "   ", "\n \n", "\u3000\u3000"])
def test_empty_text(text):
    assert break_lines(para(text), 100, fake_measure) == []
    assert break_lines([], 100, fake_measure) == []
    assert violations([]) == []


def test_center_and_right_alignment():
    text = "提高防范意识，守护好自己的钱袋子"
    for align in ("center", "right", "left"):
        lines = break_lines(para(text), 95, fake_measure, align=align)
        assert_text_kept(text, lines)
        for ln in lines:
            left = ln.pieces[0].x
            right_margin = 95 - ln.width
            if align == "right":
                assert abs(right_margin) < TOL
            elif align == "center":
                assert abs(left - right_margin) < TOL
            else:
                assert left == 0
            assert all(p.char_space == 0 for p in ln.pieces)
            assert abs(right_edge(ln, fake_measure) - ln.width) < TOL


def test_center_line_ending_with_closing_mark_is_optically_centered():
    lines = break_lines(para("谨防诈骗！"), 100, fake_measure, align="center")
    # natural width 45 (！ counted half)
    assert abs(lines[0].pieces[0].x - 27.5) < TOL


def test_first_indent_and_last_line_left():
    text = "为进一步提升群众识骗防骗能力，我们编写了这份宣传材料，请认真阅读并转告家人。"
    lines = break_lines(para(text), 120, fake_measure, first_indent=20)
    assert lines[0].pieces[0].x == 20
    assert violations(lines) == []
    check_geometry(lines, 120, fake_measure, indent=20)
    assert lines[-1].width < 120 or len(lines) == 1
    assert all(p.char_space == 0 for p in lines[-1].pieces)


def test_mixed_runs_pieces_split_and_style_kept():
    runs = [
        Run("注意：", "Bold", 12, "red"),
        Run("任何要求你转账到“安全账户”的都是诈骗！", "Regular", 10, "black"),
        Run("96110", "Bold", 10, "red"),
    ]
    lines = break_lines(runs, 110, fake_measure)
    assert_text_kept("注意：任何要求你转账到“安全账户”的都是诈骗！96110", lines)
    assert violations(lines) == []
    check_geometry(lines, 110, fake_measure)
    assert lines[0].height == 12
    assert lines[0].pieces[0].font == "Bold" and lines[0].pieces[0].style == "red"
    for ln in lines:
        for p in ln.pieces:
            expected = {"Bold": {"red"}, "Regular": {"black"}}[p.font]
            assert p.style in expected
    assert any(p.text == "96110" and p.font == "Bold" for ln in lines for p in ln.pieces)


def test_style_change_inside_latin_unit_does_not_break_it():
    runs = [Run("一二三四五六七", "R", 10), Run("0913", "B", 10, "red"), Run("-5212110号", "R", 10)]
    lines = break_lines(runs, 100, fake_measure)
    assert any("0913-5212110" in ln.text for ln in lines)
    assert_text_kept("一二三四五六七0913-5212110号", lines)


def test_justified_pieces_carry_char_space():
    lines = break_lines(para("一二三四五六七八九十十一"), 105, fake_measure)
    p = lines[0].pieces[0]
    assert lines[0].text == "一二三四五六七八九十"
    assert abs(p.char_space - 5 / 9) < 1e-9
    assert lines[0].width == pytest.approx(105, abs=TOL)


def test_invalid_arguments():
    with pytest.raises(ValueError):
        break_lines(para("字"), 100, fake_measure, align="middle")
    with pytest.raises(ValueError):
        break_lines(para("字"), 0, fake_measure)


# ----------------------------------------------------------------------------- violations()


def _line(text: str) -> Line:
    return Line((Piece(text, "F", 10, None, 0.0, 0.0),), 10.0 * len(text), 10.0, text)


def test_violations_reports_problems():
    assert violations([_line("你好"), _line("。再见")])
    assert violations([_line("你好《"), _line("书名》")])
    assert any("ellipsis" in v for v in violations([_line("等等…"), _line("…好")]))
    assert any("dash" in v for v in violations([_line("等等—"), _line("—好")]))
    assert violations([_line("你好"), _line("再见。")]) == []
    assert violations([_line("“开头”")]) == []


def test_constants_cover_spec():
    for ch in "、，。．：；！？”’」』）］｝】〗〕》〉～—…·‼⁇-–・‧/／%‰℃,.;:!?)]}":
        assert ch in NO_LINE_START
    for ch in "“‘「『（［｛【〖〔《〈([{¥$£＄":
        assert ch in NO_LINE_END


# ----------------------------------------------------------------------------- fuzz + performance

FRAGMENTS = [
    "诈骗分子", "冒充", "客服", "退款", "公检法", "，", "。", "、", "；", "：", "！", "？",
    "“安全账户”", "《反电信网络诈骗法》", "（境外来电）", "……", "——", "。”", "！”", "？」",
    "96110", "0913-5212110", "13800001111", "https://x.y/z?a=1", " QQ ", " app ", "24小时",
    "请勿转账", "不点陌生链接", "fraud alert", "“", "”", "「", "」", "，“", "。”",
]


def test_fuzz_random_paragraphs():
    rng = random.Random(20240601)
    for _ in range(150):
        text = "".join(rng.choice(FRAGMENTS) for _ in range(rng.randint(5, 60)))
        size = rng.choice([9.0, 10.0, 10.5, 12.0])
        width = rng.uniform(8 * size, 40 * size)
        align = rng.choice(["justify", "left", "center", "right"])
        lines = break_lines(para(text, size), width, fake_measure, align=align)
        assert_text_kept(text, lines)
        assert violations(lines) == [], (text, width, [ln.text for ln in lines])
        check_geometry(lines, width, fake_measure, justify_all_but_last=(align == "justify"), indent=None)
        for ln in lines:
            assert ln.width <= width + TOL


def test_widths_are_measured_once_per_distinct_piece():
    # speed itself is measured in bench/, not here
    text = LONG_TEXT[:200]
    CALLS.clear()
    break_lines(para(text), 200, counting_measure)
    assert len(CALLS) <= len(set(text)) + 10  # one call per distinct (text, font, size)


# ----------------------------------------------------------------------------- print polish (issue 14)


def test_justified_line_squeezes_punctuation_to_take_one_more_character():
    # natural width of "一二三四五六，七" is 80 (> 75): squeezing the comma to half width absorbs the 5 pt,
    # less than the 10 pt the shorter line "一二三四五六，" would have to spread
    text = "一二三四五六，七八九十一二三四五六七八九十"
    lines = break_lines(para(text), 75, fake_measure)
    assert lines[0].text == "一二三四五六，七"
    check_geometry(lines, 75, fake_measure)
    comma = next(p for p in lines[0].pieces if "，" in p.text)
    seven = next(p for p in lines[0].pieces if p.text.startswith("七") or p.text.endswith("七"))
    # the comma's glyph keeps its place; only its blank right half is given up
    assert abs(seven.x + (len(seven.text) - 1) * 10 - 65) < TOL if seven.text.endswith("七") else True
    assert comma.x < 60
    # left-aligned text never squeezes: the comma line stays short
    left = break_lines(para(text), 75, fake_measure, align="left")
    assert left[0].text == "一二三四五六，"


def test_squeeze_only_when_it_beats_spreading():
    # "一二三四五六七，八": overflow 5 with the comma squeezed, but the shorter line is only 2.5 short
    text = "一二三四五六七，八九十"
    lines = break_lines(para(text), 77.5, fake_measure)
    assert lines[0].text == "一二三四五六七，"
    check_geometry(lines, 77.5, fake_measure)


@pytest.mark.parametrize("align", ["justify", "left", "center"])
def test_last_line_never_holds_a_single_character(align):
    # 11 characters fit a line: the 12th would stand alone, so the first line gives one up
    for text in ("扫码关注新城派出所公众号", "扫码关注新城派出所公众号。", "扫码关注新城派出所的公众号吧"):
        lines = break_lines(para(text), 115, fake_measure, align=align)
        assert len(lines) == 2, [ln.text for ln in lines]
        assert all(len(ln.text.strip("。")) >= 2 for ln in lines), [ln.text for ln in lines]
        assert_text_kept(text, lines)
        assert violations(lines) == []


def _lone(line: Line) -> bool:
    return len([ch for ch in line.text if ch not in NO_LINE_START + NO_LINE_END and not ch.isspace()]) == 1


def test_widow_control_keeps_the_rules_and_the_width():
    rng = random.Random(14)
    multi = lone = 0
    for _ in range(300):
        text = "".join(rng.choice(FRAGMENTS) for _ in range(rng.randint(3, 30)))
        width = rng.uniform(60, 300)
        lines = break_lines(para(text), width, fake_measure)
        assert violations(lines) == []
        assert_text_kept(text, lines)
        check_geometry(lines, width, fake_measure, indent=None)
        if len(lines) > 1:
            multi += 1
            lone += _lone(lines[-1])
    # a lone last line stays only when no earlier break fits (a long run of marks after it): rare
    assert multi > 150 and lone <= multi // 50, (multi, lone)


def _work(n: int) -> tuple[int, int]:
    """(characters measured, lines of typography.py executed) to break one n-character word."""
    import sys

    import antifraud_cli.typography as typo

    measured = [0]

    def measure(text, font, size):
        measured[0] += len(text)
        return fake_measure(text, font, size)

    executed = [0]
    source = typo.__file__

    def tracer(frame, event, arg):
        if frame.f_code.co_filename != source:
            return None
        if event == "line":
            executed[0] += 1
        return tracer

    sys.settrace(tracer)
    try:
        lines = break_lines(para("x" * n), 300, measure)
    finally:
        sys.settrace(None)
    assert "".join(ln.text for ln in lines) == "x" * n
    assert all(ln.width <= 300 + TOL for ln in lines)
    return measured[0], executed[0]


def test_breaking_one_long_word_is_linear_in_its_length():
    # a 40,000-character station name took 69 s (each line re-measured the whole tail): the work to break
    # a word 4 times longer must be about 4 times larger, not 16 times
    small, large = _work(2_000), _work(8_000)
    assert large[0] < 6 * small[0], (small, large)
    assert large[1] < 6 * small[1], (small, large)


# ----------------------------------------------------------------------------- hanging punctuation


def test_loose_line_hangs_the_comma(real_measure):
    # the elderly leaflet's back (20 pt, an ~11 em column): "接" must go down with its "，", and "接，" does not
    # fit even squeezed, so the line "接到96110来电一定要" was spread by ~0.2 em a gap; hanging the comma keeps it
    size, font = 20.0, "NotoSansSC-test"
    text = "接到96110来电一定要接，那是在提醒您"
    em = lambda t: real_measure(t, font, size) / size  # noqa: E731
    width = 10.8 * size
    assert em("接到96110来电一定要接") <= 10.8 < em("接到96110来电一定要接，") - 0.5  # fits only when the comma hangs
    assert (10.8 - em("接到96110来电一定要")) / 7 > 0.1  # the shorter line would be loose
    lines = break_lines([Run(text, font, size)], width, real_measure)
    assert [ln.text for ln in lines] == ["接到96110来电一定要接，", "那是在提醒您"]
    assert violations(lines) == []
    check_geometry(lines, width, real_measure)
    first = lines[0]
    assert abs(first.width - width) < TOL and abs(first.hang - 0.5 * size) < TOL and lines[1].hang == 0
    comma = first.pieces[-1]
    assert comma.text == "，" and abs(comma.x - width) < TOL  # its box starts at the column edge
    assert all(p.char_space < 0.05 * size for p in first.pieces)
    # the ink of the hung comma lies in the half em past the column
    from fontTools.ttLib import TTFont
    from fontTools.pens.boundsPen import BoundsPen

    tt = TTFont(FONT_PATH, fontNumber=0)
    glyphs = tt.getGlyphSet()
    pen = BoundsPen(glyphs)
    glyphs[tt.getBestCmap()[ord("，")]].draw(pen)
    upm = tt["head"].unitsPerEm
    assert 0 <= pen.bounds[0] and pen.bounds[2] <= 0.5 * upm


@pytest.mark.parametrize("chars, hangs", [(11, True), (13, False)])
def test_hang_only_a_loose_line(chars, hangs):
    # k characters fill the column; the k-th must go down with its "，" unless the comma hangs. The line of
    # k - 1 characters is spread by 1/(k - 2) em a gap: 0.111 em for 11 (loose), 0.091 em for 13 (not)
    text = "一二三四五六七八九十一二三四五"[:chars] + "，后面还有几个字"
    width = 10.0 * chars
    lines = break_lines(para(text), width, fake_measure)
    check_geometry(lines, width, fake_measure)
    assert violations(lines) == []
    if hangs:
        assert lines[0].text == text[: chars + 1] and lines[0].hang == 5.0 and lines[0].width == width
        last = lines[0].pieces[-1]  # no spreading left: the comma is set right after "一", in the same piece
        assert abs(last.x + fake_measure(last.text[:-1], "F", 10) + last.char_space * (len(last.text) - 1) - width) < TOL
    else:
        assert lines[0].text == text[: chars - 1] and all(ln.hang == 0 for ln in lines)
        assert abs(lines[0].pieces[-1].char_space - 10 / (chars - 2)) < TOL


@pytest.mark.parametrize("text", [
    "一二三四五六七八九十一。",  # the mark ends the paragraph
    "一二三四五六七八九十一，\n下一段的文字",  # ... or a segment: that line is not justified
    "一二三四五六七八九十一，二",  # hanging would leave "二" alone: widow control breaks earlier
])
def test_last_line_never_hangs(text):
    for align in ("justify", "left"):
        lines = break_lines(para(text), 110, fake_measure, align=align)
        assert all(ln.hang == 0 for ln in lines), [ln.text for ln in lines]
        assert violations(lines) == []
        assert_text_kept(text, lines)
        assert all(ln.width <= 110 + TOL for ln in lines)
    # the same mark hangs when more text follows (so the cases above are not trivially hang-free)
    assert break_lines(para("一二三四五六七八九十一，二三四五"), 110, fake_measure)[0].hang == 5.0


@pytest.mark.parametrize("text", [
    "一二三四五六七八九十一（二三四）五六",  # an opening mark never hangs (nor ends a line)
    "一二三四五六七八九十一）二三四五六",  # a closing bracket is not a stop or comma
    "一二三四五六七八九十一？二三四五六",  # "？" would reach 0.45 em past the column (a box's padding)
    "一二三四五六七八九十一”二三四五六",  # nor a closing quote
    "一二三四五六七八九十一。”二三四五",  # never two marks
    "一二三四五六七八九十”，二三四五六",  # nor a comma after another mark
])
def test_only_one_stop_or_comma_hangs(text):
    lines = break_lines(para(text), 110, fake_measure)
    assert all(ln.hang == 0 for ln in lines), [ln.text for ln in lines]
    assert violations(lines) == []
    check_geometry(lines, 110, fake_measure)


def test_without_a_hang_the_layout_is_unchanged(real_measure, monkeypatch):
    # with hanging switched off, the same lines (text, pieces, widths) up to the first hung line
    import antifraud_cli.typography as typo

    runs = [Run(LONG_TEXT, "NotoSansSC-test", 12.0)]
    hung = 0
    for width in range(100, 501, 7):
        with_hang = break_lines(runs, float(width), real_measure)
        monkeypatch.setattr(typo, "LOOSE", float("inf"))
        without = break_lines(runs, float(width), real_measure)
        monkeypatch.undo()
        first = next((i for i, ln in enumerate(with_hang) if ln.hang), None)
        if first is None:
            assert with_hang == without, width
        else:
            hung += 1
            assert with_hang[:first] == without[:first]
            assert with_hang[first].text.startswith(without[first].text)
            assert len(with_hang[first].text) > len(without[first].text)
    assert 0 < hung < 30  # hanging is the exception


@pytest.mark.parametrize("mark", list("，。、．：；！"))
def test_each_stop_or_comma_may_hang(mark):
    lines = break_lines(para("一二三四五六七八九十一" + mark + "后面还有几个字"), 110, fake_measure)
    assert lines[0].text.endswith("一" + mark) and lines[0].hang == 5.0
    check_geometry(lines, 110, fake_measure)
