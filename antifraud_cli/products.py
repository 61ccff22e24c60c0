"""The product registry: what each product is, as data. A product is one spec file + one template.

Built-in specs live in the library's `products/` folder (shipped in the wheel); a project's own `products/`
folder adds products or replaces built-in ones with the same id. Nothing else in the code names a product.
"""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints, model_validator

from .models import Model, Slug, Text

FileName = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*\.(pdf|png|txt|pptx)$")]
TemplateName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.-]*\.j2$")]
Mm = Annotated[float, Field(gt=0, le=20000)]


class Imposition(Model):
    """Place the product's pages cols × rows on a larger sheet (the card on A4)."""

    cols: int = Field(ge=1, le=20, description="cards across the sheet")
    rows: int = Field(ge=1, le=20, description="cards down the sheet")
    gutter: float = Field(default=0, ge=0, le=30, description="mm between neighbouring cards (0: abutting)")
    bleed: float = Field(default=0, ge=0, le=5,
                         description="mm of each card's bleed kept around it (needs a gutter of twice that)")
    order: Literal["grid", "saddle"] = Field(
        default="grid", description="grid: the cards in reading order, each page on its own sheet page; saddle: "
                                    "a booklet's pages two to a sheet side in saddle-stitch order (8|1, 2|7, …), "
                                    "fronts and backs alternating, for duplex printing, folding and stapling "
                                    "(`cols: 2, rows: 1`; `bleed`: kept round the pair when the sheet has room, "
                                    "with crop marks)")

    @model_validator(mode="after")
    def _bleed_fits(self):
        if self.order == "saddle":
            if (self.cols, self.rows) != (2, 1) or self.gutter:
                raise ValueError("a saddle-stitched booklet is imposed `cols: 2, rows: 1` with no gutter")
            return self
        if self.bleed and self.gutter < 2 * self.bleed:
            raise ValueError(f"a bleed of {self.bleed:g} mm needs a gutter of at least {2 * self.bleed:g} mm")
        return self


class Size(Model):
    """One named size variant: the finished (trim) size in mm."""

    w: Mm = Field(description="trim width, mm")
    h: Mm = Field(description="trim height, mm")
    impose: Imposition | None = Field(default=None, description="imposition for this variant")

    @property
    def scale(self) -> int:
        """The scale the PDF is drawn at: a page over 200 inches (crop-mark slug included) is drawn at 1:2 or
        1:10, as print shops take large-format files (display.print_scale)."""
        from .display import print_scale

        slug = 20  # mm: crop marks at most
        return print_scale((self.w + slug) * 72 / 25.4, (self.h + slug) * 72 / 25.4)


class ProductSpec(Model):
    id: Slug = Field(description="what `-p` and `defaults.products` call it; also names the spec file")
    name: Text = Field(description="Chinese name, shown by `antifraud list products`")
    description: Text | None = Field(default=None, description="one line on what it is for")
    template: TemplateName = Field(description="template file in `templates/` (project first, then built-in)")
    sizes: dict[Text, Size] = Field(default={}, description="named size variants; the first is the default "
                                                            "(pdf and png: at least one; txt: none)")
    pages: int = Field(default=1, ge=1, le=16, description="pages the template must produce")
    cases: int = Field(default=0, ge=0, le=8,
                       description="cases shown per audience; an audience may override it in `reading.cases`")
    per: Literal["audience", "unit", "station"] = Field(
        default="audience", description="one output per audience (and unit), per unit, or once per station")
    audience: Slug | None = Field(
        default=None, description="for `per: unit` and `per: station`: the audience whose palette and voice apply")
    unit_kind: Literal["school"] | None = Field(
        default=None, description="built only for the units of this kind (`kind: school`: the parents' letter, "
                                  "one per school); a project without such units gets it once, with no unit")
    default_audiences: list[Slug] | None = Field(
        default=None, min_length=1, description="for `per: audience`: the audiences built when no `-a` is given "
                                                "(over `defaults.audiences`; default: every audience)")
    format: Literal["pdf", "png", "txt", "pptx"] = Field(
        default="pdf", description="output format: pdf, or png (the PDF rasterised to `width_px`, its text in the "
                                   "PNG's Description chunk), or txt (the template writes plain UTF-8 text, not "
                                   "the layout vocabulary), or pptx (the template writes slides in the slide "
                                   "vocabulary of slides.py; a PowerPoint file teachers can edit)")
    slides: list[Annotated[int, Field(ge=1, le=200)]] | None = Field(
        default=None, min_length=2, max_length=2,
        description="pptx: the fewest and most slides the template may make, e.g. `[12, 20]`")
    max_seconds: int | None = Field(default=None, ge=1, le=3600,
                                    description="txt with `spoken`: the longest the script (each of its parts) "
                                                "may take to say, in seconds")
    spoken: bool = Field(default=False, description="txt: a script read aloud; the build checks it (no digits, "
                                                    "Latin letters or symbols outside `#` lines, short sentences, "
                                                    "an honest `# 时长`)")
    max_chars: int | None = Field(default=None, ge=1, le=100000,
                                  description="txt: the most characters the text may have (a WeChat notice: 200)")
    file: FileName | None = Field(default=None, description="output file name (default `<id>.<format>`)")
    colour: Literal["print", "screen"] = Field(
        default="print", description="print: CMYK; screen: the palette's RGB (sRGB), for images shown on phones")
    width_px: int = Field(default=1080, ge=16, le=10000,
                          description="png: the image's width in pixels (the page is scaled to it)")
    needs: list[Literal["incidents"]] = Field(
        default=[], description="data it cannot be made without: `incidents` (`incidents:` in antifraud.yaml); "
                                "asking for it without them is an error that says how to add them")
    default: bool = Field(default=False, description="part of the kit built when no `-p` is given")
    each_officer: bool = Field(
        default=False, description="a project with officers but no units: one output per officer, "
                                   "`<file>-<officer id>` (with one officer, the plain file carries them)")
    cells: Literal["same", "officers", "units"] = Field(
        default="same", description="an imposed product's cells: the same card in each; each officer's card "
                                    "(no units); or every unit's card, in unit order, on sheets built once "
                                    "per audience")

    @model_validator(mode="after")
    def _consistent(self):
        if self.per == "unit" and self.audience is None:
            raise ValueError("a product built per unit needs `audience:` (whose palette and voice it uses)")
        if not self.each_audience and self.default_audiences:
            raise ValueError(f"`default_audiences` is for products built for each audience, not for the one "
                             f"`audience: {self.audience}` names")
        if self.format != "txt" and not self.sizes:
            raise ValueError(f"a {self.format} product needs at least one size under `sizes:`")
        if self.format == "txt" and self.sizes:
            raise ValueError("a txt product has no page size: remove `sizes:`")
        if any(s.impose and s.impose.order == "saddle" for s in self.sizes.values()) and self.pages % 4:
            raise ValueError(f"a saddle-stitched booklet has a multiple of 4 pages (a folded sheet is 4), "
                             f"not {self.pages}")
        if self.cells != "same" and not any(s.impose for s in self.sizes.values()):
            raise ValueError(f"`cells: {self.cells}` needs a size with `impose:`")
        if self.format in ("png", "pptx") and self.colour != "screen":
            raise ValueError(f"a {self.format} product is shown on screens: set `colour: screen`")
        if self.slides is not None and (self.format != "pptx" or self.slides[0] > self.slides[1]):
            raise ValueError("`slides: [fewest, most]` is for pptx products, fewest first")
        if self.max_seconds is not None and not self.spoken:
            raise ValueError("`max_seconds` is for scripts read aloud (`spoken: true`)")
        if self.format == "png" and (self.pages != 1 or any(s.impose for s in self.sizes.values())):
            raise ValueError("a png product is one page, not imposed")
        if (self.spoken or self.max_chars) and self.format != "txt":
            raise ValueError("`spoken` and `max_chars` are for txt products")
        if self.file is not None and not self.file.endswith("." + self.format):
            raise ValueError(f"file '{self.file}' does not end in .{self.format}")
        return self

    @property
    def each_audience(self) -> bool:
        """Built for each audience, into its folder (`OUT/[unit/]<audience>/`): `per: audience`, or `per: station`
        without `audience:` (once for the station, for each audience: the banner, the scripts read aloud).
        Otherwise built for the one audience `audience:` names, with no audience folder."""
        return self.per == "audience" or self.audience is None

    @property
    def filename(self) -> str:
        return self.file or f"{self.id}.{self.format}"

    @property
    def default_size(self) -> str:
        return next(iter(self.sizes), "")  # a txt product has no size

    def size_named(self, name: str | None) -> tuple[str, Size]:
        name = name or self.default_size
        return name, self.sizes[name]

    def describe_sizes(self) -> str:
        return ", ".join(f"{n} {s.w:g}×{s.h:g} mm" + (f" (drawn at 1:{s.scale})" if s.scale != 1 else "")
                         for n, s in self.sizes.items())


def spec_reference() -> str:
    """The spec format as Markdown tables, made from the models above: docs/templates.md carries this text
    between `<!-- product-spec -->` markers, and a test keeps the two equal."""
    out = []
    for title, model in (("product spec (`products/<id>.yaml`)", ProductSpec), ("a size (`sizes: {NAME: …}`)", Size),
                         ("`impose:`", Imposition)):
        schema = model.model_json_schema()["properties"]
        out += [f"| {title} | type | default | meaning |", "| --- | --- | --- | --- |"]
        for name, info in model.model_fields.items():
            default = "required" if info.is_required() else _show(info.default)
            out.append(f"| `{name}` | {_kind(schema[name])} | {default} | {info.description or ''} |")
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def _show(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    return f"`{value:g}`" if isinstance(value, float) else f"`{value}`"


def _kind(prop: dict) -> str:
    """A JSON-schema property in words."""
    options = [o for o in prop.get("anyOf", [prop]) if o.get("type") != "null"]
    prop = options[0] if options else prop
    if "enum" in prop or "const" in prop:
        return " / ".join(f"`{v}`" for v in prop.get("enum", [prop.get("const")]))
    if "$ref" in prop:
        return "see below"
    return {"string": "text", "integer": "whole number", "number": "number", "boolean": "true/false",
            "object": "map of name → size"}.get(prop.get("type", ""), "text")
