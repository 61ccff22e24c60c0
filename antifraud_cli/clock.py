"""The build day: one value, in UTC, for the seasonal case choice and every date written into the outputs.

`--date YYYY-MM-DD`, else SOURCE_DATE_EPOCH (seconds since 1970, as reproducible-builds.org defines it), else
today. A bad value is a usage error naming it, never silently ignored.
"""
from __future__ import annotations

import calendar
import datetime as dt
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass

from .errors import Location, Problem, UsageError

EARLIEST_YEAR = 1900  # --date before it is refused
LATEST_EPOCH = 253402300799  # 9999-12-31 23:59:59 UTC: the last second a date (and a PDF date) can hold


@dataclass(frozen=True)
class BuildClock:
    day: dt.date  # the day the build is for (UTC)
    epoch: int    # the time written into the outputs: SOURCE_DATE_EPOCH exactly, else midnight UTC of `day`
    source: str   # "--date", "SOURCE_DATE_EPOCH" or "today", for the manifest

    @property
    def month(self) -> int:
        return self.day.month


def build_clock(date_option: str | None = None, environ: Mapping[str, str] | None = None) -> BuildClock:
    env = os.environ if environ is None else environ
    if date_option is not None:
        try:
            day = dt.date.fromisoformat(date_option.strip())
        except ValueError:
            raise UsageError(Problem(Location("--date"), f"'{date_option}' is not a date",
                                     "give the day as YYYY-MM-DD, e.g. --date 2027-09-01")) from None
        if day.year < EARLIEST_YEAR:  # a typo: and a PDF date needs four digits of year (N182)
            raise UsageError(Problem(Location("--date"), f"'{date_option}' is before {EARLIEST_YEAR}",
                                     "give the day the materials are for, e.g. --date 2027-09-01"))
        return BuildClock(day, calendar.timegm(day.timetuple()), "--date")
    raw = env.get("SOURCE_DATE_EPOCH")
    if raw is not None:
        text = raw.strip()
        # ASCII digits only: '²'.isdigit() is true, and int() refuses it (N181); the year must fit a date (N180)
        if not (text.isascii() and text.isdigit()) or len(text) > 12 or int(text) > LATEST_EPOCH:
            raise UsageError(Problem(Location("SOURCE_DATE_EPOCH"), f"SOURCE_DATE_EPOCH='{raw}' is not a timestamp"
                                     + (" before the year 10000" if text.isascii() and text.isdigit() else ""),
                                     "set it to whole seconds since 1970-01-01 UTC, e.g. $(git log -1 --format=%ct), "
                                     "or unset it"))
        epoch = int(text)
        return BuildClock(dt.datetime.fromtimestamp(epoch, dt.timezone.utc).date(), epoch, "SOURCE_DATE_EPOCH")
    today = dt.datetime.fromtimestamp(time.time(), dt.timezone.utc).date()
    return BuildClock(today, calendar.timegm(today.timetuple()), "today")  # same day, same bytes
