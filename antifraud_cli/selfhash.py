"""The tool's own identity for fingerprints: its version, its code, and the versions of Jinja and ReportLab.
Editing antifraud never leaves stale outputs. Small on purpose: the fast no-op path imports it without the rest."""
from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from . import __version__


@lru_cache(maxsize=1)
def tool_digest() -> str:
    from importlib.util import find_spec

    h = hashlib.sha256(f"antifraud {__version__}\0".encode())
    # templates render through Jinja, and ReportLab writes every PDF object: a new release of either may print
    # differently (their package files carry the version; found without importing them)
    specs = [find_spec(name) for name in ("jinja2", "reportlab")]
    extras = [Path(spec.origin) for spec in specs if spec and spec.origin]
    package = Path(__file__).resolve().parent
    for path in sorted(package.glob("*.py")) + extras:
        h.update(path.name.encode() + b"\0" + path.read_bytes())
    return h.hexdigest()
