"""Write stage: atomic output files and the manifest (written last)."""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from . import __version__

MANIFEST = "manifest.json"


def atomic_write(path: Path, data: bytes) -> None:
    """Write to a temporary file beside `path`, then rename: readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@dataclass
class Manifest:
    entries: dict[str, dict] = field(default_factory=dict)  # output path (relative to OUT) -> entry

    @classmethod
    def load(cls, out: Path) -> "Manifest":
        try:
            data = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
            return cls({e["path"]: e for e in data.get("outputs", [])})
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return cls()  # no or unreadable manifest: everything is stale

    def is_fresh(self, out: Path, job) -> bool:
        entry = self.entries.get(job.path)
        if not entry or entry.get("fingerprint") != job.fingerprint:
            return False
        try:
            return hashlib.sha256((out / job.path).read_bytes()).hexdigest() == entry.get("sha256")
        except OSError:
            return False

    def record(self, job, data: bytes) -> None:
        self.entries[job.path] = {"path": job.path, "sha256": hashlib.sha256(data).hexdigest(),
                                  "fingerprint": job.fingerprint, "audience": job.audience,
                                  "product": job.product, "unit": job.unit, "cases": list(job.cases),
                                  "size": job.size, "bytes": len(data)}

    def orphans(self, existing: set[tuple]) -> list[str]:
        """Recorded outputs whose (unit, audience, product) the project no longer has: a removed village,
        audience or product type."""
        return sorted(path for path, e in self.entries.items()
                      if (e.get("unit"), e.get("audience"), e.get("product")) not in existing
                      and not Path(path).is_absolute() and ".." not in Path(path).parts)  # never outside OUT

    def dumps(self, clock=None) -> str:
        outputs = [self.entries[k] for k in sorted(self.entries)]
        head = {"tool": f"antifraud {__version__}"}
        if clock is not None:  # the day this build was for, and where that day came from
            head["date"] = {"day": clock.day.isoformat(), "epoch": clock.epoch, "from": clock.source}
        return json.dumps({**head, "outputs": outputs}, ensure_ascii=False, indent=1)


def write_outputs(out: Path, results: dict, manifest: Manifest, remove: list[str] = (), clock=None) -> None:
    """Write every rendered output (each atomically), delete the `remove` outputs, then write the manifest.
    Called only when all jobs succeeded."""
    for job, data in sorted(results.items(), key=lambda kv: kv[0].path):
        atomic_write(out / job.path, data)
        manifest.record(job, data)
    for path in remove:
        (out / path).unlink(missing_ok=True)
        manifest.entries.pop(path, None)
        for folder in (out / path).parents:  # drop folders left empty (a removed unit's), never OUT itself
            if folder == out or not folder.is_relative_to(out):
                break
            try:
                folder.rmdir()
            except OSError:
                break
    atomic_write(out / MANIFEST, (manifest.dumps(clock) + "\n").encode("utf-8"))
