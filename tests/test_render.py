"""End to end: build the built-in kit and read the PDFs back as a print shop and a reader would."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from antifraud_cli.cli import cli
from antifraud_cli.loader import load_project

from conftest import STATION, write_files
from pdfcheck import boxes_mm, chars, clreq_violations, decode_qr, fonts, page_text, text_lines

AUDIENCES = ("elderly", "housewives", "students", "migrant-workers", "shop-owners", "pupils", "bank-staff")
SIZES = {"poster": (297, 420), "leaflet": (210, 297), "card": (90, 54), "card-sheet": (210, 297)}
PAGES = {"poster": 1, "leaflet": 2, "card": 2, "card-sheet": 2}


@pytest.fixture(scope="module")
def kit(tmp_path_factory):
    """The whole default kit of an empty folder, built once for this module."""
    import os

    root = tmp_path_factory.mktemp("empty")
    os.environ.setdefault("ANTIFRAUD_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "font-cache"))
    cwd = os.getcwd()
    os.chdir(root)
    try:
        result = CliRunner().invoke(cli, ["build", "-j", "2"], catch_exceptions=False)
    finally:
        os.chdir(cwd)
    assert result.exit_code == 0, result.output
    return root / "dist"


def test_every_output_exists_with_the_contracted_paths(kit):
    for audience in AUDIENCES:
        for product in SIZES:
            assert (kit / audience / f"{product}.pdf").is_file()
    manifest = json.loads((kit / "manifest.json").read_text(encoding="utf-8"))
    told = ("elderly", "pupils")  # the picture poster (看图识骗) is in the kit of the readers who read least
    assert all((kit / audience / "picture-poster.pdf").is_file() for audience in told)
    assert len(manifest["outputs"]) == len(AUDIENCES) * len(SIZES) + len(told)


@pytest.mark.parametrize("product", SIZES)
def test_print_boxes(kit, product):
    w, h = SIZES[product]
    for box in boxes_mm(kit / "elderly" / f"{product}.pdf"):
        x0, y0, x1, y1 = box["trimbox"]
        assert (round(x1 - x0, 1), round(y1 - y0, 1)) == (w, h)
        if product != "card-sheet":
            bx0, by0, bx1, by1 = box["bleedbox"]
            assert (round(x0 - bx0, 1), round(y0 - by0, 1), round(bx1 - x1, 1), round(by1 - y1, 1)) == (3, 3, 3, 3)
            mx0, my0, mx1, my1 = box["mediabox"]
            assert mx0 <= bx0 - 5 and mx1 >= bx1 + 5  # room for crop marks outside the bleed
    assert len(boxes_mm(kit / "elderly" / f"{product}.pdf")) == PAGES[product]


@pytest.mark.parametrize("audience", AUDIENCES)
def test_fonts_are_embedded_subsets_and_nothing_standard(kit, audience):
    for product in SIZES:
        found = fonts(kit / audience / f"{product}.pdf")
        assert found, product
        for font in found:
            assert font["embedded"], font
            assert "+" in font["name"], font  # subset prefix ABCDEF+
            assert "Helvetica" not in font["name"] and "Times" not in font["name"]


@pytest.mark.parametrize("audience", AUDIENCES)
def test_qr_codes_decode_to_the_payload(kit, audience):
    assert decode_qr(kit / audience / "poster.pdf", 0) == ["tel:96110"]
    assert decode_qr(kit / audience / "leaflet.pdf", 1) == ["tel:96110"]
    assert decode_qr(kit / audience / "card.pdf", 1) == ["tel:96110"]
    assert decode_qr(kit / audience / "card-sheet.pdf", 1) == ["tel:96110"] * 10


@pytest.mark.parametrize("audience", AUDIENCES)
def test_text_is_there_and_right(kit, audience, tmp_path):
    project = load_project(tmp_path)
    voice = project.audiences[audience].voice
    poster = "".join(page_text(kit / audience / "poster.pdf"))
    assert voice.headline in poster and "96110" in poster
    leaflet = "".join(page_text(kit / audience / "leaflet.pdf")).replace("\r\n", "")
    manifest = json.loads((kit / "manifest.json").read_text(encoding="utf-8"))
    entry = next(e for e in manifest["outputs"] if e["path"] == f"{audience}/leaflet.pdf")
    # the leaflet prints whole cases, every one its manifest entry names (measured: it chose fewer if need be)
    printed = [project.cases[case_id].title in leaflet for case_id in entry["cases"]]
    assert printed and all(printed), printed
    card = "".join(page_text(kit / audience / "card.pdf"))
    assert "警民联系卡" in card and "96110" in card and "110" in card


@pytest.mark.parametrize("audience", AUDIENCES)
def test_no_clreq_violations_and_nothing_outside_the_trim(kit, audience):
    for product in ("poster", "leaflet", "card"):
        path = kit / audience / f"{product}.pdf"
        trim = boxes_mm(path)[0]["trimbox"]
        for page in range(PAGES[product]):
            lines = text_lines(path, page)
            assert lines
            assert clreq_violations(lines) == [], (product, page)
            for c in chars(path, page):
                assert trim[0] * 72 / 25.4 <= c.x0 and c.x1 <= trim[2] * 72 / 25.4 + 0.5, (product, c)


@pytest.mark.parametrize("audience", AUDIENCES)
def test_no_text_below_the_audience_minimum(kit, audience, tmp_path):
    minimum = load_project(tmp_path).audiences[audience].reading.min_font_pt
    for product, floor in (("poster", minimum), ("leaflet", minimum), ("card", 7.0)):
        path = kit / audience / f"{product}.pdf"
        for page in range(PAGES[product]):
            sizes = [c.size for c in chars(path, page)]
            assert min(sizes) >= floor - 0.01, (product, page, min(sizes))


def test_elderly_gets_bigger_type_and_fewer_cases_than_students(kit):
    manifest = {e["path"]: e for e in json.loads((kit / "manifest.json").read_text(encoding="utf-8"))["outputs"]}
    assert len(manifest["elderly/leaflet.pdf"]["cases"]) <= len(manifest["students/leaflet.pdf"]["cases"])
    elderly = sorted(c.size for c in chars(kit / "elderly/leaflet.pdf", 0))
    students = sorted(c.size for c in chars(kit / "students/leaflet.pdf", 0))
    assert elderly[len(elderly) // 2] > students[len(students) // 2]


# ---------- projects with officers, escaping, errors

def build(root, *args):
    import os

    cwd = os.getcwd()
    os.chdir(root)
    try:
        return CliRunner().invoke(cli, ["build", "-j", "1", *args], catch_exceptions=False)
    finally:
        os.chdir(cwd)


def test_card_carries_the_units_officer_and_data_is_never_markup(make_project):
    root = make_project({"antifraud.yaml": """\
station: {name: "<b>新城</b>{{ x }}派出所", phone: "0913-5212110"}
officers:
  - {name: 李明, title: 社区民警, phone: "13800001111", units: [dongguan]}
units:
  - {id: dongguan, name: 东关村, officer: 李明}
"""})
    result = build(root, "-a", "elderly", "-p", "card")
    assert result.exit_code == 0, result.output
    text = "".join(page_text(root / "dist/dongguan/elderly/card.pdf"))
    assert "李明" in text and "138 0000 1111" in text and "东关村" in text
    assert "<b>新城</b>{{ x }}派出所" in text


def test_card_without_officer_has_blank_lines(make_project):
    root = make_project({"antifraud.yaml": STATION})
    assert build(root, "-a", "shop-owners", "-p", "card").exit_code == 0
    text = "".join(page_text(root / "dist/shop-owners/card.pdf"))
    assert "社区民警：" in text and "联系电话：" in text and "新城派出所" in text


def test_configured_qr_payload(make_project):
    root = make_project({"antifraud.yaml": STATION + "qr: {url: \"https://example.org/jingmin?id=7\", "
                                                     "caption: 扫码添加社区民警}\n"})
    assert build(root, "-a", "students", "-p", "poster", "-p", "card").exit_code == 0
    assert decode_qr(root / "dist/students/poster.pdf", 0) == ["https://example.org/jingmin?id=7"]
    assert decode_qr(root / "dist/students/card.pdf", 1) == ["https://example.org/jingmin?id=7"]
    assert "扫码添加社区民警" in "".join(page_text(root / "dist/students/card.pdf"))


def test_unknown_audience_is_rejected_with_the_known_ones(make_project):
    result = build(make_project(), "-a", "pensioners")
    assert result.exit_code == 2
    assert "unknown audience 'pensioners'" in result.output
    assert "known audiences: bank-staff, elderly, housewives, migrant-workers, pupils, shop-owners, students" in result.output


def test_unknown_product_is_rejected(make_project):
    result = build(make_project(), "-p", "billboard")
    assert result.exit_code == 2
    assert "unknown product 'billboard'" in result.output
    assert "known products: poster, leaflet, card, card-sheet, picture-poster, banner, board" in result.output  # kit first


LOCAL_CASE = """\
id: local
title: 本地骗局
summary: {summary}
red_flags: [先让你交钱]
advice: [不转账]
audiences: [elderly]
"""


def test_character_no_font_covers_stops_the_build(make_project):
    root = make_project({"cases/local.yaml": LOCAL_CASE.format(summary="骗子说要交𓀀手续费。"),
                         "audiences/elderly.yaml": _elderly_first("local")})
    result = build(root, "-a", "elderly", "-p", "leaflet")
    assert result.exit_code == 1
    assert "cases/local.yaml:3: elderly/leaflet.pdf: field 'summary': character U+13000 '𓀀' is not in any " \
           "configured font" in result.output
    assert not (root / "dist").exists()


def test_text_that_cannot_fit_is_an_error_naming_the_field(make_project):
    root = make_project({"cases/local.yaml": LOCAL_CASE.format(summary="骗子打电话来要钱。" * 120),
                         "audiences/elderly.yaml": _elderly_first("local")})
    result = build(root, "-a", "elderly", "-p", "leaflet")
    assert result.exit_code == 1
    assert "text does not fit in the front page cases" in result.output
    assert "even at the minimum size 14 pt" in result.output
    assert "cases/local.yaml:3 (summary)" in result.output


def test_failed_build_leaves_outputs_as_they_were(make_project):
    root = make_project()
    assert build(root, "-a", "elderly").exit_code == 0
    before = {p: p.read_bytes() for p in (root / "dist").rglob("*") if p.is_file()}
    write_files(root, {"cases/local.yaml": LOCAL_CASE.format(summary="骗子打电话来要钱。" * 120),
                       "audiences/elderly.yaml": _elderly_first("local")})
    result = build(root, "-a", "elderly", "--force")
    assert result.exit_code == 1
    after = {p: p.read_bytes() for p in (root / "dist").rglob("*") if p.is_file()}
    assert after == before


def test_template_errors_name_the_template_line(make_project):
    from antifraud_cli.paths import builtin_dir

    text = (builtin_dir("templates") / "card.xml.j2").read_text(encoding="utf-8")
    root = make_project({"templates/card.xml.j2": text.replace("{{ issuer() }}</text>",
                                                               "{{ station.nmae }}</text>", 1)})
    result = build(root, "-a", "elderly", "-p", "card")
    assert result.exit_code == 1
    assert "templates/card.xml.j2:" in result.output and "has no attribute 'nmae'" in result.output


def test_layout_vocabulary_errors(make_project):
    root = make_project({"templates/card.xml.j2": '<document size="card">\n<page>\n<blink/>\n'
                                                  '<text x="1" y="1" w="10" size="huge">x</text>\n</page></document>'})
    result = build(root, "-a", "elderly", "-p", "card")
    assert result.exit_code == 1
    assert "templates/card.xml.j2 (rendered):3: elderly/card.pdf: unknown element <blink>" in result.output
    assert "(rendered):4: elderly/card.pdf: <text size=\"huge\">: not a valid value" in result.output


def _elderly_first(case_id: str) -> str:
    from antifraud_cli.paths import builtin_dir

    text = (builtin_dir("audiences") / "elderly.yaml").read_text(encoding="utf-8")
    return text.replace("priorities: [", f"priorities: [{case_id}, ")


def test_configured_font_is_used_and_a_missing_one_is_an_error(make_project, tmp_path):
    """A township PC's own font: named in antifraud.yaml, prepared like the default one."""
    import shutil

    from fontTools.ttLib import TTFont

    from antifraud_cli.build import prepare_fonts

    state = prepare_fonts(load_project(make_project({"antifraud.yaml": STATION}, name="plain")))
    font = TTFont(state.prepared.regular)
    for record in font["name"].names:  # make it recognisably another font
        if record.nameID in (1, 4, 6):
            record.string = "TownshipSans" if record.nameID != 4 else "TownshipSans Regular"
    root = make_project({"antifraud.yaml": STATION + "fonts: {regular: fonts/township.ttf}\n"})
    (root / "fonts").mkdir()
    font.save(root / "fonts/township.ttf")
    result = build(root, "-a", "elderly", "-p", "card")
    assert result.exit_code == 0, result.output
    names = [f["name"] for f in fonts(root / "dist/elderly/card.pdf")]
    assert names and all("TownshipSans" in n for n in names)

    write_files(root, {"cases/local.yaml": LOCAL_CASE.format(summary="这个字体里没有的字：龘。"),
                       "audiences/elderly.yaml": _elderly_first("local")})
    result = build(root, "-a", "elderly", "-p", "leaflet")
    assert result.exit_code == 1
    assert "cases/local.yaml:3: elderly/leaflet.pdf: field 'summary': character U+9F98 '龘' is not in any " \
           "configured font" in result.output

    shutil.rmtree(root / "fonts")
    result = build(root, "-a", "elderly", "-p", "card", "--force")
    assert result.exit_code == 1
    assert "antifraud.yaml:2: " in result.output and "township.ttf" in result.output
