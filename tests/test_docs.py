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
