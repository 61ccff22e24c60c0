"""What gets chosen and what it says (issue 21): the national top fraud types in every month, local cases that add
rather than crowd out, subheads true to the cases printed, no hotline posing as the sender, the pupils told to go
to a grown-up first, no `tel:` code on a screen. The kit is built for December and July, once per month and
audience, and read back from the files a station would print."""
from __future__ import annotations

import datetime as dt
import io
import json
import re

import pytest

from conftest import STATION, invoke, write_files
from pdfcheck import page_text

MONTHS = ("2026-12-15", "2026-07-15")
AUDIENCES = ("elderly", "students", "housewives", "migrant-workers", "pupils", "shop-owners", "bank-staff")
PRODUCTS = ("poster", "leaflet", "wechat", "home-visit", "broadcast")
EXTRA = {"bank-staff": ("checklist", "desk-card"), "pupils": ("school-radio",), "students": ("school-radio",)}
# what a subhead may name, and the case whose title must then be on the page
NAMES = {"冒充亲人": "fake-relative", "冒充警察": "fake-police", "刷单": "order-brushing", "校园贷": "fake-credit-repair",
         "卖卡": "card-lending", "理财": "fake-investment", "退款": "fake-customer-service", "明星": "fan-club",
         "皮肤": "game-trading", "大订单": "fake-military-order", "换账户": "supplier-account-change",
         "借钱": "fake-loan", "找工作": "fake-job-wage"}


def flat(text: str) -> str:
    """Text without the line breaks and spaces layout puts in: a title wrapped over two lines still matches."""
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="module")
def kits(tmp_path_factory):
    """{(date, audience): (result, dist)}: the zero-config kit, one build per month and audience (-j 1): in
    December every product these tests read, in July the poster, leaflet and WeChat image."""
    root = tmp_path_factory.mktemp("selection")
    env = {"ANTIFRAUD_CACHE_DIR": str(tmp_path_factory.getbasetemp() / "font-cache")}
    out = {}
    with pytest.MonkeyPatch.context() as mp:
        for k, v in env.items():
            mp.setenv(k, v)
        for day in MONTHS:
            for aid in AUDIENCES:
                dist = root / f"dist-{day}-{aid}"
                args = ["build", "-j", "1", "--date", day, "-a", aid, "-o", str(dist)]
                # July checks the selection only; December everything the page says
                for pid in PRODUCTS + EXTRA.get(aid, ()) if day == MONTHS[0] else ("poster", "leaflet", "wechat"):
                    args += ["-p", pid]
                out[day, aid] = (invoke(root, *args), dist)
    return out


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    from antifraud_cli.loader import load_project

    return load_project(tmp_path_factory.mktemp("zero"))


def built(kits, day, aid):
    result, dist = kits[day, aid]
    assert result.exit_code == 0, result.output
    return dist


def texts(dist, aid) -> dict[str, str]:
    """Every output's text as printed or said: PDF pages, a txt script, the PNG's full-text Description."""
    from PIL import Image

    found = {}
    for path in sorted(dist.rglob("*")):
        if path.suffix == ".pdf":
            found[path.name] = "\n".join(page_text(path))
        elif path.suffix == ".txt":
            found[path.name] = path.read_text(encoding="utf-8")
        elif path.suffix == ".png":
            found[path.name] = Image.open(path).text.get("Description", "")
    return found


# ---------- selection

@pytest.mark.parametrize("day", MONTHS)
@pytest.mark.parametrize("aid", ("students", "housewives", "migrant-workers"))
def test_order_brushing_is_on_the_poster_or_leaflet_in_every_month(kits, project, day, aid):
    dist = built(kits, day, aid)
    title = flat(project.cases["order-brushing"].title)
    printed = [p for p in ("poster.pdf", "leaflet.pdf") if title in flat("".join(page_text(dist / aid / p)))]
    assert printed, f"{title} is on neither the {aid} poster nor leaflet on {day}"


@pytest.mark.parametrize("day", MONTHS)
@pytest.mark.parametrize("aid", AUDIENCES)
def test_every_leaflet_prints_every_case_its_manifest_names(kits, project, day, aid):
    """The manifest records the cases a leaflet printed (the renderer measured them): each one's title is on it.
    (The other direction is not read from text: a slogan such as 不共享屏幕 names a case it does not tell.)"""
    dist = built(kits, day, aid)
    outputs = json.loads((dist / "manifest.json").read_text(encoding="utf-8"))["outputs"]
    (entry,) = [o for o in outputs if o["path"] == f"{aid}/leaflet.pdf"]
    printed = flat("".join(page_text(dist / aid / "leaflet.pdf")))
    assert entry["cases"], "a leaflet prints at least one case"
    for cid in entry["cases"]:
        assert flat(project.cases[cid].title) in printed, f"{cid} is in the manifest but not on the leaflet"


@pytest.mark.parametrize("day", MONTHS)
def test_the_top_types_the_review_missed_are_printed_in_their_audiences_kits(project, day):
    """冒充亲属 on the elderly poster in every month; each audience's own top type and legal-risk case first."""
    from antifraud_cli.select import select_cases

    when = dt.date.fromisoformat(day)
    assert "fake-relative" in [c.id for c in select_cases(project, "elderly", 2, when)]
    for aid in ("students", "migrant-workers", "shop-owners"):
        assert select_cases(project, aid, 1, when)[0].id == "card-lending"
    for aid in ("students", "housewives", "migrant-workers"):
        assert "order-brushing" in [c.id for c in select_cases(project, aid, 2, when)]
    assert "fake-loan" in [c.id for c in select_cases(project, "shop-owners", 3, when)]


def test_local_cases_add_and_never_crowd_out(make_project):
    """Two local cases in season: the elderly poster (2 cases) still prints a national top type; the migrant
    workers' poster (3) keeps 帮信 and a top type; local cases come right after the kept ones."""
    from antifraud_cli.loader import load_project
    from antifraud_cli.select import TOP_TYPE, select_cases

    local = ("id: {id}\ntitle: 本地案例{n}\nsummary: 这是本地发生的一起案例。\nred_flags: [先让你交钱]\nadvice: [不转账]\n"
             "audiences: [elderly, migrant-workers]\nseasons: [12, 1]\n")
    root = make_project({"antifraud.yaml": STATION, "cases/power-bill.yaml": local.format(id="power-bill", n=1),
                         "cases/subsidy.yaml": local.format(id="subsidy", n=2)})
    project = load_project(root)
    day = dt.date(2026, 12, 15)
    elderly = select_cases(project, "elderly", 2, day)
    assert any(TOP_TYPE in c.tags and c.id not in project.local_cases for c in elderly)
    assert {c.id for c in elderly} & {"power-bill", "subsidy"}  # and a local case
    migrant = [c.id for c in select_cases(project, "migrant-workers", 3, day)]
    assert migrant[0] == "card-lending" and TOP_TYPE in project.cases[migrant[1]].tags
    assert migrant[2] == "power-bill"
    # deterministic: the same project and day, the same order
    assert [c.id for c in select_cases(project, "migrant-workers", 8, day)] == \
        [c.id for c in select_cases(project, "migrant-workers", 8, day)]


def test_focus_comes_first_and_counts_as_the_top_type(make_project):
    from antifraud_cli.loader import load_project
    from antifraud_cli.select import select_cases

    root = make_project({"antifraud.yaml": STATION + "focus: [fake-police]\n"})
    ids = [c.id for c in select_cases(load_project(root), "students", 3, dt.date(2026, 12, 15))]
    assert ids == ["fake-police", "card-lending", "ticket-refund"]  # 冒充公检法 is a top type: none added


def test_list_cases_shows_what_each_product_prints_and_why(tmp_path):
    result = invoke(tmp_path, "list", "cases", "--date", "2026-12-15", "-a", "students")
    assert result.exit_code == 0, result.output
    out = result.output
    assert out.startswith("students 大中专学生, 2026-12-15")
    poster = next(line for line in out.splitlines() if line.strip().startswith("poster "))
    assert "card-lending" in poster and "order-brushing" in poster
    assert "legal-risk case: always kept" in out and "top fraud type: always kept" in out
    assert "priority 2" in out and "season months 7,8, not now" in out  # 刷单: why it is there in December
    as_json = json.loads(invoke(tmp_path, "list", "cases", "--json", "--date", "2026-07-15", "-a", "elderly",
                                "-p", "poster").output)
    (entry,) = as_json
    assert [p["id"] for p in entry["products"]] == ["poster"]
    assert entry["products"][0]["cases"][0] == "fake-relative"
    assert entry["cases"][0]["place"] == "top-type" and entry["cases"][0]["top_type"]
    bad = invoke(tmp_path, "list", "units", "-a", "students")
    assert bad.exit_code == 2 and "list cases" in bad.output


# ---------- what the pages say

@pytest.mark.parametrize("day", MONTHS)
@pytest.mark.parametrize("aid", AUDIENCES)
def test_a_subhead_names_only_cases_the_page_prints(kits, project, day, aid):
    from antifraud_cli.select import subhead_for

    dist = built(kits, day, aid)
    audience = project.audiences[aid]
    options = audience.voice.subhead if isinstance(audience.voice.subhead, list) else []
    manifest = {e["path"]: e for e in json.loads((dist / "manifest.json").read_text())["outputs"]}
    for name in ("poster.pdf", "leaflet.pdf", "wechat.png"):
        page = flat(texts(dist / aid, aid)[name])
        printed_ids = manifest[f"{aid}/{name}"]["cases"]
        subhead = subhead_for(audience, printed_ids)
        if subhead:
            assert flat(subhead) in page, f"{aid}/{name}: the subhead for the cases in the manifest is not printed"
        shown = [o for o in options if flat(o.text) in page]
        for option in shown:
            for cid in option.cases:
                assert flat(project.cases[cid].title) in page, f"{aid}/{name}: '{option.text}' names {cid}"
        for text in [o.text for o in shown] + ([audience.voice.subhead] if isinstance(audience.voice.subhead, str)
                                              else []):
            for phrase, cid in NAMES.items():
                if phrase in text:
                    assert flat(project.cases[cid].title) in page, f"{aid}/{name}: '{text}' names {phrase}"


def test_every_subhead_list_ends_with_one_that_names_no_case(make_project):
    from conftest import problems

    root = make_project({"audiences/elderly.yaml": open_builtin("audiences/elderly.yaml").replace(
        "cases: [fake-relative, fake-police]}", "cases: [fake-relative, no-such-case]}")})
    assert any("subhead names case 'no-such-case'" in p and "elderly.yaml:" in p for p in problems(root))


def open_builtin(relative: str) -> str:
    from antifraud_cli.paths import builtin_dir

    folder, name = relative.split("/")
    return (builtin_dir(folder) / name).read_text(encoding="utf-8")


@pytest.mark.parametrize("day", MONTHS[:1])
@pytest.mark.parametrize("aid", AUDIENCES)
def test_no_wrong_legal_line_and_no_hotline_as_sender(kits, day, aid):
    from pypdf import PdfReader

    dist = built(kits, day, aid)
    for name, text in texts(dist, aid).items():
        assert "五年内不能新开户" not in flat(text), name
        assert "全国反诈预警劝阻专线" not in flat(text), name
    for path in dist.rglob("*.pdf"):
        assert "全国反诈预警劝阻专线" not in (PdfReader(str(path)).metadata.author or ""), path.name
    broadcast = (dist / aid / "broadcast.txt").read_text(encoding="utf-8")
    assert "公安机关提醒大家" in broadcast and "祝大家平安" in broadcast


@pytest.mark.parametrize("day", MONTHS[:1])
def test_pupils_first_tell_parents_or_a_teacher(kits, day):
    dist = built(kits, day, "pupils")
    back = flat(page_text(dist / "pupils" / "leaflet.pdf")[1])
    steps = back[back.index("被骗了怎么办"):]
    assert steps.index("告诉爸爸妈妈或老师") < steps.index("110")
    radio = (dist / "pupils" / "school-radio.txt").read_text(encoding="utf-8")
    line = next(line for line in radio.splitlines() if "被骗了" in line)
    assert line.index("告诉爸爸妈妈或老师") < line.index("幺幺零")
    students = (built(kits, day, "students") / "students" / "school-radio.txt").read_text(encoding="utf-8")
    assert "甲：被骗了，不要怕，马上打幺幺零。" in students  # adults: 110 first, as before


@pytest.mark.parametrize("day", MONTHS[:1])
@pytest.mark.parametrize("aid", AUDIENCES)
def test_home_visit_letter(kits, day, aid):
    """No 子女 asked of the young; the closing line above the cut; no line says again what another says."""
    from pdfcheck import text_lines

    dist = built(kits, day, aid)
    lines = text_lines(dist / aid / "home-visit.pdf", 0)
    cut = next(i for i, line in enumerate(lines) if "沿虚线剪下" in line)
    letter, receipt = lines[:cut], lines[cut + 1:]
    assert any("谢谢" in line for line in letter) and not any("谢谢" in line for line in receipt)
    if aid != "elderly":
        assert not any("子女" in line for line in letter)
    runs = {}
    for i, line in enumerate(letter):
        for j in range(len(line) - 5):
            run = line[j:j + 6]
            if not re.fullmatch(r"[\d\s]+", run):
                assert runs.setdefault(run, i) == i, f"'{run}' twice: {lines[runs[run]]} / {line}"


# ---------- QR codes on screens

@pytest.mark.parametrize("aid", ("elderly", "students"))
def test_the_wechat_image_carries_no_tel_code(kits, aid):
    import zxingcpp
    from PIL import Image

    dist = built(kits, MONTHS[0], aid)
    image = Image.open(dist / aid / "wechat.png").convert("RGB")
    payloads = [r.text for r in zxingcpp.read_barcodes(image)]
    assert not [p for p in payloads if p.lower().startswith("tel:")]
    assert "96110" in image.text["Description"] if hasattr(image, "text") else True


def test_the_wechat_image_carries_the_stations_web_address(tmp_path):
    import zxingcpp
    from PIL import Image

    root = write_files(tmp_path, {"antifraud.yaml": STATION + "qr: {url: \"https://example.gov.cn/fzapp\", "
                                                               "caption: 扫码下载国家反诈中心App}\n"})
    result = invoke(root, "build", "-j", "1", "-a", "students", "-p", "wechat")
    assert result.exit_code == 0, result.output
    image = Image.open(io.BytesIO((root / "dist" / "students" / "wechat.png").read_bytes())).convert("RGB")
    assert [r.text for r in zxingcpp.read_barcodes(image)] == ["https://example.gov.cn/fzapp"]


def test_a_two_line_app_caption_fits_the_board(tmp_path):
    root = write_files(tmp_path, {"antifraud.yaml": STATION + "qr: {url: \"https://example.gov.cn/fzapp\", "
                                                               "caption: 扫码下载国家反诈中心App}\n"})
    result = invoke(root, "build", "-j", "1", "-a", "elderly", "-a", "students", "-p", "board", "-p", "rollup")
    assert result.exit_code == 0, result.output


def test_no_product_names_the_hotline_as_its_sender_without_a_station(project):
    """Every product of every audience, composed (not rendered) as a project with no antifraud.yaml makes it: the
    national stand-in's name (全国反诈预警劝阻专线) is printed nowhere, nor in a PDF's author."""
    from antifraud_cli.compose import compose_job
    from antifraud_cli.plan import make_jobs

    day = dt.date(2026, 12, 15)
    products = [p for p, spec in project.products.items() if "incidents" not in spec.needs]
    jobs = make_jobs(project, list(project.audiences), products, [], day)
    assert len({j.product for j in jobs}) == len(products)
    for job in jobs:
        docs, _ = compose_job(project, job, day)
        for doc in docs:
            assert "全国反诈预警劝阻专线" not in doc.text, job.path
