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


@lru_cache(maxsize=256)
def cmyk(color: str) -> tuple[float, float, float, float]:
    """Naive RGB -> CMYK with grey component replacement; near-black text becomes pure K (no registration fringes)."""
    r, g, b = hex_rgb(color)
    k = 1 - max(r, g, b)
    if k >= 0.999:
        return (0.0, 0.0, 0.0, 1.0)
    c, m, y = ((1 - x - k) / (1 - k) for x in (r, g, b))
    if max(c, m, y) - min(c, m, y) < 0.04 and k > 0.75:  # neutral dark grey: K only
        return (0.0, 0.0, 0.0, round(1 - (r + g + b) / 3, 4))
    return tuple(round(v, 4) for v in (c, m, y, k))  # type: ignore[return-value]
