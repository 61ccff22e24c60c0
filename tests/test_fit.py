"""fit_scale: the largest text scale that fits a frame, without laying the frame out more than needed."""
import random

import pytest

from antifraud_cli.layout import fit_scale


@pytest.mark.parametrize("mode", ["shrink", "grow", "error"])
def test_fit_scale_finds_the_largest_fitting_scale(mode):
    rng = random.Random(7)
    for _ in range(500):
        a, b, avail = rng.uniform(50, 400), rng.uniform(0, 100), rng.uniform(30, 700)
        height = lambda s: a * s * s + b * s  # noqa: E731 - a layout's height as its text scales
        calls = []
        scale = fit_scale(lambda s: calls.append(s) or height(s), avail, mode)
        assert len(calls) <= 8
        if mode == "error" or (mode == "shrink" and height(1.0) <= avail):
            assert scale == 1.0
        elif height(scale) > avail:
            assert scale == 0.35  # does not fit even at the smallest scale: the renderer reports it
        else:
            upper = 1.5 if height(1.0) <= avail else 1.0
            assert scale == upper or height(min(upper, scale + 0.031)) > avail


def test_a_centred_text_over_two_lines_gets_lines_of_even_length(tmp_path):
    """A centred caption that needs two lines is set in the narrowest column that keeps it to two, so its lines
    come out even: "扫码拨打96110 / 反诈专线", not "扫码拨打96110反 / 诈专线"."""
    from antifraud_cli import fonts
    from antifraud_cli.display import Glyphs, walk
    from antifraud_cli.layout import FontNames, document, font_ascent
    from antifraud_cli.layoutdoc import parse

    caption = "扫码拨打96110反诈专线"
    regular, bold = fonts.register(fonts.prepare(fonts.default_fontset(), caption, cache_dir=tmp_path))
    names = FontNames(regular, bold, frozenset(map(ord, caption)), font_ascent(regular))
    xml = (f'<document size="90x54" bleed="0" marks="none" min-size="7" min-contrast="3" min-qr="20">'
           f'<page name="p" background="#FFFFFF"><text x="59" y="35" w="28" h="13" align="center" size="10" '
           f'color="#000000">{caption}</text></page></document>')
    page = document(parse(xml, "t"), names, "t").pages[0]
    lines: dict[float, str] = {}
    for item, _, _ in walk(page.items):
        assert isinstance(item, Glyphs)
        lines[item.y] = lines.get(item.y, "") + item.text
    assert [lines[y] for y in sorted(lines, reverse=True)] == ["扫码拨打96110", "反诈专线"]
