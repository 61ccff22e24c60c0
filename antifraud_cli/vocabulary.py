"""The layout vocabulary, declared once: every element's attributes with their kind, unit, default and
meaning, the children it may hold, and what it is for.

The parser checks documents against these declarations (layoutdoc), the renderer reads attribute values
through them (`Node.attr`: the default comes from here, nowhere else), and docs/templates.md carries the
tables `reference()` makes from them (a test keeps the two equal).
"""
from __future__ import annotations

from dataclasses import dataclass

# the pictograms icons.py draws (named in cases and templates)
ICON_NAMES: tuple[str, ...] = (
    "phone", "warning", "shield", "no-transfer", "lock", "link", "chat", "gift", "pill",
    "house", "police", "qr", "card", "cart", "game", "heart", "job", "money", "robot", "screen", "sms", "boss",
)

NUMBER = r"-?\d+(\.\d+)?"
COLOUR = r"#[0-9A-Fa-f]{6}"
PAGE_SIZE = r"A2|A3|A4|A5|card|\d+(\.\d+)?x\d+(\.\d+)?"

# kind -> (regex of allowed values or None for free text, how the docs name it, numeric?)
KINDS = {
    "mm": (NUMBER, "mm", True),
    "pt": (NUMBER, "pt", True),
    "em": (NUMBER, "em", True),
    "factor": (NUMBER, "× size", True),
    "ratio": (NUMBER, "ratio", True),
    "colour": (COLOUR, "colour", False),
    "text": (None, "text", False),
    "page-size": (PAGE_SIZE, "`A2`…`A5`, `card` or `WxH` mm", False),
    "dpi": (NUMBER, "dpi", True),
    "number": (r"\d+", "whole number", True),
}


@dataclass(frozen=True)
class Attr:
    kind: str  # a key of KINDS, or allowed values separated by | (an enumeration)
    default: object = None  # None: no default (inherited from the container, or absent)
    doc: str = ""
    required: bool = False

    @property
    def pattern(self) -> str | None:
        return KINDS[self.kind][0] if self.kind in KINDS else self.kind

    @property
    def numeric(self) -> bool:
        return self.kind in KINDS and KINDS[self.kind][2]

    def convert(self, value: str):
        return float(value) if self.numeric else value

    def describe(self) -> str:
        kind = KINDS[self.kind][1] if self.kind in KINDS else "/".join(f"`{v}`" for v in self.kind.split("|"))
        default = "" if self.default is None else f", {self.default:g}" if isinstance(self.default, float) \
            else f", `{self.default}`"
        return kind + default


@dataclass(frozen=True)
class Element:
    tag: str
    attrs: dict[str, Attr]
    children: frozenset[str] = frozenset()
    text: bool = False  # holds text (and the inline elements)
    doc: str = ""
    group: str = "flow"  # document, fixed, flow, inline: where the docs list it

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(k for k, a in self.attrs.items() if a.required)


def _req(kind: str, doc: str = "") -> Attr:
    return Attr(kind, None, doc, required=True)


# Text style: inherited down the tree (page -> frame -> box -> row -> col -> text); no default of their own.
SIZE = Attr("pt", None, "font size (inherited)")
COLOUR_ATTR = Attr("colour", None, "text colour (inherited)")
LEADING = Attr("factor", None, "line spacing as a factor of the size (inherited)")
WEIGHT = Attr("regular|bold", None, "inherited")
ALIGN = Attr("left|center|right|justify", None, "inherited; `justify`: flush both sides, last line left")
SRC = Attr("text", None, "`src(...)`: the YAML line messages about this text point at")
SPACE_BEFORE = Attr("mm", 0.0, "space above")
SPACE_AFTER = Attr("mm", 0.0, "space below")
TEXT_STYLE = {"size": SIZE, "color": COLOUR_ATTR, "weight": WEIGHT, "align": ALIGN, "leading": LEADING,
              "space-before": SPACE_BEFORE, "space-after": SPACE_AFTER, "src": SRC}
INHERITED = {"size": SIZE, "color": COLOUR_ATTR, "leading": LEADING}
FLOW_CHILDREN = frozenset({"h", "p", "list", "space", "rule", "box", "row", "icon", "picture", "story"})
INLINE = frozenset({"b", "em", "br"})

ELEMENTS: dict[str, Element] = {e.tag: e for e in [
    Element("document", {
        "size": Attr("page-size", "A4", "trim size of every page"),
        "bleed": Attr("mm", 3.0, "colour that runs off the edge is printed this far past the trim"),
        "marks": Attr("crop|none", "crop", "crop marks in a 10 mm margin outside the trim"),
        "min-size": Attr("pt", 6.0, "smallest allowed text; also the floor for shrinking (templates use "
                                    "`reading.min_font_pt`)"),
        "min-contrast": Attr("ratio", 4.5, "smallest allowed text/background contrast (templates use "
                                           "`reading.min_contrast`; elderly: 7)"),
        "min-qr": Attr("mm", 15.0, "smallest allowed QR code (templates: poster 40, leaflet 30, card 20)"),
        "min-figure": Attr("mm", 18.0, "smallest allowed height of a person in a picture (boards: 40)"),
        "title": Attr("text", None, "PDF property"), "subject": Attr("text", None, "PDF property"),
        "author": Attr("text", None, "PDF property"), "keywords": Attr("text", None, "PDF property"),
        "lang": Attr("text", None, "the document language, e.g. `zh-CN`, written into the PDF catalog (`/Lang`) "
                                   "so screen readers and text extraction treat the text as Chinese"),
    }, frozenset({"page"}), group="document", doc="the root: page size, bleed, marks and the checks' limits"),
    Element("page", {
        "background": Attr("colour", "#FFFFFF", "fills the page including bleed; also the background the "
                                                "contrast check uses"),
        "name": Attr("text", None, "a label for people reading the template"),
    }, frozenset({"rect", "line", "frame", "text", "qr", "icon", "image", "chart", "picture", "story"}),
        group="document",
        doc="one page; its fixed elements are drawn in order, later ones on top"),
    # ---- fixed elements: placed at x, y (mm from the trim box's top-left)
    Element("rect", {
        "x": _req("mm"), "y": _req("mm"), "w": _req("mm"), "h": _req("mm"),
        "fill": Attr("colour"), "stroke": Attr("colour"), "stroke-width": Attr("pt", 1.0),
        "radius": Attr("mm", 0.0), "bleed": Attr("yes|no", "no", "edges on the trim edge run out to the bleed edge"),
    }, group="fixed", doc="A filled or outlined rectangle. With `bleed=\"yes\"`, each edge that lies on the trim "
                          "edge is extended to the bleed edge: use it for colour bands that run off the paper."),
    Element("line", {
        "x1": _req("mm"), "y1": _req("mm"), "x2": _req("mm"), "y2": _req("mm"),
        "color": Attr("colour", None, "default: the text colour, `#1A1A1A`"), "width": Attr("pt", 0.75),
        "dash": Attr("pt", None, "dash and gap length"),
    }, group="fixed", doc="a straight line"),
    Element("frame", {
        **INHERITED, "x": _req("mm"), "y": _req("mm"), "w": _req("mm"), "h": _req("mm"),
        "valign": Attr("top|middle|bottom", "top"), "fit": Attr("shrink|grow|error", "shrink"),
        "gap": Attr("mm", 0.0, "between children"), "background": Attr("colour", None, "what is behind it"),
        "name": Attr("text", "frame", "used in error messages"),
        "min-scale": Attr("factor", 0.35, "the text shrinks no further than this share of its size (and never below "
                                          "`min-size`)"),
        "overflow": Attr("error|fewer-cases", "error", "`fewer-cases`: content that does not fit even at "
                                                       "`min-size` (or `min-scale`) makes the build compose the "
                                                       "document again with fewer cases; the frame's last children "
                                                       "are the cases, one element each"),
    }, FLOW_CHILDREN, group="fixed",
        doc="A box that holds flow elements and fits them in (see *Fit to frame*). It draws **nothing** itself: "
            "`background` only tells the contrast check what is behind the frame. The document's `min-size` "
            "applies; there is no per-frame minimum."),
    Element("text", {
        **INHERITED, "leading": Attr("factor", 1.2, "not inherited"), "weight": WEIGHT, "align": ALIGN, "src": SRC,
        "x": _req("mm"), "y": _req("mm"), "w": _req("mm"), "h": Attr("mm", None, "without it: one line"),
        "valign": Attr("top|middle|bottom", "top", "only with `h`"), "background": Attr("colour"),
    }, text=True, group="fixed",
        doc="A single text block. Without `h` it must fit on **one line**; with `h` it may wrap within that "
            "height. It shrinks to fit like a frame's text (the same fitting), but not below `min-size`. Like a "
            "frame, it paints no background."),
    Element("qr", {
        "x": _req("mm"), "y": _req("mm"), "size": _req("mm"), "payload": _req("text"),
        "color": Attr("colour", "#000000"), "src": SRC,
    }, group="fixed", doc="A QR code `size` mm square, error correction M, drawn as vector modules. A white quiet "
                          "zone of 4 modules is painted **around** it, outside `size`."),
    Element("image", {
        "x": _req("mm"), "y": _req("mm"), "w": _req("mm"), "h": _req("mm"),
        "file": _req("text", "a JPEG or PNG file, relative to the project folder and inside it"),
        "min-dpi": Attr("dpi", 150.0, "a photo with fewer pixels per inch at this size is an error"),
        "dpi": Attr("dpi", 300.0, "a photo with more is scaled down to this (the PDF stays small)"),
        "src": SRC,
    }, group="fixed", doc="A photo filling the box `w`×`h` mm from its top-left corner `x`,`y`: scaled to cover "
                          "the box and cropped evenly (never stretched), turned as its EXIF orientation says, "
                          "printed in CMYK and embedded once."),
    Element("chart", {
        "x": _req("mm"), "y": _req("mm"), "w": _req("mm"), "h": _req("mm"),
        "kind": Attr("column|bar", "column", "column: upright bars, labels below (months); bar: across, labels "
                                             "on the left (types)"),
        "labels": _req("text", "the categories, separated by `|`"),
        "values": _req("text", "one number (0 or more) per label, separated by `|`"),
        "color": Attr("colour", None, "the bars; default: the text colour"),
        "label-color": Attr("colour", "#1A1A1A", "labels and values"),
        "size": Attr("pt", 10.0, "labels and values"),
        "background": Attr("colour", None, "what is behind it, for the contrast check (default: the page)"),
        "src": SRC,
    }, group="fixed", doc="A bar chart in the box `w`×`h` mm, drawn as vectors in the "
                          "output's colours (CMYK for print): each bar carries its value, bars start at 0 and "
                          "scale to the largest value. Labels keep the document's `min-size`."),
    Element("icon", {
        "size": _req("mm"), "name": _req("text"), "x": Attr("mm", 0.0, "fixed only"), "y": Attr("mm", 0.0, "fixed only"),
        "color": Attr("colour", None, "default: the text colour"),
        "align": Attr("left|center|right", "left", "in flow only"),
    }, group="fixed", doc="A pictogram `size` mm square: on a page its top-left corner at `x`,`y`; in a frame, "
                          "box or column it flows like text, shrinking with the text to 60 % at most."),
    Element("picture", {
        "name": _req("text", "a name of the picture set (antifraud_cli/picture_names.py), e.g. `老人`, `手机`"),
        "h": _req("mm", "its height (a person's height: the document's `min-figure` applies)"),
        "w": Attr("mm", None, "the box it is centred in (default: as wide as its height makes it)"),
        "x": Attr("mm", 0.0, "fixed only"), "y": Attr("mm", 0.0, "fixed only"),
        "align": Attr("left|center|right", "center", "in flow only"), "src": SRC,
    }, group="fixed", doc="A picture from the set (OpenMoji, CC BY-SA 4.0), drawn as vector paths in the output's "
                          "colours, never distorted. A document with a picture must print the credit line "
                          "`插图：OpenMoji（CC BY-SA 4.0）` (the macro `picture_credit`)."),
    Element("story", {
        **INHERITED, "x": Attr("mm", 0.0, "fixed only"), "y": Attr("mm", 0.0, "fixed only"),
        "w": Attr("mm", None, "fixed only: the width (in flow: the column's)"),
        "h": _req("mm", "the height of one row of panels"),
        "cols": Attr("number", None, "panels in a row (default: as many as are 38 mm wide or more, in rows of even "
                                     "length; more rows when the people would be under `min-figure`)"),
        "show": Attr("all|key", "all", "`key`: only the scammer's panel (for narrow places)"),
        "fill": Attr("colour", "#FFFFFF", "the panels' background"),
        "frame": Attr("colour", "#5A5A5A", "the panels' and bubbles' outline, the arrows"),
        "alert": Attr("colour", "#C8102E", "the scammer's panel's outline"),
        "safe": Attr("colour", "#2E7D32", "the safe panel's outline"),
        "gap": Attr("mm", 4.0, "between panels (an arrow points on to the next one)"),
        "src": SRC,
    }, frozenset({"panel"}), group="fixed",
        doc="A picture story: its panels side by side, each with its people and things, a speech bubble with the "
            "panel's line (at `size`, never below `min-size`), a warning mark on the scammer's panel and a ✓ on "
            "the last. On a page it fills `w`×`h` from `x`,`y`; in a frame it is as wide as its column."),
    Element("panel", {
        "kind": Attr("scam|event|safe", "event", "scam: a warning mark; safe: a ✓"),
        "figures": _req("text", "1–3 names of the picture set, separated by spaces; the first one speaks"),
        "src": SRC,
    }, INLINE, text=True, group="fixed", doc="one panel of a `<story>`; its text is the bubble's line"),
    # ---- flow elements: stacked top to bottom across their container
    Element("h", {**TEXT_STYLE, "weight": Attr("regular|bold", "bold"), "leading": Attr("factor", 1.25)},
            INLINE, text=True, doc="heading"),
    Element("p", {**TEXT_STYLE, "indent": Attr("em", 0.0, "first-line indent")}, INLINE, text=True,
            doc="paragraph (leading inherited, 1.45 at the page)"),
    Element("list", {**TEXT_STYLE, "leading": Attr("factor", None, "inherited, 1.45 at the page"),
                     "marker": Attr("text", "●", "`1` numbers the items"),
                     "marker-color": Attr("colour", None, "default: the text colour"),
                     "gap": Attr("mm", 1.0, "between items")}, frozenset({"item"}),
            doc="A list. The default `●` is drawn as a filled circle (a shape, never a glyph below the minimum "
                "size); `marker=\"1\"` numbers the items; any other text is printed as the marker, bold."),
    Element("item", {"src": SRC}, INLINE, text=True,
            doc="one list item; takes its size and colour from the list"),
    Element("space", {"h": Attr("mm", 0.0)}, doc="vertical space"),
    Element("rule", {"color": Attr("colour", None, "default: the text colour"), "width": Attr("pt", 1.0)},
            doc="a horizontal line with 1.5 mm above and below"),
    Element("box", {**INHERITED, "fill": Attr("colour"), "stroke": Attr("colour", None, "a 1.2 pt line"),
                    "padding": Attr("mm", 3.0), "radius": Attr("mm", 0.0), "gap": Attr("mm", 0.0)},
            FLOW_CHILDREN - {"box"},
            doc="A panel. `fill` is painted and is also the background for the contrast check of the text inside."),
    Element("row", {"gap": Attr("mm", 3.0), "valign": Attr("top|middle|bottom", "top")}, frozenset({"col"}),
            doc="side-by-side columns"),
    Element("col", {**INHERITED, "w": Attr("mm", None, "columns without `w` share the rest equally"),
                    "background": Attr("colour")}, FLOW_CHILDREN - {"row"}, doc="one column of a row"),
    # ---- inline, inside text-holding elements
    Element("b", {}, INLINE, text=True, group="inline", doc="bold"),
    Element("em", {"color": Attr("colour")}, INLINE, text=True, group="inline",
            doc="recolour a part of the text (not italic)"),
    Element("br", {}, group="inline", doc="line break (in `<text>` this needs an `h`)"),
]}

TEXT_HOLDERS = {tag for tag, e in ELEMENTS.items() if e.text}


def reference() -> str:
    """The vocabulary as Markdown tables, for docs/templates.md."""
    out = ["Attributes in **bold** are required; after each, its kind and its default.", ""]
    for group, title in (("document", "Document and page"), ("fixed", "Fixed elements (children of `<page>`)"),
                         ("flow", "Flow elements (inside `<frame>`, `<box>`, `<col>`)"),
                         ("inline", "Inline (inside `text`, `h`, `p`, `item`)")):
        out += [f"#### {title}", "", "| element | may contain | attributes | notes |", "| --- | --- | --- | --- |"]
        for e in ELEMENTS.values():
            if e.group != group:
                continue
            tags = " ".join(f"`{c}`" for c in sorted(e.children - INLINE))
            contains = ", ".join(part for part in ("characters" if e.text else "", tags,
                                                   "`b` `em` `br`" if e.text else "") if part) or "—"
            attrs = ", ".join((f"**`{n}`**" if a.required else f"`{n}`") + f" ({a.describe()}"
                              + (f": {a.doc}" if a.doc else "") + ")" for n, a in e.attrs.items()) or "none"
            out.append(f"| `<{e.tag}>` | {contains} | {attrs} | {e.doc} |")
        out.append("")
    return "\n".join(out).rstrip() + "\n"
