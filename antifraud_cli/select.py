"""Which cases a product shows for an audience, best first. Pure: the same project and day give the same choice.

The audience's cases are put in one order, and a product prints the first `count` of it (a leaflet that cannot
fit them all prints fewer, from the end); so whatever must never be dropped comes first:

1. the campaign `focus` list (antifraud.yaml), in its own order: the station asked for these;
2. kept cases, whatever the month:
   - the audience's **legal-risk** case (帮信: lending bank cards), when the audience's `tags` include
     `legal-risk`: a local case tagged `legal-risk`, else the first so tagged in the audience's `priorities`;
   - its **top type**: the first case tagged `top-type` (the national top fraud types) in the audience's
     `priorities`, unless the focus already holds a top type. A built-in case: a local case does not take
     this place;
3. the project's own local cases;
4. cases in season on the build day;
5. the rest.

Within 3–5 (and to pick the kept cases) the order is the audience's `priorities`, then a top type before
other cases, then the cases carrying most of its `tags`, then the id. So a season raises a case and never
removes a top type (the audience's own top type is kept in every month); local cases add to a product and
never crowd out its national top type or its legal-risk case (a product of two or three cases prints both);
and past the kept cases an audience's own priorities decide (a shop owner's 收款码调包 before a national type
it ranks lower).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .loader import Project
from .models import Audience, Case, SeasonLine

TOP_TYPE = "top-type"  # the national top fraud types by case count (刷单, 投资理财, 网贷, 冒充客服, 冒充公检法; 冒充亲属)
LEGAL_RISK = "legal-risk"  # the audience's own legal exposure (帮信: renting out bank cards and phone cards)


@dataclass(frozen=True)
class Ranked:
    """One case in an audience's order, with what put it there (for `antifraud list cases`)."""
    case: Case
    place: str  # focus, legal-risk, top-type, local, season, other: the step of the order that placed it
    focus: int | None  # its place in the campaign focus list (0-based)
    local: bool
    in_season: bool
    top_type: bool
    legal_risk: bool
    priority: int | None  # its place in the audience's priorities (0-based), None when not listed
    tags: tuple[str, ...]  # the audience's tags it carries

    def why(self) -> list[str]:
        """Plain words: the reason that placed it first, then what else is true of it."""
        months = ",".join(map(str, self.case.seasons))
        season = f"in season (months {months})" if self.in_season else f"season months {months}, not now"
        first = {"focus": f"campaign focus #{(self.focus or 0) + 1}",
                 "legal-risk": "the audience's legal-risk case: always kept",
                 "top-type": "the audience's top fraud type: always kept",
                 "local": "your local case", "season": season,
                 "other": "by the audience's priorities"}[self.place]
        more = []
        if self.local and self.place != "local":
            more.append("local")
        if self.case.seasons and self.place != "season":
            more.append(season)
        if self.top_type and self.place != "top-type":
            more.append("top type")
        if self.legal_risk and self.place != "legal-risk":
            more.append("legal risk")
        more.append(f"priority {self.priority + 1}" if self.priority is not None else "not in priorities")
        if self.tags:
            more.append("tags " + ", ".join(self.tags))
        return [first, *more]


def rank_cases(project: Project, audience_id: str, day: dt.date) -> list[Ranked]:
    """Every case of the audience in print order (see the module docstring)."""
    audience = project.audiences[audience_id]
    focus = [cid for cid in (project.config.focus if project.config else []) if cid in project.cases]
    priority = {cid: i for i, cid in enumerate(audience.priorities)}
    wanted = set(audience.tags)
    eligible = [c for c in project.cases.values() if audience_id in c.audiences]

    def within(case: Case):  # the order inside one step: priorities, a top type, tags carried, id
        return (priority.get(case.id, len(priority)), TOP_TYPE not in case.tags, -len(wanted & set(case.tags)),
                case.id)

    def step(case: Case) -> str:
        if case.id in project.local_cases:
            return "local"
        return "season" if day.month in case.seasons else "other"

    steps = ("local", "season", "other")
    ordinary = sorted(eligible, key=lambda c: (steps.index(step(c)), within(c)))

    placed: list[tuple[Case, str]] = [(project.cases[cid], "focus") for cid in focus
                                      if audience_id in project.cases[cid].audiences]
    taken = {c.id for c, _ in placed}
    if LEGAL_RISK in wanted:
        # a station's own legal-risk case first, then the audience's priorities: the same case in every month
        pick = min((c for c in eligible if LEGAL_RISK in c.tags and c.id not in taken),
                   key=lambda c: (c.id not in project.local_cases, within(c)), default=None)
        if pick and not any(LEGAL_RISK in c.tags for c, _ in placed):
            placed.append((pick, "legal-risk"))
            taken.add(pick.id)
    if not any(TOP_TYPE in c.tags for c, _ in placed):
        national = sorted((c for c in eligible if TOP_TYPE in c.tags and c.id not in project.local_cases), key=within)
        if national:
            placed.append((national[0], "top-type"))
            taken.add(national[0].id)
    placed += [(c, step(c)) for c in ordinary if c.id not in taken]

    return [Ranked(case=c, place=place, focus=focus.index(c.id) if c.id in focus else None,
                   local=c.id in project.local_cases, in_season=day.month in c.seasons,
                   top_type=TOP_TYPE in c.tags, legal_risk=LEGAL_RISK in c.tags, priority=priority.get(c.id),
                   tags=tuple(t for t in c.tags if t in wanted)) for c, place in placed]


def select_cases(project: Project, audience_id: str, count: int, day: dt.date) -> list[Case]:
    """The audience's best `count` cases on `day` (see the module docstring for the order)."""
    return [r.case for r in rank_cases(project, audience_id, day)[:count]]


def season_line(project: Project, audience_id: str, day: dt.date) -> SeasonLine | None:
    """The audience's seasonal line for the build day's month (the first that matches), if any."""
    return next((s for s in project.audiences[audience_id].seasonal if day.month in s.months), None)


def subhead_for(audience: Audience, printed: list[str] | tuple[str, ...]) -> str | None:
    """The subhead a product prints over `printed` (case ids): `voice.subhead` as written, or from a list of
    subheads the first whose `cases` are all printed (a subhead naming 冒充亲人 only over a page that shows it)."""
    subhead = audience.voice.subhead
    if subhead is None or isinstance(subhead, str):
        return subhead
    shown = set(printed)
    return next((s.text for s in subhead if set(s.cases) <= shown), None)
