"""Products as data: specs and templates from a project folder, size variants, fingerprints from what is
printed, the build clock, and the template sandbox."""
from __future__ import annotations

import hashlib
import json
import shutil

import pytest
from click.testing import CliRunner

from antifraud_cli.cli import cli

from conftest import CASE, STATION, invoke, write_files
from pdfcheck import boxes_mm, page_text

NOTICE_SPEC = """\
id: notice
name: 告示
description: a half-A4 notice for the village board
template: notice.xml.j2
sizes:
  A5: {w: 148, h: 210}
  A4: {w: 210, h: 297}
pages: 1
cases: 1
per: audience
"""
NOTICE_TEMPLATE = """\
<document size="{{ page.w }}x{{ page.h }}" bleed="3" marks="crop" min-size="{{ reading.min_font_pt }}"
          title="告示" lang="zh-CN">
<page background="#FFFFFF">
  <frame name="the notice" x="12" y="12" w="{{ page.w - 24 }}" h="{{ page.h - 24 }}">
    <h size="24" color="{{ palette.primary }}">{{ station.name }}告示</h>
    {% for case in cases %}<p size="{{ reading.body_font_pt }}">{{ case.title }}：{{ case.advice[0] }}</p>{% endfor %}
  </frame>
</page>
</document>
"""




def digests(folder) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*.pdf"))}


def stale(output: str) -> set[str]:
    return {ln.removeprefix("stale: ").split(" ")[0] for ln in output.splitlines() if ln.startswith("stale: ")}


# ---------- the registry

def test_a_project_adds_a_product_with_a_spec_and_a_template(make_project):
    root = make_project({"antifraud.yaml": STATION, "products/notice.yaml": NOTICE_SPEC,
                         "templates/notice.xml.j2": NOTICE_TEMPLATE})
    listed = json.loads(invoke(root, "list", "products", "--json").output)
    notice = next(p for p in listed if p["id"] == "notice")
    assert notice["sizes"] == {"A5": {"w": 148, "h": 210}, "A4": {"w": 210, "h": 297}} and not notice["default"]
    assert notice["source"].startswith("products/notice.yaml")
    assert "notice" in invoke(root, "list", "products").output

    result = invoke(root, "build", "-a", "elderly", "-p", "notice", "-j", "1")
    assert result.exit_code == 0, result.output
    pdf = root / "dist/elderly/notice.pdf"
    assert "新城派出所告示" in page_text(pdf)[0]
    assert boxes_mm(pdf)[0]["trimbox"][2] - boxes_mm(pdf)[0]["trimbox"][0] == pytest.approx(148, abs=0.1)
    # not in the default kit: a plain build leaves it alone and keeps it
    plain = invoke(root, "build", "-a", "elderly", "-j", "1")
    assert "built 5," in plain.output and pdf.exists()  # poster, leaflet, card, card-sheet, picture-poster

    # a size variant chosen in antifraud.yaml; the audience may override the case count
    write_files(root, {"antifraud.yaml": STATION + "defaults: {sizes: {notice: A4}, products: [notice]}\n"})
    again = invoke(root, "build", "-a", "elderly", "-j", "1")
    assert "built 1, up to date 0" in again.output
    box = boxes_mm(pdf)[0]["trimbox"]
    assert (box[2] - box[0], box[3] - box[1]) == (pytest.approx(210, abs=0.1), pytest.approx(297, abs=0.1))


def test_the_default_kit_and_the_poster_sizes(make_project):
    root = make_project({"antifraud.yaml": STATION + "defaults: {sizes: {poster: A2, card-sheet: A4-gutter}}\n"})
    result = invoke(root, "build", "-a", "students", "-j", "1")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (root / "dist/students").iterdir()) == \
        ["card-sheet.pdf", "card.pdf", "leaflet.pdf", "picture-poster.pdf", "poster.pdf"]
    poster = boxes_mm(root / "dist/students/poster.pdf")[0]["trimbox"]
    assert (poster[2] - poster[0], poster[3] - poster[1]) == (pytest.approx(420, abs=0.1), pytest.approx(594, abs=0.1))
    # the older spelling still works
    write_files(root, {"antifraud.yaml": STATION + "defaults: {poster_size: A2}\n"})
    assert invoke(root, "build", "-a", "students", "-p", "poster", "--check").exit_code == 0


def test_the_gutter_card_sheet_keeps_bleed_round_every_card(make_project):
    root = make_project({"antifraud.yaml": STATION + "defaults: {sizes: {card-sheet: A4-gutter}}\n"})
    assert invoke(root, "build", "-a", "elderly", "-p", "card-sheet", "-j", "1").exit_code == 0
    import pypdfium2 as pdfium

    page = pdfium.PdfDocument(str(root / "dist/elderly/card-sheet.pdf"))[0]
    image = page.render(scale=150 / 72).to_pil().convert("RGB")
    px = lambda mm_x, mm_y: image.getpixel((round(mm_x * 150 / 25.4), round(mm_y * 150 / 25.4)))  # noqa: E731
    # 2 x 4 cards of 90 x 54 mm with 6 mm gutters, centred. Each card keeps 3 mm of bleed: the header band
    # (primary colour, the top 13 mm) runs 3 mm past the card's cut lines into the gutters.
    gx, gy = (210 - 186) / 2, (297 - 234) / 2
    header = px(gx + 20, gy + 1)
    assert header != (255, 255, 255)
    assert px(gx - 2, gy + 1) == header  # left of the first card
    assert px(gx + 20, gy - 2) == header  # above it
    assert px(gx + 20, gy - 4) == (255, 255, 255)  # past the bleed: paper
    second_row = gy + 54 + 6
    assert px(gx + 20, second_row - 2) == header  # the second row's band bleeds up into the gutter
    assert px(gx + 20, second_row - 4.5) == (255, 255, 255)  # the first row's white background bleeds down


def test_bad_product_names_are_located(make_project):
    root = make_project({"antifraud.yaml": STATION + "defaults:\n  products: [poster, flyer]\n  sizes: {poster: A1}\n"})
    result = invoke(root, "build")
    assert result.exit_code == 1
    assert "antifraud.yaml:3: unknown product 'flyer'" in result.output
    assert "antifraud.yaml:4: product 'poster' has no size 'A1'" in result.output and "its sizes: A3, A2" in result.output
    unknown = invoke(make_project(name="other"), "build", "-p", "flyer")
    assert unknown.exit_code == 2 and "unknown product 'flyer'" in unknown.output


def test_a_spec_without_its_template_or_with_the_wrong_size(make_project):
    root = make_project({"products/notice.yaml": NOTICE_SPEC})
    result = invoke(root, "build", "-p", "notice")
    assert result.exit_code == 1 and "products/notice.yaml:4: product 'notice': template 'notice.xml.j2' not found" \
        in result.output
    write_files(root, {"templates/notice.xml.j2": NOTICE_TEMPLATE.replace('size="{{ page.w }}x{{ page.h }}"',
                                                                          'size="A4"')})
    result = invoke(root, "build", "-a", "elderly", "-p", "notice", "-j", "1")
    assert result.exit_code == 1
    assert "the template draws 210×297 mm but the product's size is 148×210 mm" in result.output
    assert not (root / "dist/elderly/notice.pdf").exists()


# ---------- fingerprints: stale if and only if what is printed changed

def test_check_lists_exactly_the_outputs_whose_print_changed(make_project, monkeypatch):
    root = make_project({"antifraud.yaml": STATION})
    args = ("-a", "elderly", "-a", "students")
    assert invoke(root, "build", *args, "-j", "1").exit_code == 0
    kit = {f"{a}/{p}.pdf" for a in ("elderly", "students")
           for p in ("poster", "leaflet", "card", "card-sheet", "picture-poster")}

    # the station's authority is printed in the leaflet's and poster's contact blocks, not on the card
    write_files(root, {"antifraud.yaml": STATION.replace("韩城市公安局", "渭南市公安局")})
    assert stale(invoke(root, "build", *args, "--check").output) == \
        {f"{a}/{p}.pdf" for a in ("elderly", "students") for p in ("poster", "leaflet")}
    write_files(root, {"antifraud.yaml": STATION})

    # a case's sources are printed nowhere; its title is printed on the posters and leaflets that show it
    from antifraud_cli.paths import builtin_dir

    manifest = json.loads((root / "dist/manifest.json").read_text(encoding="utf-8"))
    shown = {e["path"]: e["cases"] for e in manifest["outputs"]}
    case_id = shown["elderly/leaflet.pdf"][0]
    text = (builtin_dir("cases") / f"{case_id}.yaml").read_text(encoding="utf-8")
    write_files(root, {f"cases/{case_id}.yaml": "# 本所改写\n" + text + "\nsources: [{name: 本所整理}]\n"
                       if "sources:" not in text else "# 本所改写\n" + text.replace("sources:", "sources:\n  - {name: 本所整理}", 1)})
    assert invoke(root, "build", *args, "--check").exit_code == 0
    lines = [ln.replace("title: ", "title: 新", 1) if ln.startswith("title: ") else ln for ln in text.splitlines()]
    write_files(root, {f"cases/{case_id}.yaml": "\n".join(lines) + "\n"})
    found = stale(invoke(root, "build", *args, "--check").output)
    # the outputs that print the case (a leaflet short of space shows fewer cases than it was offered)
    assert "elderly/leaflet.pdf" in found and found <= {path for path, cases in shown.items() if case_id in cases}
    (root / f"cases/{case_id}.yaml").unlink()

    # an audience field the card does not print (its slogan is on the poster and the card back)
    aud = (builtin_dir("audiences") / "students.yaml").read_text(encoding="utf-8")
    write_files(root, {"audiences/students.yaml": aud.replace("description:", "description: 本所说明。", 1)})
    assert invoke(root, "build", *args, "--check").exit_code == 0  # the description is printed nowhere
    (root / "audiences/students.yaml").unlink()

    # a template: only the products made from it
    card = (builtin_dir("templates") / "card.xml.j2").read_text(encoding="utf-8")
    write_files(root, {"templates/card.xml.j2": card.replace("警民联系卡</text>", "警民联系卡 </text>")})
    assert stale(invoke(root, "build", *args, "--check").output) == \
        {f"{a}/{p}.pdf" for a in ("elderly", "students") for p in ("card", "card-sheet")}
    write_files(root, {"templates/card.xml.j2": card.replace("{#-", "{#- 本所的卡 ", 1)})
    assert invoke(root, "build", *args, "--check").exit_code == 0  # a template comment prints nothing
    (root / "templates/card.xml.j2").unlink()

    # the tool's own code: everything
    from antifraud_cli import compose

    from antifraud_cli import selfhash

    monkeypatch.setattr(compose, "tool_digest", lambda: "edited")
    monkeypatch.setattr(selfhash, "tool_digest", lambda: "edited")  # the fast no-op path's key too
    assert stale(invoke(root, "build", *args, "--check").output) == kit


# ---------- one build clock

def test_the_build_day_drives_the_pdf_dates_and_is_recorded(make_project):
    root = make_project()
    result = invoke(root, "build", "-a", "elderly", "-p", "card", "--date", "2027-09-01", "-j", "1")
    assert result.exit_code == 0, result.output
    from pypdf import PdfReader

    assert PdfReader(str(root / "dist/elderly/card.pdf")).metadata["/CreationDate"].startswith("D:20270901000000")
    manifest = json.loads((root / "dist/manifest.json").read_text(encoding="utf-8"))
    assert manifest["date"] == {"day": "2027-09-01", "epoch": 1819756800, "from": "--date"}
    # SOURCE_DATE_EPOCH when there is no --date; its exact second goes into the PDF
    invoke(root, "build", "-a", "elderly", "-p", "card", "--force", "-j", "1",
           env={"SOURCE_DATE_EPOCH": str(1819756800 + 12 * 3600)})
    assert PdfReader(str(root / "dist/elderly/card.pdf")).metadata["/CreationDate"].startswith("D:20270901120000")


@pytest.mark.parametrize("args, env, named", [
    (["--date", "2027-13-40"], {}, "'2027-13-40' is not a date"),
    (["--date", "tomorrow"], {}, "'tomorrow' is not a date"),
    ([], {"SOURCE_DATE_EPOCH": "yesterday"}, "SOURCE_DATE_EPOCH='yesterday' is not a timestamp"),
    ([], {"SOURCE_DATE_EPOCH": "abc"}, "SOURCE_DATE_EPOCH='abc' is not a timestamp"),
])
def test_a_bad_build_day_is_a_usage_error_and_writes_nothing(make_project, args, env, named):
    root = make_project()
    result = invoke(root, "build", *args, env=env)
    assert result.exit_code == 2 and named in result.output and "Traceback" not in result.output
    assert not (root / "dist").exists()
    check = invoke(root, "check", *args, env=env)
    assert check.exit_code == 2 and named in check.output


# ---------- templates are data, never code

@pytest.mark.parametrize("expression, message", [
    ('{{ lipsum.__globals__["os"].popen("touch RCE").read() }}', "'lipsum' is undefined"),
    ('{{ cycler.__init__.__globals__ }}', "template not allowed"),
    ('{{ station.__class__.__mro__ }}', "template not allowed"),
    ('{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}', "loop steps"),
    ('{{ "x" * 100000000 }}', "longer than"),
])
def test_a_template_cannot_run_code_or_loop_forever(make_project, expression, message):
    from antifraud_cli.paths import builtin_dir

    card = (builtin_dir("templates") / "card.xml.j2").read_text(encoding="utf-8")
    root = make_project({"templates/card.xml.j2": card.replace("<page name=\"front\"", expression + "\n<page name=\"front\"", 1)})
    result = invoke(root, "build", "-a", "elderly", "-p", "card", "-j", "1")
    assert result.exit_code == 1 and message in result.output, result.output
    assert "templates/card.xml.j2:" in result.output and "Traceback" not in result.output
    assert not (root / "RCE").exists() and not (root / "dist").exists()


def test_a_template_cannot_include_files_outside_the_template_folders(make_project, tmp_path):
    secret = tmp_path / "secret.xml.j2"
    secret.write_text("秘密", encoding="utf-8")
    root = make_project({"templates/notice.xml.j2": '{% include "leak.xml.j2" %}', "products/notice.yaml": NOTICE_SPEC})
    (root / "templates/leak.xml.j2").symlink_to(secret)
    result = invoke(root, "build", "-a", "elderly", "-p", "notice", "-j", "1")
    assert result.exit_code == 1 and "leads outside the template folders" in result.output
    result = invoke(root, "build", "-a", "elderly", "-p", "notice", "-j", "1")
    write_files(root, {"templates/notice.xml.j2": '{% include "../../secret.xml.j2" %}'})
    result = invoke(root, "build", "-a", "elderly", "-p", "notice", "-j", "1")
    assert result.exit_code == 1 and "秘密" not in result.output


# ---------- every officer on a card

def test_every_officer_gets_a_card_when_the_project_has_no_units(make_project):
    two = STATION + ('officers:\n  - {name: 李明, title: 社区民警, phone: "13800001111"}\n'
                     '  - {name: 王芳, title: 社区辅警, phone: "13800002222"}\n')
    root = make_project({"antifraud.yaml": two})
    result = invoke(root, "build", "-a", "elderly", "-p", "card", "-p", "card-sheet", "-j", "1")
    assert result.exit_code == 0, result.output
    cards = sorted(p.name for p in (root / "dist/elderly").glob("card*.pdf"))
    assert cards == ["card-liming.pdf", "card-sheet.pdf", "card-wangfang.pdf"]
    li = page_text(root / "dist/elderly/card-liming.pdf")[0]
    assert "李明" in li and "138 0000 1111" in li and "王芳" not in li and "社区民警：" not in li
    sheet = page_text(root / "dist/elderly/card-sheet.pdf")[0]
    assert sheet.count("李明") == 1 and sheet.count("138 0000 2222") == 1  # one cell each, not repeated

    # one officer: the plain card carries them; no officer at all: the hand-written card with blank lines
    write_files(root, {"antifraud.yaml": STATION + 'officers:\n  - {name: 李明, phone: "13800001111"}\n'})
    assert invoke(root, "build", "-a", "elderly", "-p", "card", "-j", "1").exit_code == 0
    assert "李明" in page_text(root / "dist/elderly/card.pdf")[0]
    assert not (root / "dist/elderly/card-liming.pdf").exists()  # no longer in the project: pruned
    write_files(root, {"antifraud.yaml": STATION})
    assert invoke(root, "build", "-a", "elderly", "-p", "card", "-j", "1").exit_code == 0
    assert "社区民警" in page_text(root / "dist/elderly/card.pdf")[0]


def test_a_station_sheet_of_every_units_card(make_project):
    from antifraud_cli.paths import builtin_dir

    spec = (builtin_dir("products") / "card-sheet.yaml").read_text(encoding="utf-8")
    units = STATION + "officers:\n" + "".join(
        f'  - {{name: 民警{i}, phone: "1380000{i:04d}", units: [v{i}]}}\n' for i in range(12)) + "units:\n" + "".join(
        f"  - {{id: v{i}, name: 第{i}村}}\n" for i in range(12))
    root = make_project({"antifraud.yaml": units,
                         "products/card-sheet.yaml": spec.replace("cells: officers", "cells: units")})
    result = invoke(root, "build", "-a", "elderly", "-p", "card-sheet", "-j", "1")
    assert result.exit_code == 0, result.output
    pages = page_text(root / "dist/elderly/card-sheet.pdf")
    assert len(pages) == 4  # 12 cards at 10 a sheet: two sheets, front and back
    assert "第0村" in pages[0] and "第9村" in pages[0] and "第10村" not in pages[0] and "第11村" in pages[2]
    assert not list((root / "dist").glob("v*/elderly/card-sheet.pdf"))  # built once, not per unit


def test_a_no_op_build_composes_nothing_and_an_unprinted_edit_renders_nothing(make_project, monkeypatch):
    from antifraud_cli import build as build_module

    root = make_project({"antifraud.yaml": STATION})
    args = ("build", "-a", "elderly", "-j", "1")
    assert invoke(root, *args).exit_code == 0
    composed = []
    real = build_module.compose_job
    monkeypatch.setattr(build_module, "compose_job", lambda p, job, day: composed.append(job.path) or real(p, job, day))
    assert "nothing to do" in invoke(root, *args).output and composed == []

    # the audience's description is printed nowhere: every output is composed again, none rendered
    from antifraud_cli.paths import builtin_dir

    aud = (builtin_dir("audiences") / "elderly.yaml").read_text(encoding="utf-8")
    write_files(root, {"audiences/elderly.yaml": aud.replace("description:", "description: 本所说明。", 1)})
    result = invoke(root, *args)
    assert "nothing to do: all 5 outputs up to date" in result.output and len(composed) == 5
    composed.clear()
    assert "nothing to do" in invoke(root, *args).output and composed == []  # remembered: composed no more


def test_a_missing_project_folder_is_a_usage_error(tmp_path):
    result = CliRunner().invoke(cli, ["--project", str(tmp_path / "nope"), "build"])
    assert result.exit_code == 2 and "project folder does not exist" in result.output


def test_an_included_template_of_any_name_makes_its_outputs_stale(make_project):
    """D4: only the product template and `_` partials were hashed; now what they compose is."""
    from antifraud_cli.paths import builtin_dir

    card = (builtin_dir("templates") / "card.xml.j2").read_text(encoding="utf-8")
    root = make_project({"templates/card.xml.j2": card.replace("警民联系卡</text>", '{% include "footer.xml.j2" %}</text>'),
                         "templates/footer.xml.j2": "警民联系卡"})
    assert invoke(root, "build", "-a", "elderly", "-p", "card", "-j", "1").exit_code == 0
    write_files(root, {"templates/footer.xml.j2": "警民联系牌"})
    check = invoke(root, "build", "-a", "elderly", "-p", "card", "--check")
    assert check.exit_code == 1 and "stale: elderly/card.pdf" in check.output
    assert invoke(root, "build", "-a", "elderly", "-p", "card", "-j", "1").exit_code == 0
    assert "警民联系牌" in page_text(root / "dist/elderly/card.pdf")[0]


def test_check_prints_the_notes_of_the_project(make_project):
    root = make_project({"antifraud.yaml": STATION + 'officers:\n  - {name: 李明, phone: "13800001111", units: [dg]}\n'
                         '  - {name: 王芳, phone: "13800002222"}\nunits:\n  - {id: dg, name: 东关村, officer: 李明}\n'})
    result = invoke(root, "check")
    assert result.exit_code == 0, result.output
    assert "note: antifraud.yaml:4: officer '王芳' is assigned to no unit" in result.output


def test_large_builds_go_in_batches_and_fail_whole(make_project, monkeypatch):
    from antifraud_cli import build as build_module

    monkeypatch.setattr(build_module, "BATCH", 3)  # 10 documents: four batches
    root = make_project({"antifraud.yaml": STATION})
    result = invoke(root, "build", "-a", "elderly", "-a", "students", "-j", "2")
    assert result.exit_code == 0 and "built 10, up to date 0" in result.output
    before = digests(root / "dist")
    assert len(json.loads((root / "dist/manifest.json").read_text(encoding="utf-8"))["outputs"]) == 10
    # a problem in the last batch (students' posters): nothing is written, every problem is listed
    write_files(root, {"antifraud.yaml": STATION.replace("新城派出所", "新城派出所" + "很" * 400)})
    failed = invoke(root, "build", "-a", "elderly", "-a", "students", "-j", "1")
    assert failed.exit_code == 1 and "nothing was written" in failed.output
    assert digests(root / "dist") == before


def test_the_same_build_on_the_same_files_is_known_to_be_a_no_op_without_loading(make_project, monkeypatch):
    from antifraud_cli import loader, write

    monkeypatch.setattr(write, "RACY_NS", 0)  # outputs written a moment ago are trusted at once (no wall clock)
    root = make_project({"antifraud.yaml": STATION})
    args = ("build", "-a", "elderly", "-p", "card", "-p", "poster", "-j", "1")
    assert invoke(root, *args).exit_code == 0
    assert "nothing to do" in invoke(root, *args).output  # the full no-op path stamps the outputs
    loads = []
    real = loader.load_project
    monkeypatch.setattr(loader, "load_project", lambda *a, **k: loads.append(1) or real(*a, **k))
    again = invoke(root, *args)
    assert "nothing to do: all 2 outputs up to date" in again.output and loads == []
    assert invoke(root, "build", "-p", "poster", "-p", "card", "-a", "elderly", "--check").exit_code == 0
    assert loads == []  # the order of the options does not matter, --check too

    # anything else takes the full path: another selection, a new file, an edited one, a touched output
    assert "built 1" in invoke(root, "build", "-a", "elderly", "-p", "leaflet", "-j", "1").output and len(loads) == 1
    assert "nothing to do" in invoke(root, *args).output and len(loads) == 2
    write_files(root, {"cases/local.yaml": CASE.format(id="local")})
    assert "built" in invoke(root, *args).output and len(loads) == 3  # a local case leads the poster now
    write_files(root, {"antifraud.yaml": STATION.replace("新城路1号", "新城路2号")})
    assert "built 1" in invoke(root, *args).output  # the address is on the poster, not on the card
    card = root / "dist/elderly/card.pdf"
    card.write_bytes(card.read_bytes() + b"%")
    assert "built 1" in invoke(root, *args).output
    assert invoke(root, "build", "-a", "elderly", "-p", "card", "-p", "poster", "--check").exit_code == 0


def test_the_wallet_card_carries_the_officers_own_qr_code(make_project):
    from pdfcheck import decode_qr

    root = make_project({"antifraud.yaml": STATION + 'officers:\n  - {name: 李明, phone: "13800001111", '
                         'qr: {url: "https://u.wechat.com/liming", caption: 扫码加李警官微信}}\n'})
    assert invoke(root, "build", "-a", "elderly", "-p", "card", "-j", "1").exit_code == 0
    card = root / "dist/elderly/card.pdf"
    assert "扫码加李警官微信" in "".join(page_text(card)[1].split())  # the elderly card's caption takes two lines
    assert decode_qr(card, 1) == ["https://u.wechat.com/liming"]


def test_compiled_templates_kept_between_runs_survive_damage(make_project, tmp_path, monkeypatch):
    """Jinja's compiled templates live in the cache folder; a damaged or unwritable one only costs a compile."""
    from antifraud_cli.compose import _environment

    cache = tmp_path / "cache"
    monkeypatch.setenv("ANTIFRAUD_CACHE_DIR", str(cache))
    root = make_project({"antifraud.yaml": STATION})
    _environment.cache_clear()  # a new process each time: what is compiled is read from the cache folder
    assert invoke(root, "build", "-a", "elderly", "-p", "card").exit_code == 0
    compiled = list((cache / "templates").glob("*.jinja"))
    assert compiled  # card.xml.j2 and what it includes
    for f in compiled:
        f.write_bytes(b"\x00garbage" * 10)
    _environment.cache_clear()
    result = invoke(root, "build", "-a", "elderly", "-p", "card", "--force")
    assert result.exit_code == 0, result.output
    assert "警民联系卡" in page_text(root / "dist" / "elderly" / "card.pdf")[0]
    shutil.rmtree(cache / "templates")
    (cache / "templates").write_text("not a folder")  # nothing can be read or kept there
    _environment.cache_clear()
    try:
        result = invoke(root, "build", "-a", "elderly", "-p", "poster")
    finally:
        _environment.cache_clear()
    assert result.exit_code == 0, result.output
    assert "防范" in page_text(root / "dist" / "elderly" / "poster.pdf")[0]
