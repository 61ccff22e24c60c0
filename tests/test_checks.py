"""The checks read the display list: each rule on a small hand-made page, with the location it reports."""
from __future__ import annotations

import pytest

from antifraud_cli import fonts
from antifraud_cli.checks import Policy, check
from antifraud_cli.display import QR, DisplayDoc, Form, Glyphs, Group, Page, Rect, Source, Use
from antifraud_cli.errors import Location
from antifraud_cli.layout import measure, qr_matrix

SRC = Source(Location("cases/x.yaml", 7), "field 'summary'")
POLICY = Policy(min_size=14, min_contrast=4.5, min_qr=20, covered=frozenset(map(ord, "反诈专线龘")))


@pytest.fixture(scope="module")
def face(tmp_path_factory) -> str:
    # prepared without 龘: the configured font has it, the face the PDF would embed does not
    return fonts.register(fonts.prepare(fonts.default_fontset(), "反诈专线", cache_dir=tmp_path_factory.mktemp("c")))[0]


def run(face: str, text: str = "反诈专线", size: float = 16, colour: str = "#000000", background: str = "#FFFFFF",
        x: float = 20, screen: bool = False) -> Glyphs:
    return Glyphs(x, 50, text, face, size, colour, background, SRC, 0.0, measure(text, face, size))


def problems(*items, screen: bool = False, forms=None) -> list[str]:
    page = Page(200, 100, (0, 0, 200, 100), (0, 0, 200, 100), tuple(items))
    return [str(p) for p in check(DisplayDoc((page,), {}, screen=screen, forms=forms or {}), POLICY).items]


def test_a_clean_page_has_no_problems(face):
    assert problems(run(face)) == []


def test_a_character_the_embedded_face_lacks_is_an_error_at_its_field(face):
    found = problems(run(face, "反诈龘专线"))
    assert len(found) == 1 and found[0].startswith("cases/x.yaml:7: field 'summary': character U+9F98 '龘'")


def test_size_contrast_and_colour_plates(face):
    assert "smaller than the minimum 14 pt" in problems(run(face, size=12))[0]
    assert "contrast" in problems(run(face, colour="#BBBBBB"))[0]
    small_red = problems(run(face, size=14, colour="#B00000"))  # 14 pt is not small: colour allowed
    assert small_red == []
    policy_small = Policy(min_size=8, min_contrast=4.5, min_qr=20, covered=POLICY.covered)
    page = Page(200, 100, (0, 0, 200, 100), (0, 0, 200, 100), (run(face, size=9, colour="#B00000"),))
    found = [str(p) for p in check(DisplayDoc((page,), {}), policy_small).items]
    assert len(found) == 1 and "would print from colour plates" in found[0]
    screen = [str(p) for p in check(DisplayDoc((page,), {}, screen=True), policy_small).items]
    assert screen == []  # a screen has no plates


def test_text_past_the_trim_edge_inside_a_placed_form(face):
    card = Form((0, 0, 60, 100), (run(face, x=125),))  # fine on its own, cut off where it is placed
    assert problems(Use("card", 0, 0), forms={"card": card}) == []
    assert "runs past the trim edge" in problems(Use("card", 20, 0), forms={"card": card})[0]


def test_qr_minimum_size_and_quiet_zone(face):
    matrix = qr_matrix("https://www.mps.gov.cn/")
    module = 22 * 72 / 25.4 / len(matrix)
    qr = QR(60, 20, module, matrix, "#000000", "https://www.mps.gov.cn/", SRC)
    assert problems(qr) == []
    assert problems(Rect(0, 0, 200, 100, fill="#C0392B"), qr) == []  # painted before: the white margin covers it
    band = Rect(0, 20 + qr.size + 3.0 * module, 200, 10, fill="#C0392B")  # 3 modules above the code
    found = problems(qr, Group(0, 0, (band,)))
    assert len(found) == 1 and "quiet zone (3.0 of 4 modules clear)" in found[0]
    tiny = QR(60, 20, 15 * 72 / 25.4 / len(matrix), matrix, "#000000", "x", SRC)
    assert "smaller than the minimum 20 mm" in problems(tiny)[0]


def test_small_type_reversed_out_of_several_inks_is_an_error(face):
    """White (or a light tint) under 12 pt knocked out of a band printed from two or more plates fills in when
    the plates shift; out of one ink, or at 12 pt, it is fine; solid black overprints and knocks nothing out."""
    policy = Policy(min_size=7, min_contrast=3, min_qr=20, covered=POLICY.covered)

    def found(colour: str, background: str, size: float) -> list[str]:
        page = Page(200, 100, (0, 0, 200, 100), (0, 0, 200, 100), (run(face, size=size, colour=colour,
                                                                         background=background),))
        return [str(p) for p in check(DisplayDoc((page,), {}), policy).items]

    red_band = "#9B1B1F"  # magenta, yellow and black
    message = found("#FFFFFF", red_band, 10.5)
    assert len(message) == 1 and "reversed out of #9B1B1F, a colour printed from 3 plates" in message[0]
    assert found("#FFFFFF", red_band, 12) == []
    assert found("#FFFFFF", "#FF00FF", 8) == []  # 100 % magenta: one plate
    assert found("#FFFFFF", "#000000", 8) == []  # 100 % black
    assert found("#000000", "#FFD54F", 8) == []  # black text overprints the yellow
    screen = check(DisplayDoc((Page(200, 100, (0, 0, 200, 100), (0, 0, 200, 100),
                                    (run(face, size=9, colour="#FFFFFF", background=red_band),)),), {}, screen=True),
                   policy)
    assert not screen  # a screen has no plates


def test_text_covered_by_a_shape_drawn_after_it_is_an_error(face):
    """A band painted over a frame's last line slices it (what the roll-up did): the text's ink box, not its
    advance, counts, so a comma hung past its column may end next to a box drawn after it."""
    text = run(face, "反诈专线，")  # ink: 反 from x=20, the comma's ink stops well inside its em
    assert problems(Rect(0, 0, 200, 100, fill="#FFD54F"), text) == []  # a background drawn first
    band = Rect(0, 0, 200, 54, fill="#9B1B1F")  # covers the lower part of the line (baseline at y=50)
    found = problems(text, band)
    assert len(found) == 1 and "partly covered by a shape drawn after it" in found[0]
    assert problems(text, Rect(0, 60, 200, 10, stroke="#000000")) == []  # an outline, no fill
    comma_end = text.x + text.width  # the comma's em ends here; its ink about half an em before
    assert problems(text, Rect(comma_end - 0.25 * text.size, 40, 50, 30, fill="#9B1B1F")) == []
    assert problems(text, Rect(comma_end - 0.9 * text.size, 40, 50, 30, fill="#9B1B1F")) != []
