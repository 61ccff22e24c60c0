"""Flat, single-colour pictograms drawn with PDF path operations on a ReportLab canvas (no fonts, no images).

Every icon is designed on a 100 x 100 unit grid with ~6 units of padding and is scaled into the
requested square, so stroke widths scale with the icon (the main strokes are ~8 % of the side).
Inner details are painted in the ``knockout`` colour (normally the paper / background colour).
"""
from __future__ import annotations

import math
from typing import Callable

from reportlab.pdfgen.canvas import FILL_EVEN_ODD, FILL_NON_ZERO

from .vocabulary import ICON_NAMES

CMYK = tuple[float, float, float, float]


_W = 8.0  # standard stroke width on the 100-unit grid


class _Pen:
    """Tiny helper bundling the canvas with the two colours of one icon."""

    def __init__(self, canvas, color: CMYK, knockout: CMYK) -> None:
        self.c = canvas
        self.color = color
        self.knockout = knockout

    def use(self, ink: CMYK) -> None:
        self.c.setFillColor(ink)  # a 4-tuple is CMYK (print), a 3-tuple RGB (screen products)
        self.c.setStrokeColor(ink)

    def fg(self) -> None:
        self.use(self.color)

    def ko(self) -> None:
        self.use(self.knockout)

    # --- primitives -------------------------------------------------------------------------------
    def path(self):
        return self.c.beginPath()

    def fill(self, p, even_odd: bool = False) -> None:
        self.c.drawPath(p, stroke=0, fill=1, fillMode=FILL_EVEN_ODD if even_odd else FILL_NON_ZERO)

    def stroke(self, p, width: float = _W, cap: int = 1, join: int = 1) -> None:
        self.c.setLineWidth(width)
        self.c.setLineCap(cap)
        self.c.setLineJoin(join)
        self.c.drawPath(p, stroke=1, fill=0)

    def polyline(self, pts, width: float = _W, close: bool = False, cap: int = 1, join: int = 1) -> None:
        p = self.path()
        p.moveTo(*pts[0])
        for pt in pts[1:]:
            p.lineTo(*pt)
        if close:
            p.close()
        self.stroke(p, width, cap, join)

    def polygon(self, pts) -> None:
        p = self.path()
        p.moveTo(*pts[0])
        for pt in pts[1:]:
            p.lineTo(*pt)
        p.close()
        self.fill(p)

    def rrect(self, x: float, y: float, w: float, h: float, r: float) -> None:
        if r > 0:
            self.c.roundRect(x, y, w, h, r, stroke=0, fill=1)
        else:
            self.c.rect(x, y, w, h, stroke=0, fill=1)

    def rrect_outline(self, x: float, y: float, w: float, h: float, r: float, width: float = _W) -> None:
        p = self.path()
        p.roundRect(x, y, w, h, r)
        self.stroke(p, width)

    def disc(self, x: float, y: float, r: float) -> None:
        self.c.circle(x, y, r, stroke=0, fill=1)

    def ring(self, x: float, y: float, r: float, width: float = _W) -> None:
        p = self.path()
        p.circle(x, y, r)
        self.stroke(p, width)

    def yuan(self, cx: float, cy: float, h: float, width: float) -> None:
        """The yuan sign as strokes, centred on (cx, cy), total height h, in the current colour."""
        top, bot = cy + h / 2, cy - h / 2
        mid = cy + h * 0.08  # where the two arms meet
        arm = h * 0.36
        self.polyline([(cx - arm, top), (cx, mid), (cx + arm, top)], width, cap=0, join=0)
        self.polyline([(cx, mid), (cx, bot)], width, cap=0)
        bar = h * 0.30
        self.polyline([(cx - bar, mid - width * 0.25), (cx + bar, mid - width * 0.25)], width * 0.85, cap=0)
        self.polyline([(cx - bar, mid - width * 1.75), (cx + bar, mid - width * 1.75)], width * 0.85, cap=0)


def _star_points(cx: float, cy: float, r_out: float, r_in: float, n: int = 5):
    pts = []
    for i in range(2 * n):
        r = r_out if i % 2 == 0 else r_in
        a = math.pi / 2 + i * math.pi / n
        pts.append((cx + r * math.cos(a), cy + r * math.sin(a)))
    return pts


# ------------------------------------------------------------------------------------------------
# the icons (each draws on the 100-unit grid, colour set by the caller to ``color``)
# ------------------------------------------------------------------------------------------------

def _phone(k: _Pen) -> None:
    k.rrect(25.5, 6, 49, 88, 9.5)
    k.ko()
    k.rrect(31.5, 21, 37, 60, 2.5)
    k.disc(50, 13.5, 4)
    k.rrect(43, 85.5, 14, 3.2, 1.6)


def _warning(k: _Pen) -> None:
    p = k.path()
    p.moveTo(50, 88)
    p.lineTo(10, 12)
    p.lineTo(90, 12)
    p.close()
    k.c.setLineWidth(_W * 1.5)
    k.c.setLineJoin(1)
    k.c.drawPath(p, stroke=1, fill=1)
    k.ko()
    k.polygon([(45.2, 65), (54.8, 65), (52.4, 37), (47.6, 37)])
    k.disc(50, 65, 4.8)
    k.disc(50, 37, 2.4)
    k.disc(50, 25, 5.2)


def _shield_path(k: _Pen, inset: float = 0.0):
    t = inset
    p = k.path()
    p.moveTo(50, 94 - t * 1.2)
    p.curveTo(40, 87 - t, 28, 84 - t, 14 + t, 83 - t)
    p.lineTo(14 + t, 52)
    p.curveTo(14 + t, 30, 30 + t * 0.3, 15 + t * 0.6, 50, 6 + t * 1.3)
    p.curveTo(70 - t * 0.3, 15 + t * 0.6, 86 - t, 30, 86 - t, 52)
    p.lineTo(86 - t, 83 - t)
    p.curveTo(72, 84 - t, 60, 87 - t, 50, 94 - t * 1.2)
    p.close()
    return p


def _shield(k: _Pen) -> None:
    k.fill(_shield_path(k))
    k.ko()
    k.polyline([(31, 51), (45, 37), (69, 63)], width=10, cap=1, join=1)


def _no_transfer(k: _Pen) -> None:
    # The standard prohibition slash (top-left to bottom-right) runs almost parallel to the left arm of the
    # "Y"; a tall yuan sign with steep arms, set slightly right of centre, keeps both arms visible.
    cx, top, joint, bot, arm, bar, w = 53, 80, 64, 20, 14, 13, 7.5
    k.polyline([(cx - arm, top), (cx, joint), (cx + arm, top)], w, cap=0, join=0)
    k.polyline([(cx, joint), (cx, bot)], w, cap=0)
    for by in (joint - 6, joint - 18):
        k.polyline([(cx - bar, by), (cx + bar, by)], w * 0.85, cap=0)
    d = 38 / math.sqrt(2)
    a, b = (50 - d, 50 + d), (50 + d, 50 - d)
    k.ko()
    k.polyline([a, b], width=_W + 6, cap=0)
    k.fg()
    k.polyline([a, b], width=_W + 1, cap=0)
    k.ring(50, 50, 39, width=_W + 1)


def _lock(k: _Pen) -> None:
    p = k.path()
    p.moveTo(32, 52)
    p.lineTo(32, 69)
    p.arcTo(32, 51, 68, 87, startAng=180, extent=-180)
    p.lineTo(68, 52)
    k.stroke(p, width=9.5, cap=0)
    k.rrect(17, 7, 66, 50, 9)
    k.ko()
    k.disc(50, 36, 7.5)
    k.polygon([(46, 36), (54, 36), (56, 19), (44, 19)])


def _capsule_path(k: _Pen, cx: float, cy: float, length: float, height: float):
    p = k.path()
    p.roundRect(cx - length / 2, cy - height / 2, length, height, height / 2)
    return p


def _link(k: _Pen) -> None:
    # a short chain on the diagonal: two flat links joined by a third one seen edge-on (a bar through both)
    c = k.c
    c.translate(50, 50)
    c.rotate(45)
    c.scale(1.1, 1.1)
    L, H, off, w = 33, 25, 23, 9.5
    k.stroke(_capsule_path(k, -off, 0, L, H), width=w)
    k.stroke(_capsule_path(k, off, 0, L, H), width=w)
    k.ko()
    k.polyline([(-15, 0), (15, 0)], width=w + 7, cap=1)
    k.fg()
    k.polyline([(-15, 0), (15, 0)], width=w, cap=1)


def _chat(k: _Pen) -> None:
    k.rrect(7, 24, 86, 66, 16)
    k.polygon([(20, 30), (15, 8), (44, 30)])
    k.ko()
    for x in (29, 50, 71):
        k.disc(x, 57, 6.5)


def _gift(k: _Pen) -> None:
    # bow loops
    for sgn in (-1, 1):
        p = k.path()
        p.moveTo(50, 70)
        p.curveTo(50 + sgn * 10, 93, 50 + sgn * 34, 94, 50 + sgn * 32, 81)
        p.curveTo(50 + sgn * 30, 72, 50 + sgn * 16, 71, 50, 70)
        k.stroke(p, width=7.5)
    k.rrect(9, 51, 82, 20, 3)       # lid
    k.rrect(15, 7, 70, 41, 3)       # box
    k.ko()
    k.c.rect(41.5, 5, 17, 68, stroke=0, fill=1)
    k.fg()
    k.c.rect(45, 7, 10, 64, stroke=0, fill=1)
    k.disc(50, 72, 5)


def _pill(k: _Pen) -> None:
    c = k.c
    c.translate(1.5, 0)
    c.saveState()
    c.translate(41, 57)
    c.rotate(45)
    L, H = 72, 30
    # right half filled, whole capsule outlined
    p = k.path()
    p.moveTo(0, -H / 2)
    p.lineTo(L / 2 - H / 2, -H / 2)
    p.arcTo(L / 2 - H, -H / 2, L / 2, H / 2, startAng=-90, extent=180)
    p.lineTo(0, H / 2)
    p.close()
    k.fill(p)
    k.stroke(_capsule_path(k, 0, 0, L, H), width=7)
    c.restoreState()
    # round tablet
    k.ko()
    k.disc(72, 27, 22)
    k.fg()
    k.disc(72, 27, 17.5)
    k.ko()
    c.saveState()
    c.translate(72, 27)
    c.rotate(-45)
    c.rect(-17.5, -2.5, 35, 5, stroke=0, fill=1)
    c.restoreState()


def _house(k: _Pen) -> None:
    k.ko()
    k.polyline([(8, 49), (50, 88), (92, 49)], width=_W + 8, cap=1, join=1)
    k.fg()
    k.rrect(65, 67, 11, 20, 1)            # chimney
    k.polyline([(10, 49), (50, 86), (90, 49)], width=_W + 2, cap=1, join=1)
    k.polygon([(22, 52), (50, 77), (78, 52), (78, 7), (22, 7)])
    k.ko()
    p = k.path()
    p.moveTo(41, 7)
    p.lineTo(41, 27)
    p.arcTo(41, 18, 59, 36, startAng=180, extent=-180)
    p.lineTo(59, 7)
    p.close()
    k.fill(p)
    k.rrect(60, 37, 10, 10, 1)


def _police(k: _Pen) -> None:
    c = k.c
    c.saveState()
    c.translate(50, 50)
    c.scale(0.9, 0.9)
    c.translate(-50, -50)
    k.c.setFillColor(k.knockout)
    c.setLineWidth(10.5)
    c.setLineJoin(1)
    c.drawPath(_shield_path(k), stroke=1, fill=1)
    c.restoreState()
    k.fg()
    k.polygon(_star_points(50, 51, 27, 11))


def _qr(k: _Pen) -> None:
    u = 88 / 11  # module grid: 11 x 11 cells of 8 units starting at (6, 6)

    def cell(i: int, j: int, w: int = 1, h: int = 1) -> tuple[float, float, float, float]:
        return 6 + i * u, 6 + j * u, w * u, h * u

    for (i, j) in ((0, 7), (7, 7), (0, 0)):
        x, y, w, h = cell(i, j, 4, 4)
        k.fg()
        k.rrect(x, y, w, h, 3)
        k.ko()
        k.rrect(x + u * 0.6, y + u * 0.6, w - 1.2 * u, h - 1.2 * u, 1.5)
        k.fg()
        k.rrect(x + u * 1.2, y + u * 1.2, w - 2.4 * u, h - 2.4 * u, 1)
    k.fg()
    modules = [
        (5, 10), (5, 9), (6, 8), (5, 7), (5, 5), (4, 5), (6, 5), (7, 5), (9, 5), (10, 5),
        (0, 5), (1, 5), (2, 5), (8, 4), (10, 4), (5, 3), (6, 3), (7, 3), (9, 3), (5, 1), (7, 2),
        (6, 1), (8, 1), (10, 2), (10, 0), (9, 0), (5, 0), (7, 0), (3, 5), (5, 6), (8, 6),
    ]
    for i, j in modules:
        x, y, w, h = cell(i, j)
        k.rrect(x + 0.5, y + 0.5, w - 1, h - 1, 1)


def _card(k: _Pen) -> None:
    k.rrect(6, 18, 88, 62, 8)
    k.ko()
    k.c.rect(6, 58, 88, 10, stroke=0, fill=1)
    k.rrect(15, 29, 20, 17, 3)
    k.rrect(44, 31, 38, 5, 2.5)
    k.fg()
    k.c.setLineWidth(2)
    k.c.line(15, 37.5, 35, 37.5)
    k.c.line(25, 29, 25, 46)


def _cart(k: _Pen) -> None:
    k.c.translate(0, 2)
    k.polyline([(10, 84), (20, 84), (32, 34), (80, 34)], width=_W)
    p = k.path()
    p.moveTo(22, 76)
    p.lineTo(88, 76)
    p.lineTo(81, 46)
    p.lineTo(29, 46)
    p.close()
    k.c.setLineWidth(_W)
    k.c.setLineJoin(1)
    k.c.drawPath(p, stroke=1, fill=1)
    k.ko()
    k.c.setLineWidth(3.5)
    k.c.line(26, 61, 84, 61)
    k.c.line(45, 76, 47, 46)
    k.c.line(66, 76, 65, 46)
    k.fg()
    k.disc(36, 15.5, 8.5)
    k.disc(74, 15.5, 8.5)


def _game(k: _Pen) -> None:
    k.c.translate(0, 4)
    p = k.path()
    p.moveTo(30, 74)
    p.lineTo(70, 74)
    p.curveTo(84, 74, 90, 64, 93, 46)
    p.curveTo(96, 28, 92, 18, 84, 18)
    p.curveTo(76, 18, 72, 30, 64, 36)
    p.lineTo(36, 36)
    p.curveTo(28, 30, 24, 18, 16, 18)
    p.curveTo(8, 18, 4, 28, 7, 46)
    p.curveTo(10, 64, 16, 74, 30, 74)
    p.close()
    k.fill(p)
    k.ko()
    k.rrect(20, 51, 20, 6.5, 1.5)
    k.rrect(26.75, 44, 6.5, 20.5, 1.5)
    k.disc(67, 50, 5)
    k.disc(78, 60, 5)
    k.rrect(44, 60, 12, 4, 2)


def _heart(k: _Pen) -> None:
    p = k.path()
    p.moveTo(50, 10)
    p.curveTo(30, 26, 7, 44, 7, 64)
    p.curveTo(7, 80, 18, 90, 30, 90)
    p.curveTo(40, 90, 47, 84, 50, 76)
    p.curveTo(53, 84, 60, 90, 70, 90)
    p.curveTo(82, 90, 93, 80, 93, 64)
    p.curveTo(93, 44, 70, 26, 50, 10)
    p.close()
    k.fill(p)
    k.ko()
    p = k.path()
    p.moveTo(17, 64)
    p.curveTo(17, 74, 22, 79, 29, 80)
    k.stroke(p, width=5)


def _job(k: _Pen) -> None:
    k.rrect_outline(35, 64, 30, 22, 6, width=_W)
    k.rrect(7, 12, 86, 58, 8)
    k.ko()
    k.c.rect(7, 42, 86, 4.5, stroke=0, fill=1)
    k.rrect(40, 34, 20, 20, 3)
    k.fg()
    k.rrect(44, 38, 12, 12, 2)


def _money(k: _Pen) -> None:
    # two notes behind (peeking out at top-right), front note with a yuan medallion
    k.rrect(18, 40, 76, 44, 5)
    k.ko()
    k.rrect(14, 34, 76, 44, 5)
    k.fg()
    k.rrect(16, 36, 72, 40, 4)
    k.ko()
    k.rrect(10, 28, 76, 44, 5)
    k.fg()
    k.rrect(6, 16, 76, 52, 6)
    k.ko()
    k.disc(44, 42, 18)
    k.disc(15, 24, 3)
    k.disc(73, 60, 3)
    k.fg()
    k.yuan(44, 42, 24, 5)


def _robot(k: _Pen) -> None:
    k.c.translate(0, -3)
    k.polyline([(50, 74), (50, 86)], width=6)
    k.disc(50, 88, 6)
    k.rrect(5, 35, 10, 22, 3)
    k.rrect(85, 35, 10, 22, 3)
    k.rrect(13, 12, 74, 64, 14)
    k.ko()
    k.disc(34, 50, 8.5)
    k.disc(66, 50, 8.5)
    k.rrect(34, 23, 32, 7, 3.5)


def _screen(k: _Pen) -> None:
    k.rrect(6, 26, 88, 64, 6)
    k.polygon([(44, 27), (56, 27), (59, 13), (41, 13)])
    k.rrect(28, 7, 44, 7, 3.5)
    k.ko()
    k.rrect(13, 33, 74, 50, 2)
    k.fg()
    # mouse pointer
    tip = (42, 76)
    pts = [tip, (42, 44), (49.5, 51.5), (55, 40.5), (61, 43.5), (55.5, 54.5), (66, 54.5)]
    k.polygon(pts)


def _sms(k: _Pen) -> None:
    k.rrect(6, 32, 80, 58, 7)
    k.ko()
    k.polyline([(10, 85), (46, 58), (82, 85)], width=6, join=1)
    # link badge at the bottom right
    k.disc(72, 28, 25)
    k.fg()
    k.disc(72, 28, 20.5)
    k.ko()
    c = k.c
    c.saveState()
    c.translate(72, 28)
    c.rotate(45)
    k.stroke(_capsule_path(k, -6.5, 0, 19, 11), width=4.2)
    k.stroke(_capsule_path(k, 6.5, 0, 19, 11), width=4.2)
    c.restoreState()


def _boss(k: _Pen) -> None:
    k.disc(50, 72, 20)
    p = k.path()
    p.moveTo(9, 6)
    p.lineTo(9, 20)
    p.curveTo(9, 38, 27, 47, 50, 47)
    p.curveTo(73, 47, 91, 38, 91, 20)
    p.lineTo(91, 6)
    p.close()
    k.fill(p)
    # collar V and tie
    k.ko()
    k.polygon([(37, 47.5), (63, 47.5), (50, 27)])
    k.polygon([(45, 44), (55, 44), (58, 22), (50, 7), (42, 22)])
    k.fg()
    k.polygon([(46.5, 44), (53.5, 44), (52, 38), (48, 38)])
    k.polygon([(47.5, 35.5), (52.5, 35.5), (55.5, 21), (50, 11), (44.5, 21)])


_DRAWERS: dict[str, Callable[[_Pen], None]] = {
    "phone": _phone, "warning": _warning, "shield": _shield, "no-transfer": _no_transfer, "lock": _lock,
    "link": _link, "chat": _chat, "gift": _gift, "pill": _pill, "house": _house, "police": _police,
    "qr": _qr, "card": _card, "cart": _cart, "game": _game, "heart": _heart, "job": _job,
    "money": _money, "robot": _robot, "screen": _screen, "sms": _sms, "boss": _boss,
}
assert tuple(_DRAWERS) == ICON_NAMES


def draw_icon(canvas, name: str, x: float, y: float, size: float, color: CMYK,
              knockout: CMYK = (0, 0, 0, 0)) -> None:
    """Draw pictogram ``name`` into the square with bottom-left (x, y) and side ``size`` (points).

    ``color`` is the CMYK ink of the icon, ``knockout`` the CMYK colour of inner details painted over it
    (use the background colour; default white paper). The canvas graphics state is left unchanged.
    """
    try:
        drawer = _DRAWERS[name]
    except KeyError:
        raise KeyError(f"unknown icon {name!r}; known icons: {', '.join(ICON_NAMES)}") from None
    canvas.saveState()
    try:
        canvas.translate(x, y)
        canvas.scale(size / 100.0, size / 100.0)
        pen = _Pen(canvas, color, knockout)
        pen.fg()
        drawer(pen)
    finally:
        canvas.restoreState()
