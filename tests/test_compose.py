"""Source locations as data: a template's `src(...)` writes a short id in order of use; the YAML field it stands
for travels in the composed document's table, and the layout looks it up (no file:line text in the document)."""
from __future__ import annotations

import datetime as dt
import re

from conftest import STATION, write_files

from antifraud_cli.compose import SourceField, compose_job, fingerprint
from antifraud_cli.errors import Location
from antifraud_cli.loader import load_project
from antifraud_cli.plan import make_jobs

DAY = dt.date(2026, 12, 1)


def composed(root, product: str = "leaflet"):
    project = load_project(root)
    (job,) = make_jobs(project, ["elderly"], [product], [], DAY)
    docs, _ = compose_job(project, job, DAY)
    return project, job, docs


def test_src_ids_are_given_in_order_of_use_and_name_the_fields(make_project):
    root = make_project({"antifraud.yaml": STATION})
    _, _, (doc,) = composed(root)
    ids = re.findall(r' src="([^"]*)"', doc.text)
    assert ids and all(re.fullmatch(r"s\d+", i) for i in ids)
    numbers = [int(i[1:]) for i in ids]
    assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers)
    assert ".yaml" not in doc.text  # no file or line in what the template wrote
    assert doc.sources and set(doc.sources) <= set(ids)
    station = {f for f in doc.sources.values() if f.name == "station.name"}
    assert station == {SourceField(Location("antifraud.yaml", 1), "station.name")}
    assert str(station.pop()) == "antifraud.yaml:1 (station.name)"  # as a frame's "shorten: …" hint lists it


def test_a_moved_line_changes_the_table_not_the_document(make_project):
    """Lines only locate messages: comments added above a case's fields and the station change no composed text
    and no fingerprint, while the table follows the lines."""
    from antifraud_cli.paths import builtin_dir

    root = make_project({"antifraud.yaml": STATION})
    _, job, _ = composed(root)
    case_id = job.cases[0]  # a case the leaflet shows, copied into the project as it is
    case = (builtin_dir("cases") / f"{case_id}.yaml").read_text(encoding="utf-8")
    write_files(root, {f"cases/{case_id}.yaml": case})
    project, job, (before,) = composed(root)
    write_files(root, {f"cases/{case_id}.yaml": "# 本所改写\n# 第二行\n" + case,
                       "antifraud.yaml": "# 新城派出所\n" + STATION})
    moved_project, moved_job, (after,) = composed(root)
    assert moved_job.cases == job.cases and after.text == before.text
    assert fingerprint(moved_project, moved_job, [after], "f") == fingerprint(project, job, [before], "f")
    assert before.sources.keys() == after.sources.keys()
    # a field every leaflet prints (the elderly leaflet tells its cases in pictures: no summary)
    shift = {("antifraud.yaml", "station.name"): 1, (f"cases/{case_id}.yaml", "advice[0]"): 2}
    moved = [(before.sources[k], after.sources[k]) for k in before.sources
             if (before.sources[k].location.path, before.sources[k].name) in shift]
    assert {(b.location.path, b.name) for b, _ in moved} == set(shift)
    for b, a in moved:
        assert (a.location.path, a.name) == (b.location.path, b.name)
        assert a.location.line == b.location.line + shift[b.location.path, b.name]


def test_layout_resolves_ids_through_the_table_it_is_given():
    from antifraud_cli.layout import FontNames, Layout
    from antifraud_cli.layoutdoc import parse

    xml = ('<document size="A4">\n<page>\n<text x="0" y="0" w="50" src="s0">甲</text>\n'
           '<text x="0" y="9" w="50" src="s1">乙</text>\n<text x="0" y="18" w="50">丙</text>\n</page>\n</document>\n')
    doc = parse(xml, "t.xml.j2 (rendered)")
    texts = [n for n in doc.elements()[0].elements()]
    table = {"s0": SourceField(Location("cases/x.yaml", 7), "summary")}  # s1 stands for a value with no file
    layout = Layout(doc, FontNames("r", "b", frozenset()), "t.xml.j2 (rendered)", sources=table)
    first, second, third = (layout.source(n) for n in texts)
    assert (first.location, first.field) == (Location("cases/x.yaml", 7), "field 'summary'")
    assert (second.location, second.field) == (Location("t.xml.j2 (rendered)", 4), "")
    assert (third.location, third.field) == (Location("t.xml.j2 (rendered)", 5), "")
