"""Validated data models. Every model remembers where its values came from (file, line)."""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PrivateAttr, StringConstraints, field_validator

from .errors import Location
from .icons import ICON_NAMES

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
    return value


Printed = Annotated[str, AfterValidator(printable_text)]
Text = Annotated[str, StringConstraints(min_length=1, strip_whitespace=True), AfterValidator(printable_text)]
HexColor = Annotated[str, StringConstraints(pattern=r"^#[0-9A-Fa-f]{6}$")]
PHONE_RE = re.compile(r"^\+?[0-9][0-9 \-()]{1,30}[0-9]$")

PRODUCTS = ("poster", "leaflet", "card", "card-sheet")
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


def _phone(value: str | None) -> str | None:
    if value is not None and not PHONE_RE.match(value):
        raise ValueError(f"'{value}' is not a phone number (digits, optionally with - or spaces)")
    return value


class SourceRef(Model):
    name: Text
    date: dt.date | None = None
    url: Printed | None = None


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


class CaseCounts(Model):
    poster: int = Field(ge=1, le=6)
    leaflet: int = Field(ge=1, le=6)


class Reading(Model):
    min_font_pt: float = Field(ge=6, le=72)
    body_font_pt: float = Field(ge=6, le=72)
    cases: CaseCounts
    line_chars: int = Field(ge=6, le=60, description="longest line of body text, in characters")
    item_chars: int = Field(ge=6, le=200, description="longest red flag / advice item, in characters")
    pictograms: bool = False
    pinyin: bool = False
    min_contrast: float = Field(default=4.5, ge=3, le=21)


class Voice(Model):
    greeting: Text
    headline: Text
    subhead: Text | None = None
    slogan: Text
    closing: Text
    core_advice: list[Text] = Field(min_length=1, max_length=4)


class Palette(Model):
    primary: HexColor
    on_primary: HexColor
    accent: HexColor
    on_accent: HexColor
    background: HexColor
    text: HexColor
    muted: HexColor


class Audience(Model):
    id: Slug
    name: Text
    description: Text | None = None
    reading: Reading
    voice: Voice
    palette: Palette
    priorities: list[Slug] = []
    tags: list[Slug] = []


class Station(Model):
    name: Text
    authority: Text | None = None
    phone: str | None = None
    address: Text | None = None

    _check_phone = field_validator("phone")(_phone)


class QRConfig(Model):
    url: Text = "tel:96110"
    caption: Text = "扫码拨打96110反诈专线"

    @field_validator("url")
    @classmethod
    def _scheme(cls, v: str) -> str:
        if not re.match(r"^(tel:\+?[0-9\-]{3,20}|https?://\S+|weixin://\S+|sms:\S+|mailto:\S+)$", v):
            raise ValueError(f"'{v}' is not a tel:, https:// or weixin:// link")
        return v


class Officer(Model):
    name: Text
    title: Text = "社区民警"
    phone: str
    badge: Printed | None = None
    units: list[Slug] = []

    _check_phone = field_validator("phone")(_phone)


class Unit(Model):
    id: Slug
    name: Text
    officer: Text | None = None


class FontConfig(Model):
    regular: Text
    bold: Text | None = None


class Defaults(Model):
    audiences: list[Slug] | None = None
    products: list[Literal[PRODUCTS]] | None = None  # type: ignore[valid-type]
    poster_size: Literal["A3", "A2"] = "A3"


class Config(Model):
    station: Station
    qr: QRConfig = QRConfig()
    officers: list[Officer] = []
    units: list[Unit] = []
    roster: Text | None = None
    fonts: FontConfig | None = None
    defaults: Defaults = Defaults()

