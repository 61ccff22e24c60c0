"""antifraud: print-ready, audience-specific Chinese anti-fraud outreach materials."""

__version__ = "0.1.0"

from .errors import AntifraudError, Location, Problem  # noqa: E402

__all__ = ["AntifraudError", "Location", "Problem", "__version__"]
