"""Township batch builds: units and rosters, manifest and incremental builds, reproducibility, -j, shards."""
from __future__ import annotations

import hashlib
import json

import pytest

from antifraud_cli.errors import AntifraudError
from antifraud_cli.loader import load_project
from antifraud_cli.plan import shard

from conftest import STATION, UNITS, invoke, write_files
from pdfcheck import page_text

ROSTER = "unit_id,unit_name,name,title,phone\ndongguan,东关村,李明,社区民警,13800001111\n" \
         "xiguan,西关村,王芳,社区辅警,0913-5212110\nnanjie,南街社区,王芳,社区辅警,0913-5212110\n"




def build(root, *args, env=None):
    return invoke(root, "build", *args, env=env)


def digests(folder) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*.pdf"))}


# ---------- units and rosters

def test_each_unit_card_carries_its_own_officer(make_project):
    root = make_project({"antifraud.yaml": UNITS})
    result = build(root, "-a", "elderly", "-p", "card", "-j", "1")
    assert result.exit_code == 0, result.output
    east = "".join(page_text(root / "dist/dongguan/elderly/card.pdf"))
    west = "".join(page_text(root / "dist/xiguan/elderly/card.pdf"))
    assert "李明" in east and "138 0000 1111" in east and "王芳" not in east
    assert "王芳" in west and "138 0000 2222" in west and "李明" not in west


def test_unit_selection(make_project):
    root = make_project({"antifraud.yaml": UNITS})
    assert build(root, "-u", "xiguan", "-a", "students", "-p", "card", "-j", "1").exit_code == 0
    assert (root / "dist/xiguan/students/card.pdf").is_file()
    assert not (root / "dist/dongguan").exists()
    result = build(root, "-u", "beiguan")
    assert result.exit_code == 2
    assert "unknown unit 'beiguan'" in result.output and "known units: dongguan, xiguan" in result.output


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_roster_csv_in_every_encoding_excel_writes(make_project, encoding):
    root = make_project({"antifraud.yaml": STATION + "roster: officers.csv\n",
                         "officers.csv": ROSTER.encode(encoding)})
    project = load_project(root)
    assert [u.id for u in project.units] == ["dongguan", "xiguan", "nanjie"]
    wang = project.officer_for(project.unit("nanjie"))
    assert wang.name == "王芳" and wang.phone == "0913-5212110" and wang.units == ["xiguan", "nanjie"]
    assert project.officer_for(project.unit("dongguan")).name == "李明"


def test_roster_xlsx_keeps_phone_numbers_as_text(make_project):
    openpyxl = pytest.importorskip("openpyxl")
    root = make_project({"antifraud.yaml": STATION + "roster: officers.xlsx\n"})
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["unit_id", "unit_name", "name", "title", "phone"])
    sheet.append(["dongguan", "东关村", "李明", "社区民警", 13800001111])  # typed as a number
    sheet.append(["xiguan", "西关村", "王芳", "社区民警", 9135212110])
    sheet["E3"].number_format = "00000000000"  # Excel shows 09135212110: the leading zero is formatting
    sheet.append(["nanjie", "南街社区", "赵强", None, "0913-1234567"])
    book.save(root / "officers.xlsx")
    project = load_project(root)
    phones = {o.name: o.phone for o in project.officers}
    assert phones == {"李明": "138 0000 1111", "王芳": "0913-5212110", "赵强": "0913-1234567"}
    assert project.officer_for(project.unit("nanjie")).title == "社区民警"


def test_bad_roster_rows_are_reported_with_their_row(make_project):
    bad = "unit_id,unit_name,name,title,phone\ndongguan,东关村,李明,社区民警,13800001111\n" \
          "Xi Guan,西关村,王芳,社区民警,13800002222\nnanjie,南街社区,,社区民警,13800003333\n" \
          "beiguan,北关村,张三,社区民警,call me\n"
    root = make_project({"antifraud.yaml": STATION + "roster: officers.csv\n", "officers.csv": bad})
    with pytest.raises(AntifraudError) as err:
        load_project(root)
    msgs = [str(p) for p in err.value.problems]
    assert any(m.startswith("officers.csv:3: unit_id: 'Xi Guan' is not a valid id") for m in msgs)
    assert any(m.startswith("officers.csv:4: empty name") for m in msgs)
    assert any(m.startswith("officers.csv:5: phone: 'call me' is not a phone number\n    hint:") for m in msgs)


def test_roster_missing_columns_and_missing_file(make_project):
    root = make_project({"antifraud.yaml": STATION + "roster: officers.csv\n", "officers.csv": "村,民警\n东关,李明\n"})
    with pytest.raises(AntifraudError) as err:
        load_project(root)
    assert str(err.value.problems[0]).startswith("officers.csv:1: roster has no column for: phone")
    root = make_project({"antifraud.yaml": STATION + "roster: nowhere.csv\n"}, name="other")
    with pytest.raises(AntifraudError) as err:
        load_project(root)
    assert str(err.value.problems[0]).startswith("antifraud.yaml:2: roster file 'nowhere.csv' not found")


# ---------- manifest, incremental builds, --check, --force

CASE = """\
id: local
title: 本地骗局
headline: 先交钱的都是骗局
summary: {summary}
red_flags: [先让你交钱]
advice: [不转账，先问民警]
audiences: [shop-owners]
"""


def shop_owners_first() -> str:
    from antifraud_cli.paths import builtin_dir

    text = (builtin_dir("audiences") / "shop-owners.yaml").read_text(encoding="utf-8")
    return text.replace("priorities: [", "priorities: [local, ")


def test_incremental_builds_render_only_what_changed(make_project):
    root = make_project({"cases/local.yaml": CASE.format(summary="有人冒充供货商要你先交押金。"),
                         "audiences/shop-owners.yaml": shop_owners_first()})
    first = build(root, "-a", "shop-owners", "-a", "students", "-j", "1")  # the kit and its picture poster
    assert first.exit_code == 0 and "built 10, up to date 0" in first.output
    manifest = json.loads((root / "dist/manifest.json").read_text(encoding="utf-8"))
    assert {e["path"] for e in manifest["outputs"]} == set(digests(root / "dist"))
    for entry in manifest["outputs"]:
        assert entry["sha256"] == digests(root / "dist")[entry["path"]] and len(entry["fingerprint"]) == 64
    assert "local" in next(e for e in manifest["outputs"] if e["path"] == "shop-owners/leaflet.pdf")["cases"]
    before = digests(root / "dist")

    again = build(root, "-a", "shop-owners", "-a", "students", "-j", "1")
    assert again.exit_code == 0 and "nothing to do: all 10 outputs up to date" in again.output
    assert digests(root / "dist") == before

    # the summary is printed on the leaflet only (the poster shows the headline and red flags)
    write_files(root, {"cases/local.yaml": CASE.format(summary="有人冒充供货商，要你先把押金转过去。")})
    check = build(root, "-a", "shop-owners", "-a", "students", "--check")
    assert check.exit_code == 1
    assert [ln for ln in check.output.splitlines() if ln.startswith("stale:")] == ["stale: shop-owners/leaflet.pdf"]
    assert digests(root / "dist") == before  # --check writes nothing

    changed = build(root, "-a", "shop-owners", "-a", "students", "-j", "1")
    assert "built 1, up to date 9" in changed.output
    after = digests(root / "dist")
    assert {k for k in after if after[k] != before[k]} == {"shop-owners/leaflet.pdf"}

    assert build(root, "-a", "shop-owners", "-a", "students", "--check").exit_code == 0
    forced = build(root, "-a", "shop-owners", "-a", "students", "--force", "-j", "1")
    assert "built 10, up to date 0" in forced.output
    assert digests(root / "dist") == after  # the same inputs and day give the same bytes


def test_a_deleted_or_edited_output_is_rebuilt(make_project):
    root = make_project()
    assert build(root, "-a", "elderly", "-p", "card", "-p", "poster", "-j", "1").exit_code == 0
    (root / "dist/elderly/card.pdf").unlink()
    (root / "dist/elderly/poster.pdf").write_bytes(b"%PDF-1.4 scribbled on")
    check = build(root, "-a", "elderly", "-p", "card", "-p", "poster", "--check")
    assert check.exit_code == 1 and "2 of 2 outputs missing or out of date" in check.output
    assert "built 2" in build(root, "-a", "elderly", "-p", "card", "-p", "poster", "-j", "1").output


def test_officer_change_rebuilds_only_that_units_outputs(make_project):
    root = make_project({"antifraud.yaml": UNITS})
    assert build(root, "-a", "elderly", "-p", "card", "-p", "poster", "-j", "1").exit_code == 0
    write_files(root, {"antifraud.yaml": UNITS.replace("13800002222", "13800009999")})
    result = build(root, "-a", "elderly", "-p", "card", "-p", "poster", "-j", "1")
    assert "built 2, up to date 2" in result.output
    assert "138 0000 9999" in "".join(page_text(root / "dist/xiguan/elderly/card.pdf"))


def test_outputs_of_a_removed_unit_are_removed(make_project):
    root = make_project({"antifraud.yaml": UNITS})
    assert build(root, "-a", "elderly", "-p", "card", "-j", "1").exit_code == 0
    assert (root / "dist/xiguan/elderly/card.pdf").is_file()
    write_files(root, {"antifraud.yaml": UNITS.replace("  - {id: xiguan, name: 西关村, officer: 王芳}\n", "")
                       .replace('  - {name: 王芳, title: 社区辅警, phone: "13800002222", units: [xiguan]}\n', "")})

    check = build(root, "-a", "elderly", "-p", "card", "--check")
    assert check.exit_code == 1
    assert "stale: xiguan/elderly/card.pdf (no longer in the project)" in check.output
    assert (root / "dist/xiguan/elderly/card.pdf").is_file()  # --check writes and deletes nothing

    result = build(root, "-a", "elderly", "-p", "card", "-j", "1")
    assert result.exit_code == 0
    assert "nothing to do: all 1 outputs up to date, removed 1 no longer in the project" in result.output
    assert not (root / "dist/xiguan").exists()  # the file and the folders it leaves empty
    assert (root / "dist/dongguan/elderly/card.pdf").is_file()
    manifest = json.loads((root / "dist/manifest.json").read_text(encoding="utf-8"))
    assert [e["path"] for e in manifest["outputs"]] == ["dongguan/elderly/card.pdf"]
    # outputs outside this build's selection but still in the project are kept
    assert build(root, "-a", "students", "-p", "card", "-j", "1").exit_code == 0
    assert (root / "dist/dongguan/elderly/card.pdf").is_file()


# ---------- reproducibility, -j, shards

def test_reproducible_and_parallel_builds_are_byte_identical(make_project):
    root = make_project({"antifraud.yaml": UNITS})
    env = {"SOURCE_DATE_EPOCH": "1767225600"}
    args = ["-a", "elderly", "-a", "students", "-p", "leaflet", "-p", "card", "-p", "card-sheet"]
    assert build(root, *args, "-j", "1", "-o", "one", env=env).exit_code == 0
    assert build(root, *args, "-j", "2", "-o", "two", env=env).exit_code == 0
    one, two = digests(root / "one"), digests(root / "two")
    assert len(one) == 12 and one == two
    assert (root / "one/manifest.json").read_bytes() == (root / "two/manifest.json").read_bytes()
    assert b"D:20260101000000" in (root / "one/xiguan/elderly/card.pdf").read_bytes()


def test_shards_cover_every_job_exactly_once(make_project):
    root = make_project({"antifraud.yaml": UNITS})
    from antifraud_cli.build import BuildOptions, plan_jobs
    from antifraud_cli.clock import build_clock

    project = load_project(root)
    jobs = plan_jobs(project, BuildOptions(), build_clock("2027-01-10"))
    # units x audiences x the default kit; the bank counters' kit once for the station, not per unit (issue 22)
    # and the picture poster of the elderly and pupils (its default audiences), once for the station
    assert len(jobs) == (2 * (len(project.audiences) - 1) + 1) * 4 + 2
    for n in (1, 3, 7):
        slices = [shard(jobs, k, n) for k in range(1, n + 1)]
        paths = [j.path for s in slices for j in s]
        assert sorted(paths) == sorted(j.path for j in jobs) and len(set(paths)) == len(paths)
        assert max(map(len, slices)) - min(map(len, slices)) <= 1


def test_shard_option(make_project):
    root = make_project()
    result = build(root, "-a", "elderly", "--shard", "2/2", "-j", "1")
    assert result.exit_code == 0 and "built 2," in result.output
    assert build(root, "--shard", "3/2").exit_code == 2


def test_progress_lines_and_summary_in_ci(make_project):
    root = make_project()
    result = build(root, "-a", "elderly", "-p", "card", "-p", "poster", "-j", "1")
    assert "built elderly/card.pdf" in result.output and "built elderly/poster.pdf" in result.output
    assert "built 2, up to date 0, failed 0 in" in result.output


def test_every_failure_is_named_and_nothing_is_written(make_project):
    long_case = CASE.format(summary="很长的摘要。" * 200).replace("先交钱的都是骗局", "先交钱的都是骗局。" * 400)
    root = make_project({"cases/local.yaml": long_case, "audiences/shop-owners.yaml": shop_owners_first()})
    result = build(root, "-a", "shop-owners", "-j", "2")
    assert result.exit_code == 1
    assert "FAILED shop-owners/leaflet.pdf" in result.output and "FAILED shop-owners/poster.pdf" in result.output
    assert "built shop-owners/card.pdf" in result.output  # the other jobs still ran
    assert "failed: 2, would have built 3" in result.output  # card, card sheet, picture poster
    assert not (root / "dist").exists()


def test_fonts_are_prepared_in_a_child_process_and_its_warnings_reach_the_user(make_project, tmp_path, monkeypatch,
                                                                               caplog):
    """fontTools' ~100 MB while it prepares the fonts must not become the build process's (and its workers')
    peak: preparing happens in a child, whose warnings the build still says, once each."""
    import logging
    import os

    from antifraud_cli import fonts

    real = fonts._build_group

    def build_group(*args, **kwargs):
        fonts.log.warning("warning: prepared by process %s", os.getpid())
        return real(*args, **kwargs)

    monkeypatch.setattr(fonts, "_build_group", build_group)
    monkeypatch.setenv("ANTIFRAUD_CACHE_DIR", str(tmp_path / "fresh-cache"))
    root = make_project({"antifraud.yaml": STATION})
    with caplog.at_level(logging.WARNING):
        result = invoke(root, "build", "-a", "elderly", "-p", "card")
    assert result.exit_code == 0, result.output
    said = [r.getMessage() for r in caplog.records if "prepared by process" in r.getMessage()]
    assert said and len(said) == len(set(said))  # each face group once, none twice
    assert all(not m.endswith(f" {os.getpid()}") for m in said)  # not this process
    assert (root / "dist" / "elderly" / "card.pdf").is_file()
