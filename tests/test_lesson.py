"""The lesson slides (反诈小课堂): a PPTX read back with python-pptx: 16:9, 12–20 slides, titles, the story
pictures, the quiz from the cases' spoken questions, speaker notes on every slide, fonts named and not
embedded, the same bytes from the same input."""
from __future__ import annotations

import datetime as dt
import io
import zipfile

from pptx import Presentation
from pptx.oxml.ns import qn

from antifraud_cli.loader import load_project
from antifraud_cli.slides import slide_texts
from conftest import STATION


def build(make_project, run, *args, files=None):
    root = make_project({"antifraud.yaml": STATION, **(files or {})})
    result = run(root, "build", "-p", "lesson", *args)
    return root, result


def test_lesson_slides_read_back(make_project, run):
    root, result = build(make_project, run)
    assert result.exit_code == 0, result.output
    project = load_project(root)
    for audience in ("pupils", "students"):  # the spec's default audiences
        data = (root / "dist" / audience / "lesson.pptx").read_bytes()
        prs = Presentation(io.BytesIO(data))
        assert round(prs.slide_width / prs.slide_height, 3) == round(16 / 9, 3)
        slides = slide_texts(data)
        assert 12 <= len(slides) <= 20
        titles = [s["title"] for s in slides]
        assert titles[0] == "反诈小课堂" and "记住两个号码" in titles
        assert all(s["notes"].strip() for s in slides), "every slide carries what to say"
        story = [s for s in slides if s["pictures"] >= 3]  # a case told as 3–4 panel pictures
        assert 3 <= len(story) <= 5
        questions = [s for s in slides if s["title"].startswith("小问答")]
        asked = [q["texts"][0] for q in questions]
        assert asked and all(any(c.spoken and c.spoken.question == a for c in project.cases.values()) for a in asked)
        answers = [s for s in slides if s["title"].endswith("答案")]
        assert len(answers) == len(questions)
        numbers = next(s for s in slides if s["title"] == "记住两个号码")
        assert "96110" in numbers["texts"] and "110" in numbers["texts"]
        steps = next(s for s in slides if s["title"].startswith("被骗了"))
        if audience == "pupils":  # a child tells a grown-up first, then calls 110 with them
            said = "".join(steps["texts"])
            assert said.index("爸爸妈妈") < said.index("110")
        # fonts named (Latin and East Asian), never embedded
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            assert not [n for n in z.namelist() if n.startswith("ppt/fonts/")]
        faces = {(r.font.name, r.font._rPr.find(qn("a:ea")).get("typeface"))
                 for slide in prs.slides for shape in slide.shapes if shape.has_text_frame
                 for p in shape.text_frame.paragraphs for r in p.runs}
        assert faces == {("Noto Sans SC", "Noto Sans SC")}
        assert prs.core_properties.created == dt.datetime(2027, 1, 10)  # SOURCE_DATE_EPOCH, not the clock
        assert prs.core_properties.author == "新城派出所"


def test_lesson_is_the_same_bytes_every_time(make_project, run):
    root, result = build(make_project, run, "-a", "pupils")
    assert result.exit_code == 0, result.output
    first = (root / "dist" / "pupils" / "lesson.pptx").read_bytes()
    result = run(root, "build", "-p", "lesson", "-a", "pupils", "--force", "--out", "again")
    assert result.exit_code == 0, result.output
    assert (root / "again" / "pupils" / "lesson.pptx").read_bytes() == first
    with zipfile.ZipFile(io.BytesIO(first)) as z:
        assert {i.date_time for i in z.infolist()} == {(2027, 1, 10, 0, 0, 0)}


def test_a_deck_outside_the_slide_count_is_an_error(make_project, run):
    spec = "id: lesson\nname: 小课堂\ntemplate: lesson.xml.j2\nformat: pptx\ncolour: screen\n" \
           "sizes: {16x9: {w: 338.667, h: 190.5}}\nslides: [12, 20]\nper: station\n"
    deck = ('<deck title="t" author="a">\n<slide layout="list"><title>只有一页</title><item>一</item>'
            '<notes>说</notes></slide>\n<slide layout="list"><title>第二页</title></slide>\n</deck>\n')
    root, result = build(make_project, run, "-a", "pupils",
                         files={"products/lesson.yaml": spec, "templates/lesson.xml.j2": deck})
    assert result.exit_code == 1
    assert "templates/lesson.xml.j2 (rendered):1: pupils/lesson.pptx: the deck has 2 slides; the product wants " \
           "12 to 20" in result.output
    assert "(rendered):3: pupils/lesson.pptx: slide 2 has no <notes>" in result.output
    assert "Traceback" not in result.output


def test_unknown_slide_element_and_picture_are_located(make_project, run):
    spec = "id: lesson\nname: 小课堂\ntemplate: lesson.xml.j2\nformat: pptx\ncolour: screen\n" \
           "sizes: {16x9: {w: 338.667, h: 190.5}}\nper: station\n"
    deck = ('<deck>\n<slide layout="story"><title>故事</title>\n<panel figures="外星人">你好</panel>'
            '<notes>说</notes></slide>\n<slide><title>x</title><table/><notes>说</notes></slide>\n</deck>\n')
    root, result = build(make_project, run, "-a", "pupils",
                         files={"products/lesson.yaml": spec, "templates/lesson.xml.j2": deck})
    assert result.exit_code == 1
    assert "(rendered):4: pupils/lesson.pptx: unknown slide element <table>" in result.output
    deck = deck.replace("<table/>", "")
    (root / "templates" / "lesson.xml.j2").write_text(deck, encoding="utf-8")
    result = run(root, "build", "-p", "lesson", "-a", "pupils")
    assert result.exit_code == 1
    assert "(rendered):3: pupils/lesson.pptx: slide 1: '外星人' is not in the picture set" in result.output


def test_text_that_does_not_fit_is_an_error(make_project, run):
    spec = "id: lesson\nname: 小课堂\ntemplate: lesson.xml.j2\nformat: pptx\ncolour: screen\n" \
           "sizes: {16x9: {w: 338.667, h: 190.5}}\nper: station\n"
    deck = '<deck>\n<slide layout="list"><title>' + "很长的标题" * 12 + '</title><notes>说</notes></slide>\n</deck>\n'
    root, result = build(make_project, run, "-a", "pupils",
                         files={"products/lesson.yaml": spec, "templates/lesson.xml.j2": deck})
    assert result.exit_code == 1
    assert "(rendered):2: pupils/lesson.pptx: slide 1: '很长的标题很长的标题" in result.output
    assert "' does not fit its box at 36 pt" in result.output


def test_the_gallery_shows_every_slide(make_project, run):
    root, result = build(make_project, run, "-a", "pupils")
    assert result.exit_code == 0, result.output
    data = (root / "dist" / "pupils" / "lesson.pptx").read_bytes()
    result = run(root, "preview", "-o", "dist", "-j", "1")
    assert result.exit_code == 0, result.output
    count = len(slide_texts(data))
    thumbs = sorted((root / "dist" / "_preview" / "pupils").glob("lesson.pptx.p*.png"))
    assert len(thumbs) == count
    from PIL import Image

    with Image.open(thumbs[0]) as image:
        assert round(image.width / image.height, 2) == round(16 / 9, 2)
    with zipfile.ZipFile(io.BytesIO(data)) as z, Image.open(io.BytesIO(z.read("docProps/thumbnail.jpeg"))) as thumb:
        assert thumb.size == (256, 144)  # the title slide, for file browsers


def test_list_products_shows_the_school_products(make_project, run):
    result = run(make_project({}), "list", "products")
    assert result.exit_code == 0, result.output
    rows = {line.split()[0]: line for line in result.output.splitlines() if line.strip()}
    assert "反诈小课堂" in rows["lesson"] and "16x9 338.667×190.5 mm" in rows["lesson"]
    assert "致家长的一封信" in rows["parents-letter"] and "A4" in rows["parents-letter"]
    assert "短视频分镜脚本" in rows["video-script"] and "短视频分镜脚本" in rows["video-script-sheet"]
