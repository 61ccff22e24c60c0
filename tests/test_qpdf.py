"""`qpdf --check` on every PDF the tool can build (issue 19): a print shop's RIP and preflight read the file's
structure (cross-reference table, object streams, stream lengths and filters) before any page is drawn, so every
product, in every size, for two audiences, must pass the same structural check a shop would run.

The check reads the structure only: nothing here depends on which PDF writer made the files. The build is the
project `antifraud init` writes (a roster of three villages), with an incidents file so the briefing builds and
one more officer with a photo so a contact board embeds an image."""
from __future__ import annotations

import io
import json
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml
from PIL import Image, ImageDraw

from conftest import tool, invoke, write_files

AUDIENCES = ("elderly", "students")
INCIDENTS = """\
日期,案件类型,损失金额（元）,村（社区）,简要案情
2026-09-03,刷单返利,12000,东关村,村民王某做点赞兼职，先小额返利，后垫付一万二千元被拉黑。
2026-10-20,虚假投资理财,15000,南街社区,居民赵某被拉进炒股群，跟着“老师”投资，无法提现。
2026-12-08,冒充公检法,0,西关村,
"""


def photo() -> bytes:
    img = Image.new("RGB", (600, 800), (215, 228, 240))
    d = ImageDraw.Draw(img)
    d.ellipse([180, 140, 420, 420], fill=(230, 190, 160))
    d.rectangle([90, 480, 510, 800], fill=(20, 40, 110))
    out = io.BytesIO()
    img.save(out, "JPEG", quality=90)
    return out.getvalue()


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, list[Path], list[dict]]:
    """Every product for two audiences and every unit, twice: in the sizes the project builds by default, and every
    product that has several sizes in its last-listed one (A2 poster, gutter card sheet, the 8 m banner, 1.2×2.4 m
    board, ...), each into its own folder. Returns the project, the PDFs and the product list."""
    base = tmp_path_factory.mktemp("qpdf")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ANTIFRAUD_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "font-cache"))
        mp.setenv("SOURCE_DATE_EPOCH", "1799539200")
        made = invoke(base, "init", "station")
        assert made.exit_code == 0, made.output
        root = base / "station"
        config = yaml.safe_load((root / "antifraud.yaml").read_text(encoding="utf-8"))
        config["incidents"] = "incidents.csv"
        config["officers"] = [{"name": "赵强", "title": "社区民警", "phone": "13800003333", "units": ["beishan"],
                               "photo": "photos/zhao.jpg"}]
        config["units"] = [{"id": "beishan", "name": "北山村", "officer": "赵强"}]
        write_files(root, {"incidents.csv": INCIDENTS, "photos/zhao.jpg": photo()})

        listed = invoke(root, "list", "products", "--json")
        assert listed.exit_code == 0, listed.output
        products = json.loads(listed.output)
        last_sizes = {p["id"]: list(p["sizes"])[-1] for p in products if len(p["sizes"]) > 1}
        defaults = {k: v for k, v in (config.get("defaults") or {}).items() if k != "poster_size"}
        for out, chosen, sizes in (("default-sizes", [p["id"] for p in products], None),
                                   ("last-sizes", list(last_sizes), last_sizes)):
            project = {**config, "defaults": {**defaults, "sizes": sizes}} if sizes else config
            (root / "antifraud.yaml").write_text(yaml.safe_dump(project, allow_unicode=True, sort_keys=False),
                                                 encoding="utf-8")
            args = ["build", "-j", "2", "-o", f"dist/{out}"] + [f"-a{a}" for a in AUDIENCES]
            result = invoke(root, *args, *(f"-p{p}" for p in chosen))
            assert result.exit_code == 0, result.output
    pdfs = sorted((root / "dist").rglob("*.pdf"))
    return root, pdfs, products


def test_every_pdf_product_was_built(built):
    """The check below is only as good as its sample: each PDF product is there, and each product with several
    sizes also in its last-listed size."""
    root, pdfs, products = built

    def made(out: str) -> set[tuple[str, str]]:
        manifest = json.loads((root / "dist" / out / "manifest.json").read_text(encoding="utf-8"))
        return {(o["product"], o["size"]) for o in manifest["outputs"] if o["path"].endswith(".pdf")}

    wanted = {p["id"] for p in products if p["format"] == "pdf"}
    assert wanted <= {product for product, _ in made("default-sizes")}
    wanted_last = {(p["id"], list(p["sizes"])[-1]) for p in products if p["format"] == "pdf" and len(p["sizes"]) > 1}
    assert wanted_last <= made("last-sizes"), sorted(wanted_last - made("last-sizes"))
    assert len(pdfs) > len(wanted) + len(wanted_last)


def test_qpdf_check_passes_on_every_built_pdf(built):
    """qpdf exits 0 only when it finds neither errors (exit 2) nor warnings (exit 3): both fail, with qpdf's
    own words for each file."""
    qpdf = tool("qpdf")
    root, pdfs, _ = built

    def check(pdf: Path) -> str | None:
        run = subprocess.run([qpdf, "--check", str(pdf)], capture_output=True, text=True)
        if run.returncode == 0:
            return None
        said = "\n    ".join((run.stdout + run.stderr).strip().splitlines())
        return f"{pdf.relative_to(root)} (qpdf exit {run.returncode}):\n    {said}"

    with ThreadPoolExecutor(max_workers=2) as pool:
        failures = [f for f in pool.map(check, pdfs) if f]
    assert not failures, f"qpdf --check fails on {len(failures)} of {len(pdfs)} PDFs:\n" + "\n".join(failures)
