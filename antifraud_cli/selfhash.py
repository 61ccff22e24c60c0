"""The tool's own identity for fingerprints: its version, its code and ReportLab's version. Editing antifraud
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
    reportlab = find_spec("reportlab")  # its version file, without importing ReportLab
    jinja = find_spec("jinja2")  # templates render through it
    extras = [Path(s.origin) for s in (reportlab, jinja) if s and s.origin]
    package = Path(__file__).resolve().parent
    for path in sorted(package.glob("*.py")) + extras:
        h.update(path.name.encode() + b"\0" + path.read_bytes())
    return h.hexdigest()
