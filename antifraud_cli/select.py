"""Which cases a product shows for an audience, best first. Pure: the same project and day give the same choice.

The order (README, "Which cases print"): the campaign `focus` list in its own order; the project's own local
cases; cases in season on the build day; the audience's `priorities`; then the tags it cares about.
"""
from __future__ import annotations

import datetime as dt

from .loader import Project
from .models import Case, SeasonLine


def select_cases(project: Project, audience_id: str, count: int, day: dt.date) -> list[Case]:
    """The audience's best `count` cases on `day` (see the module docstring for the order)."""
    audience = project.audiences[audience_id]
    focus = list(project.config.focus) if project.config else []
    rank = {cid: i for i, cid in enumerate(audience.priorities)}
    wanted = set(audience.tags)

    def key(case: Case):
        if case.id in focus:
            return (0, focus.index(case.id), 0, case.id)
        if case.id in project.local_cases:
            tier = 1
        elif day.month in case.seasons:
            tier = 2
        else:
            tier = 3
        # within a tier: the audience's priorities, then how many of its tags the case carries
        return (tier, rank.get(case.id, len(rank)), -len(wanted & set(case.tags)), case.id)

    eligible = [c for c in project.cases.values() if audience_id in c.audiences]
    return sorted(eligible, key=key)[:count]


def season_line(project: Project, audience_id: str, day: dt.date) -> SeasonLine | None:
    """The audience's seasonal line for the build day's month (the first that matches), if any."""
    return next((s for s in project.audiences[audience_id].seasonal if day.month in s.months), None)
