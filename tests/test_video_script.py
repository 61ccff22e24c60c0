"""The one-minute video script (短视频分镜脚本): two versions, each shot's seconds counted from its words, each
version at most 60 s; the PDF table prints what the txt says."""
from __future__ import annotations

import re

import pytest

from antifraud_cli import speech
from antifraud_cli.loader import load_project
from conftest import STATION
from pdfcheck import boxes_mm, page_text

SHOT_RE = re.compile(r"^# 镜头 (\d+)｜(特写|近景|中景|全景)｜(.+)｜(\d+)–(\d+) 秒$")


def versions(text: str) -> list[dict]:
    """Each version of a video script: its name, the seconds it says, its shots (number, 景别, seen, from, to, said)."""
    found: list[dict] = []
    rate = int(speech.RATE_RE.match(next(line for line in text.splitlines() if "语速" in line))[1])
    for line in text.splitlines():
        if m := speech.PART_RE.match(line):
            found.append({"name": m[1], "said": None, "shots": [], "rate": rate})
        elif found and (m := speech.DURATION_RE.match(line)):
            found[-1]["said"] = int(m[1])
        elif found and (m := SHOT_RE.match(line)):
            found[-1]["shots"].append([int(m[1]), m[2], m[3], int(m[4]), int(m[5]), ""])
        elif found and line.strip() and not line.startswith("#"):
            found[-1]["shots"][-1][5] += line.strip()
    return found


@pytest.mark.parametrize("audience", ["pupils", "elderly"])
def test_each_version_is_at_most_a_minute_counted_from_its_words(make_project, run, audience):
    root = make_project({"antifraud.yaml": STATION})
    result = run(root, "build", "-p", "video-script", "-p", "video-script-sheet", "-a", audience)
    assert result.exit_code == 0, result.output
    text = (root / "dist" / audience / "video-script.txt").read_text(encoding="utf-8")
    assert not speech.check_script(text, 60)
    found = versions(text)
    assert [v["name"].split("：")[0] for v in found] == ["轻松版", "严肃版"]
    rate = found[0]["rate"]
    assert rate == load_project(root).audiences[audience].reading.speech_rate
    pdf = root / "dist" / audience / "video-script.pdf"
    pages = page_text(pdf)
    assert len(pages) == 2 and len(boxes_mm(pdf)) == 2
    for version, page in zip(found, pages):
        shots = version["shots"]
        assert [s[0] for s in shots] == list(range(1, len(shots) + 1))
        # honest: the total is the time of every spoken character at the rate; the shots tile it without gaps
        spoken = sum(1 for s in shots for ch in s[5] if speech.is_han(ch))
        total = speech.seconds(spoken, rate)
        assert version["said"] == total <= 60
        assert shots[0][3] == 0 and shots[-1][4] == total
        assert all(a[4] == b[3] for a, b in zip(shots, shots[1:]))
        assert all(s[4] > s[3] for s in shots), "every shot lasts"
        # what is said is said as written: numbers as words, short sentences
        assert all(not speech.check_line(s[5]) for s in shots)
        # the PDF prints the same total and every line said
        flat = re.sub(r"\s+", "", page)
        assert f"总时长：约{total}秒" in flat
        assert all(re.sub(r"\s+", "", s[5]) in flat for s in shots)
    assert "九六幺幺零" in text and "96110" not in "".join(s[5] for v in found for s in v["shots"])


def test_a_part_says_its_own_duration():
    script = ("# 语速：每分钟 200 字\n\n# ==== 甲版 ====\n# 时长：约 2 秒\n你好你好你好。\n"
              "# ==== 乙版 ====\n# 时长：约 9 秒\n你好。\n# ==== 丙版 ====\n你好。\n")
    problems = sorted(speech.check_script(script))
    assert problems == [
        (7, "part '乙版' says 9 s, but its 2 spoken characters take 1 s at 200 a minute",
         "compute it: `| script_seconds(rate)`"),
        (9, "part '丙版' needs its own line '# 时长：约 N 秒'",
         "write `# 时长：约 {{ part | script_seconds(rate) }} 秒` below its `# ====` line")]


def test_a_part_longer_than_max_seconds_is_an_error():
    line = "今天说一个真事，大家听好。\n"  # 11 characters: 3.3 s at 200 a minute
    body = line * 20
    script = f"# 语速：每分钟 200 字\n# ==== 长版 ====\n# 时长：约 {speech.script_seconds(body, 200)} 秒\n{body}"
    assert speech.check_script(script, 120) == []
    ((n, message, _),) = speech.check_script(script, 60)
    assert (n, message) == (3, "part '长版' takes 66 s to say, more than the 60 s it may")


def test_max_seconds_is_for_scripts_read_aloud():
    from antifraud_cli.products import ProductSpec

    with pytest.raises(ValueError, match="`max_seconds` is for scripts read aloud"):
        ProductSpec(id="x", name="x", template="x.txt.j2", format="txt", max_seconds=60)


def test_the_video_script_is_checked_as_a_script(make_project, run):
    """A local case whose story has digits is said in words; the build fails if a version ran over a minute."""
    case = ("id: long-story\ntitle: 长故事\nsummary: 一个很长的故事。\nred_flags: [要钱]\nadvice: [不给]\n"
            "audiences: [pupils]\nstory:\n  - {figures: [骗子, 手机], line: 快转钱, kind: scam}\n"
            "  - {figures: [男孩, 手机], line: 怎么办？}\n  - {figures: [男孩, 一家人], line: 告诉爸妈, kind: safe}\n"
            "spoken:\n  answer: 不给钱，告诉爸爸妈妈。\n  story:\n" +
            "".join(f"    - 第{i}天，骗子又来要钱了。\n" for i in range(1, 30)))
    spec = ("id: video-script\nname: 短视频\ntemplate: video-script.txt.j2\nformat: txt\nspoken: true\n"
            "max_seconds: 60\ncases: 8\nper: station\n")
    root = make_project({"antifraud.yaml": STATION + "focus: [long-story]\n", "cases/long-story.yaml": case,
                         "products/video-script.yaml": spec})
    result = run(root, "build", "-p", "video-script", "-a", "pupils")
    assert result.exit_code == 1
    assert "more than the 60 s it may" in result.output and "Traceback" not in result.output
