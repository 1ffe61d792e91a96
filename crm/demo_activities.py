"""Demo rows of cases and activities (tasks, events, notes, calls, emails).

An activity is about one parent, created before it: an opportunity (and its
account and contact), an account (and one of its contacts), a case (and its
account and contact) or a lead. It belongs to the parent's owner.
"""

from __future__ import annotations

import datetime as dt

from crm import demo_pools
from crm import models as crm_models
from crm.demo_rows import Seeding, Table, stage_weights
from crm.models import choices
from crm.records import numbering

#: What activities are about, and how often.
_PARENTS = (("opportunity", 45), ("account", 15), ("case", 15), ("lead", 25))


def cases(s: Seeding, n: int) -> None:
    """Cases in every status of the default case pipeline (the first ones take
    each status in turn), owned by support; closed ones within 20 days."""
    rng, pools = s.rng, s.pools
    pipeline = s.object_type("case").pipeline(None)
    stages = pipeline.stages
    weights = stage_weights(stages, won=0.55, lost=0.10)
    priorities = s.choices("case", "priority")
    origins = s.choices("case", "origin")
    types = s.choices("case", "type")
    accounts_ = s.tables["account"]
    contacts_ = s.tables["contact"]
    table = s.tables["case"] = Table()
    # Case numbers in creation order, one block of the workspace's counter.
    numbers = numbering.reserve(s.workspace_id, s.object_type("case"), n)
    for i, ts in enumerate(s.times(n)):
        stage = stages[i] if i < len(stages) else rng.choices(stages, weights)[0]
        a = s.pick(accounts_, ts)
        c = s.contact_of(a)
        owner = rng.choice(s.team.support)
        closed_ts = s.later(ts, 20) if stage.kind != "open" else None
        case = crm_models.Case(
            **s.base(ts, owner, updated_ts=closed_ts),
            case_number=numbers["case_number"][i],
            subject=rng.choice(demo_pools.CASE_SUBJECTS),
            description=rng.choice(pools.sentences),
            account_id=accounts_.ids[a],
            contact_id=contacts_.ids[c] if c >= 0 else None,
            pipeline=pipeline.key,
            status=stage.key,
            priority=rng.choice(priorities),
            origin=rng.choice(origins),
            type=rng.choice(types),
            reason=rng.choice(demo_pools.CASE_REASONS),
            is_escalated=stage.key == "escalated" or rng.random() < 0.05,
            is_closed=stage.kind != "open",
            closed_at=None if closed_ts is None else s.at(closed_ts),
        )
        s.writer.add(case)
        table.ids.append(case.pk)
        table.times.append(ts)
        table.owners.append(owner)
        table.accounts.append(a)
        table.contacts.append(c)


def _about(s: Seeding, ts: float) -> tuple[dict[str, object], int, str]:
    """Links to a parent created before ``ts``, the parent's owner, and the
    email of the person involved ("" when there is none)."""
    rng, tables = s.rng, s.tables
    kinds = [(k, w) for k, w in _PARENTS if len(tables.get(k, ()))]
    kind = rng.choices([k for k, _ in kinds], [w for _, w in kinds])[0]
    table = tables[kind]
    row = s.pick(table, ts)
    if kind == "lead":
        return {"lead_id": table.ids[row]}, table.owners[row], table.emails[row]
    contacts_ = tables["contact"]
    if kind == "account":
        a, c = row, s.contact_of(row)
        links: dict[str, object] = {}
    else:
        a, c = table.accounts[row], table.contacts[row]
        links = {f"{kind}_id": table.ids[row]}
    links["account_id"] = tables["account"].ids[a]
    links["contact_id"] = contacts_.ids[c] if c >= 0 else None
    return links, table.owners[row], contacts_.emails[c] if c >= 0 else ""


def _share(n: int, percent: int) -> int:
    return max(1, n * percent // 100) if n else 0


def activities(s: Seeding, n: int) -> None:
    """About ``n`` activities: 30% tasks, 15% events, 15% notes, 20% calls and
    20% emails (at least one of each when ``n`` > 0)."""
    if not any(len(s.tables.get(k, ())) for k, _ in _PARENTS):
        return
    tasks(s, _share(n, 30))
    events(s, _share(n, 15))
    notes(s, _share(n, 15))
    calls(s, _share(n, 20))
    emails(s, _share(n, 20))


def tasks(s: Seeding, n: int) -> None:
    """Tasks due within three weeks of their creation: most overdue ones are
    completed, most upcoming ones are not."""
    rng = s.rng
    done = crm_models.Task.Status.COMPLETED
    open_states = tuple(v for v in s.choices("task", "status") if v != done)
    priorities = s.choices("task", "priority") + (crm_models.Task.Priority.NORMAL,) * 3
    for ts in s.times(n):
        links, owner, _ = _about(s, ts)
        due = s.date(ts) + dt.timedelta(days=rng.randint(0, 21))
        finished = rng.random() < (0.85 if due < s.today else 0.1)
        completed_ts = s.later(ts, (due - s.date(ts)).days + 1) if finished else None
        s.writer.add(
            crm_models.Task(
                **s.base(ts, owner, updated_ts=completed_ts),
                **links,
                subject=rng.choice(demo_pools.TASK_SUBJECTS),
                status=done if finished else rng.choice(open_states),
                priority=rng.choice(priorities),
                due_date=due,
                completed_at=None if completed_ts is None else s.at(completed_ts),
                description=rng.choice(s.pools.sentences) if rng.random() < 0.3 else "",
            )
        )


def events(s: Seeding, n: int) -> None:
    """Meetings in working hours up to a month after they were booked (so
    some are still ahead); a few all-day ones."""
    rng = s.rng
    for ts in s.times(n):
        links, owner, _ = _about(s, ts)
        day = s.date(ts) + dt.timedelta(days=rng.randint(0, 30))
        all_day = rng.random() < 0.05
        start = dt.datetime.combine(
            day, dt.time(0 if all_day else rng.randint(8, 17)), dt.UTC
        )
        length = (
            dt.timedelta(days=1)
            if all_day
            else dt.timedelta(minutes=rng.choice((30, 30, 60, 60, 90)))
        )
        s.writer.add(
            crm_models.Event(
                **s.base(ts, owner),
                **links,
                subject=rng.choice(demo_pools.EVENT_SUBJECTS),
                start_at=start,
                end_at=start + length,
                is_all_day=all_day,
                location=rng.choice(demo_pools.LOCATIONS),
                description=rng.choice(s.pools.sentences) if rng.random() < 0.3 else "",
            )
        )


def notes(s: Seeding, n: int) -> None:
    rng = s.rng
    for ts in s.times(n):
        links, owner, _ = _about(s, ts)
        s.writer.add(
            crm_models.Note(
                **s.base(ts, owner),
                **links,
                title=rng.choice(demo_pools.NOTE_TITLES),
                body=rng.choice(s.pools.paragraphs),
            )
        )


def calls(s: Seeding, n: int) -> None:
    """Calls (mostly outbound); only connected calls and voicemails last."""
    rng, outcome = s.rng, crm_models.Call.Outcome
    directions = s.choices("call", "direction") + (choices.Direction.OUTBOUND,) * 2
    outcomes = s.choices("call", "outcome")
    for ts in s.times(n):
        links, owner, _ = _about(s, ts)
        result = rng.choice(outcomes)
        duration = None
        if result == outcome.CONNECTED:
            duration = rng.randint(60, 2700)
        elif result == outcome.LEFT_VOICEMAIL:
            duration = rng.randint(15, 90)
        s.writer.add(
            crm_models.Call(
                **s.base(ts, owner),
                **links,
                subject=rng.choice(demo_pools.CALL_SUBJECTS),
                direction=rng.choice(directions),
                call_at=s.at(ts),
                duration_seconds=duration,
                outcome=result,
                description=rng.choice(s.pools.sentences),
            )
        )


def emails(s: Seeding, n: int) -> None:
    """Emails between the parent's owner and the person involved."""
    rng = s.rng
    inbound = choices.Direction.INBOUND
    directions = s.choices("email", "direction")
    for ts in s.times(n):
        links, owner, person = _about(s, ts)
        direction = rng.choice(directions) if person else choices.Direction.OUTBOUND
        mine = s.team.users[owner].email
        sender, recipient = (person, mine) if direction == inbound else (mine, person)
        s.writer.add(
            crm_models.EmailMessage(
                **s.base(ts, owner),
                **links,
                subject=rng.choice(demo_pools.EMAIL_SUBJECTS),
                direction=direction,
                from_address=sender,
                to_addresses=recipient,
                sent_at=s.at(ts),
                body=rng.choice(s.pools.paragraphs),
            )
        )
