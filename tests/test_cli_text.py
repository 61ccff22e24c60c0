"""What the README, the docs and the CLI tell a new user (issue 22, "The README and the CLI"): set-up commands
that work as written, a build that says where its files are, help that names the products, a check that ends
in a plain sentence."""
from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import yaml
from click.testing import CliRunner

from antifraud_cli.cli import cli

from conftest import STATION, UNITS, invoke, write_files

REPO = Path(__file__).resolve().parent.parent
README = REPO / "README.md"
LIBRARY = ("cases", "audiences", "products", "templates")  # the checkout's top-level built-in library


def readme_section(title: str) -> str:
    text = README.read_text(encoding="utf-8")
    return text.split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]


def default_kit() -> list[str]:
    """The products whose spec says `default: true`, from the specs themselves."""
    specs = [yaml.safe_load(p.read_text(encoding="utf-8")) for p in sorted((REPO / "products").glob("*.yaml"))]
    return [s["id"] for s in specs if s.get("default") is True]


# ---------------------------------------------------------------- 1. the README's set-up commands

def test_the_setup_commands_say_where_they_run():
    setup = readme_section("Set up")
    blocks = re.findall(r"```sh\n(.*?)```", setup, re.S)
    assert blocks == ["pip install . && antifraud build --audience elderly\n", 'pip install ".[test]" && pytest\n']
    parts = setup.split("```sh")
    before_first, between = parts[0], parts[1].split("```", 1)[1]
    assert "in the checkout" in before_first and "empty folder" not in before_first  # `.` is the checkout
    assert "pip install /path/to/" in between  # ... or install by path, then build in any (empty) folder
    assert "empty one" in between or "empty folder" in between
    assert between.rstrip().endswith("in the checkout:")  # the tests too: pytest finds tests/ only there


def test_the_setup_build_makes_what_the_readme_names_in_the_checkout_and_in_an_empty_folder(tmp_path):
    """`antifraud build --audience elderly` as written: in a checkout (whose top-level library folders the
    tool then reads as a project overriding the built-in library with itself) and in an empty folder."""
    named = re.search(r"The PDFs land in the checkout's `dist/elderly/` \(([^)]*)\)", readme_section("Set up"))
    assert named, "the README says where the PDFs land"
    expected = sorted(re.findall(r"`([a-z-]+\.pdf)`", named.group(1)))
    assert expected == sorted(f"{p}.pdf" for p in default_kit())
    checkout, empty = tmp_path / "checkout", tmp_path / "empty"
    for name in LIBRARY:
        shutil.copytree(REPO / name, checkout / name)
    shutil.copy(REPO / "pyproject.toml", checkout)
    empty.mkdir()
    for folder in (checkout, empty):
        result = invoke(folder, "build", "--audience", "elderly", "-j", "2")
        assert result.exit_code == 0, result.output
        assert sorted(p.name for p in (folder / "dist/elderly").iterdir()) == expected
        assert result.stdout.splitlines()[-1].startswith(f"5 files in {folder / 'dist'}: ")


# ---------------------------------------------------------------- 2. and 7. the end of a build

def test_a_build_ends_by_saying_where_the_files_are_and_how_many_of_each(make_project):
    root = make_project({"antifraud.yaml": UNITS})
    dist = os.path.abspath(root / "dist")
    first = invoke(root, "build", "-a", "elderly", "-a", "students", "-p", "card", "-p", "poster", "-j", "1")
    assert first.exit_code == 0, first.output
    lines = first.stdout.splitlines()
    assert "built 8, up to date 0, failed 0 in" in first.stdout  # the summary tests and scripts read is kept
    assert lines[-1] == f"8 files in {dist}: poster 4, card 4"  # the kit's order, not the alphabet's
    # the tool's own state is said once, by the build that makes it: a station copying dist/ can leave it out
    said = [ln for ln in lines if ".antifraud/" in ln]
    assert said == ["dist/.antifraud/ is the tool's own lock and index: leave it out when you copy dist/ for the "
                    "print shop"]
    assert (root / "dist/.antifraud").is_dir()

    # a no-op (the fast path, no project loaded) says the same; outputs outside the selection are counted
    again = invoke(root, "build", "-a", "elderly", "-a", "students", "-p", "card", "-p", "poster", "-j", "1")
    assert "nothing to do: all 8 outputs up to date" in again.stdout
    assert again.stdout.splitlines()[-1] == f"8 files in {dist}: poster 4, card 4"
    more = invoke(root, "build", "-a", "elderly", "-u", "dongguan", "-p", "leaflet", "-j", "1")
    assert more.stdout.splitlines()[-1] == f"9 files in {dist}: poster 4, leaflet 1, card 4"
    assert ".antifraud" not in more.output

    forced = invoke(root, "build", "-a", "elderly", "-p", "card", "--force", "-j", "1")
    assert "built 2," in forced.stdout and ".antifraud" not in forced.output
    assert forced.stdout.splitlines()[-1] == f"9 files in {dist}: poster 4, leaflet 1, card 4"

    # --check writes nothing and keeps its own last line
    check = invoke(root, "build", "-a", "elderly", "-p", "card", "--check")
    assert check.exit_code == 0 and check.stdout.splitlines()[-1] == "all 2 outputs up to date"


def test_the_folder_named_is_absolute_whatever_the_current_folder(make_project, tmp_path):
    root = make_project({"antifraud.yaml": STATION}, name="station")
    result = invoke(tmp_path, "--project", "station", "build", "-a", "pupils", "-p", "card", "-o", "print", "-j", "1")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == f"1 file in {root / 'print'}: card 1"
    assert "station/print/.antifraud/ is the tool's own lock and index: leave it out when you copy station/print/" \
        in result.stdout


def test_the_readme_says_the_state_folder_can_be_left_out():
    commands = readme_section("Commands")
    assert "leave out `dist/.antifraud/`" in commands and "print shop" in commands
    assert re.search(r"`\d+ files in /[^`]*: poster \d+, leaflet \d+, card \d+, card-sheet \d+(, [a-z-]+ \d+)*`", commands)


# ---------------------------------------------------------------- 3. --help and `list products`

def test_help_names_every_product_and_points_to_list_products(tmp_path):
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    text = result.output
    ids = [yaml.safe_load(p.read_text(encoding="utf-8"))["id"] for p in (REPO / "products").glob("*.yaml")]
    for pid in ids:
        assert re.search(rf"(?<![\w-]){re.escape(pid)}(?![\w-])", text), f"--help does not name {pid}"
    assert "antifraud list products" in text
    kit_line = next(ln for ln in text.splitlines() if "default kit:" in ln)
    kit = [s.strip() for s in kit_line.split("default kit:", 1)[1].split(",")]
    assert sorted(kit) == sorted(default_kit()) and kit[0] == "poster"  # the kit in its usual order


def test_list_products_shows_pixels_for_images_and_no_dangling_separator(make_project):
    root = make_project({"antifraud.yaml": STATION})
    result = invoke(root, "list", "products")
    assert result.exit_code == 0, result.output
    rows = {line.split()[0]: line for line in result.output.splitlines()}
    assert rows["wechat"].endswith("; phone 1080×2400 px")  # what the image is, as the README says
    for pid in ("broadcast", "school-radio", "briefing-wechat"):  # txt: no page, no size, no "; " left hanging
        assert not rows[pid].rstrip().endswith(";") and "plain text" in rows[pid]
    assert all(not line.rstrip().endswith((";", ",")) for line in rows.values())
    assert "A3 297×420 mm, A2 420×594 mm" in rows["poster"]  # print products keep their mm
    listed = {r["id"]: r for r in json.loads(invoke(root, "list", "products", "--json").output)}
    assert listed["wechat"]["size"] == "phone 1080×2400 px"
    assert listed["wechat"]["sizes"]["phone"] == {"w": 270, "h": 600}  # the JSON keeps the spec's page in mm


# ---------------------------------------------------------------- 4. init writes what the README documents

def test_init_writes_the_defaults_the_readme_documents_and_they_build(tmp_path):
    result = invoke(tmp_path, "init", "station")
    assert result.exit_code == 0, result.output
    written = yaml.safe_load((tmp_path / "station/antifraud.yaml").read_text(encoding="utf-8"))
    example = re.search(r"^defaults: (\{.*\})\s", readme_section("A project"), re.M)
    assert example, "the README's antifraud.yaml example has a defaults line"
    assert written["defaults"]["sizes"] == yaml.safe_load(example.group(1))["sizes"] == {"poster": "A3"}
    # and the audiences its villages have, without the bank counters' (issue 22; tests/test_plan.py)
    assert "elderly" in written["defaults"]["audiences"] and "bank-staff" not in written["defaults"]["audiences"]
    station = tmp_path / "station"
    built = invoke(station, "build", "-a", "elderly", "-p", "poster", "-u", "dongguancun", "-j", "1")
    assert built.exit_code == 0, built.output
    assert (station / "dist/dongguancun/elderly/poster.pdf").is_file()
    entry = json.loads((station / "dist/manifest.json").read_text(encoding="utf-8"))["outputs"][0]
    assert entry["size"] == "A3"
    write_files(station, {"antifraud.yaml": (station / "antifraud.yaml").read_text(encoding="utf-8")
                          .replace("sizes: {poster: A3}", "sizes: {poster: A2}")})
    a2 = invoke(station, "build", "-a", "elderly", "-p", "poster", "-u", "dongguancun", "-j", "1")
    assert a2.exit_code == 0 and "built 1," in a2.stdout  # the line is the one the build reads


# ---------------------------------------------------------------- 5. docs/templates.md names the default kit

def test_templates_doc_names_exactly_the_default_kit():
    text = (REPO / "docs/templates.md").read_text(encoding="utf-8")
    sentences = [s for s in re.split(r"(?<=[.:])\s+", text.replace("\n", " ")) if "**default kit**" in s]
    assert len(sentences) == 1, sentences
    listed = re.search(r"\*\*default kit\*\*[^.]*? is ((?:`[a-z-]+`(?:, | and ))*`[a-z-]+`)", sentences[0])
    assert listed, sentences[0]
    named = re.findall(r"`([a-z-]+)`", listed.group(1))
    assert sorted(named) == sorted(default_kit())


# ---------------------------------------------------------------- 6. check ends in a plain sentence

def test_check_ends_with_a_plain_sentence(make_project):
    root = make_project({"antifraud.yaml": UNITS})
    result = invoke(root, "check")
    assert result.exit_code == 0, result.output
    first, last = result.stdout.splitlines()[0], result.stdout.splitlines()[-1]
    found = re.search(r"; (\d+) documents composed, \d+ rendered without problems$", first)
    assert first.startswith("ok: ") and found  # the machine-readable line stays
    assert last == f"All {found.group(1)} documents checked; 0 problems."


def test_the_plain_sentence_counts_one_document_in_the_singular():
    from antifraud_cli.cli import _checked_sentence

    assert _checked_sentence("ok: 1 cases, 1 audiences, 1 products, 0 units; 1 documents composed, 1 rendered "
                             "without problems") == "All 1 document checked; 0 problems."
    assert _checked_sentence("ok") == "No problems found."
