"""Text for the ear: numbers as they are said, and the rules a script read aloud must keep.

A script (a `txt` product with `spoken: true`) has two kinds of lines: lines starting with `#` are for the
announcer (title, audience, `# 语速：每分钟 R 字`, `# 时长：约 N 秒`) and are not read out; every other line is
read aloud, optionally after a speaker label (`甲：`, `乙：`, `合：`). Read-aloud text holds only Chinese
characters and Chinese punctuation: 96110 is written 九六幺幺零, 3000元 三千元.

Duration: the spoken characters (Chinese characters of the read-aloud lines, labels not counted) at R
characters a minute, rounded to the second. A script may hold parts (two versions of a video script), each
starting with a line `# ==== name ====` and timed on its own by its `# 时长` line. Punctuation is not counted: the rates people quote for reading
aloud (about 150–160 a minute for the elderly and for loudspeakers, about 200 otherwise) already include
the pauses.
"""
from __future__ import annotations

import re

DIGITS = "零一二三四五六七八九"
PHONE_DIGITS = "零幺二三四五六七八九"  # on the phone and over a loudspeaker 1 is 幺, never confused with 七
MAX_SENTENCE = 15  # Chinese characters between two 。！？； : what a listener takes in at once
PUNCTUATION = set("，。！？、；：“”‘’…—《》·")
LABEL_RE = re.compile(r"^(甲|乙|合)：")
RATE_RE = re.compile(r"^#\s*语速：每分钟\s*(\d+)\s*字\s*$")
DURATION_RE = re.compile(r"^#\s*时长：约\s*(\d+)\s*秒\s*$")
PART_RE = re.compile(r"^#\s*={2,}\s*(.+?)\s*={2,}\s*$")  # `# ==== 轻松版 ====`: a part, timed on its own

# Words in Latin letters as a Chinese listener hears them said.
WORDS = {"App": "应用", "APP": "应用", "app": "应用", "AI": "人工智能", "VIP": "会员", "QQ": "扣扣",
         "NFC": "碰一碰", "ETC": "高速电子收费", "WiFi": "无线网", "wifi": "无线网", "U盾": "优盾"}
# A number followed by one of these is a quantity (三千元, 十五天), not a string of digits (九六幺幺零).
UNITS = ("元", "块", "万", "亿", "千", "百", "岁", "天", "个", "次", "起", "月", "日", "号", "分钟", "分", "秒",
         "小时", "人", "名", "条", "张", "笔", "倍", "成", "多", "周", "年", "点", "位", "步", "句", "道", "件")
# Every character `spoken` can write that its input may not have: the font subset must hold them.
CHARS = frozenset(DIGITS + PHONE_DIGITS + "十百千万亿两点到第百分之，" + "".join(WORDS.values()))
_FULLWIDTH = str.maketrans("０１２３４５６７８９％", "0123456789%")
_NUMBER_RE = re.compile(
    r"(?P<range>\d{1,3})[~～-](?P<range2>\d{1,3})(?![\d -])"  # 3-5天
    r"|(?P<phone>\+?\d+(?:[- ]\d+)+)"                     # 0913-5212110, 138 0000 1111
    r"|(?P<pct>\d+(?:\.\d+)?)%"                           # 30%
    r"|(?P<num>\d[\d,]*(?:\.\d+)?)(?P<unit>" + "|".join(UNITS) + ")?")


def cn_int(n: int) -> str:
    """An integer as it is said: 12 十二, 110 一百一十, 3000 三千, 20000 两万, 10500 一万零五百."""
    if n == 0:
        return "零"
    out = ""
    for value, name in ((10 ** 8, "亿"), (10 ** 4, "万"), (1, "")):
        part, n = divmod(n, value)
        if part:
            if out and (part < 1000 or out.endswith("零")):
                out = out.rstrip("零") + "零"  # 一万零五百, 一亿零五
            out += ("两" if part == 2 and name else _below_10000(part, leading=not out)) + name
        elif out and n:
            out = out.rstrip("零") + "零"
    return out.rstrip("零")


def _below_10000(n: int, leading: bool) -> str:
    out, zero = "", False
    for value, name in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        d, n = divmod(n, value)
        if d:
            out += "零" if zero else ""
            digit = "两" if d == 2 and value == 1000 else DIGITS[d]
            if value == 10 and d == 1 and not out and leading:
                digit = ""  # 十二, not 一十二, at the start of a number
            out += digit + name
            zero = False
        elif out:
            zero = True
    return out


def cn_number(text: str) -> str:
    """'3000' 三千, '1.5' 一点五, '12,000' 一万二千; a bare 2 is 两 (两天, 两万元)."""
    whole, _, frac = text.replace(",", "").partition(".")
    said = cn_int(int(whole))
    if said == "二" and not frac:
        said = "两"
    return said + ("点" + "".join(DIGITS[int(d)] for d in frac) if frac else "")


def digit_string(text: str) -> str:
    """Digits one by one, 1 as 幺: 96110 九六幺幺零."""
    return "".join(PHONE_DIGITS[int(d)] for d in text if d.isdigit())


def _say(m: re.Match) -> str:
    if m["phone"]:
        return "，".join(digit_string(g) for g in re.split(r"[- ]", m["phone"].lstrip("+")) if g)
    if m["pct"]:
        return "百分之" + cn_number(m["pct"])
    if m["range"]:
        return cn_number(m["range"]) + "到" + cn_number(m["range2"])
    num, unit = m["num"], m["unit"] or ""
    plain = num.replace(",", "")
    if unit == "年" and len(plain) == 4:
        return "".join(DIGITS[int(d)] for d in plain) + unit  # 二零二六年: a year is said digit by digit
    if unit == "点" and "." not in plain:
        return cn_number(plain) + unit  # 八点 (o'clock)
    if unit or (len(plain) <= 2 and "." not in plain) or "." in plain or "," in num:
        number = cn_number(plain)
        if unit in ("月", "日", "号", "点", "分", "秒", "分钟", "小时", "步") and number == "两":
            number = "二"  # 二月, 二号, but 两天, 两万
        return number + unit
    return digit_string(plain)  # 110, 96110, 13800001111: said digit by digit


def spoken(text) -> str:
    """A text as it is read aloud: numbers as said, Latin words in Chinese, spaces as pauses (，)."""
    text = str(text).translate(_FULLWIDTH)
    for word, said in WORDS.items():
        text = re.sub(rf"(?<![A-Za-z]){re.escape(word)}(?![A-Za-z])", said, text)
    text = _NUMBER_RE.sub(_say, text).replace("第两", "第二")  # ordinals: 第二个, never 第两个
    text = re.sub(r"(?<=[\u4e00-\u9fff])[ \u3000]+(?=[\u4e00-\u9fff])", "，", text).strip()
    return text


# ---------------------------------------------------------------- counting and checking scripts

def is_han(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf" or "\U00020000" <= ch <= "\U0002ffff"


def read_aloud(script: str) -> list[tuple[int, str]]:
    """(line number, text read aloud) of each spoken line: `#` lines, blank lines and labels left out."""
    out = []
    for n, line in enumerate(script.splitlines(), start=1):
        line = line.strip()
        if line and not line.startswith("#"):
            out.append((n, LABEL_RE.sub("", line)))
    return out


def spoken_chars(script: str) -> int:
    """How many characters are read aloud (Chinese characters only; punctuation and labels are not)."""
    return sum(1 for _, text in read_aloud(script) for ch in text if is_han(ch))


def seconds(chars: int, rate: int) -> int:
    """Reading time in whole seconds at `rate` characters a minute."""
    return round(chars * 60 / rate)


def script_seconds(script: str, rate) -> int:
    """Jinja filter: `{{ body | script_seconds(rate) }}`."""
    return seconds(spoken_chars(str(script)), int(rate))


def check_line(text: str) -> list[tuple[str, str]]:
    """What keeps one read-aloud line from being said as written: (message, hint) each."""
    problems = []
    bad = sorted({ch for ch in text if not (is_han(ch) or ch in PUNCTUATION or ch == " ")})
    if bad:
        problems.append(("read-aloud text has " + " ".join(f"'{c}'" for c in bad),
                         "write numbers, Latin words and symbols as they are said (九六幺幺零, 三千元); "
                         "templates: `| spoken`; announcer notes start with #"))
    for sentence in re.split(r"[。！？；]", text):
        count = sum(1 for ch in sentence if is_han(ch))
        if count > MAX_SENTENCE:
            problems.append((f"a sentence of {count} characters is too long to take in by ear "
                             f"(at most {MAX_SENTENCE}): '{sentence}'", "split it at a comma into two sentences"))
    return problems


def script_parts(script: str) -> list[tuple[int, str, str]]:
    """(line number of its `# ==== name ====` line, name, text) of each part of a script in parts; [] for a
    script of one part. A part's text keeps the script's line numbering (blank lines before it)."""
    lines = script.splitlines()
    starts = [(n, m[1]) for n, line in enumerate(lines, 1) if (m := PART_RE.match(line.strip()))]
    ends = [n for n, _ in starts[1:]] + [len(lines) + 1]
    return [(n, name, "\n" * (n - 1) + "\n".join(lines[n - 1:end - 1])) for (n, name), end in zip(starts, ends)]


def check_script(script: str, max_seconds: int | None = None) -> list[tuple[int, str, str]]:
    """Every rule a script read aloud breaks, as (line, message, hint). `max_seconds`: the longest the script, or
    each of its parts, may take."""
    problems = [(n, message, hint) for n, text in read_aloud(script) for message, hint in check_line(text)]
    rates = [(n, int(m[1])) for n, line in enumerate(script.splitlines(), 1) if (m := RATE_RE.match(line.strip()))]
    durations = [(n, int(m[1])) for n, line in enumerate(script.splitlines(), 1)
                 if (m := DURATION_RE.match(line.strip()))]
    if not rates or not durations:
        problems.append((1, "a script needs the lines '# 语速：每分钟 R 字' and '# 时长：约 N 秒'",
                         "write `# 时长：约 {{ body | script_seconds(rate) }} 秒` in the template"))
        return problems
    (_, rate), (line, said) = rates[0], durations[0]
    if not 60 <= rate <= 400:
        problems.append((rates[0][0], f"a reading rate of {rate} characters a minute is not a human one",
                         "about 150–160 for the elderly and loudspeakers, about 200 otherwise"))
        return problems
    timed = [(line, "the script", script, said)]
    if parts := script_parts(script):  # each part says its own duration
        timed = []
        for start, name, text in parts:
            found = [(n, int(m[1])) for n, row in enumerate(text.splitlines(), 1) if (m := DURATION_RE.match(row.strip()))]
            if not found:
                problems.append((start, f"part '{name}' needs its own line '# 时长：约 N 秒'",
                                 "write `# 时长：约 {{ part | script_seconds(rate) }} 秒` below its `# ====` line"))
                continue
            timed.append((found[0][0], f"part '{name}'", text, found[0][1]))
    for line, what, text, said in timed:
        honest = seconds(spoken_chars(text), rate)
        if said != honest:
            problems.append((line, f"{what} says {said} s, but its {spoken_chars(text)} spoken characters take "
                                   f"{honest} s at {rate} a minute", "compute it: `| script_seconds(rate)`"))
        elif max_seconds is not None and honest > max_seconds:
            problems.append((line, f"{what} takes {honest} s to say, more than the {max_seconds} s it may",
                             "say less: fewer or shorter lines"))
    return problems
