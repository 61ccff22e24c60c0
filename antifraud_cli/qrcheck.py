"""Will a QR payload make a code that prints and scans? Checked before drawing, in build and in check.

A payload over the capacity of a QR code (version 40 at error correction M) cannot be encoded at all;
a long one fits, but at a small printed size its modules get so fine that a phone camera cannot
resolve them. Below 0.4 mm per module, print smudge and focus lose the code (ISO/IEC 18004 asks for
more; 0.4 mm is the smallest that decoded reliably from a 150 dpi scan in our tests).
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

MIN_MODULE_MM = 0.4
QUIET_MODULES = 4  # the quiet zone the renderer draws around the code (not part of size_mm)


def qr_code(payload: str):
    """The QR code (error correction M, no border) for `payload`, made: what the renderer draws and the checks
    measure. qrcode 8.2 fails (`ValueError: glog(0)`) when a block of the code's data is all zero bits, which a
    long run of digits makes in its numeric mode (N132); such a payload is encoded again as plain bytes, where
    printable text never gives a zero block. DataOverflowError when no QR code holds it."""
    import qrcode
    from qrcode.constants import ERROR_CORRECT_M
    from qrcode.util import MODE_8BIT_BYTE, QRData

    data = payload.encode("utf-8")
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=0, box_size=1)
    code.add_data(data)
    try:
        code.make(fit=True)
    except ValueError as e:
        if not str(e).startswith("glog"):
            raise
        code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=0, box_size=1)
        code.add_data(QRData(data, mode=MODE_8BIT_BYTE))
        code.make(fit=True)
    return code


@lru_cache(maxsize=256)
def modules_for(payload: str) -> int | None:
    """Modules per side of the smallest QR code (error correction M) holding `payload`; None if none can."""
    from qrcode.exceptions import DataOverflowError

    try:
        version = qr_code(payload).version
    except (DataOverflowError, ValueError):
        return None
    return 17 + 4 * version


def _bytes_fitting(modules: int) -> int:
    """Roughly how many bytes (8-bit mode) fit in a code of at most `modules` per side, at level M."""
    from qrcode.constants import ERROR_CORRECT_M
    from qrcode.util import BIT_LIMIT_TABLE

    version = max(0, min(40, (modules - 17) // 4))
    if version < 1:
        return 0
    bits = BIT_LIMIT_TABLE[ERROR_CORRECT_M][version]
    return max(0, (bits - 4 - (8 if version < 10 else 16)) // 8)


# What a printed code may open: the rule of `qr.url` (models.QRConfig), here for every <qr> a template draws too
# (a template's `payload="javascript:…"` was printed: N112)
# (`tel:---` has no number to dial: N130)
LINK = re.compile(r"^(tel:\+?(?=[0-9\-]*[0-9])[0-9\-]{3,20}|https?://\S+|weixin://\S+|sms:\S+|mailto:\S+)$")


def check_payload(payload: str, size_mm: float) -> str | None:
    """Why `payload` cannot be printed as a scannable QR code `size_mm` wide, or None when it can."""
    if not LINK.match(payload):
        return f"'{payload[:60]}' is not a tel:, https://, weixin://, sms: or mailto: link"
    hidden = next((c for c in payload if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp")), None)
    if hidden is not None:  # a zero-width space or soft hyphen inside a printed link: what it opens is not what
        # a reader sees (N097)
        return (f"the link holds the invisible character U+{ord(hidden):04X} "
                f"({unicodedata.name(hidden, 'control')}): retype it")
    length = len(payload.encode("utf-8"))
    n = modules_for(payload)
    if n is None:
        return f"too long for a QR code: {length} bytes, more than the {_bytes_fitting(177)} a QR code can hold"
    module = size_mm / n
    if module < MIN_MODULE_MM:
        fits = _bytes_fitting(int(size_mm / MIN_MODULE_MM))
        return (f"too long for a {size_mm:g} mm QR code: {length} bytes make {n}×{n} modules of "
                f"{module:.2f} mm, smaller than the {MIN_MODULE_MM} mm a phone can scan "
                f"(about {fits} bytes fit at this size)")
    return None
