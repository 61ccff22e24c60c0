"""What a build makes once for the station and what once per village (issue 22): a product whose print does
not depend on the village (`per: station`), the bank counters' kit, the manifest, and the audiences the
project `antifraud init` writes builds without `-a`."""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
from importlib.resources import files

import pytest
import yaml

from antifraud_cli.compose import compose_job
from antifraud_cli.loader import load_project
from antifraud_cli.plan import make_jobs

from conftest import STATION, UNITS, invoke, write_files
from pdfcheck import page_text

DAY = dt.date(2027, 1, 10)
VILLAGES = ("dongguan", "xiguan")


def manifest(root) -> dict[str, dict]:
    data = json.loads((root / "dist/manifest.json").read_text(encoding="utf-8"))
    return {e["path"]: e for e in data["outputs"]}


def test_a_plain_build_makes_what_no_village_changes_once_for_the_station(make_project):
    root = make_project({"antifraud.yaml": UNITS})
    result = invoke(root, "build", "-p", "poster", "-p", "banner", "-p", "broadcast", "-j", "2")
    assert result.exit_code == 0, result.output
    project, out = load_project(root), root / "dist"
    village_audiences = [a for a in project.audiences if a != "bank-staff"]
    for audience in village_audiences:
        # the poster carries the village's officer: one per village
        assert all((out / v / audience / "poster.pdf").is_file() for v in VILLAGES)
        # the banner and the loudspeaker script print nothing of a village: one for the station, per audience
        assert (out / audience / "banner.pdf").is_file() and (out / audience / "broadcast.txt").is_file()
    assert not list(out.glob("*/*/banner.pdf")) and not list(out.glob("*/*/broadcast.txt"))

    # the bank counters are the station's, not a village's: one kit, with the station's duty phone
    assert sorted(p.name for p in (out / "bank-staff").iterdir()) == ["banner.pdf", "broadcast.txt", "poster.pdf"]
    assert not list(out.glob("*/bank-staff"))
    poster = "".join(page_text(out / "bank-staff/poster.pdf"))
    assert "0913-5212110" in poster and "李明" not in poster and "王芳" not in poster

    # the manifest says which outputs are the station's (no unit) and which a village's
    entries = manifest(root)
    assert len(entries) == len(VILLAGES) * len(village_audiences) + 1 + 2 * len(project.audiences)
    for path, entry in entries.items():
        first = path.split("/")[0]
        assert entry["unit"] == (first if first in VILLAGES else None), path
    assert entries["bank-staff/poster.pdf"]["unit"] is None and entries["elderly/banner.pdf"]["unit"] is None
    assert invoke(root, "build", "-p", "poster", "-p", "banner", "-p", "broadcast", "--check").exit_code == 0


def test_the_default_kit_of_a_units_project_holds_one_bank_staff_kit(make_project):
    project = load_project(make_project({"antifraud.yaml": UNITS}))
    jobs = make_jobs(project, [], [], [], DAY)
    bank = [j for j in jobs if j.audience == "bank-staff"]
    assert sorted(j.path for j in bank) == ["bank-staff/card-sheet.pdf", "bank-staff/card.pdf",
                                            "bank-staff/leaflet.pdf", "bank-staff/poster.pdf"]
    assert all(j.unit is None for j in bank)
    others = [j for j in jobs if j.audience != "bank-staff" and j.unit is not None]
    assert len(others) == len(VILLAGES) * (len(project.audiences) - 1) * 4
    assert {j.unit for j in others} == set(VILLAGES)
    # the picture poster prints nothing of the village: once for the station, for elderly and pupils
    assert sorted(j.path for j in jobs if j.unit is None and j.audience != "bank-staff") == [
        "elderly/picture-poster.pdf", "pupils/picture-poster.pdf"]
    # -u names villages: what is built once for the station is built for them instead (as the briefing is)
    one = make_jobs(project, ["bank-staff", "elderly"], ["card", "banner"], ["xiguan"], DAY)
    assert sorted(j.path for j in one) == ["xiguan/bank-staff/banner.pdf", "xiguan/bank-staff/card.pdf",
                                           "xiguan/elderly/banner.pdf", "xiguan/elderly/card.pdf"]


def test_the_init_project_builds_the_audiences_its_antifraud_yaml_lists_and_bank_staff_when_asked(tmp_path):
    listed = yaml.safe_load(files("antifraud_cli.scaffold_files").joinpath("antifraud.yaml").read_text("utf-8"))
    audiences = listed["defaults"]["audiences"]
    assert "elderly" in audiences and "bank-staff" not in audiences  # the bank counters are asked for: -a

    assert invoke(tmp_path, "init", "station").exit_code == 0
    root = tmp_path / "station"
    project = load_project(root)
    assert project.config.defaults.audiences == audiences and set(audiences) <= set(project.audiences)
    plain = make_jobs(project, [], [], [], DAY)
    assert {j.audience for j in plain} == set(audiences)
    assert {j.unit for j in plain if j.product != "picture-poster"} == {u.id for u in project.units}

    result = invoke(root, "build", "-a", "bank-staff", "-p", "card", "-p", "desk-card", "-j", "1")
    assert result.exit_code == 0, result.output
    card = "".join(page_text(root / "dist/bank-staff/card.pdf"))
    assert "0913-5212110" in card
    assert not list((root / "dist").glob("*/bank-staff"))  # once, not once per village
    entries = manifest(root)
    assert sorted(entries) == ["bank-staff/card.pdf", "desk-card.pdf"]
    assert all(e["unit"] is None and e["audience"] == "bank-staff" for e in entries.values())


def test_a_product_built_per_station_prints_nothing_of_the_village_and_one_built_per_village_does(make_project):
    """The data agrees with the templates: every built-in product marked `per: station` composes the same
    document whichever village it were built for, and every one built per village composes a different one
    for each (here the two villages have different officers)."""
    project = load_project(make_project({"antifraud.yaml": UNITS}))
    products = [p for p, spec in project.products.items() if not spec.needs]
    jobs = make_jobs(project, ["elderly", "students"], products, list(VILLAGES), DAY)
    checked = set()
    for job in jobs:
        if job.unit != VILLAGES[0]:
            continue
        spec = project.products[job.product]
        texts = [tuple(d.text for d in compose_job(project, dataclasses.replace(job, unit=u), DAY)[0])
                 for u in VILLAGES]
        if spec.per == "station":
            assert texts[0] == texts[1], f"{job.product} is built per station but prints the village"
        elif not job.cells:
            assert texts[0] != texts[1], f"{job.product} prints nothing of the village but is built per village"
        checked.add(job.product)
    assert {"banner", "broadcast", "broadcast-sheet", "school-radio", "checklist", "desk-card", "poster",
            "card", "wechat", "home-visit", "contact-board"} <= checked
    for product in ("banner", "broadcast", "broadcast-sheet", "school-radio", "checklist", "desk-card"):
        assert project.products[product].per == "station", product


NOTICE = """\
id: notice
name: 告示
template: notice.xml.j2
sizes:
  A5: {w: 148, h: 210}
per: station@AUDIENCE@
"""
NOTICE_TEMPLATE = """\
<document size="{{ page.w }}x{{ page.h }}" bleed="3" marks="crop" min-size="{{ reading.min_font_pt }}" lang="zh-CN">
<page background="#FFFFFF">
  <frame x="12" y="12" w="{{ page.w - 24 }}" h="{{ page.h - 24 }}">
    <h size="24" color="{{ palette.primary }}">{{ station.name }}告示</h>
  </frame>
</page>
</document>
"""


@pytest.mark.parametrize("audience, made", [
    ("", ["elderly/notice.pdf", "students/notice.pdf"]),  # for each audience, once: OUT/<audience>/
    ("\naudience: elderly", ["notice.pdf"]),  # for the one it names, once: OUT/
])
def test_a_projects_own_product_built_once_per_station(make_project, audience, made):
    root = make_project({"antifraud.yaml": UNITS, "products/notice.yaml": NOTICE.replace("@AUDIENCE@", audience),
                         "templates/notice.xml.j2": NOTICE_TEMPLATE})
    result = invoke(root, "build", "-a", "elderly", "-a", "students", "-p", "notice", "-j", "1")
    assert result.exit_code == 0, result.output
    assert sorted(manifest(root)) == made


def test_a_product_built_per_unit_still_names_its_audience(make_project):
    root = make_project({"antifraud.yaml": STATION, "products/notice.yaml": NOTICE.replace("@AUDIENCE@", "")
                         .replace("per: station", "per: unit"), "templates/notice.xml.j2": NOTICE_TEMPLATE})
    result = invoke(root, "check")
    assert result.exit_code == 1 and "a product built per unit needs `audience:`" in result.output
    write_files(root, {"products/notice.yaml": NOTICE.replace("@AUDIENCE@", "\naudience: elderly")
                       + "default_audiences: [elderly]\n"})
    result = invoke(root, "check")
    assert result.exit_code == 1 and "`default_audiences`" in result.output
