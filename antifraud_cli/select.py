"""Which cases a product shows for an audience, best first. Pure: the same project and day give the same choice."""
from __future__ import annotations

import datetime as dt

from .loader import Project
from .models import Case


def select_cases(project: Project, audience_id: str, count: int, day: dt.date) -> list[Case]:
    """The audience's cases, best first: its priority list, then tags it cares about; in-season cases move up."""
    audience = project.audiences[audience_id]
    rank = {cid: i for i, cid in enumerate(audience.priorities)}
    wanted = set(audience.tags)
    month = day.month

    def key(case: Case):
        in_season = month in case.seasons
        return (rank.get(case.id, len(rank) + 10) - (1.5 if in_season else 0), -len(wanted & set(case.tags)), case.id)

    eligible = [c for c in project.cases.values() if audience_id in c.audiences]
    return sorted(eligible, key=key)[:count]
