"""Nothing lost: staged, all-or-nothing writes under a lock; safe pruning; untrusted manifests; file modes;
--project output; the stat index of no-op builds; SIGTERM/SIGKILL and -j workers (real processes)."""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from antifraud_cli import write
from antifraud_cli.cli import cli

from conftest import STATION, UNITS, invoke, write_files

CARD = ["-a", "elderly", "-p", "card", "-j", "1"]
ENV = {"SOURCE_DATE_EPOCH": "1700000000"}




def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under OUT (except our own lock and stat index) with its content."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and not p.is_symlink() and p.name not in ("lock", "index.json")}


def staging_left(out: Path) -> list[Path]:
    return list((out / ".antifraud").glob("staging-*")) if (out / ".antifraud").is_dir() else []


def manifest(out: Path) -> dict[str, dict]:
    return {e["path"]: e for e in json.loads((out / "manifest.json").read_text(encoding="utf-8"))["outputs"]}


def run_cli(root: Path, *args: str, **kw) -> subprocess.Popen:
    env = {**os.environ, **ENV, **kw.pop("env", {})}
    return subprocess.Popen([sys.executable, "-m", "antifraud_cli", *args], cwd=root, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def build(root: Path, *args: str, env: dict | None = None):
    return invoke(root, "build", *args, env={**ENV, **(env or {})})


def wait_for(condition, what: str, seconds: float = 120.0):
    """Poll a condition (no sleep stands in for synchronisation): fails the test after `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.02)
    pytest.fail(f"timed out waiting for {what}")


# ---------- modes, --project

def test_outputs_and_manifest_get_the_usual_permissions(make_project):
    root = make_project({"antifraud.yaml": UNITS})
    old = os.umask(0o022)
    try:
        assert build(root, *CARD).exit_code == 0
    finally:
        os.umask(old)
    for path in ("dist/dongguan/elderly/card.pdf", "dist/manifest.json"):
        assert (root / path).stat().st_mode & 0o777 == 0o644, path


def test_project_option_builds_into_the_projects_own_folder(make_project, tmp_path):
    one = make_project({"antifraud.yaml": UNITS}, name="one")
    two = make_project({"antifraud.yaml": STATION}, name="two")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    runner = CliRunner(env=ENV)
    cwd = os.getcwd()
    os.chdir(elsewhere)
    try:
        first = runner.invoke(cli, ["--project", str(one), "build", *CARD], catch_exceptions=False)
        second = runner.invoke(cli, ["--project", str(two), "build", *CARD], catch_exceptions=False)
        rel = runner.invoke(cli, ["--project", str(two), "build", *CARD, "-o", "kit"], catch_exceptions=False)
    finally:
        os.chdir(cwd)
    assert first.exit_code == second.exit_code == rel.exit_code == 0, first.output + second.output + rel.output
    assert "removed" not in second.output
    assert (one / "dist/dongguan/elderly/card.pdf").is_file() and (one / "dist/xiguan/elderly/card.pdf").is_file()
    assert (two / "dist/elderly/card.pdf").is_file() and (two / "kit/elderly/card.pdf").is_file()
    assert not (elsewhere / "dist").exists() and not (elsewhere / "kit").exists()


# ---------- a failed write changes nothing

def test_a_write_error_while_moving_into_place_changes_nothing(make_project):
    root = make_project({"antifraud.yaml": UNITS})
    assert build(root, *CARD).exit_code == 0
    out = root / "dist"
    blocker = out / "xiguan/elderly/card.pdf"
    blocker.unlink()
    (blocker / "keep").mkdir(parents=True)  # a folder where an output goes: the move fails after dongguan's
    before = snapshot(out)
    write_files(root, {"antifraud.yaml": UNITS.replace("13800001111", "13800003333")
                       .replace("13800002222", "13800004444")})
    result = build(root, *CARD)
    assert result.exit_code == 1
    assert "dist/xiguan/elderly/card.pdf: cannot write: Is a directory" in result.output
    assert "Traceback" not in result.output and "nothing was changed" in result.output
    assert snapshot(out) == before  # dongguan's card was already replaced once, and was put back
    assert staging_left(out) == []


def chattr(flag: str, path: Path) -> bool:
    return subprocess.run(["chattr", flag, str(path)], capture_output=True).returncode == 0


@pytest.mark.parametrize("frozen", ["xiguan/elderly", "."])
def test_a_read_only_folder_changes_nothing(make_project, frozen):
    """An immutable output subfolder (fails while moving into place) or OUT itself (fails at the manifest)."""
    root = make_project({"antifraud.yaml": UNITS})
    assert build(root, *CARD).exit_code == 0
    out = root / "dist"
    before = snapshot(out)
    if not chattr("+i", out / frozen):
        pytest.skip("chattr +i is not available here (needs root and ext4-like file systems)")
    try:
        write_files(root, {"antifraud.yaml": UNITS.replace("13800001111", "13800003333")
                           .replace("13800002222", "13800004444")})
        result = build(root, *CARD)
    finally:
        chattr("-i", out / frozen)
    assert result.exit_code == 1
    shown = "dist/xiguan/elderly/card.pdf" if frozen != "." else "dist/manifest.json"
    assert f"{shown}: cannot write: Operation not permitted" in result.output, result.output
    assert "Traceback" not in result.output
    assert snapshot(out) == before and staging_left(out) == []
    assert "built 2" in build(root, *CARD).output  # writable again: repaired


def test_a_disk_error_while_staging_changes_nothing(make_project):
    """A file size limit (EFBIG, as a full disk gives ENOSPC) hits while the outputs are being staged."""
    root = make_project({"antifraud.yaml": UNITS})
    assert build(root, *CARD).exit_code == 0
    out = root / "dist"
    before = snapshot(out)
    write_files(root, {"antifraud.yaml": UNITS.replace("东关村", "东关新村")})

    def limit():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))

    proc = run_cli(root, "build", *CARD, preexec_fn=limit)
    stdout, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 1, stderr
    assert "dist/dongguan/elderly/card.pdf: cannot write: File too large" in stderr
    assert "Traceback" not in stderr and "hint:" in stderr
    assert snapshot(out) == before and staging_left(out) == []


def test_output_below_a_file_is_a_clean_error_before_rendering(make_project):
    root = make_project({"antifraud.yaml": UNITS, "afile": "不是文件夹\n"})
    result = build(root, *CARD, "-o", "afile/dist")
    assert result.exit_code == 1
    assert "afile/dist: cannot write: Not a directory" in result.output and "Traceback" not in result.output
    assert (root / "afile").read_text(encoding="utf-8") == "不是文件夹\n"


def test_a_failed_first_build_leaves_no_output_folder(make_project):
    root = make_project({"antifraud.yaml": UNITS.replace('"13800001111"', '"12"')})
    result = build(root, *CARD)
    assert result.exit_code == 1
    assert not (root / "dist").exists()


def test_leftovers_of_a_killed_build_are_cleaned_up(make_project):
    root = make_project({"antifraud.yaml": UNITS})
    assert build(root, *CARD).exit_code == 0
    out = root / "dist"
    dead = out / ".antifraud/staging-dead1234/new/dongguan/elderly"
    dead.mkdir(parents=True)
    (dead / "card.pdf").write_bytes(b"%PDF half")
    (out / ".antifraud/manifest.json.4242.tmp").write_text("{")
    (out / ".antifraud/index.json").unlink()  # as after an older version: its temp files beside outputs
    (out / "xiguan/elderly/.card.pdf.1jw4bdqd.tmp").write_bytes(b"%PDF half")
    (out / "xiguan/elderly/notes.tmp").write_text("mine")
    result = build(root, *CARD)
    assert result.exit_code == 0 and "nothing to do" in result.output
    assert staging_left(out) == [] and not (out / ".antifraud/manifest.json.4242.tmp").exists()
    assert not (out / "xiguan/elderly/.card.pdf.1jw4bdqd.tmp").exists()
    assert (out / "xiguan/elderly/notes.tmp").read_text() == "mine"


# ---------- the lock

def hold_lock(out: Path) -> int:
    (out / ".antifraud").mkdir(parents=True, exist_ok=True)
    fd = os.open(out / ".antifraud/lock", os.O_RDWR | os.O_CREAT, 0o666)
    fcntl.flock(fd, fcntl.LOCK_EX)
    os.write(fd, b"4242\n")
    return fd


def test_a_build_gives_up_clearly_when_another_holds_the_output_folder(make_project):
    root = make_project({"antifraud.yaml": UNITS})
    fd = hold_lock(root / "dist")
    try:
        result = build(root, *CARD, env={"ANTIFRAUD_LOCK_WAIT": "0"})
    finally:
        os.close(fd)
    assert result.exit_code == 1
    assert "another antifraud build (process 4242) is writing this output folder" in result.output
    assert not list((root / "dist").rglob("*.pdf"))


def test_concurrent_builds_wait_for_each_other_and_keep_every_entry(make_project):
    root = make_project({"antifraud.yaml": UNITS})
    out = root / "dist"
    fd = hold_lock(out)
    procs = []
    try:
        procs = [run_cli(root, "build", "-a", audience, "-p", "card", "-j", "1")
                 for audience in ("elderly", "students")]
        # both are waiting for the lock: each says so on stderr (read without blocking via /proc's fd copy)
        for proc in procs:
            wait_for(lambda: proc.poll() is not None or _waiting(proc), "the builds to wait for the lock", 300)
            assert proc.poll() is None, proc.communicate()
    finally:
        os.close(fd)
    for proc in procs:
        stdout, stderr = proc.communicate(timeout=300)
        assert proc.returncode == 0, stderr
    assert set(manifest(out)) == {f"{u}/{a}/card.pdf" for u in ("dongguan", "xiguan")
                                  for a in ("elderly", "students")}
    for path, entry in manifest(out).items():  # every entry describes the file that is there
        assert hashlib.sha256((out / path).read_bytes()).hexdigest() == entry["sha256"]


def _waiting(proc: subprocess.Popen) -> bool:
    """True once the process has printed the "waiting for the build" line (peeked, not consumed)."""
    import select

    if select.select([proc.stderr], [], [], 0)[0]:
        proc._seen = getattr(proc, "_seen", "") + os.read(proc.stderr.fileno(), 4096).decode()
    return "waiting for the build (process 4242)" in getattr(proc, "_seen", "")


# ---------- pruning deletes only what the tool wrote

def orphan_entry(path: str, content: bytes) -> dict:
    return {"path": path, "sha256": hashlib.sha256(content).hexdigest(), "fingerprint": "0" * 64,
            "audience": "elderly", "product": "card", "unit": "gone-village", "cases": [], "bytes": len(content)}


def add_entries(out: Path, *entries: dict) -> None:
    data = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    data["outputs"] += list(entries)
    (out / "manifest.json").write_text(json.dumps(data), encoding="utf-8")


GONE = UNITS.replace("units: [xiguan]}", "units: [xiguan, gone-village]}") + \
    "  - {id: gone-village, name: 南关村, officer: 王芳}\n"


def test_pruning_never_follows_a_symlink_nor_deletes_a_changed_file(make_project, tmp_path):
    root = make_project({"antifraud.yaml": GONE})
    assert build(root, *CARD).exit_code == 0  # gone-village's card: written by antifraud, pruned below
    write_files(root, {"antifraud.yaml": UNITS})
    out = root / "dist"
    outside = tmp_path / "outside-dir"
    outside.mkdir()
    (outside / "victim.txt").write_bytes(b"precious")
    (out / "escape").symlink_to(outside)
    (out / "notes.txt").write_bytes(b"my notes, edited")
    (out / "linked.pdf").symlink_to(outside / "victim.txt")
    add_entries(out, orphan_entry("escape/victim.txt", b"precious"), orphan_entry("notes.txt", b"my notes"),
                orphan_entry("linked.pdf", b"precious"))

    result = build(root, *CARD)
    assert result.exit_code == 0, result.output
    assert "removed 1 no longer in the project" in result.output
    assert not (out / "gone-village").exists()  # really ours and unchanged: removed, with its empty folders
    assert (outside / "victim.txt").read_bytes() == b"precious"
    assert (out / "notes.txt").read_bytes() == b"my notes, edited"
    assert (out / "linked.pdf").is_symlink()
    assert "escape/victim.txt: kept, although it is no longer in the project: 'escape' on its path is a " \
           "symbolic link" in result.output
    assert "notes.txt: kept, although it is no longer in the project: it has changed since antifraud wrote it" \
        in result.output
    assert "linked.pdf: kept, although it is no longer in the project: it is not a regular file" in result.output
    assert set(manifest(out)) == {"dongguan/elderly/card.pdf", "xiguan/elderly/card.pdf"}  # kept ones forgotten
    again = build(root, *CARD)
    assert "warning" not in again.output and "nothing to do" in again.output


def test_output_into_the_project_folder_never_deletes_project_files(make_project):
    root = make_project({"antifraud.yaml": UNITS})
    assert build(root, *CARD, "-o", ".").exit_code == 0
    config = (root / "antifraud.yaml").read_bytes()
    add_entries(root, orphan_entry("antifraud.yaml", b"something else"))
    result = build(root, *CARD, "-o", ".")
    assert result.exit_code == 0
    assert (root / "antifraud.yaml").read_bytes() == config


# ---------- a manifest that cannot be trusted

BAD_ENTRIES = {
    "empty path": {"path": ""}, "dot": {"path": "."}, "parent": {"path": "../victim.txt"},
    "absolute": {"path": "/tmp/victim-abs.txt"}, "nested parent": {"path": "elderly/../../victim.txt"},
    "list unit": {"unit": ["a"]}, "number path": {"path": 5}, "nul": {"path": "elderly/card\u0000.pdf"},
    "hidden": {"path": ".antifraud/lock"}, "bad sha": {"sha256": "xyz"},
}


@pytest.mark.parametrize("case", [*BAD_ENTRIES, "outputs string", "top list", "truncated", "binary"])
def test_an_untrusted_manifest_is_set_aside_and_everything_rebuilt(make_project, tmp_path, case):
    root = make_project({"antifraud.yaml": UNITS})
    assert build(root, *CARD).exit_code == 0
    out = root / "dist"
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    text = (out / "manifest.json").read_text(encoding="utf-8")
    if case in BAD_ENTRIES:
        add_entries(out, {**orphan_entry("x.pdf", b"precious"), **BAD_ENTRIES[case]})
    else:
        (out / "manifest.json").write_bytes({"outputs string": b'{"outputs": "hello"}', "top list": b"[1, 2]",
                                            "truncated": text[: len(text) // 2].encode(),
                                            "binary": b"\xff\xfe\x00{"}[case])
    bad = (out / "manifest.json").read_bytes()

    check = build(root, *CARD, "--check")
    assert check.exit_code == 1 and "Traceback" not in check.output
    assert "dist/manifest.json: cannot be trusted" in check.output
    assert (out / "manifest.json").read_bytes() == bad  # --check changes nothing

    result = build(root, *CARD)
    assert result.exit_code == 0, result.output
    assert "dist/manifest.json: cannot be trusted" in result.output and "built 2" in result.output
    assert (out / "manifest.untrusted.json").read_bytes() == bad
    assert set(manifest(out)) == {"dongguan/elderly/card.pdf", "xiguan/elderly/card.pdf"}
    assert victim.read_text() == "precious"
    assert build(root, *CARD, "--check").exit_code == 0


# ---------- no-op builds trust unchanged stat data

def test_a_no_op_build_hashes_nothing_and_still_sees_an_edit(make_project, monkeypatch):
    root = make_project({"antifraud.yaml": UNITS})
    monkeypatch.setattr(write, "RACY_NS", 0)  # the files were written a moment ago: trust them at once
    assert build(root, *CARD).exit_code == 0
    hashed = []
    real = write._sha256_file
    monkeypatch.setattr(write, "_sha256_file", lambda *a, **k: hashed.append(a[0]) or real(*a, **k))
    assert "nothing to do" in build(root, *CARD).output
    assert hashed == []

    card = root / "dist/xiguan/elderly/card.pdf"
    st = card.stat()
    data = bytearray(card.read_bytes())
    data[-20] ^= 1
    with open(card, "r+b") as fh:  # same inode, same size, mtime put back: only ctime tells
        fh.write(data)
    os.utime(card, ns=(st.st_atime_ns, st.st_mtime_ns))
    result = build(root, *CARD)
    assert "built 1, up to date 1" in result.output
    assert [Path(p).name for p in hashed] == ["card.pdf"]


# ---------- signals and -j workers (real processes)

def many_units(n: int) -> str:
    lines = [STATION.rstrip("\n"), "officers:"]
    lines += [f'  - {{name: 民警{i:03d}号, title: 社区民警, phone: "138{i:08d}", units: [v{i:03d}]}}'
              for i in range(n)]
    lines += ["units:"] + [f"  - {{id: v{i:03d}, name: 第{i:03d}村, officer: 民警{i:03d}号}}" for i in range(n)]
    return "\n".join(lines) + "\n"


def children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.add(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def staged_pdfs(out: Path) -> list[Path]:
    return list(out.glob(".antifraud/staging-*/new/**/*.pdf"))


@pytest.fixture(scope="module")
def big_project(tmp_path_factory):
    root = tmp_path_factory.mktemp("big")
    # big enough that the build is still running well after its first output is staged, on any machine
    (root / "antifraud.yaml").write_text(many_units(400), encoding="utf-8")
    return root


def start_and_wait_for_staging(root: Path) -> tuple[subprocess.Popen, set[int]]:
    proc = run_cli(root, "build", "-a", "elderly", "-p", "card", "-j", "2")
    wait_for(lambda: staged_pdfs(root / "dist") or proc.poll() is not None, "the first staged output", 300)
    assert proc.poll() is None, proc.communicate()
    workers = children(proc.pid)
    assert len(workers) >= 2
    return proc, workers


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_sigterm_stops_the_build_like_ctrl_c_and_the_workers_with_it(big_project):
    proc, workers = start_and_wait_for_staging(big_project)
    proc.send_signal(signal.SIGTERM)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 143, stderr
    assert "interrupted; nothing half-written was left behind" in stderr and "Traceback" not in stderr
    wait_for(lambda: not any(alive(w) for w in workers), "the workers to end", 30)
    assert not (big_project / "dist").exists()  # a first build that stopped leaves nothing


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_sigkill_of_the_build_ends_its_workers_and_the_next_build_cleans_up(big_project):
    proc, workers = start_and_wait_for_staging(big_project)
    proc.kill()
    proc.communicate(timeout=60)
    wait_for(lambda: not any(alive(w) for w in workers), "the workers to end", 30)
    out = big_project / "dist"
    assert staging_left(out)  # what SIGKILL leaves: no PDF in place, no manifest
    assert not list(out.glob("v*/**/*.pdf")) and not (out / "manifest.json").exists()
    result = build(big_project, "-a", "elderly", "-p", "card", "-u", "v000", "-j", "1")
    assert result.exit_code == 0 and "built 1" in result.output
    assert staging_left(out) == []
    shutil_rmtree(out)


def shutil_rmtree(path: Path) -> None:
    import shutil

    shutil.rmtree(path)


def test_the_command_line_process_says_everything_and_keeps_its_exit_status(tmp_path):
    """The process leaves without freeing its heap (cli._leave): what it printed still arrives whole, the status is
    the command's, and exit-time clean-up (here: a temporary folder registered for removal at exit) still runs."""
    root = tmp_path / "proj"
    root.mkdir()
    ok = run_cli(root, "build", "-a", "elderly", "-p", "card")
    out, err = ok.communicate(timeout=300)
    assert ok.returncode == 0, err
    assert "built 1, up to date 0, failed 0" in out and (root / "dist" / "elderly" / "card.pdf").is_file()
    bad = run_cli(root, "build", "-p", "nosuch")
    out, err = bad.communicate(timeout=300)
    assert bad.returncode == 2 and "unknown product 'nosuch'" in err and "Traceback" not in err
    code = ("import atexit, shutil, sys, tempfile; from antifraud_cli import cli; d = tempfile.mkdtemp();"
            "atexit.register(shutil.rmtree, d); print(d); sys.argv = ['antifraud', '--version']; cli.main()")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    folder, version = done.stdout.splitlines()
    assert done.returncode == 0 and version.startswith("antifraud, version") and not Path(folder).exists()
