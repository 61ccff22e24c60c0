"""Print polish, read back from built PDFs as a print shop would: justified body text, the 3 mm safe zone,
QR quiet zones, small text and body text from the black plate only, overprinting black, the PDF version."""
from __future__ import annotations

import ctypes
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest
import yaml
from click.testing import CliRunner
from pypdf import PdfReader
from pypdf.generic import ContentStream

from antifraud_cli.cli import cli
from antifraud_cli.paths import builtin_dir
from antifraud_cli.layout import qr_matrix

MM = 72 / 25.4
SAFE = 3.0 * MM  # nothing printed closer to a trim edge
CARD = (90 * MM, 54 * MM)
CLOSING = set("，。、．：；！？”’」』）］｝】〗〕》〉")  # set half-width at a line end (clreq)

STATION = """\
station: {name: 新城派出所, authority: 韩城市公安局, phone: "0913-5212110", address: 新城路1号}
qr: {url: "https://mp.weixin.qq.com/s/Xy7pQ2vLm9aBcDeFgHiJkL_0123456789-abcdefghijkl", caption: %s}
"""


def _build(root: Path, out: Path, *args: str) -> None:
    mp = pytest.MonkeyPatch()
    try:
        mp.chdir(root)
        mp.setenv("SOURCE_DATE_EPOCH", "1700000000")
        result = CliRunner().invoke(cli, ["build", "-o", str(out), *args], catch_exceptions=False)
    finally:
        mp.undo()
    assert result.exit_code == 0, result.output


@pytest.fixture(scope="module")
def kits(tmp_path_factory) -> dict[str, Path]:
    """The built-in kit (tel:96110, the worst case for the poster's quiet zone), a station with a long https QR
    and a 12-character caption, and its cards with a 12-character caption and a closing mark (11 characters fit
    a line of the card's caption: the 12th, with or without its "！", would stand alone)."""
    base = tmp_path_factory.mktemp("polish")
    mp = pytest.MonkeyPatch()
    mp.setenv("ANTIFRAUD_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "font-cache"))
    try:
        kits = {}
        for name, files, args in [
            ("builtin", {}, ()),
            ("station12", {"antifraud.yaml": STATION % "扫码关注新城派出所公众号"}, ()),
            ("station12-mark", {"antifraud.yaml": STATION % "扫码关注新城派出所公众号！"}, ("-p", "card")),
        ]:
            root = base / name
            root.mkdir()
            for fname, text in files.items():
                (root / fname).write_text(text, encoding="utf-8")
            _build(root, root / "dist", *args)
            kits[name] = root / "dist"
        yield kits
    finally:
        mp.undo()


def _pdfs(kits, name=None):
    for kit, out in kits.items():
        if name is None or kit == name:
            yield from sorted(out.rglob("*.pdf"))


# ----------------------------------------------------------------------------- reading characters back


def _chars(page) -> list[dict]:
    """Non-space characters: ink box, loose (advance) box, origin and size, in content order."""
    tp = page.get_textpage()
    out = []
    for i in range(tp.count_chars()):
        ch = chr(pdfium_c.FPDFText_GetUnicode(tp, i))
        if ch.isspace() or ch in "\x00\ufffe":
            continue
        ox, oy = ctypes.c_double(), ctypes.c_double()
        pdfium_c.FPDFText_GetCharOrigin(tp, i, ctypes.byref(ox), ctypes.byref(oy))
        out.append({"ch": ch, "ink": tp.get_charbox(i), "loose": tp.get_charbox(i, loose=True),
                    "x": ox.value, "y": oy.value, "size": pdfium_c.FPDFText_GetFontSize(tp, i)})
    return out


def _rows(chars: list[dict]) -> list[list[dict]]:
    """Consecutive characters on one baseline."""
    rows: list[list[dict]] = []
    for c in chars:
        if rows and abs(rows[-1][-1]["y"] - c["y"]) < 0.1 * c["size"] and c["x"] > rows[-1][-1]["x"]:
            rows[-1].append(c)
        else:
            rows.append([c])
    return rows


def _line_end(c: dict, edge: float | None = None) -> float:
    """Right edge of a line's last character: its advance, a closing mark's blank half not counted. A closing
    mark may also hang (its box starts at the column edge, typography's 标点悬挂): given the column `edge`
    found from other lines, the reading that meets it is taken."""
    right = c["loose"][2]
    if c["ch"] not in CLOSING:
        return right
    squeezed, hung = right - 0.5 * c["size"], c["loose"][0]
    return squeezed if edge is None or abs(squeezed - edge) <= abs(hung - edge) else hung


def _trim(path) -> list[tuple[float, float, float, float]]:
    return [tuple(float(v) for v in page.trimbox) for page in PdfReader(str(path)).pages]


# ----------------------------------------------------------------------------- justification


def _case_texts() -> list[str]:
    texts = []
    for f in sorted(builtin_dir("cases").glob("*.yaml")):
        data = yaml.safe_load(f.read_text(encoding="utf-8"))
        texts += [data.get("summary") or "", "骗子常说：" + data["script"] if data.get("script") else ""]
    return ["".join(t.split()) for t in texts if t]


@pytest.mark.parametrize("audience", ["elderly", "students"])
def test_multi_line_case_texts_are_justified(kits, audience):
    """Every case box on the leaflet's front has the same text column: the non-final lines of its summaries
    and scripts all end at the column's right edge (a closing mark's blank half hangs past it)."""
    pdf = pdfium.PdfDocument(str(kits["builtin"] / audience / "leaflet.pdf"))
    chars = _chars(pdf[0])
    flat = "".join(c["ch"] for c in chars)
    ends, sizes, paragraphs = [], [], 0
    for text in _case_texts():
        at = flat.find(text)
        if at < 0:
            continue
        rows = _rows(chars[at:at + len(text)])
        if len(rows) < 2:
            continue
        paragraphs += 1
        size = rows[0][0]["size"]
        plain = [_line_end(row[-1]) for row in rows[:-1] if row[-1]["ch"] not in CLOSING]
        edge = max(plain) if plain else None
        ends += [_line_end(row[-1], edge) for row in rows[:-1]]
        sizes.append(size)
        starts = [row[0]["loose"][0] for row in rows]
        assert max(starts) - min(starts) <= 0.1 * size
        assert _line_end(rows[-1][-1]) <= max(ends) + 0.1 * size  # the last line is not spread past the column
        assert all(len(row) >= 2 for row in rows)
    if ends:
        assert max(ends) - min(ends) <= 0.1 * min(sizes), sorted(round((max(ends) - e) / min(sizes), 2) for e in ends)
    # (the elderly leaflet tells its cases in pictures, with few words: no summaries that must wrap any more)


# ----------------------------------------------------------------------------- safe zone and QR quiet zone


def _cells(trim, path) -> list[tuple[float, float, float, float]]:
    """The finished pieces of a page: the trim box, or each card of an abutting card sheet."""
    x0, y0, x1, y1 = trim
    if path.name != "card-sheet.pdf":
        return [trim]
    cols, rows = int((x1 - x0) // CARD[0]), int((y1 - y0) // CARD[1])
    gx, gy = x0 + (x1 - x0 - cols * CARD[0]) / 2, y0 + (y1 - y0 - rows * CARD[1]) / 2
    return [(gx + i * CARD[0], gy + j * CARD[1], gx + (i + 1) * CARD[0], gy + (j + 1) * CARD[1])
            for i in range(cols) for j in range(rows)]


def _inside(box, cell) -> bool:
    cx = (box[0] + box[2]) / 2
    cy = (box[1] + box[3]) / 2
    return cell[0] <= cx <= cell[2] and cell[1] <= cy <= cell[3]


def _margin(box, cell) -> float:
    return min(box[0] - cell[0], box[1] - cell[1], cell[2] - box[2], cell[3] - box[3])


def _qr_codes(page, dpi=150) -> list[tuple[str, tuple[float, float, float, float]]]:
    """Decoded QR codes with their symbol boxes in PDF points."""
    import zxingcpp

    scale = dpi / 72
    height = page.get_height()
    found = []
    for r in zxingcpp.read_barcodes(page.render(scale=scale).to_pil()):
        p = r.position
        xs = [pt.x / scale for pt in (p.top_left, p.top_right, p.bottom_left, p.bottom_right)]
        ys = [height - pt.y / scale for pt in (p.top_left, p.top_right, p.bottom_left, p.bottom_right)]
        found.append((r.text, (min(xs), min(ys), max(xs), max(ys))))
    return found


def test_nothing_printed_within_3mm_of_the_trim_nor_in_a_quiet_zone(kits):
    checked_pages = 0
    qr_seen = 0
    for path in _pdfs(kits):
        pdf = pdfium.PdfDocument(str(path))
        for page, trim in zip(pdf, _trim(path)):
            cells = _cells(trim, path)
            chars = _chars(page)
            for c in chars:
                cell = next(cell for cell in cells if _inside(c["ink"], cell))
                gap = _margin(c["ink"], cell)
                assert gap >= SAFE - 0.01, f"{path}: {c['ch']!r} {gap / MM:.2f} mm from the trim"
            codes = _qr_codes(page)
            for text, box in codes:
                n = len(qr_matrix(text))  # zxing gives the symbol's outer corners, to about a pixel
                module = (box[2] - box[0]) / n
                cell = next(cell for cell in cells if _inside(box, cell))
                assert _margin(box, cell) >= SAFE - module, f"{path}: QR {_margin(box, cell) / MM:.2f} mm from trim"
                quiet = 4 * module - 0.5  # pt: a pixel at 150 dpi is 0.48 pt
                zone = (box[0] - quiet, box[1] - quiet, box[2] + quiet, box[3] + quiet)
                for c in chars:
                    ink = c["ink"]
                    overlaps = ink[0] < zone[2] and ink[2] > zone[0] and ink[1] < zone[3] and ink[3] > zone[1]
                    assert not overlaps, f"{path}: {c['ch']!r} inside the QR code's 4-module quiet zone"
            qr_seen += len(codes)
            checked_pages += 1
    assert checked_pages >= 40 and qr_seen >= 40


# ----------------------------------------------------------------------------- colour


def _text_fills(path):
    """(font size, fill colour operator and operands, overprint on) for every text-showing operator."""
    reader = PdfReader(str(path))
    found = []

    def walk(contents, resources, fill, over, gstates):
        resources = resources.get_object() if resources else {}
        ext = resources.get("/ExtGState")
        ext = ext.get_object() if ext else {}
        xobjects = resources.get("/XObject")
        xobjects = xobjects.get_object() if xobjects else {}
        stack = []
        size, scale = 0.0, 1.0
        for operands, op in ContentStream(contents, reader).operations:
            op = op.decode("latin-1") if isinstance(op, bytes) else op
            if op == "q":
                stack.append((fill, over))
            elif op == "Q":
                fill, over = stack.pop()
            elif op in ("k", "g", "rg", "sc", "scn"):
                fill = (op, tuple(round(float(v), 4) for v in operands))
            elif op == "gs":
                assert operands[0] in ext, f"{path}: graphics state {operands[0]} is not in the resources"
                state = ext[operands[0]].get_object()
                over = dict(over)
                for key in ("/op", "/OPM"):
                    if key in state:
                        over[key] = state[key]
                over = tuple(sorted(over.items()))
            elif op == "Tf":
                size = float(operands[1])
            elif op == "Tm":
                scale = float(operands[0])
            elif op in ("Tj", "TJ", "'", '"'):
                state = dict(over)
                found.append((size * scale, fill, bool(state.get("/op")) and int(state.get("/OPM", 0)) == 1))
            elif op == "Do":
                xobj = xobjects[operands[0]].get_object()
                walk(xobj, xobj.get("/Resources"), fill, over, gstates)
        return fill, over

    for page in reader.pages:
        walk(page.get_contents(), page.get("/Resources"), ("g", (0.0,)), (), {})
    return found


def _k_only(fill) -> bool:
    op, values = fill
    return op == "g" or (op == "k" and values[:3] == (0, 0, 0))


def test_small_text_and_body_text_print_from_the_black_plate_only(kits):
    solid = in_forms = 0
    for path in _pdfs(kits, "builtin"):
        for size, fill, over in _text_fills(path):
            if size < 12 - 1e-6:
                assert _k_only(fill), f"{path}: {size:.2f} pt text in {fill}"
            op, values = fill
            if op == "k" and values[:3] == (0, 0, 0) and 0.8 <= values[3] < 1:
                pytest.fail(f"{path}: near-black text as a {values[3]:.0%} K tint, not solid black")
            if op == "k" and values == (0, 0, 0, 1):
                assert over, f"{path}: solid black text knocks out what is under it"
                solid += 1
                in_forms += path.name == "card-sheet.pdf"  # the office sheet draws its cards as form XObjects
    assert solid > 100 and in_forms > 10  # body text is solid black


def test_audience_text_colours_are_greys(kits):
    """Every built-in audience's text and muted colours are greys, so they print as K only."""
    from antifraud_cli.colors import cmyk, k_only

    for f in sorted(builtin_dir("audiences").glob("*.yaml")):
        palette = yaml.safe_load(f.read_text(encoding="utf-8"))["palette"]
        assert cmyk(palette["text"]) == (0, 0, 0, 1), f.name
        assert k_only(cmyk(palette["muted"])), f.name


# ----------------------------------------------------------------------------- widows, PDF version


@pytest.mark.parametrize("kit", ["station12", "station12-mark"])
def test_card_qr_caption_never_leaves_one_character_on_a_line(kits, kit):
    cards = [p for p in _pdfs(kits, kit) if p.name.startswith("card")]
    assert {p.name for p in cards} >= {"card.pdf"}
    for path in cards:
        pdf = pdfium.PdfDocument(str(path))
        for page, trim in zip(pdf, _trim(path)):
            for cell in _cells(trim, path):
                chars = [c for c in _chars(page) if _inside(c["ink"], cell)]
                caption = [c for c in chars if c["ink"][0] > cell[0] + 58.5 * MM and c["ink"][1] < cell[3] - 34 * MM]
                if not caption:
                    continue  # a front
                rows = ["".join(c["ch"] for c in row) for row in _rows(caption)]
                assert len(rows) == 2 and all(len(row.strip("！")) >= 2 for row in rows), (path, rows)


def test_pdf_header_declares_the_version_of_the_features_used(kits):
    for path in _pdfs(kits):
        head = path.read_bytes()[:9]
        assert head >= b"%PDF-1.4", (path, head)
        assert b"/Lang" in path.read_bytes()


def test_a_40000_character_word_is_refused_with_its_location(tmp_path, monkeypatch):
    # D18: breaking it took 69 s before (quadratic); the work is linear now (see test_typography), and the
    # word that fits nowhere is a located error, not a hang or a clipped line
    monkeypatch.chdir(tmp_path)
    (tmp_path / "antifraud.yaml").write_text("station: {name: " + "x" * 40_000 + "}\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["build", "-a", "elderly", "-p", "card", "-o", str(tmp_path / "out")])
    assert result.exit_code == 1, result.output
    assert "antifraud.yaml:1:" in result.output and "does not fit" in result.output
    assert "Traceback" not in result.output


NOTE_SPEC = """\
id: note
name: 小告示
template: note.xml.j2
sizes:
  A5: {w: 148, h: 210}
pages: 1
cases: 0
per: audience
"""
NOTE_TEMPLATE = """\
<document size="{{ page.w }}x{{ page.h }}" bleed="3" marks="crop" min-size="9" title="告示" lang="zh-CN">
<page background="#FFFFFF">
  <text x="12" y="12" w="120" size="%s" color="%s">请拨打96110咨询</text>
</page>
</document>
"""


@pytest.mark.parametrize("size, colour, ok", [
    ("10", "#C8102E", False),  # red under 12 pt: three plates
    ("12", "#C8102E", True),   # 12 pt and more may be coloured
    ("10", "#666666", True),   # a grey is a K tint
])
def test_small_coloured_text_is_refused_where_the_template_sets_it(make_project, size, colour, ok):
    from conftest import invoke

    root = make_project({"products/note.yaml": NOTE_SPEC, "templates/note.xml.j2": NOTE_TEMPLATE % (size, colour)})
    result = invoke(root, "build", "-a", "students", "-p", "note", "-o", str(root / "out"))
    if ok:
        assert result.exit_code == 0, result.output
        return
    assert result.exit_code == 1, result.output
    assert "templates/note.xml.j2 (rendered):3:" in result.output  # the <text> line
    assert f"text at 10 pt in {colour} would print from colour plates" in result.output
    assert not (root / "out" / "students" / "note.pdf").exists() and "Traceback" not in result.output
