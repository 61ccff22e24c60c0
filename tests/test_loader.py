"""Loading rules and every loader error message (text and exit code)."""
from __future__ import annotations

import json

import pytest

from antifraud_cli.loader import load_project

from conftest import CASE, STATION, problems





def test_builtin_library_is_complete(tmp_path):
    project = load_project(tmp_path)
    assert len(project.cases) >= 15
    assert set(project.audiences) == {"elderly", "housewives", "students", "migrant-workers", "shop-owners", "pupils",
                                     "bank-staff"}
    categories = {c.category for c in project.cases.values()}
    for official in ("刷单返利", "虚假网络投资理财", "虚假网络贷款", "冒充电商物流客服", "冒充公检法及政府机关",
                     "冒充领导熟人", "网络婚恋交友", "网络游戏产品虚假交易", "虚假购物服务"):
        assert any(official in (c or "") for c in categories), official
    for case in project.cases.values():
        assert case.sources and case.script and len(case.how_it_works) >= 2, case.id
    elderly = project.audiences["elderly"]
    assert elderly.reading.min_font_pt == 14 and elderly.reading.pictograms
    assert all(a.reading.min_font_pt >= 10.5 for a in project.audiences.values())
    assert any("96110" in a.voice.closing or any("96110" in x for x in a.voice.core_advice)
               for a in project.audiences.values())


def test_no_project_uses_national_contacts(tmp_path):
    project = load_project(tmp_path)
    assert project.config is None and project.units == []
    assert project.qr.url == "tel:96110"


def test_project_case_overrides_builtin_and_adds(make_project):
    root = make_project({"cases/fake-police.yaml": CASE.format(id="fake-police"),
                         "cases/local-scam.yaml": CASE.format(id="local-scam")})
    project = load_project(root)
    assert project.cases["fake-police"].title == "测试骗局"
    assert "local-scam" in project.cases
    assert project.cases["fake-police"].where("title").path.endswith("cases/fake-police.yaml")


def test_locations_are_remembered(make_project):
    root = make_project({"antifraud.yaml": STATION + "officers:\n  - {name: 李明, phone: \"13800001111\"}\n"})
    project = load_project(root)
    assert project.config.station.where("name").line == 1
    assert project.officers[0].where("phone").line == 3


def test_yaml_syntax_error(make_project):
    root = make_project({"cases/bad.yaml": "id: bad\ntitle: [unclosed\nsummary: x\n"})
    (msg,) = problems(root)
    assert msg.startswith("cases/bad.yaml:3: YAML syntax error")


def test_missing_and_unknown_fields_are_all_reported(make_project):
    root = make_project({"cases/a.yaml": "id: a\ntitle: 标题\nsumary: 错字\nred_flags: [x]\nadvice: [y]\n"
                                         "audiences: [elderly]\n"})
    msgs = problems(root)
    assert "cases/a.yaml:1: missing required field 'summary'" in msgs
    assert "cases/a.yaml:3: unknown field 'sumary'\n    hint: did you mean 'summary'?" in msgs


def test_phone_read_as_number_is_reported_with_its_text(make_project):
    root = make_project({"antifraud.yaml": "station: {name: 所, phone: 0123}\n"})
    (msg,) = problems(root)
    assert msg.startswith("antifraud.yaml:1: field 'station.phone' must be text, not int")
    assert 'YAML read 0123 as the number 83; put it in quotes: "0123"' in msg


def test_officer_phone_as_int(make_project):
    root = make_project({"antifraud.yaml": STATION + "officers:\n  - name: 李明\n    phone: 13800001111\n"})
    (msg,) = problems(root)
    assert msg.startswith("antifraud.yaml:4: field 'officers[0].phone' must be text, not int")
    assert "13800001111" in msg


def test_no_as_id_is_not_false(make_project):
    root = make_project({"cases/no.yaml": CASE.format(id="no")})
    (msg,) = problems(root)
    assert msg.startswith("cases/no.yaml:1: field 'id' must be text, not bool")
    assert 'put it in quotes: "no"' in msg


def test_id_must_be_a_slug(make_project):
    root = make_project({"cases/bad-id.yaml": CASE.format(id="../Fake Police")})
    msgs = problems(root)
    assert "cases/bad-id.yaml:1: field 'id': '../Fake Police' is not a valid id\n    hint: ids use only lowercase " \
           "letters a-z, digits and dashes, e.g. fake-police" in msgs


def test_duplicate_ids_name_both_files(make_project):
    root = make_project({"cases/one.yaml": CASE.format(id="same"), "cases/two.yaml": CASE.format(id="same")})
    msgs = problems(root)
    assert any(m.startswith("cases/two.yaml:1: duplicate id 'same': also defined in cases/one.yaml:1") for m in msgs)


def test_unknown_references(make_project):
    root = make_project({
        "cases/x.yaml": CASE.format(id="x").replace("[elderly]", "[elderly, pensioners]"),
        "audiences/elderly.yaml": (load_project.__module__ and "") + open(
            __import__("antifraud_cli.paths").paths.builtin_dir("audiences") / "elderly.yaml",
            encoding="utf-8").read().replace("priorities: [", "priorities: [no-such-case, "),
    })
    msgs = problems(root)
    assert any(m.startswith("cases/x.yaml:6: case 'x' names unknown audience 'pensioners'") for m in msgs)
    assert any("audience 'elderly' names unknown case 'no-such-case'" in m and m.startswith("audiences/elderly.yaml:")
               for m in msgs)


def test_empty_binary_and_non_utf8_files(make_project):
    root = make_project({"cases/empty.yaml": "# nothing yet\n", "cases/photo.yaml": b"\x89PNG\r\n\x00\x00",
                         "cases/gbk.yaml": "id: gbk\ntitle: 冒充公检法\n".encode("gbk")})
    msgs = problems(root)
    assert "cases/empty.yaml:1: file is empty\n    hint: delete it or fill in its fields" in msgs
    assert "cases/photo.yaml: this is a binary file, not YAML text\n    hint: remove it from the folder or save it " \
           "as UTF-8 text" in msgs
    assert any(m.startswith("cases/gbk.yaml:2: file is not UTF-8 text\n    hint: the file looks like GBK/GB18030")
               for m in msgs)


def test_python_tags_are_refused(make_project):
    root = make_project({"cases/evil.yaml": "id: evil\ntitle: !!python/object/apply:os.system ['echo hi']\n"})
    (msg,) = problems(root)
    assert msg.startswith("cases/evil.yaml:2: tag not allowed here")


def test_duplicate_key(make_project):
    root = make_project({"cases/dup.yaml": CASE.format(id="dup") + "title: 又一个标题\n"})
    (msg,) = problems(root)
    assert msg == "cases/dup.yaml:7: key 'title' appears twice (first on line 2)\n    hint: keep one of them"


def test_top_level_must_be_mapping(make_project):
    root = make_project({"cases/list.yaml": "- a\n- b\n"})
    (msg,) = problems(root)
    assert msg == "cases/list.yaml:1: expected a mapping of `key: value` lines at the top of the file"


def test_file_name_must_match_id(make_project):
    root = make_project({"cases/other.yaml": CASE.format(id="mismatch")})
    (msg,) = problems(root)
    assert "id 'mismatch' does not match the file name 'other.yaml'" in msg


def test_units_and_officers_cross_checked(make_project):
    root = make_project({"antifraud.yaml": STATION + """\
officers:
  - {name: 李明, phone: "13800001111", units: [dongguan, nowhere]}
units:
  - {id: dongguan, name: 东关村, officer: 李明}
  - {id: xiguan, name: 西关村, officer: 张三}
"""})
    msgs = problems(root)
    assert any(m.startswith("antifraud.yaml:3: officer '李明' names unknown unit 'nowhere'") for m in msgs)
    assert any(m.startswith("antifraud.yaml:6: unit 'xiguan' names unknown officer '张三'") for m in msgs)


def test_palette_contrast_is_checked(make_project):
    from antifraud_cli.paths import builtin_dir
    text = (builtin_dir("audiences") / "elderly.yaml").read_text(encoding="utf-8")
    text = text.replace('muted: "#3F3F3F"', 'muted: "#AAAAAA"')
    root = make_project({"audiences/elderly.yaml": text})
    (msg,) = problems(root)
    assert "palette: muted on background has contrast 2.3:1, below 7:1 for audience 'elderly'" in msg


def test_qr_payload_is_validated(make_project):
    root = make_project({"antifraud.yaml": STATION + "qr: {url: \"htp://x\"}\n"})
    (msg,) = problems(root)
    assert msg.startswith("antifraud.yaml:2: field 'qr.url': 'htp://x' is not a tel:, https:// or weixin:// link")


def test_missing_project_folder(tmp_path):
    (msg,) = problems(tmp_path / "nope")
    assert msg.endswith("nope: project folder does not exist\n    hint: give an existing folder to --project, "
                        "or run `antifraud init DIR`")


# ---------- CLI: list, check, init and how errors reach the user

def test_list_cases_json(make_project, run):
    result = run(make_project(), "list", "cases", "--json")
    assert result.exit_code == 0
    rows = json.loads(result.output)
    assert len(rows) >= 15
    assert {"id", "title", "audiences"} <= set(rows[0])


@pytest.mark.parametrize("what,key", [("audiences", "name"), ("products", "name"), ("units", "name")])
def test_list_other_kinds(make_project, run, what, key):
    root = make_project({"antifraud.yaml": STATION + "units:\n  - {id: dongguan, name: 东关村}\n"})
    result = run(root, "list", what, "--json")
    assert result.exit_code == 0
    rows = json.loads(result.output)
    assert rows and all(key in r for r in rows)
    plain = run(root, "list", what)
    assert plain.exit_code == 0 and rows[0]["id"] in plain.output


def test_list_unknown_kind_is_usage_error(make_project, run):
    result = run(make_project(), "list", "villages")
    assert result.exit_code == 2
    assert "Invalid value for '{cases|audiences|products|units}'" in result.output


def test_errors_reach_the_cli_without_traceback(make_project, run):
    root = make_project({"cases/bad.yaml": "id: bad\ntitle: [unclosed\n", "cases/empty.yaml": ""})
    result = run(root, "check")
    assert result.exit_code == 1
    assert "cases/bad.yaml:3: YAML syntax error" in result.output
    assert "cases/empty.yaml:1: file is empty" in result.output
    assert "antifraud: 2 problems found; nothing was changed" in result.output
    assert "Traceback" not in result.output


def test_verbose_shows_traceback(make_project, run):
    root = make_project({"cases/empty.yaml": ""})
    result = run(root, "-v", "check")
    assert result.exit_code == 1
    assert "Traceback" in result.output and "cases/empty.yaml:1: file is empty" in result.output


def test_init_writes_a_project_that_checks(tmp_path, run):
    result = run(tmp_path, "init", "station")
    assert result.exit_code == 0, result.output
    project = load_project(tmp_path / "station")
    assert len(project.units) == 3 and len(project.officers) == 2
    assert "fake-subsidy" in project.cases
    assert "新城派出所" in project.cases["fake-police"].summary  # the override won
    assert (tmp_path / "station/.github/workflows/antifraud.yml").is_file()
    checked = run(tmp_path / "station", "check")
    assert checked.exit_code == 0, checked.output
    assert checked.output.startswith("ok: 35 cases, 7 audiences, ") and " products, 3 units" in checked.output


def test_init_refuses_a_folder_with_files(tmp_path, run):
    (tmp_path / "full").mkdir()
    (tmp_path / "full/keep.txt").write_text("x")
    result = run(tmp_path, "init", "full")
    assert result.exit_code == 1
    assert "full: folder is not empty" in result.output
