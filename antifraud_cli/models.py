"""Validated data models. Every model remembers where its values came from (file, line)."""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PrivateAttr, StringConstraints, field_validator

from .errors import Location
from .vocabulary import ICON_NAMES

SLUG_RE = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
Slug = Annotated[str, StringConstraints(pattern=SLUG_RE)]

# Bidi controls make text (and a QR link) display in an order other than the stored one: a spoofing tool.
_BIDI = {0x061C: "arabic letter mark", 0x200E: "left-to-right mark", 0x200F: "right-to-left mark",
         0x202A: "left-to-right embedding", 0x202B: "right-to-left embedding", 0x202C: "pop directional formatting",
         0x202D: "left-to-right override", 0x202E: "right-to-left override", 0x2066: "left-to-right isolate",
         0x2067: "right-to-left isolate", 0x2068: "first strong isolate", 0x2069: "pop directional isolate"}


def printable_text(value: str) -> str:
    """NFC-normalise (a combining accent joins its letter, as fonts draw it) and refuse control and
    bidi characters: they print as nothing, break the layout document or reorder what a reader sees."""
    value = unicodedata.normalize("NFC", value)
    for ch in value:
        cp = ord(ch)
        if cp in _BIDI:
            raise ValueError(f"character U+{cp:04X} ({_BIDI[cp]}) is not allowed in printed text")
        if unicodedata.category(ch) == "Cc" and ch not in "\n\t\r":
            raise ValueError(f"control character U+{cp:04X} is not allowed in printed text")
        if cp & 0xFFFE == 0xFFFE or 0xFDD0 <= cp <= 0xFDEF:  # noncharacters: no font has them, XML refuses some
            raise ValueError(f"character U+{cp:04X} is a Unicode noncharacter, not allowed in printed text")
    return value


Printed = Annotated[str, AfterValidator(printable_text)]
Text = Annotated[str, StringConstraints(min_length=1, strip_whitespace=True), AfterValidator(printable_text)]
HexColor = Annotated[str, StringConstraints(pattern=r"^#[0-9A-Fa-f]{6}$")]
# Chinese phone numbers as people write them: mobile 11 digits starting 13-19; landline with its area code
# (010/02x + 8 digits, 0xxx + 7-8 digits), optionally +86 (area code then without its 0) and an extension.
# Separators: spaces, dashes, brackets around the area code. Station lines may also be service numbers.
MOBILE_RE = re.compile(r"^(?:\+?86[ -]?)?1[3-9]\d[ -]?\d{4}[ -]?\d{4}$")
LANDLINE_RE = re.compile(r"^(?:\+?86[ -]?\(?(?:10|2\d|[3-9]\d{2})\)?|\(?(?:010|02\d|0[3-9]\d{2})\)?)[ -]?"
                         r"[1-9]\d{2,3}[ -]?\d{4}(?:(?:-|转|ext\.?|x)\d{1,6})?$")
SERVICE_RE = re.compile(r"^(?:1\d{2}|1\d{4}|9\d{4}|95\d{4}|[48]00[ -]?\d{3}[ -]?\d{4})$")
PHONE_HINT = ("a mobile number has 11 digits starting with 1 (13800001111); a landline starts with its area code "
              "(0913-5212110)")

ICONS = ICON_NAMES


class Model(BaseModel):
    """Strict: a number is never silently turned into text, unknown keys are refused."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)
    _source: str = PrivateAttr(default="")
    _lines: dict = PrivateAttr(default_factory=dict)
    _prefix: tuple = PrivateAttr(default=())

    def locate(self, source: str, lines: dict, prefix: tuple = ()) -> None:
        self._source = source
        self._lines = lines
        self._prefix = prefix

    def path_of(self, *field: str | int) -> str:
        """The field's whole path in its file, as messages name it: `officers[1].phone`."""
        return field_path(self._prefix + tuple(field))

    def where(self, *field: str | int) -> Location:
        """Location of a field (or of the model itself), walking up to the nearest known line."""
        path = tuple(field)
        while path and path not in self._lines:
            path = path[:-1]
        return Location(self._source, self._lines.get(path))


def field_path(parts) -> str:
    """('officers', 1, 'phone') -> 'officers[1].phone'."""
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


class PhoneError(ValueError):
    """A phone number that fits no rule; `hint` says what would."""

    def __init__(self, message: str, hint: str):
        super().__init__(message)
        self.hint = hint


def normalize_phone(value: str) -> str:
    """Full-width digits and dashes (typed with a Chinese input method) as ASCII; outer spaces dropped."""
    text = unicodedata.normalize("NFKC", value).strip()
    return re.sub(r"[\u2010-\u2015\u2212]", "-", text)


def phone_error(value: str, service: bool = False) -> PhoneError | None:
    """None if `value` is a mobile or landline number (or, with `service`, a short service number like 96110)."""
    text = normalize_phone(value)
    if MOBILE_RE.match(text) or LANDLINE_RE.match(text) or (service and SERVICE_RE.match(text)):
        return None
    hint = PHONE_HINT
    if text.isdigit() and not text.startswith("0") and len(text) in (9, 10, 11):
        # 9135212110 is 0913-5212110 after a spreadsheet or YAML read it as a number
        hint += "; if it was typed into a spreadsheet cell as a number, its leading 0 was dropped: set the cell " \
                "format to text (设置单元格格式 → 文本) and type it again"
    return PhoneError(f"'{value}' is not a phone number", hint)


# The parts of a valid number, for printing it one way (format_phone).
_MOBILE_PARTS = re.compile(r"^(?:\+?86[ -]?)?(?P<n>1[3-9]\d[ -]?\d{4}[ -]?\d{4})$")
_LANDLINE_PARTS = re.compile(r"^(?:\+?86[ -]?\(?(?P<area86>10|2\d|[3-9]\d{2})\)?|\(?(?P<area>010|02\d|0[3-9]\d{2})\)?)"
                             r"[ -]?(?P<local>[1-9]\d{2,3}[ -]?\d{4})(?:(?:-|转|ext\.?|x)(?P<ext>\d{1,6}))?$")


def format_phone(value: str) -> str:
    """A valid number as every product prints it, however it was typed: a mobile in the 3-4-4 groups people
    read aloud (139 0000 3333), a landline as area code, dash, the local number unbroken and 转 before an
    extension (0913-5212110, 010-87654321, 0913-5212110转801), a 400/800 number 400-123-4567, a short service
    number as its digits (96110). +86 is left out: the numbers are dialled from within China. Any other text is
    returned as normalize_phone gives it."""
    text = normalize_phone(value)
    if m := _MOBILE_PARTS.match(text):
        n = _digits(m["n"])
        return f"{n[:3]} {n[3:7]} {n[7:]}"
    if m := _LANDLINE_PARTS.match(text):
        area = m["area"] or "0" + m["area86"]
        return f"{area}-{_digits(m['local'])}" + (f"转{m['ext']}" if m["ext"] else "")
    if SERVICE_RE.match(text):
        n = _digits(text)
        return f"{n[:3]}-{n[3:6]}-{n[6:]}" if len(n) == 10 else n
    return text


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def _phone(value: str | None) -> str | None:
    if value is None:
        return None
    if err := phone_error(value):
        raise err
    return format_phone(value)


def _station_phone(value: str | None) -> str | None:
    if value is None:
        return None
    if err := phone_error(value, service=True):
        raise err
    return format_phone(value)


class SourceRef(Model):
    name: Text
    date: dt.date | None = None
    url: Printed | None = None


class Spoken(Model):
    """A case told aloud (loudspeaker and school-radio scripts): short sentences, and a quiz question."""
    story: list[Text] = Field(min_length=1, description="the case as a tiny story, one short sentence a line")
    question: Text | None = None  # asked on school radio, then answered
    answer: Text | None = None


STORY_LINE_MAX = 14  # characters a speech bubble may carry, punctuation not counted


def _story_line(value: str) -> str:
    n = sum(1 for ch in value if not unicodedata.category(ch).startswith(("P", "Z")))
    if n > STORY_LINE_MAX:
        raise ValueError(f"a story line has at most {STORY_LINE_MAX} characters (punctuation not counted); "
                         f"this one has {n}: say less, the picture tells the rest")
    return value


def _picture_name(value: str) -> str:
    from .picture_names import PICTURE_NAMES

    if value not in PICTURE_NAMES:
        raise ValueError(f"unknown picture {value!r}; the picture set has: {'、'.join(PICTURE_NAMES)}")
    return value


class Panel(Model):
    """One panel of a picture story: who and what is drawn, and one short line (said by the first figure)."""
    figures: list[Annotated[str, AfterValidator(_picture_name)]] = Field(
        min_length=1, max_length=3, description="1–3 names from the picture set; the first one says the line")
    line: Annotated[Text, AfterValidator(_story_line)] = Field(
        description="what is said or happens, at most 14 characters besides punctuation")
    kind: Literal["scam", "event", "safe"] = Field(
        default="event", description="scam: the scammer's move (a warning mark); safe: what to do (a ✓)")


def _story_ends_safe(panels: list[Panel]) -> list[Panel]:
    if panels and panels[-1].kind != "safe":
        raise ValueError("the last panel of a story says what to do: give it `kind: safe`")
    if panels and not any(p.kind == "scam" for p in panels):
        raise ValueError("a story shows the scammer's move: give one panel `kind: scam`")
    return panels


class Case(Model):
    id: Slug
    title: Text
    category: Text | None = None
    headline: Text | None = None
    summary: Text
    how_it_works: list[Text] = []
    red_flags: list[Text] = Field(min_length=1)
    advice: list[Text] = Field(min_length=1)
    script: Text | None = None
    audiences: list[Slug] = Field(min_length=1)
    tags: list[Slug] = []
    seasons: list[Annotated[int, Field(ge=1, le=12)]] = []
    icon: Literal[ICONS] | None = None  # type: ignore[valid-type]
    sources: list[SourceRef] = []
    updated: dt.date | None = None
    spoken: Spoken | None = None  # for scripts read aloud (broadcast, school-radio)
    story: Annotated[list[Panel], AfterValidator(_story_ends_safe)] | None = Field(
        default=None, min_length=3, max_length=4, description="the case as a picture story of 3–4 panels")


class Reading(Model):
    min_font_pt: float = Field(ge=6, le=72)
    body_font_pt: float = Field(ge=6, le=72)
    # how many cases each product shows for this audience (product id -> count), over the product's default
    cases: dict[Slug, Annotated[int, Field(ge=0, le=8)]] = {}
    item_chars: int = Field(ge=6, le=200, description="longest red flag / advice item, in characters")
    pictograms: bool = False
    pinyin: bool = False
    min_contrast: float = Field(default=4.5, ge=3, le=21)
    # characters read aloud a minute, for the duration of scripts (elderly about 150, others about 200)
    speech_rate: int = Field(default=200, ge=100, le=300)
    # picture stories (a case's `story:`): how the products show them to this audience
    stories: Literal["full", "key"] = Field(
        default="key", description="full: every printed case as its picture story, with few words; key: the "
                                   "scammer's panel beside a case's text where there is room")
    max_words_per_case: int | None = Field(
        default=None, ge=8, le=400, description="characters a printed case may carry besides its story's lines "
                                                "(its headline and advice, in that order); none: no limit")
    figures: dict[Annotated[str, AfterValidator(_picture_name)], Annotated[str, AfterValidator(_picture_name)]] = Field(
        default={}, description="stand-ins: a story's figure drawn as another for this audience, so readers see "
                                "themselves (migrant workers: {学生: 工人})")


# A banner (横幅) carries one line read from 30 m: 8-20 characters (spaces count).
BannerText = Annotated[Text, StringConstraints(min_length=8, max_length=20)]


class Subhead(Model):
    """One of an audience's subheads: printed only over a product that prints every case it names."""
    text: Text
    cases: list[Slug] = Field(default=[], description="the cases the text names (冒充亲人 → fake-relative)")


def _last_names_none(subheads: list[Subhead]) -> list[Subhead]:
    if subheads and subheads[-1].cases:
        raise ValueError("the last subhead names no case (no `cases:`): it prints when the cases the others "
                         "name are not all on the page")
    return subheads


class Voice(Model):
    greeting: Text
    headline: Text
    # one text; or a list, of which a product prints the first whose `cases` it prints (select.subhead_for)
    subhead: Text | Annotated[list[Subhead], AfterValidator(_last_names_none)] | None = None
    slogan: Text
    banner: BannerText | None = None  # the banner's line; without it the banner prints the slogan
    closing: Text
    core_advice: list[Text] = Field(min_length=1, max_length=4)
    # the national tools this audience is told about, one line each (12381 预警短信, 一证通查, 云闪付一键查卡):
    # printed next to the 国家反诈中心App where a product has a tools box
    tools: list[Text] = Field(default=[], max_length=3)
    # what to do after being scammed, in order, where it differs from the adults' (110, keep the records, the
    # sooner the better): children first tell their parents or teacher, then call 110 with them
    scammed: list[Text] = Field(default=[], max_length=4)
    # how the materials address the reader: 你 turns a case's 您 into 你 for students or workers (not inside
    # quotation marks, nor in the scammer's script: a fake customer service says 您 to anyone); none: as written
    address: Literal["你"] | None = None


class Palette(Model):
    primary: HexColor
    on_primary: HexColor
    accent: HexColor
    on_accent: HexColor
    background: HexColor
    text: HexColor
    muted: HexColor


class SeasonLine(Model):
    """A line an audience's materials print in some months (e.g. 开学季 for students)."""
    months: list[Annotated[int, Field(ge=1, le=12)]] = Field(min_length=1)
    name: Text
    line: Text


class Audience(Model):
    id: Slug
    name: Text
    description: Text | None = None
    reading: Reading
    voice: Voice
    palette: Palette
    priorities: list[Slug] = []
    tags: list[Slug] = []
    seasonal: list[SeasonLine] = []


class StationBanner(Model):
    """The station's own banner line (`station: {banner: {text: …, audiences: {elderly: …}}}`): over the
    audience's `voice.banner`."""
    text: BannerText | None = None  # every audience's banner
    audiences: dict[Slug, BannerText] = {}  # one audience's banner, over `text`


def _period(value: str) -> str:
    if len(value) > 20:
        raise ValueError(f"has {len(value)} characters; at most 20 fit the briefing's header line")
    return value


class StationBriefing(Model):
    """The station's incident briefing (`station: {briefing: {period: 2026年第三季度}}`): `period` is printed
    instead of the calendar months the incidents cover."""
    period: Annotated[Text, AfterValidator(_period)] | None = None


class Station(Model):
    name: Text
    authority: Text | None = None
    phone: str | None = None
    address: Text | None = None
    banner: StationBanner | None = None
    briefing: StationBriefing | None = None

    _check_phone = field_validator("phone")(_station_phone)


class QRConfig(Model):
    url: Text = "tel:96110"
    caption: Text = "扫码拨打96110反诈专线"

    @field_validator("url", mode="before")
    @classmethod
    def _tel_digits(cls, v):
        """tel:139 0000 3333 as tel:13900003333: a phone's camera dials what the code holds, grouping and all."""
        if isinstance(v, str) and v.strip()[:4].lower() == "tel:":
            number = unicodedata.normalize("NFKC", v.strip()[4:])
            if re.fullmatch(r"\+?[0-9 \-()\u2010-\u2015\u2212]*[0-9][0-9 \-()\u2010-\u2015\u2212]*", number):
                return "tel:" + "+" * number.startswith("+") + re.sub(r"\D", "", number)
        return v

    @field_validator("url")
    @classmethod
    def _scheme(cls, v: str) -> str:
        if not re.match(r"^(tel:\+?[0-9\-]{3,20}|https?://\S+|weixin://\S+|sms:\S+|mailto:\S+)$", v):
            raise ValueError(f"'{v}' is not a tel:, https:// or weixin:// link")
        return v


class OfficerQR(QRConfig):
    """The officer's own QR code (their WeChat), over the station's `qr` on the contact board."""
    url: Text
    caption: Text = "扫码加民警微信"


class Officer(Model):
    name: Text
    title: Text = "社区民警"
    phone: str
    badge: Printed | None = None
    units: list[Slug] = []
    photo: Text | None = None  # JPEG or PNG in the project folder, for the contact board (photos.py checks it)
    qr: OfficerQR | None = None

    _check_phone = field_validator("phone")(_phone)


class Unit(Model):
    id: Slug
    name: Text
    officer: Text | None = None
    office: Text | None = None  # the 警务室's address, on the contact board
    hours: Text | None = None  # when the 警务室 is open
    # a school among the units: the parents' letter (per school) is built for it and signed by it
    kind: Literal["village", "school"] | None = None


class FontConfig(Model):
    regular: Text
    bold: Text | None = None


class Defaults(Model):
    audiences: list[Slug] | None = None
    products: list[Slug] | None = None
    sizes: dict[Slug, Text] = {}  # product id -> one of its size variants (`antifraud list products`)
    poster_size: Literal["A3", "A2"] | None = None  # older spelling of sizes: {poster: …}

    def size_for(self, product: str) -> str | None:
        if product in self.sizes:
            return self.sizes[product]
        return self.poster_size if product == "poster" else None


class Config(Model):
    station: Station
    qr: QRConfig = QRConfig()
    officers: list[Officer] = []
    units: list[Unit] = []
    roster: Text | None = None
    fonts: FontConfig | None = None
    defaults: Defaults = Defaults()
    focus: list[Slug] = []  # a campaign: these cases first on every product of their audiences
    incidents: Text | None = None  # the area's incidents (CSV or XLSX) for the briefing

