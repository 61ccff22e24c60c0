"""Nothing outside the output folder, ever (issue 24; probe rows N153b, N153, N143, N144, N145): what preview
reads from OUT/_preview/state.json and manifest.json, the state folder OUT/.antifraud and its lock, and the
sweep of temp files that older versions left, never reach a file outside OUT."""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from pathlib import Path

import pytest

from conftest import UNITS, invoke

CARD = ["-a", "elderly", "-p", "card", "-j", "1"]
ENV = {"SOURCE_DATE_EPOCH": "1700000000"}


def build(root: Path, *args: str):
    return invoke(root, "build", *args, env=ENV)


def tree(folder: Path) -> dict[str, bytes | None]:
    """Every file and folder under `folder` (a folder: None), without following links."""
    return {str(p.relative_to(folder)): (p.read_bytes() if p.is_file() and not p.is_symlink() else None)
            for p in sorted(folder.rglob("*"))}


@pytest.fixture
def outside(tmp_path) -> Path:
    """A folder beside the project, with files nobody may touch."""
    folder = tmp_path / "outside"
    (folder / "staging-keep").mkdir(parents=True)
    (folder / "staging-keep" / "data").write_bytes(b"kept data")
    (folder / "victim.txt").write_bytes(b"precious")
    (folder / "victim.p1.png").write_bytes(b"precious picture")
    (folder / "work.tmp").write_bytes(b"another program's work")
    (folder / ".card.pdf.a1b2c3d4.tmp").write_bytes(b"another program's temp file")
    return folder


@pytest.fixture
def built(make_project):
    root = make_project({"antifraud.yaml": UNITS})
    result = build(root, *CARD)
    assert result.exit_code == 0, result.output
    return root


# ---------- preview: state.json (N153b) and manifest.json (N153) are untrusted input

def test_preview_never_deletes_what_state_json_names_outside_the_output_folder(built, outside):
    out = built / "dist"
    assert invoke(built, "preview", "-j", "1").exit_code == 0
    (out / "_preview" / "escape").symlink_to(outside)
    state_path = out / "_preview" / "state.json"
    state = json.loads(state_path.read_text(encoding="utf-8"))
    up = "/".join([".."] * len(out.relative_to(outside.parent).parts)) + "/outside/victim.p1.png"
    state["outputs"]["gone/elderly/card.pdf"] = {
        "sha256": "0" * 64,
        "thumbs": [[str(outside / "victim.txt"), 1, 1], [f"../../{up}", 1, 1], ["escape/victim.p1.png", 1, 1]]}
    state["outputs"]["other.pdf"] = {"sha256": "0" * 64, "thumbs": [[str(outside / "work.tmp"), 1, 1]]}
    state_path.write_text(json.dumps(state), encoding="utf-8")
    before = tree(outside)

    result = invoke(built, "preview", "-j", "1")
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    assert tree(outside) == before
    assert (out / "_preview" / "escape").is_symlink()
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning: ")]
    assert any("state.json" in w and "victim.txt" in w for w in warnings), result.stderr
    assert any("state.json" in w and "escape/victim.p1.png" in w for w in warnings), result.stderr
    # the thumbnails of the real outputs are still there, and the next preview is quiet
    for path in ("dongguan/elderly/card.pdf", "xiguan/elderly/card.pdf"):
        assert (out / "_preview" / f"{path}.p1.png").is_file()
    again = invoke(built, "preview", "-j", "1")
    assert again.exit_code == 0 and "warning" not in again.output, again.output


def test_preview_never_reads_nor_writes_beside_manifest_paths_outside_the_output_folder(built, outside):
    out = built / "dist"
    pdf = (out / "xiguan/elderly/card.pdf").read_bytes()
    (outside / "private.pdf").write_bytes(pdf)
    (out / "escape").symlink_to(outside)
    (out / "linked.pdf").symlink_to(outside / "private.pdf")
    data = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    sha = hashlib.sha256(pdf).hexdigest()
    up = "/".join([".."] * len(out.relative_to(outside.parent).parts)) + "/outside/private.pdf"
    bad = [str(outside / "private.pdf"), up, "escape/private.pdf", "linked.pdf"]
    data["outputs"] += [{"path": p, "sha256": sha, "fingerprint": "0" * 64, "audience": "elderly",
                         "product": "card", "unit": None, "cases": []} for p in bad]
    (out / "manifest.json").write_text(json.dumps(data), encoding="utf-8")
    before = tree(outside)

    result = invoke(built, "preview", "-j", "1")
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    assert tree(outside) == before  # no private.pdf.p1.png beside it
    assert "previewed 2, unchanged 0" in result.stdout
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning: ")]
    for path in bad:
        assert len([w for w in warnings if repr(path) in w]) == 1, (path, warnings)
    gallery = (out / "index.html").read_text(encoding="utf-8")
    assert "private" not in gallery and "linked.pdf" not in gallery
    assert not list((out / "_preview").rglob("*private*")) and not list((out / "_preview").rglob("linked*"))


def test_preview_refuses_a_thumbnail_folder_that_is_a_symlink(built, outside):
    out = built / "dist"
    (out / "_preview").symlink_to(outside)
    before = tree(outside)
    result = invoke(built, "preview", "-j", "1")
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "_preview: is a symbolic link" in result.output and "hint:" in result.output
    assert tree(outside) == before


# ---------- the state folder and its lock (N143, N144)

def refused(root, message: str, outside, before) -> None:
    """A build and a --check both stop with the located message, write nothing outside, and build nothing."""
    for args in (CARD, [*CARD, "--check"]):
        result = build(root, *args)
        assert result.exit_code == 1, result.output
        assert "Traceback" not in result.output
        assert message in result.output and "hint:" in result.output
        assert tree(outside) == before  # no lock, index or record written through the link
    assert not list((root / "dist").rglob("*.pdf"))


@pytest.mark.parametrize("target", ["important", "not-there"])
def test_a_symlinked_lock_is_refused_and_its_target_never_touched(make_project, outside, target):
    root = make_project({"antifraud.yaml": UNITS})
    (outside / "important").write_bytes(b"IMPORTANT CONTENT")
    (root / "dist/.antifraud").mkdir(parents=True)
    (root / "dist/.antifraud/lock").symlink_to(outside / target)
    before = tree(outside)
    refused(root, "dist/.antifraud/lock: is a symbolic link", outside, before)


def test_a_symlinked_state_folder_is_refused_and_nothing_outside_is_swept(make_project, outside):
    root = make_project({"antifraud.yaml": UNITS})
    (root / "dist").mkdir()
    (root / "dist/.antifraud").symlink_to(outside)
    before = tree(outside)
    refused(root, "dist/.antifraud: is a symbolic link", outside, before)  # work.tmp, staging-keep/ kept
    # once the link is gone, the build works
    (root / "dist/.antifraud").unlink()
    assert build(root, *CARD).exit_code == 0
    assert tree(outside) == before


def test_a_symlinked_state_folder_of_an_earlier_build_is_refused_too(built, outside):
    out = built / "dist"
    for pdf in out.rglob("*.pdf"):  # not "racily clean": the next build records their stamps for the fast path
        os.utime(pdf, ns=(time.time_ns() - 10**11,) * 2)
    assert build(built, *CARD).exit_code == 0
    assert "nothing to do" in build(built, *CARD).output  # the fast path, with the real folder
    shutil.copytree(out / ".antifraud", outside / "copy")
    shutil.rmtree(out / ".antifraud")
    (out / ".antifraud").symlink_to(outside / "copy")  # holds the last build's record: no fast path through it
    before = tree(outside)
    result = build(built, *CARD)
    assert result.exit_code == 1, result.output
    assert "dist/.antifraud: is a symbolic link" in result.output
    assert tree(outside) == before


# ---------- the sweep of old temp files (N145)

def test_building_into_the_project_never_sweeps_other_programs_temp_files(make_project, outside):
    root = make_project({"antifraud.yaml": UNITS})
    theirs = {"notes/.report.json.a1b2c3d4.tmp": b"a report being saved",
              "sub/deep/.thesis.pdf.zz99yy88.tmp": b"a thesis being saved",
              "notes/.card.pdf.q1w2e3r4.tmp": b"not beside an output antifraud wrote"}
    for name, content in theirs.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(content)
    assert build(root, *CARD, "-o", ".").exit_code == 0
    # as after an older version: the next build sweeps temp files left beside outputs
    (root / ".antifraud/index.json").unlink()
    (root / "xiguan/elderly/.card.pdf.1jw4bdqd.tmp").write_bytes(b"%PDF half")
    (root / "escape").symlink_to(outside)  # an output recorded behind a link: nothing through it is swept
    data = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    data["outputs"].append({"path": "escape/card.pdf", "sha256": "0" * 64, "fingerprint": "0" * 64,
                            "audience": "elderly", "product": "card", "unit": "gone", "cases": []})
    (root / "manifest.json").write_text(json.dumps(data), encoding="utf-8")
    before = tree(outside)
    result = build(root, *CARD, "-o", ".")
    assert result.exit_code == 0, result.output
    for name, content in theirs.items():
        assert (root / name).read_bytes() == content, name
    assert tree(outside) == before
    assert not (root / "xiguan/elderly/.card.pdf.1jw4bdqd.tmp").exists()  # ours: still swept
