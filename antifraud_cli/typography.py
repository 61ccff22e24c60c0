"""Chinese line breaking and justification (W3C clreq "basic" level).

Pure Python: nothing here imports ReportLab.  The caller injects a width function
``measure(text, font_name, size_pt) -> advance width in pt``.

Model
-----
The input runs are cut into *atoms*, the smallest pieces the breaker moves around:

* one CJK ideograph / kana / full-width character or Chinese punctuation mark;
* "——" (two U+2014) or "……" (two U+2026): one atom, never split;
* a maximal run of Latin letters, digits and ASCII punctuation without a space
  (a word, a number, a phone number, a URL, an e-mail address): one atom, split
  by characters only when it is wider than a whole line;
* a run of spaces: a break opportunity; dropped (not drawn) at a line end / start.

A break is possible between any two atoms unless the next one may not start a line
(:data:`NO_LINE_START`) or the previous one may not end a line (:data:`NO_LINE_END`).
Breaking is greedy ("先挤进，后推出"): the line takes as many atoms as fit, where a
full-width closing/stop mark at the line end counts only half its width (so a
closing mark is squeezed in when it can be); if the break found that way is
forbidden, atoms are pushed to the next line until the break is allowed.

Full-width marks meeting each other (``。”``, ``，“``, ``（“``) are compressed by half an
em (the blank halves of their em boxes overlap).  The line-end half-width
trimming is applied for every alignment, so right edges are optically flush.

Justified text (两端对齐) first squeezes punctuation, then stretches: a line may take
one more atom than fits at natural width when setting its full-width marks up to
half-width absorbs the overflow, and that overflow is smaller than the slack the
shorter line would spread between its characters.  Other alignments never squeeze.

Hanging punctuation (标点悬挂, clreq): when the best legal break would leave a justified line
spread by more than :data:`LOOSE` em between its characters, and the next character plus the
stop or comma after it (``，。、．：；！``) fit once that mark hangs, the line takes them: its
other glyphs are justified to the column, and the mark's box starts at the column's right edge,
its ink (in the left half of the em box) at most half an em past it. Never on a paragraph's last
line, never an opening mark, never two marks.

Widow control: the last line of a multi-line paragraph never holds a single character
(punctuation not counted); the line before it is broken earlier.

Over-long units are cut in one pass with each character measured once, so breaking is
linear in the length of the text.

Geometry of the result: each :class:`Line` holds :class:`Piece` objects with an ``x``
(pt from the line's left edge, first-line indent and center/right offsets included)
and a ``char_space`` (PDF ``Tc``, extra space after every character of the piece).
``Line.width`` is the x of the right edge of the last glyph's (trimmed) box, i.e.
the extent of the line from its left edge; for justified lines it equals the
frame width.  A line with a hung mark reports the frame width too (where its other glyphs
end and the mark's box starts); ``Line.hang`` is how far the mark's trimmed box reaches past
it (half an em; 0 for every other line).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Callable, Hashable

from .memo import Memo, Recent

__all__ = [
    "Measure",
    "Run",
    "Piece",
    "Line",
    "Breaks",
    "Paragraph",
    "paragraph",
    "break_lines",
    "violations",
    "NO_LINE_START",
    "NO_LINE_END",
]

Measure = Callable[[str, str, float], float]  # measure(text, font_name, size_pt) -> advance width in pt


@dataclass(frozen=True)
class Run:
    """A piece of styled input text."""

    text: str
    font: str
    size: float
    style: Hashable = None


@dataclass(frozen=True)
class Piece:
    """A piece of one output line, drawn at ``x`` with ``char_space`` after every character."""

    text: str
    font: str
    size: float
    style: Hashable
    x: float
    char_space: float


@dataclass(frozen=True)
class Line:
    pieces: tuple[Piece, ...]
    width: float
    height: float
    text: str
    hang: float = 0.0  # a hung mark's (trimmed) box reaches this far past ``width``


# --------------------------------------------------------------------------------------
# Character classes
# --------------------------------------------------------------------------------------

#: Characters that must not start a line (clreq 行首禁则).  ``％`` is added to the
#: spec's list next to ASCII ``%``.
NO_LINE_START: str = (
    "、，。．：；！？”’」』）］｝】〗〕》〉～—…·"
    "‼⁇-–・‧/／%‰℃％"
    ",.;:!?)]}"
)
#: Characters that must not end a line (clreq 行尾禁则).  ``￥`` (full-width yen) is
#: added next to ``¥``.
NO_LINE_END: str = "“‘「『（［｛【〖〔《〈" "([{" "¥$£＄￥"

_NO_START = frozenset(NO_LINE_START)
_NO_END = frozenset(NO_LINE_END)

# Full-width marks whose glyph sits in the left half of the em box (closing brackets,
# quotes and stops in Simplified Chinese fonts): trimmed to half width at a line end and
# compressible when followed by another mark.
_INK_LEFT = frozenset("，。、．：；！？”’」』）］｝】〗〕》〉")
# Full-width marks whose glyph sits in the right half of the em box (opening brackets).
_INK_RIGHT = frozenset("“‘「『（［｛【〖〔《〈")

# Ambiguous-width characters that are full-width in Chinese text.
_WIDE_AMBIGUOUS = frozenset("“”‘’—…·‧※")
_UNBREAKABLE_PAIRS = frozenset("—…")  # "——" and "……"
_BREAK_SPACES = frozenset(" \t\u3000\u2002\u2003\u2009\u200a\u205f\f\v")  # not NBSP: that one glues
_SPLIT_AFTER = frozenset("/-?&=#_.@:")  # preferred cut points inside an over-long URL / number

# Stops and commas that may hang past a justified line's end (clreq 标点悬挂): ink in the left half.
# Not "？": its ink fills that half (to 0.45 em in Noto Sans SC) and would touch the border of a box
# padded 3 mm around 20 pt text (0.43 em); the others' ink ends within 0.34 em.
_HANGABLE = frozenset("，。、．：；！")
#: A justified line spread by more than this (em per gap) hangs a mark instead, where one is there.
LOOSE = 0.1

_FULL_WIDTH_RATIO = 0.9  # a mark is treated as full width when its advance >= 0.9 em
_EPS = 1e-6

_wide_cache: dict[str, bool] = {}


def _is_wide(ch: str) -> bool:
    """True for characters laid out as independent CJK cells."""
    r = _wide_cache.get(ch)
    if r is None:
        if ch in _WIDE_AMBIGUOUS:
            r = True
        else:
            eaw = unicodedata.east_asian_width(ch)
            if eaw in ("W", "F"):
                r = True
            elif eaw == "A":
                o = ord(ch)
                # arrows, enclosed alphanumerics (①), box drawing, shapes (■●★), dingbats
                r = 0x2190 <= o <= 0x21FF or 0x2460 <= o <= 0x27BF
            else:
                r = False
        _wide_cache[ch] = r
    return r


def _is_ascii_alnum(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


# --------------------------------------------------------------------------------------
# Atoms
# --------------------------------------------------------------------------------------

_CJK, _UNIT, _SPACE, _PAIR = 0, 1, 2, 3  # ideograph/mark, Latin unit, spaces, "——"/"……"


class _Atom:
    __slots__ = ("kind", "segs", "w", "text", "no_start", "no_end", "ink_left", "ink_right", "size")

    def __init__(self, kind: int, segs: list, w: float):
        # segs: list of [text, run_index, width]
        self.kind = kind
        self.segs = segs
        self.w = w
        text = segs[0][0] if len(segs) == 1 else "".join(s[0] for s in segs)
        self.text = text
        self.no_start = text[0] in _NO_START
        self.no_end = text[-1] in _NO_END
        self.ink_left = False
        self.ink_right = False
        self.size = 0.0


class _Ctx:
    """Per-call state: the runs, the measure function and the width cache."""

    __slots__ = ("runs", "measure", "cache")

    def __init__(self, runs: list[Run], measure: Measure):
        self.runs = runs
        self.measure = measure
        self.cache: dict[tuple, float] = {}

    def width(self, text: str, ri: int) -> float:
        run = self.runs[ri]
        key = (text, run.font, run.size)
        w = self.cache.get(key)
        if w is None:
            w = float(self.measure(text, run.font, run.size))
            self.cache[key] = w
        return w

    def make_atom(self, kind: int, chars: list[tuple[str, int]]) -> _Atom:
        segs: list[list] = []
        total = 0.0
        start, n = 0, len(chars)
        for i in range(1, n + 1):  # one segment per run; joined once (no quadratic string growth)
            if i == n or chars[i][1] != chars[start][1]:
                ri = chars[start][1]
                text = "".join(ch for ch, _ in chars[start:i])
                w = self.width(text, ri)
                segs.append([text, ri, w])
                total += w
                start = i
        atom = _Atom(kind, segs, total)
        atom.size = max(self.runs[s[1]].size for s in segs)
        if kind == _CJK and len(atom.text) == 1 and total >= _FULL_WIDTH_RATIO * atom.size > 0:
            atom.ink_left = atom.text in _INK_LEFT
            atom.ink_right = atom.text in _INK_RIGHT
        return atom


def _atomize(ctx: _Ctx, chars: list[tuple[str, int]]) -> list:
    """Cut a flat (char, run index) list into atoms; ``None`` marks a forced line break."""
    atoms: list = []
    n = len(chars)

    def wide_at(j: int) -> bool:
        ch = chars[j][0]
        if ch in "‘’" and 0 < j < n - 1 and _is_ascii_alnum(chars[j - 1][0]) and _is_ascii_alnum(chars[j + 1][0]):
            return False  # apostrophe inside a Latin word: don’t
        return _is_wide(ch)

    i = 0
    while i < n:
        ch = chars[i][0]
        if ch == "\n":
            atoms.append(None)
            i += 1
        elif ch in _BREAK_SPACES:
            j = i + 1
            while j < n and chars[j][0] in _BREAK_SPACES:
                j += 1
            atoms.append(ctx.make_atom(_SPACE, chars[i:j]))
            i = j
        elif wide_at(i):
            if ch in _UNBREAKABLE_PAIRS and i + 1 < n and chars[i + 1][0] == ch:
                atoms.append(ctx.make_atom(_PAIR, chars[i : i + 2]))
                i += 2
            else:
                atoms.append(ctx.make_atom(_CJK, chars[i : i + 1]))
                i += 1
        else:
            j = i + 1
            while j < n:
                c = chars[j][0]
                if c == "\n" or c in _BREAK_SPACES or wide_at(j):
                    break
                j += 1
            atoms.append(ctx.make_atom(_UNIT, chars[i:j]))
            i = j
    return atoms


def _compress(a: _Atom, b: _Atom) -> float:
    """Width saved when full-width marks ``a`` and ``b`` are adjacent on one line."""
    if (a.ink_left or b.ink_right) and (a.ink_left or a.ink_right) and (b.ink_left or b.ink_right):
        return 0.5 * min(a.w, b.w)
    return 0.0


def _trim(a: _Atom) -> float:
    """Width not counted when ``a`` ends a line (blank right half of a closing mark)."""
    return 0.5 * a.w if a.ink_left else 0.0


def _split_atom(ctx: _Ctx, atom: _Atom, room: float, min_k: int = 1,
                width: float | None = None) -> list[_Atom] | None:
    """Cut an over-long unit so that its head fits in ``room``; with ``width``, cut the rest
    into pieces that fit ``width`` too, in the same pass.

    Returns ``None`` when fewer than ``min_k`` characters fit.  A cut prefers a position
    after ``/``, ``-``, ``?`` ... and never leaves a piece starting with a
    :data:`NO_LINE_START` character or ending with a :data:`NO_LINE_END` one when it can
    avoid it.  Each character is measured once, so a 40,000-character word is cut in linear
    time (cutting one head off at a time and re-measuring the tail was quadratic).
    """
    chars = [(ch, seg[1]) for seg in atom.segs for ch in seg[0]]
    cw = [ctx.width(ch, ri) for ch, ri in chars]
    n = len(chars)

    def good(k: int) -> bool:
        return chars[k][0] not in _NO_START and chars[k - 1][0] not in _NO_END

    def cut_after(start: int, room: float) -> int:
        """How many characters from ``start`` go on a line of ``room`` (not all of them)."""
        acc = 0.0
        kmax = 0
        for k in range(start, n - 1):
            acc += cw[k]
            if acc > room + _EPS:
                break
            kmax += 1
        if kmax == 0:
            return 0
        lo = max(1, (kmax * 3) // 5)
        for k in range(kmax, lo - 1, -1):
            if chars[start + k - 1][0] in _SPLIT_AFTER and good(start + k):
                return k
        for k in range(kmax, 0, -1):
            if good(start + k):
                return k
        return kmax

    k = cut_after(0, room)
    if k < min_k:
        return None
    cuts = [0, max(k, 1)]
    if width is not None:
        rest = sum(cw[cuts[-1]:])
        while rest > width + _EPS and cuts[-1] < n - 1:
            k = max(cut_after(cuts[-1], width), 1)
            rest -= sum(cw[cuts[-1]:cuts[-1] + k])
            cuts.append(cuts[-1] + k)
    cuts.append(n)
    return [ctx.make_atom(atom.kind, chars[i:j]) for i, j in zip(cuts, cuts[1:])]


# --------------------------------------------------------------------------------------
# Breaking
# --------------------------------------------------------------------------------------


def _legal(A: list[_Atom], b: int) -> bool:
    """May a line end after ``A[b-1]`` (next line starting at ``A[b]``, spaces skipped)?"""
    n = len(A)
    if b >= n:
        return True
    prev = A[b - 1]
    if prev.kind == _SPACE or prev.no_end:
        return False
    j = b
    while j < n and A[j].kind == _SPACE:
        j += 1
    return j >= n or not A[j].no_start


def _blanks(atoms: list[_Atom]) -> list[float]:
    """How far each atom of a line may still be squeezed: the blank half of a full-width mark
    (clreq sets such marks half-width in a tight line), less what the compression of adjacent
    marks already took. The last atom's blank is trimmed at the line end anyway, and an opening
    mark that starts the line keeps its blank."""
    m = len(atoms)
    rem = [0.5 * a.w if a.ink_left or a.ink_right else 0.0 for a in atoms]
    for k in range(m - 1):
        c = _compress(atoms[k], atoms[k + 1])
        if c:  # the blank between the two marks is the first one's if its ink is on the left
            rem[k if atoms[k].ink_left else k + 1] -= c
    if m:
        if atoms[0].ink_right:
            rem[0] = 0.0
        if atoms[-1].ink_left:
            rem[-1] = 0.0
    return rem


def _natural(atoms: list[_Atom]) -> float:
    """Width of a line set as it is: adjacent marks compressed, a closing mark at the end trimmed."""
    total = 0.0
    prev = None
    for a in atoms:
        if a.kind == _SPACE:
            total += a.w
            prev = None
            continue
        total += a.w - (_compress(prev, a) if prev is not None else 0.0)
        prev = a
    return total - _trim(atoms[-1]) if atoms else 0.0


def _fits(atoms: list[_Atom], avail: float, justify: bool) -> bool:
    need = _natural(atoms)
    if justify:
        need -= sum(_blanks(atoms))
    return need <= avail + _EPS


def _lone(atoms: list[_Atom]) -> bool:
    """A line holding a single character (punctuation not counted): "号" or "号。"."""
    count = 0
    for a in atoms:
        for ch in a.text:
            if ch not in _NO_START and ch not in _NO_END and not ch.isspace():
                count += 1
                if count > 1:
                    return False
    return True


def _strip_end(A: list[_Atom], pos: int, b: int) -> int:
    end = b
    while end > pos and A[end - 1].kind == _SPACE:
        end -= 1
    return end


def _break_segment(ctx: _Ctx, A: list[_Atom], width: float, first_avail: float,
                   justify: bool = False) -> list[tuple[list[_Atom], bool]]:
    """Greedy breaking of one newline-free segment (no leading/trailing spaces): each line's
    atoms, and whether its last atom is a hung mark.

    With ``justify``, a line may also take more atoms than fit at natural width when squeezing
    its full-width marks to half width absorbs the overflow and that overflow is smaller than
    the space the looser line would have to spread (clreq: compress punctuation, then stretch);
    a line still loose after that may hang a stop or comma (see :func:`_hang`)."""
    bounds: list[tuple[int, int, float, bool]] = []  # (start, break, available width, hung) of each line
    pos = 0
    avail = first_avail
    while pos < len(A):
        while pos < len(A) and A[pos].kind == _SPACE:
            pos += 1
        if pos >= len(A):
            break
        n = len(A)
        # -- how much fits (a closing mark at the end counts half: "先挤进")
        acc = 0.0  # width of A[pos:i] as mid-line material
        last_fit = pos
        acc_at_fail = 0.0
        i_fail = n
        i = pos
        prev: _Atom | None = None
        squeeze = 0.0  # blanks of the marks before A[i] that a tight line could still give up
        natural: dict[int, float] = {}  # line end -> natural width of A[pos:end]
        tight: list[int] = []  # line ends that fit only when the marks are squeezed
        while i < n:
            a = A[i]
            if a.kind == _SPACE:
                acc += a.w
                prev = None
                i += 1
                continue
            c = _compress(prev, a) if prev is not None else 0.0
            base = acc - c
            r = 0.5 * a.w if (a.ink_left or a.ink_right) and not (a.ink_right and i == pos) else 0.0
            if c and prev is not None:  # c is 0.0 when there is no prev
                if prev.ink_left:
                    squeeze -= c
                else:
                    r -= c
            nat = base + a.w - _trim(a)
            if nat > avail + _EPS:
                if i_fail == n:
                    acc_at_fail = base
                    i_fail = i
                if not justify or nat - squeeze - (0.0 if a.ink_left else r) > avail + _EPS:
                    break
                tight.append(i + 1)
            else:
                last_fit = i + 1
            natural[i + 1] = nat
            acc = base + a.w
            squeeze += r
            prev = a
            i += 1
        # -- choose a legal break at or before the fit ("后推出")
        nxt = A[i_fail] if i_fail < n else None
        cut = None
        if (
            last_fit < n
            and nxt is not None
            and i_fail > pos
            and nxt.kind == _UNIT
            and nxt.w > width + _EPS
            and len(nxt.text) > 1
        ):
            # A unit wider than any line has to be cut anyway: fill this line with its
            # head instead of leaving a short orphan line in front of it.
            cut = _split_atom(ctx, nxt, avail - acc_at_fail, min_k=3, width=width)
        if last_fit >= n:
            b = n
        elif cut is not None:
            A[i_fail : i_fail + 1] = cut
            b = i_fail + 1
        else:
            b = last_fit
            while b > pos and not _legal(A, b):
                b -= 1
            if b > pos:
                # a tighter line with squeezed marks beats a looser one that must be spread more
                for e in reversed(tight):
                    if _legal(A, e):
                        if natural[e] - avail < avail - natural[b]:
                            b = e
                        break
                if justify and natural[b] < avail:
                    e = _hang(A, pos, b, natural, avail, max(last_fit, tight[-1] if tight else 0))
                    if e:
                        bounds.append((pos, e, avail, True))
                        pos = e
                        avail = width
                        continue
            else:
                # No legal break among what fits: cut an over-long unit as a last resort.
                # The fitting material is one unbreakable block (e.g. a URL that fits
                # alone but not with the "，" or "“…”" glued to it): the block is wider
                # than the line, so cut its last Latin unit and let the unit's tail go
                # down together with the marks.
                u = last_fit - 1
                while u >= pos and not (A[u].kind == _UNIT and len(A[u].text) > 1):
                    u -= 1
                parts = None
                if last_fit > pos and u >= pos:
                    unit = A[u]
                    parts = _split_atom(ctx, unit, unit.w - ctx.width(unit.text[-1], unit.segs[-1][1]))
                if parts is not None:
                    A[u : u + 1] = parts
                    b = u + 1
                elif last_fit == pos:
                    a = A[pos]
                    if len(a.text) > 1:
                        pieces = _split_atom(ctx, a, avail, min_k=0, width=width)
                        assert pieces is not None  # min_k=0: never fewer than min_k characters fit
                        A[pos : pos + 1] = pieces
                    b = pos + 1  # a single glyph wider than the line stands alone
                else:
                    # e.g. "《" + a long URL: keep the opener with the URL's head
                    nxt = A[i_fail] if i_fail < n else None
                    parts = None
                    if nxt is not None and nxt.kind == _UNIT and len(nxt.text) > 1:
                        parts = _split_atom(ctx, nxt, avail - acc_at_fail, width=width)
                    if parts is not None:
                        A[i_fail : i_fail + 1] = parts
                        b = i_fail + 1
                    else:
                        b = last_fit  # nothing else fits: accept the forbidden break
        bounds.append((pos, b, avail, False))
        pos = b
        avail = width
    _avoid_lone_last_line(A, bounds, width, justify)
    return [(A[s:_strip_end(A, s, b)], hung) for s, b, _, hung in bounds]


def _gaps(A: list[_Atom], s: int, e: int) -> int:
    """Places where a justified line ``A[s:e]`` is spread (before each atom but the first; not before a space)."""
    return sum(1 for k in range(s + 1, e) if A[k].kind != _SPACE)


def _hang(A: list[_Atom], pos: int, b: int, natural: dict[int, float], avail: float, reach: int) -> int:
    """Where the line ``A[pos:b]`` should end instead, hanging a stop or comma past the column; 0 for no.

    ``reach``: the end of the most that fits (squeezed), ``natural``: widths of ``A[pos:end]``.
    Hanging is a fix for a loose line only: the line must otherwise be spread by more than
    :data:`LOOSE` em a gap, and the hung line less.  Beyond that threshold the spaces between
    ideographs read as letter-spacing; below it (a ~0.1 em gap is within the variation of the
    glyphs' own side bearings) a hung mark would be the more visible of the two."""
    for e in range(min(reach + 1, len(A) - 1), b + 1, -1):  # e < len(A): never the paragraph's last line
        mark, prev = A[e - 1], A[e - 2]
        if not (mark.ink_left and mark.text in _HANGABLE) or not _legal(A, e):
            continue
        if prev.kind == _SPACE or prev.ink_left or prev.ink_right or prev.no_end or prev.text[-1] in _NO_START:
            continue  # one mark hangs, alone, after a character
        gaps = _gaps(A, pos, b)  # (a lone unit is set flush left, not spread)
        if not gaps or (avail - natural[b]) / gaps <= LOOSE * mark.size:
            return 0
        if _fits(A[pos : e - 1], avail, True) and (avail - natural[e - 1]) / _gaps(A, pos, e - 1) < (avail - natural[b]) / gaps:
            return e
    return 0


def _avoid_lone_last_line(A: list[_Atom], bounds: list[tuple[int, int, float, bool]], width: float,
                          justify: bool) -> None:
    """Widow control: a paragraph's last line never holds a single character; the line
    before it is broken earlier (at the latest legal break that leaves both lines fitting
    and neither of them lone)."""
    if len(bounds) < 2:
        return
    s_last = bounds[-1][0]
    n = len(A)
    if not _lone(A[s_last:n]):
        return
    s, b, avail, _ = bounds[-2]
    for b2 in range(b - 1, s, -1):
        if not _legal(A, b2):
            continue
        head = A[s:_strip_end(A, s, b2)]
        start = b2
        while start < n and A[start].kind == _SPACE:
            start += 1
        tail = A[start:n]
        if not _lone(head) and not _lone(tail) and _fits(head, avail, justify) and _fits(tail, width, justify):
            bounds[-2] = (s, b2, avail, False)
            bounds[-1] = (start, n, width, False)
            return


# --------------------------------------------------------------------------------------
# Line geometry
# --------------------------------------------------------------------------------------


def _layout_line(
    ctx: _Ctx, atoms: list[_Atom], width: float, indent: float, align: str, last: bool, hang: bool = False
) -> Line:
    # with ``hang`` the last atom is a mark set past the column: the others are justified without it
    body = atoms[:-1] if hang else atoms
    m = len(body)
    adv = [a.w for a in atoms]
    for k in range(m - 1):
        c = _compress(atoms[k], atoms[k + 1])
        if c:
            adv[k] -= c
    natural = sum(adv[:m]) - _trim(body[-1])
    avail = width - indent
    slack = avail - natural

    stretch = 0.0
    offset = indent
    if align == "justify" and slack < -_EPS:
        # a tight line: squeeze the marks' blank halves, each in proportion to what it has
        rem = _blanks(body)
        total = sum(rem)
        if total > _EPS:
            f = min(1.0, -slack / total)
            for k, r in enumerate(rem):
                if r:
                    adv[k if atoms[k].ink_left else k - 1] -= r * f  # the blank after / before the ink
            slack += total * f
    elif align == "justify":
        if not last and slack > _EPS:
            gaps = sum(1 for k in range(m - 1) if atoms[k + 1].kind != _SPACE)
            if gaps:
                stretch = slack / gaps
    elif align == "center":
        offset += max(slack, 0.0) / 2.0
    elif align == "right":
        offset += max(slack, 0.0)

    runs = ctx.runs
    pieces: list[list] = []  # [text, run_index, x, width_sum, nchars, char_space or None]
    x = offset
    for k, a in enumerate(atoms):
        sx = x
        for text, ri, w in a.segs:
            cur = pieces[-1] if pieces else None
            merged = False
            if cur is not None and cur[1] == ri:
                ntext = len(text)
                cs = cur[5]
                if cs is None:
                    need = (sx - cur[2] - cur[3]) / cur[4]
                    if abs(need) < 1e-9:
                        need = 0.0
                    if ntext == 1 or need == 0.0:
                        cs = need
                        merged = True
                elif abs(cur[2] + cur[3] + cur[4] * cs - sx) < 1e-9 and (ntext == 1 or cs == 0.0):
                    merged = True
                if merged:
                    cur[0] += text
                    cur[3] += w
                    cur[4] += ntext
                    cur[5] = cs
            if not merged:
                if cur is not None and cur[5] is None:
                    # single character so far: make Tc consistent with where the next piece starts
                    cur[5] = (sx - cur[2] - cur[3]) / cur[4] if cur[4] == 1 else 0.0
                pieces.append([text, ri, sx, w, len(text), None if len(text) == 1 else 0.0])
            sx += w
        if k < m - 1:
            x += adv[k] + (stretch if atoms[k + 1].kind != _SPACE else 0.0)
        elif k == m - 1 and hang:
            x += a.w - _trim(a)  # the hung mark's box starts where the column ends
    overhang = atoms[-1].w - _trim(atoms[-1]) if hang else 0.0
    right = x if hang else x + atoms[-1].w - _trim(atoms[-1])

    out = []
    for text, ri, px, _w, _n, cs in pieces:
        run = runs[ri]
        out.append(Piece(text, run.font, run.size, run.style, px, cs if cs is not None else 0.0))
    if align == "justify" and abs(right - width) < 1e-6:
        right = width
    height = max(runs[s[1]].size for a in atoms for s in a.segs)
    return Line(tuple(out), right, height, "".join(p.text for p in out), overhang)


# --------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------


def break_lines(
    runs: list[Run],
    width: float,
    measure: Measure,
    *,
    align: str = "justify",
    first_indent: float = 0.0,
) -> list[Line]:
    """Break styled runs into lines of at most ``width`` pt.

    ``align``: ``"justify"`` (两端对齐: every line except the paragraph's last and lines
    ended by ``"\\n"`` is exactly ``width`` wide), ``"left"``, ``"center"`` or ``"right"``
    (offsets are already in the pieces' ``x``).  The first line starts at
    ``first_indent``.  Leading/trailing whitespace of the paragraph is ignored, spaces
    at a break are dropped, ``"\\n"`` forces a break (``"\\n\\n"`` gives an empty line).
    """
    return Paragraph(runs, measure).lines(width, align=align, first_indent=first_indent)


class Paragraph:
    """Runs cut into measured atoms once, then broken into lines at any width and scale.

    Line breaking is scale-invariant: the runs set at ``k`` times their size into ``width``
    break exactly like the runs themselves into ``width / k``.  Fit-to-frame tries one text at
    several sizes, so it atomizes and measures once and only re-breaks.
    """

    def __init__(self, runs: list[Run], measure: Measure) -> None:
        runs = [r for r in runs if r.text]
        chars: list[tuple[str, int]] = []
        for ri, r in enumerate(runs):
            for ch in r.text:
                if ch == "\n" and chars and chars[-1][0] == "\r":
                    chars[-1] = ("\n", chars[-1][1])  # CRLF -> one newline
                else:
                    chars.append((ch, ri))
        chars = [("\n" if ch == "\r" else ch, ri) for ch, ri in chars]
        s, e = 0, len(chars)
        while s < e and chars[s][0].isspace():
            s += 1
        while e > s and chars[e - 1][0].isspace():
            e -= 1
        chars = chars[s:e]
        self.ctx = _Ctx(runs, measure)
        self._breaks = Memo(32)  # (width, align, indent, scale) -> Breaks
        # newline-separated segments: (atoms, run index for an empty line's height)
        self.segments: list[tuple[list[_Atom], int]] = []
        if not chars:
            return
        cur: list[_Atom] = []
        nl_run = [ri for ch, ri in chars if ch == "\n"]
        nl_i = 0
        for a in _atomize(self.ctx, chars):
            if a is None:
                self.segments.append((cur, nl_run[nl_i]))
                nl_i += 1
                cur = []
            else:
                cur.append(a)
        self.segments.append((cur, chars[-1][1]))
        for seg, _ in self.segments:
            while seg and seg[0].kind == _SPACE:
                seg.pop(0)
            while seg and seg[-1].kind == _SPACE:
                seg.pop()

    def lines(self, width: float, *, align: str = "justify", first_indent: float = 0.0,
              scale: float = 1.0) -> list[Line]:
        """The lines at ``scale`` times the runs' sizes (see :func:`break_lines`)."""
        return list(self.breaks(width, align=align, first_indent=first_indent, scale=scale))

    def breaks(self, width: float, *, align: str = "justify", first_indent: float = 0.0,
               scale: float = 1.0) -> Breaks:
        """Where the lines break; their geometry is worked out only when a line is looked at. Remembered: a
        frame tries a few scales, and the documents of one audience set the same texts at the same widths."""
        key = (width, align, first_indent, scale)
        found = self._breaks.get(key)
        if found is None:
            found = self._breaks.keep(key, self._break(width, align, first_indent, scale))
        return found

    def _break(self, width: float, align: str, first_indent: float, scale: float) -> Breaks:
        if align not in ("justify", "left", "center", "right"):
            raise ValueError(f"unknown align {align!r}")
        if not width > 0:
            raise ValueError(f"width must be positive, got {width!r}")
        if not scale > 0:
            raise ValueError(f"scale must be positive, got {scale!r}")
        width, first_indent = width / scale, first_indent / scale
        groups: list[tuple] = []  # (atoms, indent, last of its segment, hung) or (None, run index of an empty line, ...)
        for seg_i, (seg, ri) in enumerate(self.segments):
            indent = first_indent if seg_i == 0 else 0.0
            if not seg:
                groups.append((None, ri, False, False))
                continue
            # a copy: long units get split
            broken = _break_segment(self.ctx, list(seg), width, width - indent, align == "justify")
            for li, (group, hung) in enumerate(broken):
                groups.append((group, indent if li == 0 else 0.0, li == len(broken) - 1, hung))
        return Breaks(self.ctx, groups, width, align, scale)


_PARAGRAPHS = Recent(2048)  # runs -> Paragraph: a leaflet sets about 60 texts; 7 audiences x 4 products share most


def paragraph(runs: tuple[Run, ...], measure: Measure) -> Paragraph:
    """The Paragraph of these runs, shared by every document this process lays out (as Typst memoizes its
    layout across compilations): the leaflets of one audience differ only in a few lines, so their other
    texts are atomized, measured and broken once. Bounded: the least recently used are forgotten."""
    key = (runs, measure)
    para = _PARAGRAPHS.find(key)
    if para is None:
        para = _PARAGRAPHS.keep(key, Paragraph(list(runs), measure))
    return para


class Breaks(Sequence):
    """A paragraph broken into lines (a sequence of :class:`Line`).

    Fit-to-frame only counts the lines of its trial layouts; justification and the drawn
    pieces are computed on first access to a line.
    """

    def __init__(self, ctx: _Ctx, groups: list[tuple], width: float, align: str, scale: float) -> None:
        self._ctx, self._groups, self._width, self._align, self._scale = ctx, groups, width, align, scale
        self._lines: list[Line] | None = None

    def __len__(self) -> int:
        return len(self._groups)

    def __getitem__(self, i):
        if self._lines is None:
            self._lines = [self._layout(g) for g in self._groups]
        return self._lines[i]

    def _layout(self, group: tuple) -> Line:
        atoms, indent, last, hung = group
        if atoms is None:  # an empty line: "\n\n"
            line = Line((), 0.0, self._ctx.runs[indent].size, "")
        else:
            line = _layout_line(self._ctx, atoms, self._width, indent, self._align, last, hung)
        return line if self._scale == 1.0 else _scaled(line, self._scale)


def _scaled(line: Line, k: float) -> Line:
    pieces = tuple(Piece(p.text, p.font, p.size * k, p.style, p.x * k, p.char_space * k) for p in line.pieces)
    return Line(pieces, line.width * k, line.height * k, line.text, line.hang * k)


def violations(lines: list[Line]) -> list[str]:
    """Human-readable clreq-basic violations in a paragraph's lines; ``[]`` if none.

    Checks: a line (other than the first, or one after an empty line) starting with a
    :data:`NO_LINE_START` character; a line (other than the last) ending with a
    :data:`NO_LINE_END` character; "——" / "……" split across two lines.
    """
    out: list[str] = []
    texts = [ln.text for ln in lines]
    nl = len(texts)
    for i, t in enumerate(texts):
        if not t:
            continue
        if i > 0 and texts[i - 1] and t[0] in _NO_START:
            out.append(f"line {i + 1} starts with forbidden {t[0]!r}: {t[:12]!r}")
        if i < nl - 1 and texts[i + 1] and t[-1] in _NO_END:
            out.append(f"line {i + 1} ends with forbidden {t[-1]!r}: {t[-12:]!r}")
        if i < nl - 1 and texts[i + 1]:
            nxt = texts[i + 1]
            if t[-1] in _UNBREAKABLE_PAIRS and nxt[0] == t[-1]:
                kind = "dash" if t[-1] == "—" else "ellipsis"
                out.append(f"{kind} split between lines {i + 1} and {i + 2}: {t[-6:]!r} | {nxt[:6]!r}")
    return out
