"""Will a QR payload make a code that prints and scans? Checked before drawing, in build and in check.

A payload over the capacity of a QR code (version 40 at error correction M) cannot be encoded at all;
a long one fits, but at a small printed size its modules get so fine that a phone camera cannot
resolve them. Below 0.4 mm per module, print smudge and focus lose the code (ISO/IEC 18004 asks for
more; 0.4 mm is the smallest that decoded reliably from a 150 dpi scan in our tests).
"""
from __future__ import annotations

from functools import lru_cache

MIN_MODULE_MM = 0.4
QUIET_MODULES = 4  # the quiet zone the renderer draws around the code (not part of size_mm)


@lru_cache(maxsize=256)
def modules_for(payload: str) -> int | None:
    """Modules per side of the smallest QR code (error correction M) holding `payload`; None if none can."""
    import qrcode
    from qrcode.constants import ERROR_CORRECT_M
    from qrcode.exceptions import DataOverflowError

    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=0)
    code.add_data(payload.encode("utf-8"))  # as layout.qr_matrix encodes it
    try:
        version = code.best_fit()
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


def check_payload(payload: str, size_mm: float) -> str | None:
    """Why `payload` cannot be printed as a scannable QR code `size_mm` wide, or None when it can."""
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
