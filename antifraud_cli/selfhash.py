"""The tool's own identity for fingerprints: its version, its code and Jinja's. Editing antifraud
never leaves stale outputs. Small on purpose: the fast no-op path imports it without the rest."""
from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from . import __version__


@lru_cache(maxsize=1)
def tool_digest() -> str:
    from importlib.util import find_spec

    h = hashlib.sha256(f"antifraud {__version__}\0".encode())
    jinja = find_spec("jinja2")  # templates render through it (fonts, layout and PDF writing are our own code)
    extras = [Path(jinja.origin)] if jinja and jinja.origin else []
    package = Path(__file__).resolve().parent
    for path in sorted(package.glob("*.py")) + extras:
        h.update(path.name.encode() + b"\0" + path.read_bytes())
    return h.hexdigest()
