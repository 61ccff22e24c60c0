"""The display list: what layout decided, as plain data, before anything is painted.

Layout (layout.py) turns a layout document into one `Page` of positioned items per page; the checks
(checks.py) read the items (sizes, colours, glyphs, QR quiet zones, what overflows); the painter (paint.py)
hands them to ReportLab. Coordinates are PDF points with y up, in the space of the enclosing `Group` (a page's
own space has its origin at the bottom-left of the media box). Colours are the design's RGB hex: the painter
writes them as CMYK or RGB, so the checks see the colours the template asked for.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .errors import Location

MAX_PAGE_PT = 14400  # 200 in: the largest page PDF readers take; a larger page is drawn at a stated scale
PRINT_SCALES = (1, 2, 10)  # the scales print shops take a large-format file at (1:2, 1:10)


def print_scale(w_pt: float, h_pt: float) -> int:
    """1, or the smallest print-shop scale (1:2, 1:10) that brings a page within PDF's 200 inches."""
    for scale in PRINT_SCALES:
        if max(w_pt, h_pt) / scale <= MAX_PAGE_PT + 1e-6:
            return scale
    raise ValueError(f"a page of {max(w_pt, h_pt) / 72 * 25.4:.0f} mm is larger than 1:{PRINT_SCALES[-1]} allows")


@dataclass(frozen=True, slots=True)
class Source:
    """Where an item came from: the layout document's line, or the YAML field that holds its text."""
    location: Location
    field: str = ""  # e.g. "cases/fake-police.yaml: summary": the data to shorten, not the template line


@dataclass(frozen=True, slots=True)
class Glyphs:
    """A run of text on one baseline, in one font, size and colour."""
    x: float
    y: float  # the baseline
    text: str
    font: str
    size: float
    colour: str
    background: str  # the colour it is printed on, as the template declared it (contrast check)
    source: Source
    char_space: float = 0.0
    width: float = 0.0  # advance width of the run, char spacing included (what a clipping check needs)


@dataclass(frozen=True, slots=True)
class Rect:
    x: float
    y: float
    w: float
    h: float
    fill: str | None = None
    stroke: str | None = None
    stroke_width: float = 1.0
    radius: float = 0.0


@dataclass(frozen=True, slots=True)
class Line:
    x1: float
    y1: float
    x2: float
    y2: float
    colour: str
    width: float
    dash: float | None = None
    registration: bool = False  # crop marks print on every plate (C=M=Y=K=100 %), whatever the colour mode


@dataclass(frozen=True, slots=True)
class Disc:
    """A filled circle (list bullets are shapes, not small glyphs)."""
    x: float
    y: float
    r: float
    colour: str


@dataclass(frozen=True, slots=True)
class Icon:
    """One of icons.ICON_NAMES in the square with bottom-left (x, y)."""
    name: str
    x: float
    y: float
    size: float
    colour: str
    knockout: str  # inner details are painted in the colour the icon stands on


@dataclass(frozen=True, slots=True)
class QR:
    """QR modules (rows top to bottom) in the square with bottom-left (x, y); `quiet` modules of white around."""
    x: float
    y: float
    module: float
    matrix: tuple[tuple[bool, ...], ...]
    colour: str
    payload: str
    source: Source
    quiet: int = 4

    @property
    def size(self) -> float:
        return self.module * len(self.matrix)


@dataclass(frozen=True, slots=True)
class Image:
    """A JPEG placed in the box with bottom-left (x, y)."""
    x: float
    y: float
    w: float
    h: float
    jpeg: bytes = field(repr=False)


@dataclass(frozen=True, slots=True)
class Picture:
    """A picture of the set (pictures.py) scaled evenly into the box with bottom-left (x, y): `w`×`h` is its ink
    box's size on the page (the painter draws it once per document as a form). `figure`: a person, whom the
    size check measures."""
    name: str  # the set's name (老人, 手机) or a mark (warn, ok)
    code: str  # its OpenMoji code
    x: float
    y: float
    w: float
    h: float
    figure: bool
    source: Source


@dataclass(frozen=True, slots=True)
class Polygon:
    """A closed shape through `points` (x1, y1, x2, y2, …): a speech bubble's tail, an arrow between panels."""
    points: tuple[float, ...]
    fill: str | None = None
    stroke: str | None = None
    stroke_width: float = 1.0


@dataclass(frozen=True, slots=True)
class Group:
    """Items moved by (dx, dy); with a clip box (x, y, w, h, in the group's space) nothing shows outside it."""
    dx: float
    dy: float
    items: tuple["Item", ...]
    clip: tuple[float, float, float, float] | None = None


@dataclass(frozen=True, slots=True)
class Use:
    """A shared drawing (`DisplayDoc.forms`) placed with its origin at (dx, dy): the card sheet draws each card
    once and places it in every cell that shows it."""
    name: str
    dx: float
    dy: float


Item = Glyphs | Rect | Line | Disc | Icon | QR | Image | Picture | Polygon | Group | Use


@dataclass(frozen=True, slots=True)
class Form:
    """A drawing placed by `Use` items: its bounding box (x1, y1, x2, y2) and its items."""
    box: tuple[float, float, float, float]
    items: tuple[Item, ...]


@dataclass(frozen=True, slots=True)
class Page:
    """One page: media box (w, h) in points, trim and bleed boxes (x1, y1, x2, y2), its items."""
    w: float
    h: float
    trim: tuple[float, float, float, float]
    bleed: tuple[float, float, float, float]
    items: tuple[Item, ...]


@dataclass(frozen=True, slots=True)
class DisplayDoc:
    pages: tuple[Page, ...]
    meta: dict[str, str]  # title, author, subject, keywords, lang
    screen: bool = False  # RGB for screens; CMYK (with black overprinting) for print
    forms: dict[str, Form] = field(default_factory=dict)
    scale: int = 1  # drawn at 1:scale (a page larger than PDF's 200 in); the items are true size


def walk(items, dx: float = 0.0, dy: float = 0.0, forms: dict[str, Form] | None = None):
    """Every leaf item with its page offset (dx, dy): groups and placed forms are opened."""
    for item in items:
        if isinstance(item, Group):
            yield from walk(item.items, dx + item.dx, dy + item.dy, forms)
        elif isinstance(item, Use):
            if forms is not None:
                yield from walk(forms[item.name].items, dx + item.dx, dy + item.dy, forms)
        else:
            yield item, dx, dy
