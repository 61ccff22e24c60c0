"""A picture story laid out: a layout document's `<story>` (its `<panel>`s) -> display items (display.py).

Each panel is a rounded frame with, from the top: a speech bubble holding the panel's line (set by the layout's
text machinery, so the size, contrast and glyph checks apply to it), its tail pointing at the first figure, who
says it; then the figures and props standing on the panel's floor, evenly scaled, never distorted. The
scammer's panel carries a warning mark and a red frame, the last (safe) panel a ✓ and a green one; an arrow in
the gap leads on to the next panel. Nothing is drawn over the bubble's text: the pictures come first.
"""
from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from . import pictures
from .display import Glyphs, Group, Item, Picture, Polygon, Rect

if TYPE_CHECKING:
    from .layout import Block, Layout, Style
    from .layoutdoc import Node

MM = 72 / 25.4
MARK = {"scam": "warn", "safe": "ok"}
PROP_SHARE = 0.72  # a prop stands this tall beside a person: people stay the largest thing in a panel
PROP_LEAST = 0.36  # and no less, when a crowded panel shrinks its props to keep its people large
MIN_PANEL_MM = 38.0  # narrower panels leave a bubble too little width: the story wraps into more rows


def panels_shown(node: Node) -> list[Node]:
    panels = [p for p in node.elements() if p.tag == "panel"]
    if node.attr("show") == "key":  # the scammer's move: what a narrow place must still show
        return [next((p for p in panels if p.attr("kind") == "scam"), panels[0])] if panels else []
    return panels


def story_block(lay: Layout, node: Node, width: float, row_h: float, style: Style, scale: float = 1.0) -> Block:
    """The story `width` points wide, its rows of panels `row_h` points high each. Without `cols`, as many panels
    go in a row as are wide enough, in rows of even length (2 + 2, not 3 + 1); when the people would come out
    smaller than the document's `min-figure`, the story takes more rows of wider panels."""
    from .layout import Block

    panels = panels_shown(node)
    if not panels:
        return Block(0.0, ())
    gap = node.attr("gap") * MM * min(1.0, scale)
    if node.attr("cols"):
        choices = [int(node.attr("cols"))]
    else:
        most = max(1, int((width + gap) / (MIN_PANEL_MM * MM + gap)))
        choices = sorted({-(-len(panels) // rows) for rows in range(1, len(panels) + 1)} & set(range(1, most + 1)),
                         reverse=True) or [1]
    least = lay.doc.attr("min-figure") * MM + 1e-4  # what the check (checks.py) asks, not a hair less
    best: tuple[float, Block, list] | None = None
    for cols in choices:
        mark = lay.problems.mark()
        block = _rows(lay, node, panels, cols, width, row_h, gap, style, scale)
        found = lay.problems.take_back(mark)
        people = [p.h for p in _pictures(block.items) if p.figure]
        smallest = min(people, default=row_h) - (1e6 if found else 0.0)  # a trial with problems is the worst
        if best is None or smallest > best[0]:
            best = (smallest, block, found)
        if smallest >= least:
            break
    assert best is not None
    lay.problems.extend(best[2])
    return best[1]


def _pictures(items):
    for item in items:
        if isinstance(item, Group):
            yield from _pictures(item.items)
        elif isinstance(item, Picture):
            yield item


def _rows(lay: Layout, node: Node, panels: list[Node], cols: int, width: float, row_h: float, gap: float,
          style: Style, scale: float) -> Block:
    from .layout import Block

    pw = (width - gap * (cols - 1)) / cols
    items: list[Item] = []
    rows = (len(panels) + cols - 1) // cols
    for i, panel in enumerate(panels):
        row, col = divmod(i, cols)
        x, top = col * (pw + gap), -row * (row_h + gap)
        items.append(Group(x, top, tuple(_panel(lay, node, panel, pw, row_h, style, scale))))
        if col < cols - 1 and i < len(panels) - 1 and gap >= 3 * MM:  # leads on to the next panel
            a = min(gap * 0.7, 4 * MM)
            cx, cy = x + pw + gap / 2, top - row_h / 2
            items.append(Polygon((cx - a / 2, cy + a * 0.6, cx + a / 2, cy, cx - a / 2, cy - a * 0.6),
                                 fill=node.attr("frame")))
    return Block(rows * row_h + (rows - 1) * gap, tuple(items))


def _panel(lay: Layout, story: Node, panel: Node, pw: float, ph: float, style: Style, scale: float) -> list[Item]:
    kind = panel.attr("kind")
    frame = {"scam": story.attr("alert"), "safe": story.attr("safe")}.get(kind, story.attr("frame"))
    fill = story.attr("fill")
    pad = max(2 * MM, min(pw, ph) * 0.045)
    items: list[Item] = [Rect(0.0, -ph, pw, ph, fill=fill, stroke=frame, stroke_width=2.5 if kind != "event" else 1.2,
                              radius=3 * MM)]
    source = lay.source(panel)
    bubble_w = pw - 2 * pad
    size = lay.scaled(style.size, scale)
    lead = size * 1.2
    text_style = replace(style, align="center", weight="bold", background="#FFFFFF")
    bpad = max(1.2 * MM, size * 0.35)
    lines = lay.text_lines(panel, text_style, size, bubble_w - 2 * bpad)
    bubble_h = len(lines) * lead + 2 * bpad
    tail = max(2.5 * MM, ph * 0.05)
    floor = -ph + pad
    room = (ph - pad) - bubble_h - tail - pad * 0.6 - pad  # from below the tail's tip to the floor
    if room < ph * 0.3:
        lay.problem(panel, f"the story line takes {len(lines)} lines in a panel {pw / MM:.0f} mm wide: too little room "
                           "is left for the pictures", "shorten the line, or give the story wider panels or fewer "
                                                       "columns")
        return items
    names = panel.get("figures", "").split()
    mark_h = min(room * 0.34, pw * 0.22) if kind in MARK else 0.0
    mark_code = pictures.code_of(MARK[kind]) if kind in MARK else ""
    mark_w = mark_h * pictures.art(mark_code).aspect if mark_code else 0.0
    placed = _arrange(names, pw - 2 * pad, room, pad, (mark_w, mark_h), lay.doc.attr("min-figure") * MM + 1e-3)
    first_mid = pad + (placed[0][0] + placed[0][2] / 2 if placed else bubble_w / 2)
    for (x, w, h), name in zip(placed, names):
        try:
            code = pictures.code_of(name)
        except pictures.PictureError as e:
            lay.problem(panel, str(e), "use a name from antifraud_cli/picture_names.py")
            continue
        items.append(Picture(name, code, pad + x, floor, w, h, pictures.is_figure(name), source))
    if mark_code:  # a sign in the top-right corner of the picture, clear of the people when they leave room
        items.append(Picture(MARK[kind], mark_code, pw - pad - mark_w, floor + room - mark_h, mark_w, mark_h, False,
                             source))
    # the bubble and its tail, pointing at the speaker's head; then its text, last, so nothing covers it
    bx, btop = pad, -pad
    items.append(Rect(bx, btop - bubble_h, bubble_w, bubble_h, fill="#FFFFFF", stroke=story.attr("frame"),
                      stroke_width=1.2, radius=min(bubble_h / 2, 3 * MM)))
    tip_x = min(max(first_mid, bx + 3 * MM), bx + bubble_w - 3 * MM)
    base = btop - bubble_h
    half = min(2.2 * MM, bubble_w / 8)
    base_x = min(max(tip_x + half, bx + half + 2 * MM), bx + bubble_w - half - 2 * MM)
    items.append(Polygon((base_x - half, base + 0.9, base_x + half, base + 0.9, tip_x, base - tail),
                         fill="#FFFFFF", stroke=story.attr("frame"), stroke_width=1.2))
    items.append(Rect(base_x - half + 0.8, base - 0.6, 2 * half - 1.6, 2.2, fill="#FFFFFF"))  # the seam
    glyphs = lay.glyphs(panel, lines, bx + bpad, btop - bpad, lead, size, "#FFFFFF")
    items += [g for g in glyphs if isinstance(g, Glyphs)]
    return items


def _arrange(names: list[str], width: float, height: float, pad: float,
             mark: tuple[float, float] = (0.0, 0.0), least: float = 0.0) -> list[tuple[float, float, float]]:
    """(x, w, h) of each picture standing on the floor, left to right and centred: people `height` tall, props
    shorter (down to PROP_LEAST of a person when the row is crowded), all scaled evenly when it still is. The
    row moves left, or shrinks a little (a person never below `least`), to keep clear of the mark (w, h) in the
    top-right corner; where it cannot, the mark stands over the corner of a picture."""
    aspects = []
    for name in names:
        try:
            aspects.append(pictures.art(pictures.code_of(name)).aspect)
        except pictures.PictureError:
            aspects.append(1.0)
    gap = pad * 0.6
    room = width - gap * (len(names) - 1)
    share = PROP_SHARE
    while True:  # people keep their height as long as shrinking the props can make room
        heights = [height * (1.0 if pictures.is_figure(n) else share) for n in names]
        natural = sum(a * h for a, h in zip(aspects, heights))
        if natural <= room or share <= PROP_LEAST:
            break
        share = max(PROP_LEAST, share - 0.04)
    fit = min(1.0, room / natural) if natural else 1.0
    k = fit
    while True:
        row = natural * k + gap * (len(names) - 1)
        start = (width - row) / 2
        x_end = width - mark[0] - gap  # the row's right end clear of the mark, as far as that is left of centre
        out, x = [], start
        for a, h in zip(aspects, heights):
            out.append((x, a * h * k, h * k))
            x += a * h * k + gap
        clash = [p for p in out if p[0] + p[1] > x_end and p[2] > height - mark[1] - gap]
        if not mark[0] or not clash:
            return out
        shift = min(start, max(p[0] + p[1] for p in clash) - x_end)
        moved = [(p[0] - shift, p[1], p[2]) for p in out]
        if not [p for p in moved if p[0] + p[1] > x_end and p[2] > height - mark[1] - gap]:
            return moved
        people = [h for h, n in zip(heights, names) if pictures.is_figure(n)]
        if k <= fit * 0.8 or (people and min(people) * (k - fit * 0.04) < least):
            return moved  # no more than a fifth smaller, and people no smaller than allowed: it may overlap
        k -= fit * 0.04
