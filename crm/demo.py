"""The demo workspace behind ``make run`` and the benchmarks.

``seed`` builds a workspace (through ``crm.workspaces.create_for``) with a small
team — the owner as CEO, a VP Sales over three Sales Reps, a Support agent,
and a public group; ``users`` past those six are more Sales Reps, as a large
organisation has — and then, for ``records`` opportunities, a proportional
amount of every standard object: accounts, contacts, leads, opportunities
with line items, quotes, contracts, cases, campaigns and their members,
tasks, events, notes, calls and emails. Records are spread over the past 18
months and over the team, close dates over the past year and the next six
months.

Bulk seeding deliberately bypasses ``crm.records``: rows are written with
``bulk_create``, so demo data has no field history (FieldChange) and no
outbox events (no webhook fires for it); the pipeline totals the events
would have moved are recounted at the end. It writes only what the lifecycle's
validation would accept: picklist values and pipeline stages come from the
workspace's registry, lookups point at live records of the same workspace,
owners are members, required fields are filled, every row's ``derive()`` has
run, and the stage-derived fields (probability, ``is_closed``, ``is_won``,
``closed_at``) follow the stage's spec as ``crm.records`` sets them.

The data depends only on the seed and on ``now``; ids are fresh UUIDv7s.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.db import models, transaction
from django.utils import timezone

from accounts import errors
from accounts import services as account_services
from accounts.models import Membership, Profile, Role, User, Workspace
from crm import (
    demo_activities,
    demo_marketing,
    demo_pools,
    demo_rows,
    demo_sales,
    workspaces,
)
from crm import models as crm_models
from crm.records import totals

DEMO_EMAIL = "demo@hotcrm.local"
DEMO_PASSWORD = "hotcrm-demo"
DEMO_WORKSPACE = "Demo Inc"
DEFAULT_RECORDS = 2000
DEFAULT_SEED = 1
OWNER_NAME = "Alex Morgan"
#: Roles under the owner's top role (CEO): (name, parent; None for the top).
ROLES = (("VP Sales", None), ("Sales Rep", "VP Sales"), ("Support", None))
#: The users besides the owner: (name, email local part, role).
TEAM = (
    ("Maya Patel", "maya.patel", "VP Sales"),
    ("Liam Chen", "liam.chen", "Sales Rep"),
    ("Sofia Garcia", "sofia.garcia", "Sales Rep"),
    ("Noah Williams", "noah.williams", "Sales Rep"),
    ("Ava Johnson", "ava.johnson", "Support"),
)
GROUP = "Enterprise Deals"
#: The team's size by default: the owner and ``TEAM``.
DEFAULT_USERS = len(TEAM) + 1
#: At most this many users (record owners are kept in two bytes a row).
MAX_USERS = 10_000
#: The role of the users past ``TEAM``.
EXTRA_ROLE = "Sales Rep"
#: How many sales records each role owns relative to the others.
_SALES_WEIGHT = {"VP Sales": 2, "Sales Rep": 5}
_SUPPORT_WEIGHT = {"Support": 4}


@dataclass(frozen=True)
class Plan:
    """How many rows of each object one seed makes. Opportunities, leads and
    cases cover every stage of their default pipeline once there are at least
    as many as stages (leads and cases: at least 10 when ``records`` > 0)."""

    opportunities: int
    accounts: int
    contacts: int
    leads: int
    cases: int
    campaigns: int
    campaign_members: int
    activities: int


def plan(records: int) -> Plan:
    n = records
    if n <= 0:
        return Plan(0, 0, 0, 0, 0, 0, 0, 0)
    return Plan(
        opportunities=n,
        accounts=max(1, n // 4),
        contacts=max(1, n // 2),
        leads=max(10, n // 2),
        cases=max(10, n // 5),
        campaigns=max(5, n // 250),
        campaign_members=max(1, n // 4),
        activities=n,
    )


@dataclass(frozen=True)
class Result:
    workspace: Workspace
    email: str
    #: The password to sign in with; None when the user existed and keeps a
    #: password other than the one given.
    password: str | None
    #: The other users of the named demo team; new ones got the password given.
    team: tuple[str, ...]
    #: False when ``if_empty`` found the workspace and did nothing.
    created: bool
    #: Rows written, by object api name.
    counts: dict[str, int]
    seconds: float
    #: Sales Reps past the named team (``users``); they own records but have
    #: no password.
    extra_users: int = 0


def find(workspace_name: str, email: str) -> Workspace | None:
    """The oldest workspace called ``workspace_name`` where ``email`` is an
    active member."""
    return (
        Workspace.objects.filter(
            name=workspace_name,
            memberships__user__email__iexact=email,
            memberships__is_active=True,
        )
        .order_by("created_at")
        .first()
    )


def seed(
    *,
    records: int = DEFAULT_RECORDS,
    email: str = DEMO_EMAIL,
    password: str | None = DEMO_PASSWORD,
    workspace_name: str = DEMO_WORKSPACE,
    if_empty: bool = False,
    seed: int = DEFAULT_SEED,
    users: int = DEFAULT_USERS,
    now: dt.datetime | None = None,
    progress: Callable[[str], None] | None = None,
) -> Result:
    """Build a demo workspace with ``records`` opportunities (see ``plan``)
    owned by a team of ``users``: the owner, then ``TEAM`` in order, then
    Sales Reps without a password, as many as it takes.

    With ``if_empty``, when ``find`` already finds the workspace, nothing is
    written and the existing workspace is returned. Otherwise a new workspace
    is made (even if one of that name exists). Atomic: a failure leaves
    nothing behind. Raises ValidationFailed naming the bad argument.
    """
    started = time.monotonic()
    say = progress or (lambda line: None)
    if records < 0:
        raise errors.ValidationFailed(
            "The number of records cannot be negative.", field="records"
        )
    if not 1 <= users <= MAX_USERS:
        raise errors.ValidationFailed(
            f"The team has from 1 to {MAX_USERS:,} users (the owner included).",
            field="users",
        )
    name = workspace_name.strip()
    if not name or len(name) > Workspace._meta.get_field("name").max_length:
        raise errors.ValidationFailed(
            "The workspace needs a name of at most 200 characters.",
            field="workspace",
        )
    now = now or timezone.now()
    with transaction.atomic():
        owner, created = account_services.get_or_create_user(
            email, password=password, name=OWNER_NAME
        )
        signs_in = created or bool(password and owner.check_password(password))
        shown = password if signs_in else None
        domain = owner.email.rpartition("@")[2]
        named = _named_team(owner, domain, users)
        team_emails = tuple(f"{local}@{domain}" for _, local, _ in named)
        existing = find(name, owner.email) if if_empty and not created else None
        if existing is not None:
            say(f"The workspace {name!r} exists already; nothing to do.")
            return Result(existing, owner.email, shown, team_emails, False, {}, 0.0)
        workspace = workspaces.create_for(owner, name)
        say(f"Seeding {name!r} with {records:,} opportunities (seed {seed}).")
        team = _team(workspace, owner, domain, password, named, users, seed)
        say(f"  {'users':<26}{len(team.users):>10,}  {_since(started)}")
        s = demo_rows.Seeding(workspace, team, seed=seed, now=now)
        counts = _rows(s, plan(records), say, started)
        totals.rebuild(workspace)  # the lifecycle would have kept them
        say(f"  {'pipeline totals':<36}{_since(started)}")
    # PostgreSQL checks the (deferred) foreign keys of every row here.
    say(f"  {'committed':<36}{_since(started)}")
    return Result(
        workspace,
        owner.email,
        shown,
        team_emails,
        True,
        counts,
        time.monotonic() - started,
        len(team.users) - 1 - len(named),
    )


def _since(started: float) -> str:
    return f"{time.monotonic() - started:7.1f}s"


def _named_team(
    owner: User, domain: str, users: int
) -> tuple[tuple[str, str, str], ...]:
    """The members of ``TEAM`` a team of ``users`` has (the owner is one)."""
    named = tuple(t for t in TEAM if f"{t[1]}@{domain}" != owner.email)
    return named[: max(0, users - 1)]


def _extra_users(domain: str, count: int, seed: int) -> list[User]:
    """``count`` Sales Reps past the named team: existing users with their
    emails are reused, new ones are written in bulk without a password (a
    password hash costs a good part of a second per user)."""
    if count <= 0:
        return []
    pools = demo_pools.build(seed)
    rng = random.Random(f"users-{seed}")
    wanted = {}
    for n in range(1, count + 1):
        first = rng.randrange(len(pools.first_names))
        last = rng.randrange(len(pools.last_names))
        email = f"{pools.first_slugs[first]}.{pools.last_slugs[last]}.{n}@{domain}"
        wanted[email] = f"{pools.first_names[first]} {pools.last_names[last]}"
    found = {u.email: u for u in User.objects.filter(email__in=list(wanted))}
    new = []
    for email, name in wanted.items():
        if email not in found:
            user = User(email=email, name=name)
            user.set_unusable_password()
            new.append(user)
    for user in User.objects.bulk_create(new, batch_size=demo_rows.INSERT_BATCH):
        found[user.email] = user
    return [found[email] for email in wanted]


def _team(
    workspace: Workspace,
    owner: User,
    domain: str,
    password: str | None,
    named: tuple[tuple[str, str, str], ...],
    size: int,
    seed: int,
) -> demo_rows.Team:
    """Roles, members (new named users get ``password``) and the public
    group; the owner keeps the top role."""
    ceo = owner.memberships.get(workspace=workspace).role
    roles: dict[str | None, Role | None] = {None: ceo}
    for role_name, parent in ROLES:
        roles[role_name] = account_services.create_role(
            workspace, role_name, parent=roles[parent]
        )
    users, role_names = [owner], [ceo.name if ceo else ""]
    for full_name, local, role_name in named:
        user, _ = account_services.get_or_create_user(
            f"{local}@{domain}", password=password, name=full_name
        )
        account_services.add_member(
            workspace,
            user,
            profile_name=account_services.STANDARD_PROFILE,
            role=roles[role_name],
        )
        users.append(user)
        role_names.append(role_name)
    extra = _extra_users(domain, size - len(users), seed)
    standard = Profile.objects.get(
        workspace=workspace, name=account_services.STANDARD_PROFILE
    )
    Membership.objects.bulk_create(
        [
            Membership(
                workspace=workspace,
                user=user,
                profile=standard,
                role=roles[EXTRA_ROLE],
            )
            for user in extra
        ],
        batch_size=demo_rows.INSERT_BATCH,
    )
    users += extra
    role_names += [EXTRA_ROLE] * len(extra)
    account_services.create_group(
        workspace,
        GROUP,
        members=[
            u for u, r in zip(users, role_names, strict=True) if r in _SALES_WEIGHT
        ],
    )

    def pool(weights: dict[str, int]) -> tuple[int, ...]:
        chosen = tuple(
            i for i, r in enumerate(role_names) for _ in range(weights.get(r, 0))
        )
        return chosen or (0,)  # the owner, when no one has such a role

    return demo_rows.Team(
        users=tuple(users),
        sales=(0, *pool(_SALES_WEIGHT)),
        support=(0, *pool(_SUPPORT_WEIGHT)),
    )


def _rows(
    s: demo_rows.Seeding,
    counts: Plan,
    say: Callable[[str], None],
    started: float,
) -> dict[str, int]:
    """Run the generators in dependency order, flushing and reporting after
    each; returns rows written by object api name."""
    steps: tuple[tuple[Callable[[], None], tuple[type[models.Model], ...]], ...] = (
        (
            lambda: demo_sales.products(s),
            (crm_models.Product, crm_models.Price),
        ),
        (lambda: demo_marketing.campaigns(s, counts.campaigns), (crm_models.Campaign,)),
        (lambda: demo_sales.accounts(s, counts.accounts), (crm_models.Account,)),
        (lambda: demo_sales.contacts(s, counts.contacts), (crm_models.Contact,)),
        (
            lambda: demo_sales.opportunities(s, counts.opportunities),
            (
                crm_models.Opportunity,
                crm_models.OpportunityLineItem,
                crm_models.Quote,
                crm_models.QuoteLineItem,
                crm_models.Contract,
            ),
        ),
        (lambda: demo_marketing.leads(s, counts.leads), (crm_models.Lead,)),
        (
            lambda: demo_marketing.campaign_members(s, counts.campaign_members),
            (crm_models.CampaignMember,),
        ),
        (lambda: demo_activities.cases(s, counts.cases), (crm_models.Case,)),
        (
            lambda: demo_activities.activities(s, counts.activities),
            (
                crm_models.Task,
                crm_models.Event,
                crm_models.Note,
                crm_models.Call,
                crm_models.EmailMessage,
            ),
        ),
    )
    for run, step_models in steps:
        run()
        s.writer.flush()
        for model in step_models:
            label = model.CRM.plural.replace("_", " ")
            say(f"  {label:<26}{s.writer.count(model):>10,}  {_since(started)}")
    total = sum(s.writer.counts.values())
    say(f"  {'total':<26}{total:>10,}  {_since(started)}")
    return {model.CRM.api_name: n for model, n in s.writer.counts.items()}
