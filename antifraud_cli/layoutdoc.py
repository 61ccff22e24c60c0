"""The layout document: a small XML vocabulary that templates produce and the renderer draws.

See docs/templates.md for the vocabulary. Each element's attributes and children are checked against the
schema here, so a template mistake is reported before anything is drawn. Line numbers are those of the
rendered document (reported as `template (rendered):line`): Jinja does not map output lines back.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from xml.parsers import expat

from .errors import AntifraudError, Location, Problem

COLOR = r"#[0-9A-Fa-f]{6}"
NUMBER = r"-?\d+(\.\d+)?"

# element -> {attribute: regex of allowed values}; None = free text
_COMMON_TEXT = {"size": NUMBER, "color": COLOR, "weight": "regular|bold", "align": "left|center|right|justify",
                "src": None, "leading": NUMBER, "space-after": NUMBER, "space-before": NUMBER}
_INHERITED = {"size": NUMBER, "color": COLOR, "leading": NUMBER}  # defaults for the text inside
SCHEMA: dict[str, dict[str, str | None]] = {
    "document": {"size": r"A2|A3|A4|A5|card|\d+(\.\d+)?x\d+(\.\d+)?", "bleed": NUMBER, "marks": "crop|none",
                 "min-size": NUMBER, "min-contrast": NUMBER, "min-qr": NUMBER, "title": None, "subject": None,
                 "author": None, "keywords": None, "lang": None},
    "page": {"background": COLOR, "name": None},
    "rect": {"x": NUMBER, "y": NUMBER, "w": NUMBER, "h": NUMBER, "fill": COLOR, "stroke": COLOR,
             "stroke-width": NUMBER, "radius": NUMBER, "bleed": "yes|no"},
    "line": {"x1": NUMBER, "y1": NUMBER, "x2": NUMBER, "y2": NUMBER, "color": COLOR, "width": NUMBER,
             "dash": NUMBER},
    "frame": {**_INHERITED, "x": NUMBER, "y": NUMBER, "w": NUMBER, "h": NUMBER, "valign": "top|middle|bottom",
              "background": COLOR, "fit": "shrink|grow|error", "name": None, "gap": NUMBER},
    "text": {**_INHERITED, "weight": "regular|bold", "align": "left|center|right|justify", "src": None,
             "x": NUMBER, "y": NUMBER, "w": NUMBER, "h": NUMBER, "valign": "top|middle|bottom",
             "background": COLOR},
    "qr": {"x": NUMBER, "y": NUMBER, "size": NUMBER, "payload": None, "color": COLOR, "src": None},
    "icon": {"x": NUMBER, "y": NUMBER, "size": NUMBER, "name": None, "color": COLOR, "align": "left|center|right"},
    "h": {**_COMMON_TEXT},
    "p": {**_COMMON_TEXT, "indent": NUMBER},
    "list": {**_COMMON_TEXT, "marker": None, "marker-color": COLOR, "gap": NUMBER},
    "item": {"src": None},
    "space": {"h": NUMBER},
    "rule": {"color": COLOR, "width": NUMBER},
    "box": {**_INHERITED, "fill": COLOR, "stroke": COLOR, "padding": NUMBER, "radius": NUMBER, "gap": NUMBER},
    "row": {"gap": NUMBER, "valign": "top|middle|bottom"},
    "col": {**_INHERITED, "w": NUMBER, "background": COLOR},
    "b": {}, "em": {"color": COLOR}, "br": {},
}
CHILDREN = {
    "document": {"page"},
    "page": {"rect", "line", "frame", "text", "qr", "icon"},
    "frame": {"h", "p", "list", "space", "rule", "box", "row", "icon"},
    "box": {"h", "p", "list", "space", "rule", "row", "icon"},
    "row": {"col"},
    "col": {"h", "p", "list", "space", "rule", "box", "icon"},
    "list": {"item"},
}
INLINE = {"b", "em", "br"}
TEXT_HOLDERS = {"h", "p", "item", "text", "b", "em"}
REQUIRED = {"rect": ("x", "y", "w", "h"), "frame": ("x", "y", "w", "h"), "text": ("x", "y", "w"),
            "qr": ("x", "y", "size", "payload"), "icon": ("size", "name"), "line": ("x1", "y1", "x2", "y2"),
            "col": ()}


@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    line: int
    children: list["Node | str"] = field(default_factory=list)

    def get(self, name: str, default=None):
        return self.attrs.get(name, default)

    def num(self, name: str, default: float | None = None) -> float:
        value = self.attrs.get(name)
        return float(value) if value is not None else default  # type: ignore[return-value]

    def elements(self) -> list["Node"]:
        return [c for c in self.children if isinstance(c, Node)]

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else ("\n" if c.tag == "br" else c.text()) for c in self.children)


def parse(xml: str, origin: str) -> Node:
    """Parse a rendered template into a Node tree, checking the vocabulary; errors name origin:line."""
    problems: list[Problem] = []
    stack: list[Node] = []
    root: list[Node] = []
    parser = expat.ParserCreate("utf-8")

    def start(tag, attrs):
        line = parser.CurrentLineNumber
        node = Node(tag, dict(attrs), line)
        _check(node, stack[-1] if stack else None, origin, problems)
        if stack:
            stack[-1].children.append(node)
        else:
            root.append(node)
        stack.append(node)

    def end(tag):
        stack.pop()

    def chars(data):
        if stack and stack[-1].tag in TEXT_HOLDERS:
            kids = stack[-1].children
            if kids and isinstance(kids[-1], str):  # expat delivers text in pieces; keep one string
                kids[-1] += data
            else:
                kids.append(data)
        elif stack and data.strip():
            problems.append(Problem(Location(origin, parser.CurrentLineNumber),
                                    f"text is not allowed directly inside <{stack[-1].tag}>: {data.strip()[:20]!r}",
                                    "put text inside <p>, <h>, <item> or <text>"))

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    try:
        parser.Parse(xml, True)
    except expat.ExpatError as e:
        raise AntifraudError(Problem(Location(origin, e.lineno), f"layout document is not well-formed XML: "
                                     f"{expat.ErrorString(e.code)}",
                                     "check the template's tags; data is escaped automatically")) from None
    if problems:
        raise AntifraudError(problems)
    if not root or root[0].tag != "document":
        raise AntifraudError(Problem(Location(origin, 1), "the layout document must start with <document>"))
    for n in _walk(root[0]):
        if n.tag in TEXT_HOLDERS:
            _normalise_space(n)
    return root[0]


def _walk(node: Node):
    yield node
    for c in node.elements():
        yield from _walk(c)


_CJK = "\u2e80-\u9fff\u3000-\u303f\uff00-\uffef“”‘’"
# a line break in the template between two CJK characters is formatting, not a space
_CJK_NEWLINE = re.compile(f"(?<=[{_CJK}])[ \t]*\n[ \t\r\n]*(?=[{_CJK}])")
_ASCII_SPACE = re.compile(r"[ \t\r\n]+")  # not \s: an ideographic space U+3000 is content


def _normalise_space(node: Node) -> None:
    """Template whitespace (newlines, indentation) is layout, not content: fold it like HTML does, and drop a
    line break between two CJK characters entirely, where a space would show. Spaces in the data stay."""
    node.children = [_ASCII_SPACE.sub(" ", _CJK_NEWLINE.sub("", c)) if isinstance(c, str) else c
                     for c in node.children]
    if node.tag in ("h", "p", "item", "text"):
        if node.children and isinstance(node.children[0], str):
            node.children[0] = node.children[0].lstrip(" ")
        if node.children and isinstance(node.children[-1], str):
            node.children[-1] = node.children[-1].rstrip(" ")


def _check(node: Node, parent: Node | None, origin: str, problems: list[Problem]) -> None:
    where = Location(origin, node.line)
    schema = SCHEMA.get(node.tag)
    if schema is None:
        problems.append(Problem(where, f"unknown element <{node.tag}>",
                                "known elements: " + ", ".join(sorted(SCHEMA))))
        return
    if parent is not None:
        allowed = CHILDREN.get(parent.tag, set()) | (INLINE if parent.tag in TEXT_HOLDERS else set())
        if node.tag not in allowed:
            problems.append(Problem(where, f"<{node.tag}> is not allowed inside <{parent.tag}>",
                                    "allowed: " + (", ".join(sorted(allowed)) or "text only")))
    for name, value in node.attrs.items():
        if name not in schema:
            problems.append(Problem(where, f"<{node.tag}> has no attribute '{name}'",
                                    "known: " + (", ".join(sorted(schema)) or "none")))
        elif schema[name] is not None and not re.fullmatch(schema[name], value):
            problems.append(Problem(where, f"<{node.tag} {name}=\"{value}\">: not a valid value",
                                    f"expected {schema[name].replace('|', ' or ')}"))
    for name in REQUIRED.get(node.tag, ()):
        if name not in node.attrs:
            problems.append(Problem(where, f"<{node.tag}> needs attribute '{name}'"))
