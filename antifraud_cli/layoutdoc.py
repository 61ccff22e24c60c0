"""The layout document: a small XML vocabulary that templates produce and the renderer draws.

The vocabulary is declared in vocabulary.py (and documented from there in docs/templates.md). Each element's
attributes and children are checked against it, so a template mistake is reported before anything is drawn. Line numbers are those of the
rendered document (reported as `template (rendered):line`): Jinja does not map output lines back.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from xml.parsers import expat

from .errors import AntifraudError, Location, Problem
from .memo import Memo
from .vocabulary import ELEMENTS, INLINE, TEXT_HOLDERS, Attr

_NO_ATTR = Attr("text")
KEYED = {"frame"}  # elements whose source is kept (see Node.source)
_CLEAN = Memo(16384)  # (tag, parent tag, attributes) that passed _check


@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    line: int
    children: list["Node | str"] = field(default_factory=list)
    # a frame's own XML, start tag to end tag: what decides its layout, so a key to remember its fitted scale by
    source: bytes | None = field(default=None, repr=False, compare=False)
    _values: dict = field(default_factory=dict, repr=False, compare=False)  # attr() results

    def get(self, name: str, default=None):
        return self.attrs.get(name, default)

    def num(self, name: str, default: float | None = None) -> float:
        value = self.attrs.get(name)
        return float(value) if value is not None else default  # type: ignore[return-value]

    def attr(self, name: str):
        """The attribute's value in its declared kind (a number for lengths and sizes), or its declared default
        (vocabulary.ELEMENTS): the one place defaults live."""
        try:
            return self._values[name]
        except KeyError:
            spec = ELEMENTS[self.tag].attrs.get(name, _NO_ATTR)
            value = self.attrs.get(name)
            result = self._values[name] = spec.convert(value) if value is not None else spec.default
            return result

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

    data = xml.encode("utf-8")
    starts: list[int] = []

    def start(tag, attrs):
        line = parser.CurrentLineNumber
        node = Node(tag, attrs, line)
        _check(node, stack[-1] if stack else None, origin, problems)
        if stack:
            stack[-1].children.append(node)
        else:
            root.append(node)
        stack.append(node)
        starts.append(parser.CurrentByteIndex)

    def end(tag):
        node, begin = stack.pop(), starts.pop()
        if tag in KEYED:
            node.source = data[begin:parser.CurrentByteIndex]  # up to its end tag

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

    def doctype(*_):  # entities would expand inside expat, unbudgeted (a billion laughs: N109)
        raise AntifraudError(Problem(Location(origin, parser.CurrentLineNumber),
                                     "the layout document declares a DOCTYPE, which is not allowed",
                                     "a template writes the layout's elements only, with no <!DOCTYPE> or <!ENTITY>"))

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    parser.StartDoctypeDeclHandler = doctype
    try:
        parser.Parse(data, True)
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
    key = (node.tag, parent.tag if parent is not None else None, tuple(node.attrs.items()))
    if key in _CLEAN:  # the same element with the same attributes in the same place: checked before
        return
    found = len(problems)
    _check_element(node, parent, origin, problems)
    if len(problems) == found:
        _CLEAN.keep(key, True)


def _check_element(node: Node, parent: Node | None, origin: str, problems: list[Problem]) -> None:
    where = Location(origin, node.line)
    element = ELEMENTS.get(node.tag)
    if element is None:
        problems.append(Problem(where, f"unknown element <{node.tag}>",
                                "known elements: " + ", ".join(sorted(ELEMENTS))))
        return
    schema = {name: a.pattern for name, a in element.attrs.items()}
    if parent is not None:
        allowed = set(ELEMENTS[parent.tag].children) | (INLINE if parent.tag in TEXT_HOLDERS else set())
        if node.tag not in allowed:
            problems.append(Problem(where, f"<{node.tag}> is not allowed inside <{parent.tag}>",
                                    "allowed: " + (", ".join(sorted(allowed)) or "text only")))
    for name, value in node.attrs.items():
        if name not in schema:
            problems.append(Problem(where, f"<{node.tag}> has no attribute '{name}'",
                                    "known: " + (", ".join(sorted(schema)) or "none")))
        elif (pattern := schema[name]) is not None and not re.fullmatch(pattern, value):
            problems.append(Problem(where, f"<{node.tag} {name}=\"{value}\">: not a valid value",
                                    f"expected {pattern.replace('|', ' or ')}"))
    for name in element.required:
        if name not in node.attrs:
            problems.append(Problem(where, f"<{node.tag}> needs attribute '{name}'"))
