"""Text products (`format: txt`): the template's output is the file. Checked before it is written: valid
printable text, within `max_chars`, and for scripts read aloud (`spoken: true`) the rules of speech.py."""
from __future__ import annotations

import re

from .errors import AntifraudError, Location, ProblemList
from .models import printable_text
from .speech import check_script


def render_text(docs: list[str], spec, origin: str) -> bytes:
    """The composed text as UTF-8 bytes (one trailing newline), or every problem at its line of the output."""
    text = "".join(docs)
    text = re.sub(r"\n{3,}", "\n\n", text.replace("\r\n", "\n")).strip("\n") + "\n"
    path = origin.removesuffix(" (rendered)")
    problems = ProblemList()
    try:
        printable_text(text)
    except ValueError as e:
        problems.add(Location(path), f"{spec.filename}: {e}", "remove the character from the data or template")
    if spec.max_chars is not None:
        count = len(text.strip())
        if count > spec.max_chars:
            problems.add(Location(path), f"{spec.filename} has {count} characters, more than {spec.max_chars}",
                         "shorten the text (max_chars in the product spec)")
    if spec.spoken:
        for line, message, hint in check_script(text, spec.max_seconds):
            problems.add(Location(path), f"{spec.filename}, line {line}: {message}", hint)
    if problems:
        raise AntifraudError(problems.items)
    return text.encode("utf-8")
