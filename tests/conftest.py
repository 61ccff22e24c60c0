"""Shared helpers: small projects on disk and a CLI runner."""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from antifraud_cli.cli import cli

STATION = "station: {name: 新城派出所, authority: 韩城市公安局, phone: \"0913-5212110\", address: 新城路1号}\n"
UNITS = STATION + """\
officers:
  - {name: 李明, title: 社区民警, phone: "13800001111", units: [dongguan]}
  - {name: 王芳, title: 社区辅警, phone: "13800002222", units: [xiguan]}
units:
  - {id: dongguan, name: 东关村, officer: 李明}
  - {id: xiguan, name: 西关村, officer: 王芳}
"""
CASE = """\
id: {id}
title: 测试骗局
summary: 这是一个测试用的案例摘要。
red_flags: [先让你交钱]
advice: [不转账]
audiences: [elderly]
"""


def tool(name: str) -> str:
    """The path of a command-line tool a test needs (qpdf, mutool). Missing: a skip on a developer's machine, a
    failure in CI (CI=1), where `.ci/run` installs it — so a broken CI image cannot pass by skipping."""
    import os
    import shutil

    path = shutil.which(name)
    if path:
        return path
    reason = f"{name} is not installed (.ci/run installs it with apt-get)"
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


def invoke(root: Path, *args: str, env: dict | None = None):
    """Run the CLI in `root` (the project folder) as a user would; returns click's Result."""
    import os

    cwd = os.getcwd()
    os.chdir(root)
    try:
        return CliRunner(env=env).invoke(cli, list(args), catch_exceptions=False)
    finally:
        os.chdir(cwd)


def problems(root: Path) -> list[str]:
    """The problems loading the project at `root` reports, as printed."""
    import pytest

    from antifraud_cli.errors import AntifraudError
    from antifraud_cli.loader import load_project

    with pytest.raises(AntifraudError) as err:
        load_project(root)
    return [str(p) for p in err.value.problems]


def write_files(root: Path, files: dict[str, str | bytes]) -> Path:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content), encoding="utf-8")
    return root


@pytest.fixture
def make_project(tmp_path):
    """make_project({'antifraud.yaml': ..., 'cases/x.yaml': ...}) -> project folder."""
    def make(files: dict[str, str | bytes] | None = None, name: str = "proj") -> Path:
        root = tmp_path / name
        root.mkdir(exist_ok=True)
        return write_files(root, files or {})
    return make


@pytest.fixture
def run(monkeypatch):
    """run(project_dir, 'build', '-a', 'elderly') -> click Result, with the project folder as cwd."""
    def invoke(project: Path, *args: str):
        monkeypatch.chdir(project)
        return CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return invoke


@pytest.fixture(autouse=True)
def _cache(tmp_path_factory, monkeypatch):
    """One font cache for the whole session, outside the developer's own cache; and a fixed build day, so no
    test depends on the wall clock (a test that wants another day passes --date)."""
    cache = tmp_path_factory.getbasetemp() / "font-cache"
    monkeypatch.setenv("ANTIFRAUD_CACHE_DIR", str(cache))
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1799539200")  # 2027-01-10 00:00 UTC
