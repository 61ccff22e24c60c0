"""Rewrite the generated reference blocks of docs/templates.md from the code's declarations.

    python -m antifraud_cli.docgen        # after changing products.py or vocabulary.py

tests/test_docs.py fails while the file and the declarations differ.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

from .products import spec_reference
from .vocabulary import reference

DOCS = Path(__file__).resolve().parent.parent / "docs" / "templates.md"
BLOCKS = {"product-spec": spec_reference, "vocabulary": reference}


def regenerate(text: str) -> str:
    for name, make in BLOCKS.items():
        text = re.sub(rf"(<!-- {name}:[^>]*-->\n)(.*?)(<!-- /{name} -->)",
                      lambda m: m.group(1) + make() + m.group(3), text, flags=re.S)
    return text


def main() -> None:
    old = DOCS.read_text(encoding="utf-8")
    new = regenerate(old)
    if new != old:
        DOCS.write_text(new, encoding="utf-8")
    print(f"{DOCS}: {'updated' if new != old else 'already up to date'}", file=sys.stderr)


if __name__ == "__main__":
    main()
