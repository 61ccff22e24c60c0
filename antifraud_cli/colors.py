"""Colour maths: WCAG contrast on the RGB design colours, and the CMYK values that go to print."""
from __future__ import annotations

from functools import lru_cache


def hex_rgb(color: str) -> tuple[float, float, float]:
    color = color.lstrip("#")
    return tuple(int(color[i:i + 2], 16) / 255 for i in (0, 2, 4))  # type: ignore[return-value]


def _linear(c: float) -> float:
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def luminance(color: str) -> float:
    r, g, b = (_linear(c) for c in hex_rgb(color))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


@lru_cache(maxsize=1024)
def contrast_ratio(a: str, b: str) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


# A neutral colour darker than this prints as solid black: "#1A1A1A" is meant as black text, and an 87-90 %
# K tint would screen the edges of small type.
SOLID_BLACK_FROM = 0.85
NEUTRAL_CHROMA = 0.04  # max spread of C, M, Y (after grey replacement) for a colour to count as a grey


@lru_cache(maxsize=256)
def cmyk(color: str) -> tuple[float, float, float, float]:
    """RGB -> CMYK with full grey component replacement. Greys (R = G = B, or nearly) print from the black
    plate only, as K tints, and near-black as 100 % K: no registration fringes on small type and body text."""
    r, g, b = hex_rgb(color)
    k = 1 - max(r, g, b)
    if k >= 0.999:
        return (0.0, 0.0, 0.0, 1.0)
    c, m, y = ((1 - x - k) / (1 - k) for x in (r, g, b))
    if max(c, m, y) - min(c, m, y) < NEUTRAL_CHROMA:  # a grey: K only
        grey = 1 - (r + g + b) / 3
        return (0.0, 0.0, 0.0, 1.0 if grey >= SOLID_BLACK_FROM else round(grey, 4))
    return tuple(round(v, 4) for v in (c, m, y, k))  # type: ignore[return-value]


def k_only(ink: tuple[float, float, float, float]) -> bool:
    """Printed from the black plate alone (white, a K tint or solid K)."""
    return ink[0] == ink[1] == ink[2] == 0.0


def overprints(ink: tuple[float, float, float, float]) -> bool:
    """Solid black text overprints the colours under it (no knock-out, so no white halo when the plates
    shift); tints and colours knock out as usual."""
    return ink == (0.0, 0.0, 0.0, 1.0)
