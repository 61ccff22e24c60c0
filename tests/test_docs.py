"""The reference parts of docs/templates.md are made from the code's own declarations: they cannot drift."""
from __future__ import annotations

import re
from pathlib import Path

from antifraud_cli.products import spec_reference

DOCS = Path(__file__).resolve().parent.parent / "docs" / "templates.md"


def generated_block(name: str) -> str:
    text = DOCS.read_text(encoding="utf-8")
    match = re.search(rf"<!-- {name}:[^>]*-->\n(.*?)<!-- /{name} -->", text, re.S)
    assert match, f"docs/templates.md has no <!-- {name} --> block"
    return match.group(1)


def test_the_product_spec_reference_is_the_schema():
    assert generated_block("product-spec") == spec_reference()


def test_the_layout_vocabulary_reference_is_the_declarations():
    from antifraud_cli.vocabulary import reference

    assert generated_block("vocabulary") == reference()


def test_every_declared_default_is_what_the_renderer_reads():
    """Defaults live in one place: a node without the attribute reads the declared default."""
    from antifraud_cli.layoutdoc import Node
    from antifraud_cli.vocabulary import ELEMENTS

    for tag, element in ELEMENTS.items():
        for name, attr in element.attrs.items():
            assert Node(tag, {}, 1).attr(name) == attr.default
            if attr.numeric:
                assert Node(tag, {name: "2.5"}, 1).attr(name) == 2.5


def test_the_context_table_names_exactly_the_declared_context():
    """docs/templates.md section 3 documents every name a template sees (compose.Context), and no other."""
    from antifraud_cli.compose import Context

    text = DOCS.read_text(encoding="utf-8")
    section = text.split("## 3. What a template can use (the context)", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    documented = [name for row in rows for name in re.findall(r"`([a-z_]+)`", row.split("|")[1])]
    assert len(documented) == len(set(documented)), "a name is documented twice"
    assert set(documented) == set(Context.__annotations__)


def test_a_template_is_given_exactly_the_declared_context(tmp_path):
    """What compose hands a template has the declared names (mypy checks their types)."""
    import datetime as dt

    from antifraud_cli.compose import Context, context
    from antifraud_cli.loader import load_project
    from antifraud_cli.plan import make_jobs

    project = load_project(tmp_path)
    day = dt.date(2026, 12, 1)
    for job in make_jobs(project, ["elderly"], ["poster", "broadcast"], [], day):
        assert set(context(project, job, day)) == set(Context.__annotations__)
