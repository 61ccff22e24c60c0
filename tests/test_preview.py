"""`antifraud preview`: thumbnails of every page of every output, made again only for outputs that changed, and
an offline index.html grouped by unit and audience, checked in a real headless Chromium."""
from __future__ import annotations

import json
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

import pytest
from PIL import Image


from conftest import STATION, invoke, write_files

UNITS = """\
officers:
  - {name: 李明, phone: "13800001111", units: [dongguan]}
  - {name: 王芳, phone: "13800002222", units: [xiguan]}
units:
  - {id: dongguan, name: 东关村, officer: 李明}
  - {id: xiguan, name: 西关村, officer: 王芳}
"""
PRODUCTS = ["-p", "poster", "-p", "leaflet", "-p", "banner", "-p", "wechat"]




@pytest.fixture
def built(make_project):
    root = make_project({"antifraud.yaml": STATION + UNITS})
    result = invoke(root, "build", "-a", "elderly", "-a", "students", *PRODUCTS, "-j", "2")
    assert result.exit_code == 0, result.output
    return root


class Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.images, self.links, self.headings, self._h = [], [], [], None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "img":
            self.images.append(unquote(a["src"]))
        elif tag == "a":
            self.links.append(unquote(a["href"]))
        elif tag in ("h2", "h3"):
            self._h = tag

    def handle_data(self, data):
        if self._h:
            self.headings.append((self._h, data.strip()))
            self._h = None


def read_gallery(out: Path) -> Page:
    page = Page()
    page.feed((out / "index.html").read_text(encoding="utf-8"))
    return page


def test_preview_thumbnails_every_page_and_groups_by_unit_then_audience(built):
    out = built / "dist"
    result = invoke(built, "preview")
    assert result.exit_code == 0, result.output
    outputs = json.loads((out / "manifest.json").read_text())["outputs"]
    assert len(outputs) == 2 * 2 * 4 and "previewed 16, unchanged 0" in result.output
    page = read_gallery(out)
    # a thumbnail per page: the leaflet has two, the others one; every one a real PNG
    assert len(page.images) == 2 * 2 * 5
    for src in page.images:
        with Image.open(out / src) as image:
            assert image.format == "PNG" and max(image.size) == 360
    # every output in the manifest is linked, and every link is a file in OUT
    assert {o["path"] for o in outputs} <= set(page.links)
    assert all((out / link).is_file() for link in page.links)
    # grouped by unit, then audience, with names and sizes
    from antifraud_cli.loader import load_project

    names = [("h3", load_project(built).audiences[a].name) for a in ("elderly", "students")]
    assert page.headings == [("h2", "东关村（dongguan）"), *names, ("h2", "西关村（xiguan）"), *names]
    text = (out / "index.html").read_text(encoding="utf-8")
    assert "横幅（banner）" in text and "5000x700, 5000×700 mm" not in text and "5000×700 mm" in text
    assert "1080×2400 px" in text and "<script" not in text and "http" not in text  # offline, no framework


def test_preview_renders_only_what_changed(built):
    out = built / "dist"
    assert "previewed 16, unchanged 0" in invoke(built, "preview").output
    thumbs = out / "_preview"
    banner_thumb = thumbs / "dongguan/elderly/banner.pdf.p1.png"
    stamp = banner_thumb.stat().st_mtime_ns
    index = (out / "index.html").read_bytes()
    assert "previewed 0, unchanged 16" in invoke(built, "preview").output
    assert (out / "index.html").read_bytes() == index

    # a new QR caption changes the posters, leaflets and WeChat images; the banners print no QR code
    write_files(built, {"antifraud.yaml": STATION + UNITS + "qr: {caption: 扫码拨打新城派出所值班电话}\n"})
    assert invoke(built, "build", "-a", "elderly", "-a", "students", *PRODUCTS, "-j", "2").exit_code == 0
    result = invoke(built, "preview")
    assert "previewed 12, unchanged 4" in result.output, result.output
    assert banner_thumb.stat().st_mtime_ns == stamp
    # a thumbnail deleted by hand is made again
    banner_thumb.unlink()
    assert "previewed 1, unchanged 15" in invoke(built, "preview").output and banner_thumb.is_file()


def test_preview_without_a_build_is_a_located_error(make_project):
    root = make_project({"antifraud.yaml": STATION})
    result = invoke(root, "preview", "-o", "site")
    assert result.exit_code == 1
    assert "site/manifest.json: no manifest: nothing has been built here" in result.output
    assert "hint: run `antifraud build` first" in result.output


CHECK_PAGE = """<!DOCTYPE html><html><body>
<iframe id="g" src="index.html" style="width:1200px;height:900px"></iframe>
<img id="control" src="_preview/no-such-thumbnail.png">
<pre id="result">pending</pre>
<script>
document.getElementById('g').addEventListener('load', function () {
  var d = this.contentDocument, out = {images: [], links: []};
  function loads(href) {  /* file:// links, read with --allow-file-access-from-files */
    var x = new XMLHttpRequest();
    try { x.open('GET', href, false); x.send(); return x.responseText.length > 0; } catch (e) { return false; }
  }
  d.querySelectorAll('img').forEach(function (img) { out.images.push([img.getAttribute('src'), img.naturalWidth]); });
  d.querySelectorAll('a[href]').forEach(function (a) { out.links.push([a.getAttribute('href'), loads(a.href)]); });
  out.control = [document.getElementById('control').naturalWidth, loads('no-such-output.pdf')];
  document.getElementById('result').textContent = JSON.stringify(out);
});
</script></body></html>
"""


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(chromium() is None, reason="Debian's chromium is not installed here (.ci/run installs it for CI)")
def test_the_gallery_in_headless_chromium(built, tmp_path):
    out = built / "dist"
    assert invoke(built, "preview").exit_code == 0
    (out / "_check.html").write_text(CHECK_PAGE, encoding="utf-8")
    base = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--hide-scrollbars",
            f"--user-data-dir={tmp_path / 'profile'}"]
    dom = subprocess.run(base + ["--allow-file-access-from-files", "--virtual-time-budget=20000", "--dump-dom",
                                 (out / "_check.html").as_uri()],
                         capture_output=True, text=True, timeout=180, check=True).stdout
    result = json.loads(dom.split('<pre id="result">', 1)[1].split("</pre>", 1)[0])
    assert len(result["images"]) == 20 and len(result["links"]) >= 16 * 3
    assert [src for src, width in result["images"] if width <= 0] == []  # every image loaded
    assert [href for href, ok in result["links"] if ok is not True] == []  # every link resolves
    assert result["control"] == [0, False]  # the checks do catch a broken image and a broken link

    shot = tmp_path / "gallery.png"
    subprocess.run(base + [f"--screenshot={shot}", "--window-size=1280,1600", (out / "index.html").as_uri()],
                   capture_output=True, timeout=180, check=True)
    with Image.open(shot) as image:
        assert image.size == (1280, 1600)
        assert len(image.convert("RGB").resize((64, 80)).getcolors(64 * 80)) > 50  # thumbnails, not a blank page
