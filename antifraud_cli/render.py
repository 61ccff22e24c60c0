"""The render stage: composed layout documents -> PDF bytes. Writes nothing.

    layout document (layoutdoc.Node) --layout.py + typography.py--> display list (display.py)
        --checks.py--> problems, or --paint.py (ReportLab)--> PDF
"""
from __future__ import annotations

from collections.abc import Sequence

from . import layout
from .checks import Policy, check
from .errors import AntifraudError, Location, Problem
from .layout import FontNames, SourceTable, page_size
from .layoutdoc import Node
from .paint import paint


def render_document(docs: list[Node], fonts: FontNames, origin: str, epoch: int | None, size,
                    pages: int | None = None, root=None, colour: str = "print",
                    sources: Sequence[SourceTable] | None = None) -> bytes:
    """Render composed documents at their product's size variant (`products.Size`): one document on pages
    of that size, or the documents' cards imposed on sheets of that size. `pages`: what the spec promises.
    `sources`: each document's source table (compose.Composed.sources), what its `src` ids stand for."""
    for doc in docs:
        count = sum(1 for p in doc.elements() if p.tag == "page")
        if pages is not None and count != pages:
            raise AntifraudError(Problem(Location(origin, doc.line), f"the template draws {count} page(s) but "
                                         f"the product has {pages}", "make the template and the spec's `pages:` agree"))
    first = docs[0]
    if size.impose is None:
        w, h = page_size(first)
        if abs(w - size.w) > 0.5 or abs(h - size.h) > 0.5:
            raise AntifraudError(Problem(Location(origin, first.line),
                                         f"the template draws {w:g}×{h:g} mm but the product's size is "
                                         f"{size.w:g}×{size.h:g} mm",
                                         'set <document size="{{ page.w }}x{{ page.h }}"> in the template'))
        display = layout.document(first, fonts, origin, root, colour, sources[0] if sources else None)
    elif size.impose.order == "saddle":  # a booklet's pages two to a sheet side, for folding (impose.py)
        from .impose import impose_saddle

        display = impose_saddle(docs, fonts, origin, (size.w, size.h), size.impose.bleed, root, sources)
    else:
        i = size.impose
        display = layout.sheet(docs, fonts, origin, i.cols, i.rows, (size.w, size.h), i.gutter, i.bleed, root,
                               sources)
    found = check(display, Policy(first.attr("min-size"), first.attr("min-contrast"), first.attr("min-qr"),
                                  fonts.covered, first.attr("min-figure")))
    if found:
        raise AntifraudError(found.items)
    return paint(display, fonts.regular, epoch)

