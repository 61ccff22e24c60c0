"""Safe YAML reading that keeps the line of every node and turns every problem into a located message."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from pydantic import BaseModel, ValidationError

from .errors import Location, Problem, ProblemList
from .models import field_path
from .paths import display

if TYPE_CHECKING:
    from pydantic_core import ErrorDetails

# Scalars YAML 1.1 silently turns into something else: say so instead of "must be a string".
_SURPRISE_HINTS = {
    int: "YAML read {raw} as the number {value}; put it in quotes: \"{raw}\"",
    float: "YAML read {raw} as the number {value}; put it in quotes: \"{raw}\"",
    bool: "YAML read {raw} as {value_lower}; put it in quotes: \"{raw}\"",
}


# libyaml's safe loader when PyYAML was built with it (about 10x faster); same nodes, same marks
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass
class YamlDoc:
    path: Path
    data: Any
    root: Path | None = None
    lines: dict[tuple, int] = field(default_factory=dict)  # key path -> 1-based line
    raw: dict[tuple, str] = field(default_factory=dict)  # key path -> scalar as written
    octal: dict[tuple, int] = field(default_factory=dict)  # key path -> line of a plain 010 (YAML 1.1: 8)

    @property
    def shown(self) -> str:
        return display(self.path, self.root)

    def at(self, *key: str | int) -> Location:
        path = tuple(key)
        while path and path not in self.lines:
            path = path[:-1]
        return Location(self.shown, self.lines.get(path, 1))


def read_text(path: Path, root: Path | None, problems: ProblemList) -> str | None:
    """Read a UTF-8 text file (BOM allowed); binary or wrongly encoded files become problems."""
    shown = display(path, root)
    try:
        data = path.read_bytes()
    except OSError as e:
        problems.reject([Problem(Location(shown), f"cannot read file: {e.strerror}")])
        return None
    if data[:2] in (b"\xff\xfe", b"\xfe\xff") or _looks_utf16(data[:8192]):
        problems.reject([Problem(Location(shown), "file is UTF-16 text (Notepad's \"Unicode\"), not UTF-8",
                       "save the file as UTF-8 (in Notepad: 另存为 → 编码 UTF-8)")])
        return None
    if b"\x00" in data[:8192]:
        problems.reject([Problem(Location(shown), "this is a binary file, not YAML text",
                       "remove it from the folder or save it as UTF-8 text")])
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        hint = "save the file as UTF-8 (in Notepad: 另存为 → 编码 UTF-8)"
        try:
            data.decode("gb18030")
            hint = "the file looks like GBK/GB18030; " + hint
        except UnicodeDecodeError:
            pass
        problems.reject([Problem(Location(shown, line), "file is not UTF-8 text", hint)])
        return None


def _looks_utf16(head: bytes) -> bool:
    """UTF-16 without a BOM: YAML keys are ASCII, so one byte lane is mostly NUL and the other nearly never."""
    if len(head) < 8:
        return False
    lanes = head[0::2], head[1::2]
    nul = [lane.count(0) / len(lane) for lane in lanes]
    return max(nul) > 0.3 and min(nul) < 0.02


def load_yaml(path: Path, root: Path | None, problems: ProblemList) -> YamlDoc | None:
    """The file's data with the line of every key; None (and problems) when it cannot be read as YAML."""
    text = read_text(path, root, problems)
    if text is None:
        return None
    shown = display(path, root)
    if not text.strip() or all(not ln.strip() or ln.lstrip().startswith("#") for ln in text.splitlines()):
        problems.reject([Problem(Location(shown, 1), "file is empty", "delete it or fill in its fields")])
        return None
    try:
        node = yaml.compose(text, Loader=_SAFE_LOADER)
    except yaml.MarkedYAMLError as e:
        problems.reject([_syntax_problem(shown, e, text)])
        return None
    except yaml.YAMLError as e:  # pragma: no cover - PyYAML marks nearly everything
        problems.reject([Problem(Location(shown), f"YAML error: {e}")])
        return None
    doc = YamlDoc(path, None, root)
    dup = _Walker(doc, shown).walk(node)
    if dup:
        problems.reject(dup)
        return None
    try:
        loader = _SAFE_LOADER(text)
        try:
            doc.data = loader.construct_document(node)
        finally:
            loader.dispose()
    except yaml.constructor.ConstructorError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark else None
        tag = getattr(e, "problem", "") or ""
        if "python/" in str(e) or "could not determine a constructor" in tag:
            problems.reject([Problem(Location(shown, line), f"tag not allowed here: {tag}",
                           "only plain YAML is read (no !!python/… or other tags); write the value as text")])
            return None
        problems.reject([Problem(Location(shown, line), f"YAML error: {tag}")])
        return None
    except (ValueError, OverflowError, RecursionError) as e:  # _Walker checks scalars first; this is a net
        problems.reject([Problem(Location(shown, 1), f"YAML error: {e}")])
        return None
    if not isinstance(doc.data, dict):
        problems.reject([Problem(Location(shown, 1), "expected a mapping of `key: value` lines at the top of the file")])
        return None
    return doc


def _syntax_problem(shown: str, e: yaml.MarkedYAMLError, text: str = "") -> Problem:
    mark = e.problem_mark or e.context_mark
    line = mark.line + 1 if mark else None
    what = e.problem or e.context or "syntax error"
    hint = None
    # libyaml says only "found character that cannot start any token" for a tab: look at the line itself
    bad_line = text.splitlines()[mark.line] if mark and mark.line < len(text.splitlines()) else ""
    if "\t" in what or "tab" in what or "\t" in bad_line[: len(bad_line) - len(bad_line.lstrip())]:
        hint = "indent with spaces, not tabs"
    elif "mapping values are not allowed" in what:
        hint = "a value containing ': ' must be quoted"
    elif "found character '@'" in what or "found character '`'" in what:
        hint = "put the value in quotes"
    return Problem(Location(shown, line), f"YAML syntax error: {what}", hint)


#: How many values aliases (*name) may add by repeating an anchored part: far above any real project,
#: far below a "billion laughs" document, whose expansion would take minutes and gigabytes.
ALIAS_BUDGET = 50_000
#: How many characters aliases may add: the same budget by size, so one long anchored string repeated
#: 40,000 times (under ALIAS_BUDGET, but gigabytes once every use is validated) is refused too.
ALIAS_CHAR_BUDGET = 1_000_000

# Scalars whose conversion can fail (2026-02-30, 0b_): checked here so the error gets its line.
_CHECKED_TAGS = {
    "tag:yaml.org,2002:timestamp": ("construct_yaml_timestamp", "is not a real date", "write dates as YYYY-MM-DD"),
    "tag:yaml.org,2002:int": ("construct_yaml_int", "is not a number YAML can read", "put it in quotes if it is text"),
    "tag:yaml.org,2002:float": ("construct_yaml_float", "is not a number YAML can read",
                                "put it in quotes if it is text"),
}


class _Walker:
    """Records the line of every key path, finds duplicate keys, self-containing aliases, bad scalars,
    and stops when aliases expand the document past ALIAS_BUDGET."""

    def __init__(self, doc: YamlDoc, shown: str) -> None:
        self.doc, self.shown = doc, shown
        self.seen: set[int] = set()  # ids of nodes walked at least once
        self.repeats = 0
        self.repeated_chars = 0  # characters of the scalars walked again through an alias
        self.open: set[int] = set()  # ids of the containers on the current path
        self.constructor = yaml.constructor.SafeConstructor()

    def walk(self, node: yaml.Node) -> list[Problem]:
        try:
            return self._walk(node, ())
        except _Stop as stop:
            return [stop.problem]

    def _walk(self, node: yaml.Node, path: tuple) -> list[Problem]:
        doc = self.doc
        problems: list[Problem] = []
        line = node.start_mark.line + 1
        doc.lines.setdefault(path, line)
        first = id(node) not in self.seen
        if not first:
            self.repeats += 1
            if isinstance(node, yaml.ScalarNode):
                self.repeated_chars += len(node.value)
            if self.repeats > ALIAS_BUDGET:
                raise _Stop(Problem(doc.at(*path[:1]), f"aliases (*name) expand this file to more than "
                                    f"{ALIAS_BUDGET:,} values", "write the values out, or use fewer nested aliases"))
            if self.repeated_chars > ALIAS_CHAR_BUDGET:
                raise _Stop(Problem(doc.at(*path[:1]), f"aliases (*name) expand this file to more than "
                                    f"{ALIAS_CHAR_BUDGET:,} characters", "write the values out, or repeat "
                                    "short values only"))
        self.seen.add(id(node))
        if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)):
            if id(node) in self.open:
                where = doc.at(*path[:-1]) if path else Location(self.shown, line)
                raise _Stop(Problem(where, f"an alias contains itself (the anchor on line {line} is used inside "
                                    "its own value)", "an alias (*name) may only repeat a value defined before it"))
            self.open.add(id(node))
        if isinstance(node, yaml.MappingNode):
            seen: dict[str, int] = {}
            for key_node, value_node in node.value:
                key_line = key_node.start_mark.line + 1
                bad_key = _bad_key(key_node)
                if bad_key:
                    if first:
                        problems.append(Problem(Location(self.shown, key_line), *bad_key))
                    continue
                key = key_node.value
                if key in seen:
                    if first:  # an aliased mapping is walked again for each alias: report it once
                        problems.append(Problem(Location(self.shown, key_line), f"key '{key}' appears twice "
                                                f"(first on line {seen[key]})", "keep one of them"))
                    continue
                seen[key] = key_line
                problems += self._walk(value_node, path + (key,))
                doc.lines[path + (key,)] = key_line
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                problems += self._walk(item, path + (i,))
        elif isinstance(node, yaml.ScalarNode):
            doc.raw[path] = node.value
            if first and not node.style and node.tag == "tag:yaml.org,2002:int" \
                    and _LEADING_ZERO.fullmatch(node.value):
                doc.octal[path] = line  # 010 is 8 to YAML 1.1: wrong wherever a number is taken (validate)
            check = _CHECKED_TAGS.get(node.tag)
            if check and first:
                method, what, hint = check
                try:
                    getattr(self.constructor, method)(node)
                except (ValueError, OverflowError):
                    problems.append(Problem(Location(self.shown, line), f"'{node.value}' {what}", hint))
        if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)):
            self.open.discard(id(node))
        return problems


_KEY_READ_AS = {"tag:yaml.org,2002:null": "nothing (null)", "tag:yaml.org,2002:int": "a number",
                "tag:yaml.org,2002:float": "a number", "tag:yaml.org,2002:bool": "true or false",
                "tag:yaml.org,2002:timestamp": "a date"}
# a plain 010 or 08: YAML 1.1 reads 010 as the octal number 8, and 08 as the text "08"
_LEADING_ZERO = re.compile(r"[-+]?0[0-9_]*[0-9][0-9_]*")


def _bad_key(key_node: yaml.Node) -> tuple[str, str] | None:
    """(message, hint) when a key is not plain text: a list or mapping (`? [a, b]`), or a scalar YAML reads as
    a number, true/false or null. Every key in these files is a field name or an id."""
    if not isinstance(key_node, yaml.ScalarNode):
        kind = "list" if isinstance(key_node, yaml.SequenceNode) else "mapping"
        return (f"a key must be plain text, not a {kind}", "write `name: value`; a key is a field name or an id")
    if key_node.tag in _KEY_READ_AS:
        return (f"key '{key_node.value}' is read by YAML as {_KEY_READ_AS[key_node.tag]}, not as a name",
                f"a key is a field name or an id; put it in quotes if you mean it: \"{key_node.value}\"")
    return None


def _leading_zero_hint(raw: str) -> str:
    plain = raw.lstrip("+-").lstrip("0_") or "0"
    return f"write {plain} without the leading zero; if it is text (a phone number), put it in quotes: \"{raw}\""


class _Stop(Exception):
    def __init__(self, problem: Problem) -> None:
        self.problem = problem


def validate(model: type[BaseModel], doc: YamlDoc, problems: ProblemList, data: Any = None, prefix: tuple = ()) -> Any:
    """Validate doc.data (or a part of it at `prefix`) into `model`; errors come back with lines."""
    data = doc.data if data is None else data
    try:
        obj = model.model_validate(data)
    except ValidationError as e:
        problems.reject([_validation_problem(model, doc, err, prefix) for err in e.errors()])
        return None
    n = len(prefix)
    octal = sorted((line, path) for path, line in doc.octal.items() if path[:n] == prefix)
    if octal:  # the model took 010 as the number 8: say so rather than print month 8
        problems.reject([Problem(Location(doc.shown, line), f"field '{field_path(path)}': '{doc.raw[path]}' has a "
                                 f"leading zero, so YAML reads it as the octal number {_octal(doc.raw[path])}",
                                 _leading_zero_hint(doc.raw[path])) for line, path in octal])
        return None
    _attach(obj, doc, prefix)
    return obj


def _octal(raw: str) -> int:
    return yaml.constructor.SafeConstructor().construct_yaml_int(yaml.ScalarNode("tag:yaml.org,2002:int", raw))


def _attach(obj: Any, doc: YamlDoc, prefix: tuple) -> None:
    """Give every nested model its file and the lines of its own fields."""
    n = len(prefix)
    _attach_lines(obj, doc.shown, {k[n:]: v for k, v in doc.lines.items() if k[:n] == prefix}, prefix)


def _attach_lines(obj: Any, shown: str, lines: dict[tuple, int], prefix: tuple) -> None:
    """`lines`: the lines below `prefix`, keyed by the rest of their path. Each level hands its children only
    their own part, so 5,000 units cost 5,000 small dicts, not 5,000 scans of the whole file."""
    if isinstance(obj, BaseModel):
        if hasattr(obj, "locate"):
            obj.locate(shown, lines, prefix)
        parts = _by_first_key(lines)
        for name in type(obj).model_fields:
            _attach_lines(getattr(obj, name), shown, parts.get(name, {}), prefix + (name,))
    elif isinstance(obj, (list, tuple)):
        parts = _by_first_key(lines)
        for i, item in enumerate(obj):
            _attach_lines(item, shown, parts.get(i, {}), prefix + (i,))


def _by_first_key(lines: dict[tuple, int]) -> dict[Any, dict[tuple, int]]:
    parts: dict[Any, dict[tuple, int]] = {}
    for key, line in lines.items():
        if key:
            parts.setdefault(key[0], {})[key[1:]] = line
    return parts


def _validation_problem(model: type[BaseModel], doc: YamlDoc, err: ErrorDetails, prefix: tuple) -> Problem:
    loc = prefix + tuple(p for p in err["loc"] if isinstance(p, (str, int)))
    kind, value = err["type"], err.get("input")
    # pydantic adds the names of union/literal branches to loc; keep only the part present in the file
    if kind == "missing":
        parent = loc[:-1]
        while len(parent) > len(prefix) and parent not in doc.lines:
            parent = parent[:-1]
        loc = parent + loc[-1:]
    while len(loc) > len(prefix) and loc not in doc.lines and kind != "missing":
        loc = loc[:-1]
    field = field_path(loc)  # the whole path in the file: `officers[1].phone`, not just `phone`
    if kind == "missing":
        parent = loc[:-1]
        return Problem(doc.at(*parent), f"missing required field '{field}'")
    if kind == "extra_forbidden":
        known = _known_fields(model, err["loc"][:-1])
        import difflib

        close = difflib.get_close_matches(str(loc[-1]), known, n=1)
        hint = f"did you mean '{close[0]}'?" if close else ("known fields: " + ", ".join(known) if known else None)
        return Problem(doc.at(*loc), f"unknown field '{field}'", hint)
    raw = doc.raw.get(loc)
    if kind in ("string_type", "date_type", "list_type", "model_type", "dict_type") and raw is not None \
            and type(value) in _SURPRISE_HINTS and kind == "string_type":
        hint = _SURPRISE_HINTS[type(value)].format(raw=raw, value=value, value_lower=str(value).lower())
        return Problem(doc.at(*loc), f"field '{field}' must be text, not {type(value).__name__}", hint)
    if kind == "string_pattern_mismatch" and "a-z0-9" in str(err.get("ctx", {}).get("pattern", "")):
        return Problem(doc.at(*loc), f"field '{field}': '{value}' is not a valid id",
                       "ids use only lowercase letters a-z, digits and dashes, e.g. fake-police")
    if kind == "string_pattern_mismatch" and "#" in str(err.get("ctx", {}).get("pattern", "")):
        return Problem(doc.at(*loc), f"field '{field}': '{value}' is not a colour", 'write colours as "#RRGGBB" in quotes')
    # 08 and 09 are text to YAML 1.1 (not octal digits): a number field refuses them; say why
    if kind in ("int_parsing", "int_type") and isinstance(value, str) and _LEADING_ZERO.fullmatch(value):
        return Problem(doc.at(*loc), f"field '{field}': '{value}' has a leading zero, so YAML reads it as text, "
                       "not a number", _leading_zero_hint(value))
    msg = err["msg"]
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, "):]
    shown_value = raw if raw is not None else value
    if isinstance(shown_value, (dict, list)):
        got = f" (got a {'mapping' if isinstance(shown_value, dict) else 'list'})"
    else:
        got = f" (got {shown_value!r})" if shown_value is not None or raw is not None else ""
    hint = getattr(err.get("ctx", {}).get("error"), "hint", None)  # e.g. PhoneError says what a phone looks like
    if not field:  # a rule about the whole file (a model validator): the message says what is wrong
        return Problem(doc.at(*loc), msg, hint)
    return Problem(doc.at(*loc), f"field '{field}': {msg}{got}", hint)


def _known_fields(model: type[BaseModel], loc: tuple) -> list[str]:
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        info = getattr(current, "model_fields", {}).get(part)
        if info is None:
            return []
        current = _inner_model(info.annotation)
        if current is None:
            return []
    return list(getattr(current, "model_fields", {}))


def _inner_model(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _inner_model(arg)
        if found is not None:
            return found
    return None
