"""Nothing clipped, nothing covered, for every product and every audience (issue 22): the project `antifraud init`
writes, with the longest values a real station has (a 12-character station name, a 28-character address), and a project with no configuration at all. The checks on the display list (text past
the trim, text covered by a shape drawn after it, QR quiet zones, sizes, reversed small type) must pass or the
build fails, so a build that exits 0 here is the test."""
from __future__ import annotations

import json

import yaml

from conftest import invoke, write_files

INCIDENTS = """\
日期,案件类型,损失金额（元）,村（社区）,简要案情
2026-09-03,刷单返利,12000,东关村,村民王某做点赞兼职，先小额返利，后垫付一万二千元被拉黑。
2026-10-20,虚假投资理财,15000,南街社区,居民赵某被拉进炒股群，跟着“老师”投资，无法提现。
"""
LONG_NAME = "韩城市新城街道城关派出所"  # 12 characters
LONG_ADDRESS = "陕西省韩城市新城街道办事处新城路东段一百二十八号院内东侧"  # 28 characters


def every_product(root, skip: tuple[str, ...] = ()) -> list[str]:
    """`-p ID` for every product the project knows, as arguments."""
    listed = invoke(root, "list", "products", "--json")
    assert listed.exit_code == 0, listed.output
    return [arg for p in json.loads(listed.output) if p["id"] not in skip for arg in ("-p", p["id"])]


def test_every_product_and_audience_with_the_longest_values(tmp_path):
    assert invoke(tmp_path, "init", "station").exit_code == 0
    root = tmp_path / "station"
    config = yaml.safe_load((root / "antifraud.yaml").read_text(encoding="utf-8"))
    assert len(LONG_NAME) == 12 and len(LONG_ADDRESS) >= 28
    config["station"].update(name=LONG_NAME, address=LONG_ADDRESS, phone="0913-5212110")
    config["incidents"] = "incidents.csv"
    write_files(root, {"antifraud.yaml": yaml.safe_dump(config, allow_unicode=True), "incidents.csv": INCIDENTS})
    audiences = [arg for a in json.loads(invoke(root, "list", "audiences", "--json").output) for arg in ("-a", a["id"])]
    result = invoke(root, "build", "--date", "2026-12-01", "-j", "2", *every_product(root), *audiences)
    assert result.exit_code == 0, result.output
    assert "would print cut off" not in result.output and "FAILED" not in result.output


def test_every_product_without_any_configuration(tmp_path):
    products = every_product(tmp_path, skip=("briefing", "briefing-wechat"))  # they need a station's incidents
    result = invoke(tmp_path, "build", "--date", "2026-12-01", "-j", "2", *products)
    assert result.exit_code == 0, result.output


def test_the_elderly_and_pupils_card_reads_large(tmp_path):
    """The contact card is too small for 14 pt throughout; for readers with a 14 pt minimum the officer's name and
    phone are 16 pt, the numbers to call 14 pt, and nothing on either side is under 10 pt (read from the PDF)."""
    from pdfcheck import chars

    assert invoke(tmp_path, "init", "station").exit_code == 0
    root = tmp_path / "station"
    result = invoke(root, "build", "--date", "2026-12-01", "-a", "elderly", "-a", "pupils", "-a", "students",
                    "-p", "card", "-u", "dongguancun")
    assert result.exit_code == 0, result.output
    for audience in ("elderly", "pupils"):
        card = root / f"dist/dongguancun/{audience}/card.pdf"
        front, back = chars(card, 0), chars(card, 1)
        assert min(c.size for c in front + back) >= 10 - 0.01, audience
        sizes = {}
        for c in front:
            sizes.setdefault(c.baseline, []).append(c)
        lines = {"".join(c.ch for c in run): min(c.size for c in run) for run in sizes.values()}
        assert lines["李明"] >= 16 and lines["13800001111"] >= 16, lines
        assert next(size for text, size in lines.items() if "96110" in text) >= 14, lines
    small = root / "dist/dongguancun/students/card.pdf"  # other readers keep the denser card
    assert min(c.size for c in chars(small, 1)) < 10
