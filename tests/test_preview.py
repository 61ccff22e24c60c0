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
    # the banner does not depend on the village: once per audience for the station (issue 22)
    assert len(outputs) == 2 * 2 * 3 + 2 and "previewed 14, unchanged 0" in result.output
    page = read_gallery(out)
    # a thumbnail per page: the leaflet has two, the others one; every one a real PNG
    assert len(page.images) == 2 * 2 * 4 + 2
    for src in page.images:
        with Image.open(out / src) as image:
            assert image.format == "PNG" and max(image.size) == 360
    # every output in the manifest is linked, and every link is a file in OUT
    assert {o["path"] for o in outputs} <= set(page.links)
    assert all((out / link).is_file() for link in page.links)
    # grouped by unit, then audience, with names and sizes
    from antifraud_cli.loader import load_project

    names = [("h3", load_project(built).audiences[a].name) for a in ("elderly", "students")]
    assert page.headings == [("h2", "全镇通用（不分村社）"), *names,
                             ("h2", "东关村（dongguan）"), *names, ("h2", "西关村（xiguan）"), *names]
    text = (out / "index.html").read_text(encoding="utf-8")
    assert "横幅（banner）" in text and "5000x700, 5000×700 mm" not in text and "5000×700 mm" in text
    assert "1080×2400 px" in text and "<script" not in text and "http" not in text  # offline, no framework


def test_preview_renders_only_what_changed(built):
    out = built / "dist"
    assert "previewed 14, unchanged 0" in invoke(built, "preview").output
    thumbs = out / "_preview"
    banner_thumb = thumbs / "elderly/banner.pdf.p1.png"
    stamp = banner_thumb.stat().st_mtime_ns
    index = (out / "index.html").read_bytes()
    assert "previewed 0, unchanged 14" in invoke(built, "preview").output
    assert (out / "index.html").read_bytes() == index

    # a new QR caption changes the posters and leaflets; the banners print no QR code, and the WeChat images
    # none either while the code would only dial a number (a phone's scanner shows tel: as text)
    write_files(built, {"antifraud.yaml": STATION + UNITS + "qr: {caption: 扫码拨打新城派出所值班电话}\n"})
    assert invoke(built, "build", "-a", "elderly", "-a", "students", *PRODUCTS, "-j", "2").exit_code == 0
    result = invoke(built, "preview")
    assert "previewed 8, unchanged 6" in result.output, result.output
    assert banner_thumb.stat().st_mtime_ns == stamp
    # a thumbnail deleted by hand is made again
    banner_thumb.unlink()
    assert "previewed 1, unchanged 13" in invoke(built, "preview").output and banner_thumb.is_file()


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
    assert len(result["images"]) == 18 and len(result["links"]) >= 14 * 3
    assert [src for src, width in result["images"] if width <= 0] == []  # every image loaded
    assert [href for href, ok in result["links"] if ok is not True] == []  # every link resolves
    assert result["control"] == [0, False]  # the checks do catch a broken image and a broken link

    shot = tmp_path / "gallery.png"
    subprocess.run(base + [f"--screenshot={shot}", "--window-size=1280,1600", (out / "index.html").as_uri()],
                   capture_output=True, timeout=180, check=True)
    with Image.open(shot) as image:
        assert image.size == (1280, 1600)
        assert len(image.convert("RGB").resize((64, 80)).getcolors(64 * 80)) > 50  # thumbnails, not a blank page


# ---------------------------------------------------------------- scripts, placeholders, the audiences' order

SCRIPTS = ["-a", "elderly", "-a", "bank-staff", "-p", "broadcast", "-p", "poster"]


class Cards(HTMLParser):
    """The gallery's cards: for each, its classes, the links in it, its images and its text."""

    def __init__(self):
        super().__init__()
        self.cards, self.headings, self._depth, self._h = [], [], 0, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        classes = (a.get("class") or "").split()
        if self._depth:
            self._depth += tag == "div"
            card = self.cards[-1]
            if tag == "a":
                card["links"].append(unquote(a["href"]))
            elif tag == "img":
                card["images"].append(unquote(a["src"]))
            card["classes"] |= set(classes)
        elif tag == "div" and "output" in classes:
            self._depth = 1
            self.cards.append({"classes": set(classes), "links": [], "images": [], "text": ""})
        elif tag in ("h2", "h3"):
            self._h = tag

    def handle_endtag(self, tag):
        if self._depth and tag == "div":
            self._depth -= 1

    def handle_data(self, data):
        if self._depth:
            self.cards[-1]["text"] += data
        elif self._h:
            self.headings.append((self._h, data.strip()))
            self._h = None

    def card(self, rel: str) -> dict:
        (card,) = [c for c in self.cards if rel in c["links"]]
        return card


def read_cards(out: Path) -> Cards:
    cards = Cards()
    cards.feed((out / "index.html").read_text(encoding="utf-8"))
    return cards


def stated_seconds(script: Path) -> int:
    """What the script itself says its duration is (`# 时长：约 N 秒`, see speech.py)."""
    (line,) = [x for x in script.read_text(encoding="utf-8").splitlines() if x.startswith("# 时长：")]
    return int(line.removeprefix("# 时长：约").removesuffix("秒").strip())


def first_spoken_line(script: Path) -> str:
    return next(x for x in script.read_text(encoding="utf-8").splitlines() if x.strip() and not x.startswith("#"))


def test_scripts_get_a_card_and_audiences_come_in_their_natural_order(make_project):
    root = make_project({"antifraud.yaml": STATION})
    assert invoke(root, "build", *SCRIPTS, "-j", "2").exit_code == 0
    out = root / "dist"
    result = invoke(root, "preview", "-j", "2")  # four outputs, two workers: the parallel path
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output and "warning" not in result.output
    assert "previewed 4, unchanged 0" in result.output

    cards = read_cards(out)
    for audience in ("elderly", "bank-staff"):
        script = out / audience / "broadcast.txt"
        card = cards.card(f"{audience}/broadcast.txt")
        seconds = stated_seconds(script)
        # the product's title, the stated duration, the first lines, a link; no thumbnail, no placeholder
        assert "广播稿（车载广播、大喇叭）" in card["text"]
        assert f"时长约 {seconds} 秒" in card["text"]
        if seconds % 60:  # and in minutes, as a station plans a loop
            assert f"（{seconds // 60} 分 {seconds % 60} 秒）" in card["text"]
        assert first_spoken_line(script) in card["text"]
        assert "# 时长" not in card["text"] and card["images"] == [] and "placeholder" not in card["classes"]
        assert "script" in card["classes"]
        # the poster beside it keeps its thumbnail
        assert len(cards.card(f"{audience}/poster.pdf")["images"]) == 1
    assert "叔叔阿姨们好！" in cards.card("elderly/broadcast.txt")["text"]

    # the elderly first, as a station thinks of its audiences, though `bank-staff` sorts before `elderly`
    from antifraud_cli.loader import load_project

    audiences = load_project(root).audiences
    assert [h for h in cards.headings if h[0] == "h3"] == [("h3", audiences["elderly"].name),
                                                           ("h3", audiences["bank-staff"].name)]

    # a second preview changes nothing, the script cards included
    index = (out / "index.html").read_bytes()
    again = invoke(root, "preview", "-j", "2")
    assert again.exit_code == 0 and "previewed 0, unchanged 4" in again.output
    assert (out / "index.html").read_bytes() == index
    # an edited script gets a new card
    script = out / "elderly" / "broadcast.txt"
    edited = script.read_text(encoding="utf-8").replace("叔叔阿姨们好！", "乡亲们好！")
    script.write_text(edited, encoding="utf-8")
    assert "previewed 1, unchanged 3" in invoke(root, "preview").output
    assert "乡亲们好！" in read_cards(out).card("elderly/broadcast.txt")["text"]


def test_what_cannot_be_thumbnailed_gets_a_placeholder_and_one_warning(make_project):
    root = make_project({"antifraud.yaml": STATION})
    assert invoke(root, "build", *SCRIPTS, "-j", "2").exit_code == 0
    out = root / "dist"
    # a damaged PDF (the manifest as it was), a broken PNG and a type the gallery does not know
    (out / "elderly" / "poster.pdf").write_bytes(b"%PDF-1.7\nnot a PDF any more\n")
    (out / "elderly" / "wechat.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"garbage" * 10)
    (out / "elderly" / "notes.docx").write_bytes(b"PK\x03\x04 a word file")
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    manifest["outputs"] += [{"path": "elderly/wechat.png", "audience": "elderly", "product": "wechat", "unit": None,
                             "size": "phone"},
                            {"path": "elderly/notes.docx", "audience": "elderly", "product": "notes", "unit": None,
                             "size": ""}]
    (out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")

    result = invoke(root, "preview", "-j", "2")
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning: ")]
    bad = ["elderly/poster.pdf", "elderly/wechat.png", "elderly/notes.docx"]
    assert len(warnings) == 3, result.stderr
    for rel in bad:  # one warning each, on stderr, naming the file
        assert len([w for w in warnings if f"dist/{rel}:" in w]) == 1, warnings
    assert "warning" not in result.stdout
    assert "previewed 6, unchanged 0, 3 without a thumbnail" in result.stdout

    cards = read_cards(out)
    for rel in bad:
        card = cards.card(rel)
        assert "placeholder" in card["classes"] and card["images"] == [] and "无法预览" in card["text"]
    # the outputs that are fine are shown as before
    assert len(cards.card("bank-staff/poster.pdf")["images"]) == 1
    assert "script" in cards.card("elderly/broadcast.txt")["classes"]

    # unchanged: nothing rendered again, the placeholders and their warnings stay (once each)
    again = invoke(root, "preview")
    assert again.exit_code == 0 and "previewed 0, unchanged 6, 3 without a thumbnail" in again.stdout
    assert len([line for line in again.stderr.splitlines() if line.startswith("warning: ")]) == 3
    # a PDF built again gets its thumbnail back
    assert invoke(root, "build", *SCRIPTS, "--force").exit_code == 0
    result = invoke(root, "preview")
    assert result.exit_code == 0 and "previewed 1, unchanged" in result.output, result.output
    assert len(read_cards(out).card("elderly/poster.pdf")["images"]) == 1


def test_a_text_card_says_what_the_file_states(tmp_path):
    from antifraud_cli.preview import render_thumbs

    # a notice with no `#` lines (briefing-wechat): no duration, its length in characters
    notice = "【新城派出所反诈提醒】本周辖区发生3起电信网络诈骗，群众损失2.1万元。" * 3
    write_files(tmp_path, {"station/briefing.txt": notice + "\n"})
    rel, shown = render_thumbs((str(tmp_path), "station/briefing.txt"))
    text = shown["text"]
    assert rel == "station/briefing.txt" and shown["thumbs"] == [] and "problem" not in shown
    assert text["title"] is None and text["seconds"] is None and text["chars"] == len(notice)
    assert len(text["lines"]) == 1 and text["lines"][0].endswith("…") and text["lines"][0].startswith("【新城")
    # a script: its own title and duration, the first lines read aloud (the `#` lines are not), and more to come
    script = "# 标题：测试广播\n# 语速：每分钟 150 字\n# 时长：约 95 秒\n\n"
    script += "".join(f"第{n}句。\n" for n in range(1, 10))
    write_files(tmp_path, {"a/broadcast.txt": script})
    text = render_thumbs((str(tmp_path), "a/broadcast.txt"))[1]["text"]
    assert (text["title"], text["seconds"], text["lines"][0], len(text["lines"]), text["more"]) == (
        "测试广播", 95, "第1句。", 6, True)
    # not UTF-8: a placeholder, not a crash
    write_files(tmp_path, {"a/gbk.txt": "广播稿".encode("gb18030")})
    shown = render_thumbs((str(tmp_path), "a/gbk.txt"))[1]
    assert shown["thumbs"] == [] and "not UTF-8" in shown["problem"] and "text" not in shown


def test_audiences_come_in_the_natural_order_without_the_project_too():
    from antifraud_cli.preview import Names, audience_order

    ids = ["students", "bank-staff", "pupils", "elderly", "zz-local", ""]
    assert audience_order(ids, Names()) == ["", "elderly", "pupils", "students", "zz-local", "bank-staff"]
    # the others in the project's order, audiences it no longer knows after them
    names = Names(audiences={"bank-staff": "银行柜员", "students": "大中专学生", "elderly": "老年人",
                             "pupils": "中小学生"})
    assert audience_order(ids, names) == ["", "elderly", "students", "pupils", "zz-local", "bank-staff"]
