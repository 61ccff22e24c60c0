"""Hostile input and a damaged font cache (issue 13, probe rows D5 D6 D8 D13 D14 D15 D21 D25 D26):
every one ends in a located message or a correct PDF, never a traceback or a wrong print."""
from __future__ import annotations

import logging
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from antifraud_cli import cachedir, fonts
from antifraud_cli.compose import source_of
from antifraud_cli.loader import load_project
from antifraud_cli.paths import builtin_dir, display
from antifraud_cli.qrcheck import MIN_MODULE_MM, check_payload, modules_for

from conftest import CASE, STATION, problems
from pdfcheck import decode_qr, page_text





def no_traceback(result) -> None:
    assert "Traceback" not in result.output and "internal error" not in result.output, result.output


# ------------------------------------------------------------------ YAML (D6, D8, D26)

def test_alias_bomb_is_refused_with_its_line(make_project):
    # probe 1.9: nine levels of nine aliases = 9^9 values; walking them all took minutes and gigabytes
    lines = ['x-a: &a ["哈", "哈", "哈", "哈", "哈", "哈", "哈", "哈", "哈"]']
    for prev, name in zip("abcdefgh", "bcdefghi"):
        lines.append(f"x-{name}: &{name} [" + ", ".join([f"*{prev}"] * 9) + "]")
    root = make_project({"antifraud.yaml": STATION + "\n".join(lines) + "\n"})
    (msg,) = problems(root)
    assert msg.startswith("antifraud.yaml:") and "aliases (*name) expand this file to more than" in msg
    line = int(msg.split(":")[1])
    assert 2 <= line <= 10


def test_modest_aliases_still_work(make_project):
    root = make_project({"antifraud.yaml": STATION + "officers:\n  - &li {name: 李明, phone: \"13800001111\"}\n"
                                                    "units:\n  - {id: dongguan, name: 东关村, officer: 李明}\n"})
    assert load_project(root).officers[0].name == "李明"


def test_self_referencing_alias_is_located(make_project):
    # probe 1.10: RecursionError traceback
    root = make_project({"antifraud.yaml": STATION + "units: &u [*u]\n"})
    (msg,) = problems(root)
    assert msg.startswith("antifraud.yaml:2: an alias contains itself")


@pytest.mark.parametrize("value", ["2026-02-30", "2026-11-31", "2026-13-01"])
def test_impossible_date_is_located(make_project, value):
    # probe 1.47/1.48: ValueError traceback
    root = make_project({"cases/x-case.yaml": CASE.format(id="x-case") + f"updated: {value}\n"})
    (msg, *_) = problems(root)
    assert msg.startswith(f"cases/x-case.yaml:7: '{value}' is not a real date")


@pytest.mark.parametrize("value", ["0b_", "0x_"])
def test_broken_yaml_integer_is_located(make_project, value):
    # probe 1.51a/b: "invalid literal for int()" traceback
    root = make_project({"cases/x-case.yaml": CASE.format(id="x-case") + f"seasons: [{value}]\n"})
    (msg, *_) = problems(root)
    assert msg.startswith(f"cases/x-case.yaml:7: '{value}' is not a number YAML can read")


def test_tab_indentation_gets_a_hint(make_project):
    root = make_project({"antifraud.yaml": "station:\n\tname: 新城派出所\n"})
    (msg,) = problems(root)
    assert msg.startswith("antifraud.yaml:2: YAML syntax error") and "indent with spaces, not tabs" in msg


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_file_is_named_as_such(make_project, encoding):
    # probe 1.24: Notepad's "Unicode" was called a binary file
    root = make_project({"antifraud.yaml": STATION.encode(encoding)})
    (msg,) = problems(root)
    assert msg.startswith("antifraud.yaml: file is UTF-16 text") and "UTF-8" in msg


# ------------------------------------------------------------------ text (D21, D25, D26 BEL)

def test_text_is_nfc_normalised(make_project):
    root = make_project({"antifraud.yaml": 'station: {name: "Cafe\\u0301 新城派出所"}\n'})
    assert load_project(root).station.name == "Caf\u00e9 新城派出所"


@pytest.mark.parametrize("char, what", [("\\u202e", "U+202E (right-to-left override)"),
                                        ("\\u2066", "U+2066 (left-to-right isolate)"),
                                        ("\\a", "control character U+0007")])
def test_control_and_bidi_characters_in_printed_text_are_located(make_project, char, what):
    root = make_project({"antifraud.yaml": f'station:\n  name: "新城{char}派出所"\n'})
    (msg,) = problems(root)
    assert msg.startswith("antifraud.yaml:2: field 'station.name':") and what in msg


def test_bidi_in_case_list_item_names_whole_path(make_project):
    case = CASE.format(id="x-case").replace("advice: [不转账]", 'advice: [不转账, "先挂\\u202e电话"]')
    root = make_project({"cases/x-case.yaml": case})
    (msg,) = problems(root)
    assert msg.startswith("cases/x-case.yaml:5: field 'advice[1]':") and "U+202E" in msg


def test_qr_url_with_bidi_override_is_refused(make_project):
    # probe 1.45e: the code decoded to https://evil.example/\u202egnp.exe
    root = make_project({"antifraud.yaml": STATION + 'qr: {url: "https://evil.example/\\u202egnp.exe"}\n'})
    (msg,) = problems(root)
    assert msg.startswith("antifraud.yaml:2: field 'qr.url':") and "U+202E" in msg


def test_nfc_text_prints_precomposed(make_project, run):
    root = make_project({"antifraud.yaml": 'station: {name: "Cafe\\u0301新城派出所", phone: "0913-5212110"}\n'})
    result = run(root, "build", "-a", "elderly", "-p", "card")
    assert result.exit_code == 0, result.output
    text = "".join(page_text(root / "dist/elderly/card.pdf"))
    assert "Caf\u00e9新城派出所" in text and "\u0301" not in text


# ------------------------------------------------------------------ field paths, built-in files (issue 8 §4)

def test_problem_names_the_whole_field_path(make_project):
    root = make_project({"antifraud.yaml": STATION + "officers:\n"
                                                    "  - {name: 李明, phone: \"13800001111\"}\n"
                                                    "  - {name: 王芳, phone: 13800002222}\n"})
    (msg,) = problems(root)
    assert msg.startswith("antifraud.yaml:4: field 'officers[1].phone' must be text")


def test_builtin_files_are_shown_as_builtin(tmp_path):
    shown = display(builtin_dir("cases") / "fake-relative.yaml")
    assert shown == "(built-in) cases/fake-relative.yaml"
    project = load_project(tmp_path)
    case = next(iter(project.cases.values()))
    src = source_of(case, "summary")
    assert src.startswith(f"(built-in) cases/{case.id}.yaml:") and src.endswith(" (summary)")
    assert "site-packages" not in src and str(builtin_dir("cases")) not in src


# ------------------------------------------------------------------ QR payloads (D15)

def _longest_url(size_mm: float) -> str:
    url = "https://example.org/a"
    while check_payload(url + "b", size_mm) is None:
        url += "b"
    return url


def test_qr_payload_check_unit():
    assert check_payload("tel:96110", 22) is None
    over = check_payload("https://example.com/" + "a" * 3000, 22)
    assert over and over.startswith("too long for a QR code")
    small = check_payload("https://example.com/" + "a" * 2000, 22)
    assert small and "smaller than the 0.4 mm" in small
    longest = _longest_url(22)
    assert 22 / modules_for(longest) >= MIN_MODULE_MM > 22 / modules_for(longest + "b")


@pytest.mark.parametrize("length, message", [
    # probe 1.44: "internal error: ValueError: Invalid version (was 41 …) — this is a bug"
    (3000, "field 'qr.url': too long for a QR code"),
    # probe 1.43: 0.13 mm modules on the 22 mm card, no decode at 150 dpi, while check said ok
    (2000, "field 'qr.url': too long for a 22 mm QR code"),
])
def test_qr_over_capacity_or_too_fine_to_scan_is_a_located_error(make_project, run, length, message):
    root = make_project({"antifraud.yaml": STATION + f'qr:\n  url: "https://example.com/{"a" * length}"\n'})
    for args in (("build", "-a", "elderly", "-p", "card"), ("check",)):
        result = run(root, *args)
        assert result.exit_code == 1
        no_traceback(result)
        assert "antifraud.yaml:3: " in result.output and message in result.output
    assert not (root / "dist/elderly/card.pdf").exists()


def test_longest_accepted_qr_payload_scans_at_150_dpi(make_project, run):
    # the minimum module size is real: the longest link the card accepts still decodes from a 150 dpi scan
    url = _longest_url(22)
    assert len(url) > 60
    root = make_project({"antifraud.yaml": STATION + f'qr: {{url: "{url}"}}\n'})
    result = run(root, "build", "-a", "elderly", "-p", "card")
    assert result.exit_code == 0, result.output
    assert decode_qr(root / "dist/elderly/card.pdf", 1, dpi=150) == [url]
    longer = make_project({"antifraud.yaml": STATION + f'qr: {{url: "{url}b"}}\n'}, name="longer")
    result = run(longer, "build", "-a", "elderly", "-p", "card")
    assert result.exit_code == 1 and "field 'qr.url'" in result.output


# ------------------------------------------------------------------ templates (D14)

def test_gbk_template_is_a_located_problem(make_project, run):
    text = (builtin_dir("templates") / "card.xml.j2").read_text(encoding="utf-8")
    root = make_project({"antifraud.yaml": STATION, "templates/card.xml.j2": text.encode("gbk")})
    for args in (("build", "-a", "elderly", "-p", "card"), ("check",)):
        result = run(root, *args)
        assert result.exit_code == 1
        no_traceback(result)
        assert "templates/card.xml.j2:" in result.output and "template: not UTF-8 text" in result.output


def test_binary_file_among_templates_is_a_located_problem(make_project, run):
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
    root = make_project({"antifraud.yaml": STATION, "templates/_logo.j2": png})
    result = run(root, "build", "-a", "elderly", "-p", "card")
    assert result.exit_code == 1
    no_traceback(result)
    assert "templates/_logo.j2:1: template: not UTF-8 text" in result.output


# ------------------------------------------------------------------ symlinks in cases/ (D26, probe 4.10)

def test_dangling_and_looping_symlinks_are_reported(make_project, run):
    root = make_project({"antifraud.yaml": STATION, "cases/x-case.yaml": CASE.format(id="x-case")})
    (root / "cases/dangling.yaml").symlink_to("nowhere.yaml")
    (root / "cases/loop.yaml").symlink_to("loop.yaml")
    msgs = problems(root)
    assert "cases/dangling.yaml: cannot read: it is a symbolic link to nowhere.yaml, which does not exist" in msgs[0]
    assert msgs[1].startswith("cases/loop.yaml: cannot read: it is a symbolic link loop")
    result = run(root, "check")
    assert result.exit_code == 1 and "cases/loop.yaml" in result.output
    no_traceback(result)


# ------------------------------------------------------------------ font cache (D5, D13)

@pytest.fixture
def cache(tmp_path, monkeypatch):
    """A private font cache and temp folder; the fallback state of the cache folder restored afterwards."""
    monkeypatch.setattr(cachedir, "_fallback_dir", None)
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    monkeypatch.setenv("TMPDIR", str(tmp))
    root = tmp_path / "cache"
    monkeypatch.setenv("ANTIFRAUD_CACHE_DIR", str(root))
    return root


CHARS = "联系电话新城派出所"


def _prepared(charset: str = CHARS) -> fonts.PreparedFonts:
    return fonts.prepare(fonts.default_fontset(), charset)


def _scramble(path: Path) -> None:
    data = bytearray(path.read_bytes())
    for i in range(len(data) // 2, len(data) // 2 + 400):  # glyph data, header intact (probe 5.10/5.11)
        data[i] ^= 0x5A
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("damage", ["truncate", "scramble", "empty"])
def test_damaged_cache_font_is_prepared_again(cache, caplog, damage):
    first = _prepared()
    good = first.regular.read_bytes()
    if damage == "truncate":
        first.regular.write_bytes(good[:1000])
    elif damage == "scramble":
        _scramble(first.regular)
    else:
        first.regular.write_bytes(b"")
    with caplog.at_level(logging.WARNING):
        again = _prepared()
    assert again.regular == first.regular and again.regular.read_bytes() == good
    if damage != "empty":
        assert "is damaged; preparing it again" in caplog.text
    fonts.register(again)  # reads the font (a truncated file raised FontError here on every build)


def test_font_without_its_record_is_not_trusted(cache):
    first = _prepared()
    record = first.regular.with_name(first.regular.name + ".sha256")
    assert record.read_text().split()[0] == str(first.regular.stat().st_size)
    _scramble(first.regular)
    record.unlink()
    again = _prepared()
    assert fonts._cache_hit(again.regular) and record.exists()


def test_damaged_coverage_file_is_recomputed(cache, caplog, monkeypatch):
    # probe 5.12: a coverage file claiming every code point let an emoji print as a box
    monkeypatch.setattr(fonts, "_coverage_cache", {})
    src = fonts.default_fontset().regular
    cov = fonts.coverage(src)
    (path,) = (cache / "fonts").glob("coverage-*.json")
    text = path.read_text()
    path.write_text(text.replace('"ranges":[[', '"ranges":[[0,1114111],['))
    monkeypatch.setattr(fonts, "_coverage_cache", {})
    with caplog.at_level(logging.WARNING):
        assert fonts.coverage(src) == cov
    assert 0x1F4DE not in cov and "damaged" in caplog.text


def test_card_from_scrambled_cache_is_identical_to_a_clean_one(cache, make_project, run):
    # probe 5.11: glyf bytes swapped in the cache -> "联 电话" printed, exit 0
    root = make_project({"antifraud.yaml": STATION})
    assert run(root, "build", "-a", "elderly", "-p", "card").exit_code == 0
    clean = (root / "dist/elderly/card.pdf").read_bytes()
    for ttf in (cache / "fonts").glob("*.ttf"):
        _scramble(ttf)
    result = run(root, "build", "-a", "elderly", "-p", "card", "--force")
    assert result.exit_code == 0, result.output
    assert (root / "dist/elderly/card.pdf").read_bytes() == clean


def _make_read_only(folder: Path) -> bool:
    """chmod for ordinary users; root ignores modes, so chattr +i there. False when neither works."""
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o555)
    try:
        (folder / ".w").write_bytes(b"")
        (folder / ".w").unlink()
    except OSError:
        return True
    folder.chmod(0o755)
    if shutil.which("chattr") and subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode == 0:
        return True
    return False


def _undo_read_only(folder: Path) -> None:
    if shutil.which("chattr"):
        subprocess.run(["chattr", "-i", str(folder)], capture_output=True)
    folder.chmod(0o755)


@pytest.mark.parametrize("kind", ["file", "fonts-is-file", "read-only", "full"])
def test_unusable_cache_falls_back_to_temp(cache, caplog, monkeypatch, kind):
    # probe 5.4/5.5/5.7: NotADirectoryError, PermissionError, ENOSPC tracebacks
    if kind == "file":
        cache.write_bytes(b"not a folder")
    elif kind == "fonts-is-file":
        cache.mkdir()
        (cache / "fonts").write_bytes(b"")
    elif kind == "read-only":
        if not _make_read_only(cache):
            pytest.skip("cannot make a folder read-only here")
    else:
        real = cachedir.atomic_write

        def full(target: Path, data: bytes) -> None:
            if Path(tempfile.gettempdir()) not in target.parents:
                raise OSError(28, "No space left on device")
            real(target, data)
        monkeypatch.setattr(cachedir, "atomic_write", full)
    try:
        with caplog.at_level(logging.WARNING):
            prepared = _prepared()
        assert Path(tempfile.gettempdir()) in prepared.regular.parents
        assert fonts._cache_hit(prepared.regular) and fonts._cache_hit(prepared.bold)
        assert "cannot be written" in caplog.text and "using" in caplog.text
        fonts.register(prepared)
        # a later build (new process: no fallback remembered) reuses the fonts prepared there
        monkeypatch.setattr(cachedir, "_fallback_dir", None)
        assert _prepared().regular == prepared.regular
    finally:
        if kind == "read-only":
            _undo_read_only(cache)


def test_healthy_cache_is_filled_even_after_a_fallback(cache, monkeypatch):
    cache.write_bytes(b"")
    fallback = _prepared().regular
    monkeypatch.setattr(cachedir, "_fallback_dir", None)
    healthy = cache.parent / "healthy"
    monkeypatch.setenv("ANTIFRAUD_CACHE_DIR", str(healthy))
    prepared = _prepared()
    assert prepared.regular.parent == healthy / "fonts" and prepared.regular.name == fallback.name
    assert cachedir.fallback_dir() is None


def test_build_with_cache_path_a_file_warns_and_builds(cache, make_project, run):
    cache.write_bytes(b"")
    root = make_project({"antifraud.yaml": STATION})
    result = run(root, "build", "-a", "elderly", "-p", "card")
    assert result.exit_code == 0, result.output
    no_traceback(result)
    assert "联系电话" in "".join(page_text(root / "dist/elderly/card.pdf")).replace("\n", "")
