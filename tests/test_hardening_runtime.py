"""Hardening, round 2 (issue 24), the runtime's rows: template budgets (N100–N104, N109, N107), `-j` (N170), the
output folder (N159, N160, N150, N142), and tracebacks that became located messages (N180, N181, N182, N132,
N154, N172d). Each test reproduces a row of ../shared/reference/reliability-probe-2.md."""
from __future__ import annotations

import errno
import json
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import UNITS, invoke, write_files

CARD = ["-a", "elderly", "-p", "card", "-j", "1"]


def card_template_with(expression: str) -> str:
    from antifraud_cli.paths import builtin_dir

    card = (builtin_dir("templates") / "card.xml.j2").read_text(encoding="utf-8")
    return card.replace('<page name="front"', expression + '\n<page name="front"', 1)


def run_limited(root: Path, *args: str) -> subprocess.CompletedProcess:
    """The command line in a process that cannot take more than 2 GB or 120 s of processor time: a budget that
    stopped working fails the test (a MemoryError, a kill) instead of taking the machine."""
    def limits():
        resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))
        resource.setrlimit(resource.RLIMIT_CPU, (120, 120))

    return subprocess.run([sys.executable, "-m", "antifraud_cli", *args], cwd=root, capture_output=True, text=True,
                          preexec_fn=limits, timeout=600, env={**os.environ, "SOURCE_DATE_EPOCH": "1700000000"})


# ---------- templates: budgeted by the work done and the size made (N100–N104)

TEMPLATE_BOMBS = {
    # N100: loops over a long text that write nothing, nested
    "N100 loop over text": ('{% for a in "x"*3000000 %}{% for b in "x"*3000000 %}{% endfor %}{% endfor %}',
                            "loop steps"),
    "N100 loop over a list": ('{% for a in ["x"]*1000000 %}{% endfor %}', "loop steps"),
    "calls without loops": ('{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}'
                            '{{ f(40) }}', "loop steps and calls"),
    # N101: padding widths
    "N101 center": ('{% set s = "x"|center(2000000000) %}{{ s|length }}', "a width (center) of 2,000,000,000"),
    "N101 ljust": ('{{ "x".ljust(2000000000)|length }}', "a width (ljust)"),
    "N101 indent": ('{{ ("\\n" * 3000000)|indent(3000000)|length }}', "longer than 4,000,000"),
    # N102: `~` doubling
    "N102 concat": ('{% set a = "x"*3900000 %}{% set a = a~a %}{% set a = a~a %}{{ a|length }}',
                    "longer than 4,000,000"),
    "N102 plus": ('{% set a = "x"*3900000 %}{{ (a + a)|length }}', "longer than 4,000,000"),
    "made in all": ('{% for i in range(30) %}{% set s = "x" * 3000000 %}{% endfor %}', "characters of text in all"),
    "nested list literal": ('{% set a = ["x" * 3000000] %}{% set b = [a, a, a, a, a, a, a, a, a, a] %}{{ b }}',
                            "longer than 4,000,000"),
    "list doubling": ('{% set a = ["x"] %}{% for i in range(40) %}{% set _ = a.extend(a) %}{% endfor %}',
                      "longer than 4,000,000"),
    "replace": ('{{ ("x" * 3000000).replace("x", "xx")|length }}', "longer than 4,000,000"),
    "replace filter": ('{{ ("x" * 3000000)|replace("x", "xx")|length }}', "longer than 4,000,000"),
    # N103: a power tower, and the same by multiplication
    "N103 power": ('{{ ((((10**64)**64)**64)**64)**64 }}', "bits"),
    "N103 product": ('{% set a = 10**1000 %}{{ a*a*a*a*a }}', "bits"),
    # N104: widths inside a format
    "N104 % filter": ('{{ ("%0999999999d"|format(1))|length }}', "a width of 999,999,999"),
    "N104 % operator": ('{{ ("%0999999999d" % 1)|length }}', "a width of 999,999,999"),
    "N104 nested width": ('{{ "{0:{1}}".format("x", 999999999)|length }}', "a width of 999,999,999"),
    "N104 written width": ('{{ "{0:999999999}".format("x")|length }}', "a width of 999,999,999"),
    "N104 star width": ('{{ ("%*d"|format(999999999, 1))|length }}', "a width of 999,999,999"),
}


@pytest.mark.parametrize("case", TEMPLATE_BOMBS)
def test_a_template_that_loops_or_grows_without_end_is_stopped_by_its_budget(make_project, case):
    expression, message = TEMPLATE_BOMBS[case]
    root = make_project({"templates/card.xml.j2": card_template_with(expression)})
    # check composes what build does (every audience and product: one case is enough to see it stop too)
    for command in (["build", *CARD], *([["check"]] if case.startswith("N100 loop over text") else [])):
        result = run_limited(root, *command)
        assert result.returncode == 1, (case, result.stderr[-2000:])
        assert "template stopped" in result.stderr and message in result.stderr, (case, result.stderr[-2000:])
        assert "templates/card.xml.j2:" in result.stderr and "Traceback" not in result.stderr
    assert not (root / "dist").exists()


def test_ordinary_template_arithmetic_and_formats_still_work(make_project):
    root = make_project({"templates/card.xml.j2": card_template_with(
        '{% set n = "%05d"|format(42) ~ "{:>6}".format("ab") ~ ("-" * 3) ~ (2 ** 10)|string ~ "a b".center(7) %}'
        '{% set parts = [] %}{% for i in range(3) %}{% set _ = parts.append(i) %}{% endfor %}'
        '{% if n != "00042    ab---1024  a b  " or parts != [0, 1, 2] %}{{ raise_an_error_please }}{% endif %}'
        '<!-- {{ "%d"|format(13800001111) }} -->')})
    result = invoke(root, "build", *CARD)
    assert result.exit_code == 0, result.output


def test_the_processor_time_guard_stops_a_render_whatever_it_does(make_project, monkeypatch):
    """The last guard: CPU time, not the wall clock. 150,000 loop turns (under the step budget) cannot take
    less than a millisecond of processor time, so the guard set to 1 ms stops them: no timing decides it."""
    from antifraud_cli import compose

    monkeypatch.setattr(compose, "CPU_BUDGET", 0.001)
    root = make_project({"templates/card.xml.j2": card_template_with(
        '{% for i in range(150000) %}{% set x = i * i %}{% endfor %}')})
    result = invoke(root, "build", *CARD)
    assert result.exit_code == 1 and "s of processor time" in result.output, result.output
    assert "templates/card.xml.j2:" in result.output and "Traceback" not in result.output


# ---------- N109: the layout document may not declare entities

def test_a_layout_document_with_a_doctype_is_refused(make_project):
    laughs = ('<!DOCTYPE document [<!ENTITY a "aaaaaaaaaa">' +
              "".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(9)) + ']>')
    from antifraud_cli.paths import builtin_dir

    card = (builtin_dir("templates") / "card.xml.j2").read_text(encoding="utf-8")
    root = make_project({"templates/card.xml.j2": laughs.replace("{", "{{ '{' }}") + "\n" + card})
    result = run_limited(root, "build", *CARD)
    assert result.returncode == 1, result.stderr[-2000:]
    assert "declares a DOCTYPE, which is not allowed" in result.stderr and "Traceback" not in result.stderr


# ---------- N107: templates that are devices, pipes or links out are refused before they are read

@pytest.mark.parametrize("kind", ["device", "fifo", "link out"])
def test_a_template_file_that_is_a_device_a_pipe_or_a_link_out_is_never_read(make_project, tmp_path, kind):
    root = make_project({"antifraud.yaml": UNITS})
    (root / "templates").mkdir()
    target = root / "templates" / "zero.j2"
    if kind == "device":
        target.symlink_to("/dev/zero")
    elif kind == "fifo":
        os.mkfifo(target)
    else:
        (tmp_path / "outside.j2").write_text("{{ station.name }}", encoding="utf-8")
        target.symlink_to(tmp_path / "outside.j2")
    for command in (["build", *CARD], ["check"]):
        result = run_limited(root, *command)
        assert result.returncode == 1, result.stderr[-2000:]
        assert "templates/zero.j2: template:" in result.stderr and "Traceback" not in result.stderr, result.stderr
    assert not (root / "dist").exists()


# ---------- processes: -j is capped at the CPUs (N170)

def test_jobs_above_the_cpus_are_capped_with_a_note(make_project, monkeypatch):
    from antifraud_cli import build as buildmod, lifetime

    started = []
    real_pool = buildmod._forked_pool
    monkeypatch.setattr(lifetime, "usable_cpus", lambda: 2)
    monkeypatch.setattr(buildmod, "_forked_pool", lambda workers: started.append(workers) or real_pool(workers))
    root = make_project({"antifraud.yaml": UNITS})
    result = invoke(root, "build", "-a", "elderly", "-a", "students", "-p", "card", "-j", "10000")
    assert result.exit_code == 0, result.output
    assert "note: -j 10000: using 2 worker processes, one per CPU" in result.output
    assert started and max(started) <= 2  # the pool never holds more processes than CPUs
    assert "built 4" in result.output


def test_the_worker_count_is_what_was_asked_up_to_the_cpus(monkeypatch):
    from antifraud_cli import lifetime

    monkeypatch.setattr(lifetime, "usable_cpus", lambda: 4)
    assert [lifetime.worker_count(j) for j in (None, 1, 3, 4, 5, 10000)] == [4, 1, 3, 4, 4, 4]


# ---------- the output folder: a link swapped in during the build (N159)

def first_build(make_project) -> Path:
    root = make_project({"antifraud.yaml": UNITS})
    assert invoke(root, "build", *CARD).exit_code == 0
    write_files(root, {"antifraud.yaml": UNITS.replace("13800001111", "13800003333")
                       .replace("13800002222", "13800004444")})
    return root


def files_under(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and not p.is_symlink()}


@pytest.fixture
def outside(tmp_path) -> Path:
    folder = tmp_path / "outside"
    (folder / "elderly").mkdir(parents=True)
    (folder / "elderly" / "card.pdf").write_bytes(b"someone else's card")
    (folder / "keep.txt").write_bytes(b"precious")
    return folder


def swap_during_commit(monkeypatch, swap) -> None:
    """Run `swap` after every output is staged, just before they move into place: the race of N159, made
    deterministic."""
    from antifraud_cli import write

    real = write.OutputWriter.commit

    def commit(self, *args, **kwargs):
        swap(self.out)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(write.OutputWriter, "commit", commit)


def test_a_folder_of_out_swapped_for_a_link_during_the_build_is_never_written_through(make_project, outside,
                                                                                     monkeypatch):
    root = first_build(make_project)
    before = files_under(outside)

    def swap(out: Path) -> None:
        (out / "dongguan").rename(out.parent / "moved-away")
        (out / "dongguan").symlink_to(outside)

    swap_during_commit(monkeypatch, swap)
    result = invoke(root, "build", *CARD)
    assert result.exit_code == 1, result.output
    assert "dist/dongguan/elderly/card.pdf: cannot write: a symbolic link is on its way" in result.output
    assert "Traceback" not in result.output
    assert files_under(outside) == before  # nothing written, replaced or removed outside OUT
    assert (root / "dist/xiguan/elderly/card.pdf").is_file()  # and what moved before was put back


@pytest.mark.parametrize("swapped", ["out", "state folder"])
def test_out_or_its_state_folder_swapped_for_a_link_during_the_build_keeps_writes_inside(make_project, outside,
                                                                                        monkeypatch, swapped):
    root = first_build(make_project)
    before = files_under(outside)

    def swap(out: Path) -> None:
        target = out if swapped == "out" else out / ".antifraud"
        target.rename(target.with_name(target.name + "-real"))
        target.symlink_to(outside)

    swap_during_commit(monkeypatch, swap)
    result = invoke(root, "build", *CARD)
    assert "Traceback" not in result.output
    assert files_under(outside) == before
    real = root / ("dist-real" if swapped == "out" else "dist")
    if result.exit_code == 0:  # the folder opened at the start is the one written
        assert json.loads((real / "manifest.json").read_text(encoding="utf-8"))["outputs"]


# ---------- pruning trusts only the tool's own keyed record (N160)

def test_a_hand_made_manifest_with_the_right_hashes_deletes_nothing(make_project):
    import hashlib

    root = make_project({"antifraud.yaml": UNITS, "notes.txt": "my notes"})
    assert invoke(root, "build", *CARD, "-o", ".").exit_code == 0
    manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    for name in ("notes.txt", "antifraud.yaml"):  # a crafted (or committed) manifest: real hashes
        manifest["outputs"].append({"path": name, "sha256": hashlib.sha256((root / name).read_bytes()).hexdigest(),
                                    "fingerprint": "0" * 64, "audience": "elderly", "product": "card",
                                    "unit": "gone", "cases": [], "bytes": 1})
    (root / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    config = (root / "antifraud.yaml").read_bytes()
    result = invoke(root, "build", *CARD, "-o", ".")
    assert result.exit_code == 0, result.output
    assert (root / "notes.txt").read_text(encoding="utf-8") == "my notes"
    assert (root / "antifraud.yaml").read_bytes() == config
    assert "notes.txt: kept, although it is no longer in the project: antifraud has no record of writing it" \
        in result.output
    entries = {e["path"] for e in json.loads((root / "manifest.json").read_text(encoding="utf-8"))["outputs"]}
    assert "notes.txt" not in entries and "antifraud.yaml" not in entries  # forgotten, never touched again


def test_a_record_made_without_the_key_proves_nothing(make_project):
    """The record of what was written is keyed: writing one by hand (or copying another folder's) prunes
    nothing; what antifraud itself wrote is still pruned when its unit goes."""
    import hashlib
    import hmac

    gone = UNITS + "  - {id: nanguan, name: 南关村, officer: 王芳}\n"
    gone = gone.replace("units: [xiguan]}", "units: [xiguan, nanguan]}")
    root = make_project({"antifraud.yaml": gone})
    assert invoke(root, "build", *CARD).exit_code == 0
    out = root / "dist"
    (out / "notes.txt").write_text("my notes", encoding="utf-8")
    sha = hashlib.sha256(b"my notes").hexdigest()
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    manifest["outputs"].append({"path": "notes.txt", "sha256": sha, "fingerprint": "0" * 64, "audience": "elderly",
                                "product": "card", "unit": "gone", "cases": [], "bytes": 8})
    (out / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    record = json.loads((out / ".antifraud/written.json").read_text(encoding="utf-8"))
    record["macs"].append(hmac.new(b"\0" * 32, f"notes.txt\0{sha}".encode(), hashlib.sha256).hexdigest()[:32])
    (out / ".antifraud/written.json").write_text(json.dumps(record), encoding="utf-8")
    write_files(root, {"antifraud.yaml": UNITS})
    result = invoke(root, "build", *CARD)
    assert result.exit_code == 0, result.output
    assert "removed 1 no longer in the project" in result.output and not (out / "nanguan").exists()
    assert (out / "notes.txt").read_text(encoding="utf-8") == "my notes"


# ---------- state files and the manifest replaced by a FIFO or a device (N150)

@pytest.mark.parametrize("name, kind", [("manifest.json", "fifo"), ("manifest.json", "zero"),
                                        (".antifraud/index.json", "zero"), (".antifraud/last-build.json", "zero"),
                                        (".antifraud/written.json", "fifo"), (".antifraud/key", "zero")])
def test_a_state_file_or_manifest_that_is_a_fifo_or_a_device_is_never_read(make_project, name, kind):
    root = make_project({"antifraud.yaml": UNITS})
    # built by a process like the ones below (this one's code digest dates from when the tests started)
    assert run_limited(root, "build", *CARD).returncode == 0
    path = root / "dist" / name
    path.unlink()
    os.mkfifo(path) if kind == "fifo" else path.symlink_to("/dev/zero")
    for command in (["build", *CARD, "--check"], ["build", *CARD]):
        result = run_limited(root, *command)
        assert "Traceback" not in result.stderr and "internal error" not in result.stderr, result.stderr[-2000:]
        assert result.returncode == (1 if "--check" in command and name == "manifest.json" else 0), \
            result.stderr[-2000:]
    assert run_limited(root, "build", *CARD, "--check").returncode == 0


# ---------- a disk already full when the build starts (N142)

def no_room():
    """The child may not make any file longer than 0 bytes: every write fails as on a full disk (EFBIG, which
    says the same as ENOSPC), from the first byte of the lock on. A real limit of the operating system, set in
    the child only: no tmpfs or root needed, the same on every run."""
    import signal

    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))


@pytest.mark.parametrize("first", [True, False])
def test_a_full_disk_when_the_build_starts_is_a_located_error(make_project, first):
    root = make_project({"antifraud.yaml": UNITS})
    if not first:
        assert invoke(root, "build", *CARD).exit_code == 0
        before = files_under(root / "dist")
    result = subprocess.run([sys.executable, "-m", "antifraud_cli", "build", *CARD], cwd=root, capture_output=True,
                            text=True, preexec_fn=no_room, timeout=600)
    assert result.returncode == 1, result.stderr
    assert "dist/.antifraud/lock: cannot write: File too large" in result.stderr
    assert "hint: free some space" in result.stderr and "Traceback" not in result.stderr
    if first:
        assert not (root / "dist").exists()  # nothing left behind, not even an empty lock
    else:
        assert {k: v for k, v in files_under(root / "dist").items() if k != ".antifraud/lock"} == \
            {k: v for k, v in before.items() if k != ".antifraud/lock"}


def test_no_space_at_the_lock_is_a_located_error(make_project, monkeypatch):
    from antifraud_cli import write

    def full(*args):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(write.os, "pwrite", full)
    root = make_project({"antifraud.yaml": UNITS})
    result = invoke(root, "build", *CARD)
    assert result.exit_code == 1
    assert "dist/.antifraud/lock: cannot write: No space left on device" in result.output
    assert not (root / "dist").exists()


# ---------- tracebacks that became located messages

@pytest.mark.parametrize("value", ["253402300800", "999999999999", "²", "١٢٣", "１７００００００００", "9" * 5000])
def test_a_source_date_epoch_beyond_a_date_or_not_ascii_digits_is_a_usage_error(make_project, value):
    root = make_project()
    result = invoke(root, "build", *CARD, env={"SOURCE_DATE_EPOCH": value})
    assert result.exit_code == 2 and "SOURCE_DATE_EPOCH=" in result.output and "is not a timestamp" in result.output
    assert not (root / "dist").exists()


def test_the_last_second_a_date_holds_is_still_a_day():
    from antifraud_cli.clock import build_clock

    assert build_clock(None, {"SOURCE_DATE_EPOCH": "253402300799"}).day.isoformat() == "9999-12-31"


def test_a_build_day_before_1900_is_a_usage_error(make_project):
    root = make_project()
    result = invoke(root, "build", *CARD, "--date", "0001-01-01")
    assert result.exit_code == 2 and "'0001-01-01' is before 1900" in result.output


def test_a_qr_link_with_a_long_run_of_digits_is_printed(make_project):
    from pdfcheck import decode_qr

    url = "https://x.cn/" + "0" * 166  # 179 bytes: qrcode 8.2 failed with glog(0)
    root = make_project({"antifraud.yaml": UNITS + f'qr: {{url: "{url}"}}\n'})
    result = invoke(root, "build", "-a", "elderly", "-p", "poster", "-j", "1")
    assert result.exit_code == 0 and "Traceback" not in result.output, result.output
    assert url in decode_qr(root / "dist/dongguan/elderly/poster.pdf", 0)


def test_qr_codes_without_long_digit_runs_are_made_as_before():
    import qrcode
    from qrcode.constants import ERROR_CORRECT_M

    from antifraud_cli.qrcheck import qr_code

    for payload in ("tel:96110", "https://u.wechat.com/liming", "https://x.cn/" + "0" * 166):
        try:
            code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=0, box_size=1)
            code.add_data(payload.encode())
            code.make(fit=True)
            plain = code.get_matrix()
        except ValueError:  # qrcode 8.2's glog(0): the payload the fallback is for
            plain = None
        ours = qr_code(payload).get_matrix()
        assert plain is None or ours == plain


def test_preview_of_a_manifest_entry_that_is_not_a_pdf_is_a_warning(make_project):
    import hashlib

    root = make_project({"antifraud.yaml": UNITS})
    assert invoke(root, "build", *CARD).exit_code == 0
    out = root / "dist"
    (out / "readme.pdf").write_text("not a PDF at all", encoding="utf-8")
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    manifest["outputs"].append({"path": "readme.pdf", "sha256": hashlib.sha256(b"not a PDF at all").hexdigest(),
                                "fingerprint": "0" * 64, "audience": "elderly", "product": "card",
                                "unit": "dongguan", "cases": [], "bytes": 16})
    (out / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    result = invoke(root, "preview", "-j", "1")
    assert result.exit_code == 0, result.output
    assert "readme.pdf" in result.output and "the PDF does not open" in result.output


def test_a_command_started_with_its_output_closed_leaves_quietly(tmp_path):
    result = subprocess.run([sys.executable, "-m", "antifraud_cli", "list", "units"], cwd=tmp_path,
                            capture_output=False, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: os.close(1), timeout=300)
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr


# ---------- the command line: contradictory or empty options (N172, N172b)

@pytest.mark.parametrize("args, message", [(["--check", "--force"], "--check and --force cannot be used together"),
                                           (["-o", ""], "give a folder name"), (["-o", "  "], "give a folder name")])
def test_contradictory_or_empty_build_options_are_usage_errors(make_project, args, message):
    root = make_project({"antifraud.yaml": UNITS})
    result = invoke(root, "build", *CARD, *args)
    assert result.exit_code == 2 and message in result.output
    assert not (root / "manifest.json").exists() and not (root / "dist").exists()


# ---------- a template's own QR code follows the qr.url rule (N112)

def test_a_template_qr_code_that_is_not_a_link_a_phone_should_open_is_refused(make_project):
    root = make_project({"templates/card.xml.j2": card_template_with("").replace(
        'payload="{{ code.url }}"', 'payload="javascript:alert(document.cookie)"')})
    assert 'payload="javascript:' in (root / "templates/card.xml.j2").read_text(encoding="utf-8")
    result = invoke(root, "build", *CARD)
    assert result.exit_code == 1 and "'javascript:alert(document.cookie)' is not a tel:, https://" in result.output


@pytest.mark.parametrize("name", ["manifest.json", "_preview/state.json"])
def test_preview_never_reads_a_fifo_in_place_of_its_manifest_or_state(make_project, name):
    root = make_project({"antifraud.yaml": UNITS})
    assert invoke(root, "build", *CARD).exit_code == 0
    assert invoke(root, "preview", "-j", "1").exit_code == 0
    path = root / "dist" / name
    path.unlink()
    os.mkfifo(path)
    result = run_limited(root, "preview", "-j", "1")
    assert "Traceback" not in result.stderr, result.stderr[-2000:]
    if name == "manifest.json":
        assert result.returncode == 1 and "cannot read the manifest: it is not a regular file" in result.stderr
    else:
        assert result.returncode == 0, result.stderr[-2000:]


@pytest.mark.parametrize("url, message", [("tel:---", "is not a tel:"),
                                          ("https://fan\u200bzha.example.cn/", "invisible character U+200B"),
                                          ("https://fan\u00adzha.example.cn/", "invisible character U+00AD")])
def test_a_qr_link_with_no_number_or_an_invisible_character_is_refused_at_qr_url(make_project, url, message):
    """N130, N097: every QR code printed is checked (qrcheck.check_payload), qr.url's too."""
    root = make_project({"antifraud.yaml": UNITS + f'qr: {{url: "{url}"}}\n'})
    result = invoke(root, "build", *CARD)
    assert result.exit_code == 1 and message in result.output and "Traceback" not in result.output, result.output
    assert "antifraud.yaml:" in result.output  # at the field, not the template


def test_rendering_a_document_has_a_processor_time_guard_too(make_project, monkeypatch):
    """A renderer that spins (here: 100 million empty turns, seconds of processor time) is stopped by the
    guard set to 50 ms, with a located message and no traceback: processor time, never the wall clock."""
    from antifraud_cli import build as buildmod, render

    def spin(*args, **kwargs):
        for _ in range(100_000_000):
            pass
        return b"%PDF-never"

    monkeypatch.setattr(buildmod, "RENDER_CPU_SECONDS", 0.05)
    monkeypatch.setattr(render, "render_document", spin)
    root = make_project({"antifraud.yaml": UNITS})
    result = invoke(root, "build", *CARD)
    assert result.exit_code == 1 and "rendering took more than 0.05 s of processor time" in result.output
    assert "Traceback" not in result.output and not (root / "dist").exists()
