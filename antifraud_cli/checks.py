"""What every laid-out page must satisfy, read from the display list (not from a PDF): type no smaller than
the audience's minimum, small print text from the black plate alone and never reversed out of several inks,
enough contrast, a glyph for every character, QR codes at their minimum size with a clear quiet zone, no text
past the trim edge, no text covered by what is painted after it, people in pictures tall enough to see and
never distorted, and the pictures' credit line wherever a picture is."""
from __future__ import annotations

from dataclasses import dataclass

from . import cidfont, pictures
from .colors import cmyk, contrast_ratio, k_only, overprints
from .display import QR, Disc, DisplayDoc, Glyphs, Icon, Image, Line, Picture, Polygon, Rect, Source, walk
from .errors import ProblemList
from .memo import Memo

MM = 72 / 25.4
SMALL_TEXT_PT = 12.0  # below this, print text comes from the black plate only (issue 14)
Box = tuple[float, float, float, float]  # x1, y1, x2, y2 on the page
_CLEAN = Memo(16384)  # (text, font, colour, background, contrast, covered) whose colours and glyphs passed


@dataclass(frozen=True)
class Policy:
    """The document's limits (its <document> attributes: the audience profile's reading rules)."""
    min_size: float
    min_contrast: float
    min_qr: float  # mm
    covered: frozenset[int]  # what the configured fonts cover: decides a missing glyph's hint
    min_figure: float = 18.0  # mm: the smallest person in a picture (boards: 40)


def check(doc: DisplayDoc, policy: Policy) -> ProblemList:
    found = ProblemList()
    first_picture: Picture | None = None
    printed: list[str] = []  # the document's text, run by run: where the pictures' credit line must be
    for page in doc.pages:
        leaves = list(walk(page.items, forms=doc.forms))
        # what hides anything painted before it: filled shapes, pictures, codes (their place in paint order)
        covers = [(i, _box(item, dx, dy)) for i, (item, dx, dy) in enumerate(leaves)
                  if isinstance(item, (Image, QR, Picture)) or (isinstance(item, (Rect, Polygon)) and item.fill)]
        x1, y1, x2, y2 = page.trim
        for i, (item, dx, dy) in enumerate(leaves):
            if isinstance(item, Glyphs):
                _glyphs(item, doc.screen, policy, found)
                left, _, right, _ = _box(item, dx, dy)
                if left < x1 - 0.5 or right > x2 + 0.5 or not y1 - 0.5 <= item.y + dy <= y2 + 0.5:
                    _add(found, item.source, f"text '{item.text[:12]}' runs past the trim edge and would be cut off",
                         "move or shorten it in the template")
                _covered(item, dx, dy, [box for at, box in covers if at > i], found)
                printed.append(item.text)
            elif isinstance(item, QR):
                _qr(item, dx, dy, leaves[i + 1:], policy, found)
            elif isinstance(item, Picture):
                first_picture = first_picture or item
                _picture(item, policy, found)
    if first_picture is not None and pictures.CREDIT.replace(" ", "") not in "".join(printed).replace(" ", ""):
        _add(found, first_picture.source, f"a document with pictures must print their credit line "
             f"'{pictures.CREDIT}' (the licence of the picture set, CC BY-SA 4.0, asks for it)",
             "print {{ picture_credit() }} in a <text> of the template (one short line)")  # a line may break at a space
    return found


def _picture(item: Picture, policy: Policy, found: ProblemList) -> None:
    if item.figure and item.h / MM < policy.min_figure - 1e-6:
        _add(found, item.source, f"the picture '{item.name}' is {item.h / MM:.0f} mm tall, smaller than the "
             f"{policy.min_figure:g} mm a person in a picture must be on this product",
             "give the story or picture more height, or fewer panels in a row")
    aspect = pictures.art(item.code).aspect
    if abs(item.w / item.h - aspect) > 0.01 * aspect:
        _add(found, item.source, f"the picture '{item.name}' is drawn {item.w / item.h:.2f}:1 but is "
             f"{aspect:.2f}:1: it would print distorted", "report this as a bug of antifraud")


def _add(found: ProblemList, source: Source, message: str, hint: str) -> None:
    found.add(source.location, f"{source.field}: {message}" if source.field else message, hint)


def _glyphs(run: Glyphs, screen: bool, policy: Policy, found: ProblemList) -> None:
    if run.size < policy.min_size - 1e-6:
        _add(found, run.source, f"text at {run.size:g} pt is smaller than the minimum {policy.min_size:g} pt for "
             "this audience", "raise size= in the template")
    if not screen and run.size < SMALL_TEXT_PT - 1e-6:
        if not k_only(cmyk(run.colour)):
            # on three or four plates the slightest misregistration blurs thin strokes into coloured fringes
            _add(found, run.source, f"text at {run.size:g} pt in {run.colour} would print from colour plates; "
                 f"text under {SMALL_TEXT_PT:g} pt prints from the black plate alone",
                 f"use black or a grey for small text, or set it at {SMALL_TEXT_PT:g} pt or more")
        elif (plates := knocked_out(run.colour, run.background)) >= 2:
            # reversed out of two or more plates: when they shift, thin strokes fill in with the other ink
            _add(found, run.source, f"text at {run.size:g} pt in {run.colour} is reversed out of {run.background}, "
                 f"a colour printed from {plates} plates: small type reversed out of several inks misregisters",
                 f"set it at {SMALL_TEXT_PT:g} pt or more, or print it on a single-ink area (e.g. 100 % magenta or "
                 "100 % black)")
    key = (run.text, run.font, run.colour, run.background, policy.min_contrast)
    if key in _CLEAN:  # colours and glyphs: the same text is checked once per process, not in every document
        return
    before = len(found.items)
    ratio = contrast_ratio(run.colour, run.background)
    if ratio < policy.min_contrast - 1e-6:
        _add(found, run.source, f"text colour {run.colour} on {run.background} has contrast {ratio:.1f}:1, below "
             f"{policy.min_contrast:g}:1", "use a darker text colour or a lighter background")
    for ch in cidfont.face(run.font).missing(run.text):
        if ord(ch) in policy.covered:  # the configured font has it; the prepared one was made without it
            hint = "the fonts were prepared for the project's own text; report this as a bug of antifraud"
        else:
            hint = "replace the character, or name a font that has it under `fonts:` in antifraud.yaml"
        _add(found, run.source, f"character U+{ord(ch):04X} '{ch}' is not in any configured font", hint)
    if len(found.items) == before:
        _CLEAN.keep(key, True)


def _covered(run: Glyphs, dx: float, dy: float, later: list[Box], found: ProblemList) -> None:
    """Text that a filled shape, picture or code painted after it (`later`: their boxes) hides, even in part (a
    band over the last line of a frame, say): it would print cut off."""
    near = _box(run, dx, dy)
    pad = 0.25 * run.size  # a glyph's ink stays within a quarter em of its advance: only then is it worth measuring
    text: Box | None = None
    for box in later:
        if box[0] > near[2] + pad or box[2] < near[0] - pad or box[1] > near[3] or box[3] < near[1]:
            continue
        text = text or _ink_box(run, dx, dy)
        overlap_x = min(text[2], box[2]) - max(text[0], box[0])
        overlap_y = min(text[3], box[3]) - max(text[1], box[1])
        if overlap_x > 0.5 and overlap_y > 0.15 * run.size:
            _add(found, run.source, f"text '{run.text[:12]}' is partly covered by a shape drawn after it and "
                 "would print cut off", "shorten the text or give its frame more room in the template")
            return


def _ink_box(run: Glyphs, dx: float, dy: float) -> Box:
    """The run's ink across (from its first glyph's left edge to its last glyph's right edge: a hung comma's
    ink is a fraction of its em) and its em box upright."""
    face = cidfont.face(run.font)
    k = run.size / 1000
    last = run.text[-1]
    x, bottom, _, top = _box(run, dx, dy)
    left = face.ink_x(run.text[0])[0] * k
    right = run.width - run.char_space - face.width_1pt(last) * run.size + face.ink_x(last)[1] * k
    return (x + left, bottom, x + right, top)


def knocked_out(text: str, background: str) -> int:
    """How many plates the background prints from that the text leaves open (its shape knocked out of them).
    Solid black text overprints, so it knocks nothing out."""
    ink = cmyk(text)
    if overprints(ink):
        return 0
    return sum(1 for t, b in zip(ink, cmyk(background)) if b > 0.05 and t < b - 0.05)


def _qr(qr: QR, dx: float, dy: float, later, policy: Policy, found: ProblemList) -> None:
    size_mm = qr.size / MM
    if size_mm < policy.min_qr - 1e-6:
        _add(found, qr.source, f"QR code is {size_mm:g} mm, smaller than the minimum {policy.min_qr:g} mm",
             "make size= larger in the template")
    quiet = qr.quiet * qr.module
    zone = (qr.x + dx - quiet, qr.y + dy - quiet, qr.x + dx + qr.size + quiet, qr.y + dy + qr.size + quiet)
    for item, ix, iy in later:  # what is painted after the code covers its white margin
        box = _box(item, ix, iy)
        if box[0] < zone[2] - 0.1 and box[2] > zone[0] + 0.1 and box[1] < zone[3] - 0.1 \
                and box[3] > zone[1] + 0.1:
            clear = _clearance(zone, box, quiet) / qr.module
            _add(found, qr.source, f"something is drawn in the QR code's quiet zone ({clear:.1f} of 4 modules "
                 "clear): scanners need 4 modules of white round it", "move the QR code or what stands next to it")
            return


def _clearance(zone, box, quiet: float) -> float:
    """How much of the quiet zone's width is left clear on the side the box intrudes from."""
    inner = (zone[0] + quiet, zone[1] + quiet, zone[2] - quiet, zone[3] - quiet)
    gaps = [inner[0] - box[2], box[0] - inner[2], inner[1] - box[3], box[1] - inner[3]]
    return max(0.0, max(gaps))


def _box(item, dx: float, dy: float) -> Box:
    """A leaf item's bounding box on the page (text: its advance and the em box round the baseline)."""
    if isinstance(item, Glyphs):
        x, y = item.x + dx, item.y + dy
        return (x, y - 0.12 * item.size, x + item.width, y + 0.88 * item.size)
    if isinstance(item, (Rect, Image, Picture)):
        return (item.x + dx, item.y + dy, item.x + dx + item.w, item.y + dy + item.h)
    if isinstance(item, Line):
        half = item.width / 2
        return (min(item.x1, item.x2) + dx - half, min(item.y1, item.y2) + dy - half,
                max(item.x1, item.x2) + dx + half, max(item.y1, item.y2) + dy + half)
    if isinstance(item, Polygon):
        xs, ys = item.points[0::2], item.points[1::2]
        return (min(xs) + dx, min(ys) + dy, max(xs) + dx, max(ys) + dy)
    if isinstance(item, Disc):
        return (item.x + dx - item.r, item.y + dy - item.r, item.x + dx + item.r, item.y + dy + item.r)
    if isinstance(item, Icon):
        return (item.x + dx, item.y + dy, item.x + dx + item.size, item.y + dy + item.size)
    if isinstance(item, QR):
        return (item.x + dx, item.y + dy, item.x + dx + item.size, item.y + dy + item.size)
    raise TypeError(f"no box for {type(item).__name__}")
