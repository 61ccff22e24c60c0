"""Saddle-stitch imposition: a booklet's pages two to a sheet side, in the order that reads right once the
printed sheets are stacked, folded in the middle and stapled on the fold.

    8 pages, 2 sheets:  sheet 1 front 8|1, back 2|7;  sheet 2 front 6|3, back 4|5

The output's pages alternate front, back, front, back: printed duplex, flipped on the short edge. Each booklet
page is laid out once (layout.Layout, the same as the reading-order PDF) and placed as a form, clipped at the
spine so that neither page's bleed runs onto its neighbour. Marks: a fold mark at each end of the spine; crop
marks round the pair when the sheet has room for them (A3). On an A4 sheet the two A5 pages fill the sheet: its
edges are the booklet's edges, and there is nothing to cut.
"""
from __future__ import annotations

from collections.abc import Sequence

from .display import DisplayDoc, Form, Group, Item, Line, Page, Use
from .errors import AntifraudError, Location, Problem
from .layout import MM, FontNames, Layout, SourceTable, crop_marks
from .layoutdoc import Node

CROP_ROOM = 8.0  # mm outside the bleed a crop mark needs (1 mm clear, 6 mm of line, 1 mm to the paper's edge)
FOLD_MARK = 5.0  # mm: length of a fold mark
FOLD_INSET = 4.0  # mm from the paper's edge to an inside fold mark: office printers leave about 4 mm unprinted


def saddle_order(pages: int) -> list[tuple[int, int]]:
    """The sheet sides in print order, each (left page, right page), pages numbered from 1. A booklet of
    `pages` (a multiple of 4) is pages/4 sheets, each a front and a back."""
    if pages < 4 or pages % 4:
        raise ValueError(f"a saddle-stitched booklet has a multiple of 4 pages, not {pages}")
    sides = []
    for sheet in range(pages // 4):
        outer, inner = 2 * sheet, 2 * sheet + 1  # how many leaves lie outside this sheet's front and back pages
        sides.append((pages - outer, 1 + outer))  # front: the later page on the left, the earlier on the right
        sides.append((1 + inner, pages - inner))  # back: turned over, the right page's back is on the left
    return sides


def saddle_sheets(doc: Node, fonts: FontNames, origin: str, size: tuple[float, float], bleed: float = 0.0,
                  root=None, sources: SourceTable | None = None) -> DisplayDoc:
    """The booklet `doc` imposed for saddle stitching on sheets of `size` mm (landscape: two pages across).
    `bleed`: mm of the pages' colour kept round the pair (the sheet must have room for it and its crop marks)."""
    layout = Layout(doc, fonts, origin, root, sources=sources)
    pages = [p for p in doc.elements() if p.tag == "page"]
    pw, ph = layout.trim_w, layout.trim_h
    sw, sh = size
    mx, my = (sw - 2 * pw) / 2, (sh - ph) / 2  # paper left round the pair, each side
    if mx < -0.01 or my < -0.01:
        raise AntifraudError(Problem(Location(origin, doc.line),
                                     f"two pages of {pw:g}×{ph:g} mm do not fit side by side on a {sw:g}×{sh:g} mm "
                                     "sheet", "impose on a larger sheet (A4 landscape is 297×210 mm)"))
    if bleed and min(mx, my) < bleed + CROP_ROOM:
        raise AntifraudError(Problem(Location(origin, doc.line),
                                     f"a {sw:g}×{sh:g} mm sheet has no room round two {pw:g}×{ph:g} mm pages for "
                                     f"{bleed:g} mm of bleed and crop marks", "set `bleed: 0` for this size"))
    try:
        order = saddle_order(len(pages))
    except ValueError as e:
        raise AntifraudError(Problem(Location(origin, doc.line), str(e),
                                     "add or remove pages in the template and set the spec's `pages:`")) from None
    ox, oy = mx * MM, my * MM  # the left page's trim box, bottom-left, on the sheet
    w, h, b = pw * MM, ph * MM, bleed * MM
    forms: dict[str, Form] = {}
    out: list[Page] = []
    for left, right in order:
        items: list[Item] = []
        for number, dx, clip in ((left, ox, (-b, -b, w + b, h + 2 * b)),  # ends at the spine
                                 (right, ox + w, (0.0, -b, w + b, h + 2 * b))):
            name = f"page{number}"
            drawn = layout.page_items(pages[number - 1], 0, 0, bleed)
            forms[name] = Form((clip[0], clip[1], clip[0] + clip[2], clip[1] + clip[3]),
                               (Group(0, 0, tuple(drawn), clip),))
            items.append(Use(name, dx, oy))
        items += fold_marks(ox + w, oy, h, bleed * MM, outside=bleed > 0)
        if bleed:
            items += crop_marks(ox, oy, 2 * w, h, b, b + CROP_ROOM * MM)
        out.append(Page(sw * MM, sh * MM, (0, 0, sw * MM, sh * MM), (0, 0, sw * MM, sh * MM), tuple(items)))
    if layout.problems:
        raise AntifraudError(layout.problems.items)
    meta = {key: doc.get(key, "") or "" for key in ("title", "author", "subject", "keywords", "lang")}
    meta["title"] += "（骑马钉拼版）"
    return DisplayDoc(tuple(out), meta, forms=forms)


def fold_marks(x: float, y: float, h: float, bleed: float, outside: bool) -> list[Item]:
    """Dashed marks on the spine at x, above and below the page (y to y + h): outside the bleed when the sheet
    has room round the pages, else just inside the paper's edge, where an office printer still prints."""
    length = FOLD_MARK * MM
    if outside:
        start = bleed + 1 * MM
        spans = [(y - start, y - start - length), (y + h + start, y + h + start + length)]
    else:
        inset = FOLD_INSET * MM
        spans = [(y + inset, y + inset + length), (y + h - inset, y + h - inset - length)]
    return [Line(x, a, x, z, "#000000", 0.5, dash=1.5, registration=True) for a, z in spans]


def impose_saddle(docs: Sequence[Node], fonts: FontNames, origin: str, size: tuple[float, float], bleed: float,
                  root=None, sources: Sequence[SourceTable] | None = None) -> DisplayDoc:
    """render.py's entry: one booklet document (a saddle-stitched product is never a sheet of different cards)."""
    if len(docs) != 1:
        raise AntifraudError(Problem(Location(origin, docs[0].line), "a saddle-stitched booklet is one document",
                                     "remove `cells:` from the booklet's spec"))
    return saddle_sheets(docs[0], fonts, origin, size, bleed, root, sources[0] if sources else None)
