"""The rows of the demo workspace: how each object is generated in bulk.

``Seeding`` holds what every generator shares (the seeded random source, the
value pools, the registry, the team, the writer) and a ``Table`` per object of
what later objects need to know about its rows (ids, creation times, owners,
parents). Rows are made oldest first: ids are UUIDv7 taken from ``created_at``
so they stay time-ordered, and a child picks its parent among the rows created
before it.

Values follow what ``crm.records`` would store: picklists and stages from the
workspace's registry, each row's ``derive()``, and for pipeline objects the
stage's probability, ``is_closed``, ``is_won`` and ``closed_at``.
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import random
from array import array
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from uuid import UUID

from django.db import models
from uuid_utils.compat import uuid7

from accounts.models import User, Workspace
from crm import demo_pools
from crm import models as crm_models
from crm.metadata import registry
from crm.metadata.types import ObjectType, StageSpec

DAY = 86_400.0
#: How far back ``created_at`` goes, in days (about 18 months).
HISTORY_DAYS = 548
#: Rows buffered per model before a flush; rows per INSERT statement.
FLUSH_EVERY = 5000
INSERT_BATCH = 1000


@dataclass
class Table:
    """What later objects need about the rows of one object, by row number.

    ``times`` (creation, epoch seconds) ascend. ``owners`` are indexes into
    ``Team.users``. ``accounts`` and ``contacts`` hold row numbers in those
    tables, -1 for none.
    """

    ids: list[UUID] = field(default_factory=list)
    times: array = field(default_factory=lambda: array("d"))
    owners: array = field(default_factory=lambda: array("H"))
    accounts: array = field(default_factory=lambda: array("l"))
    contacts: array = field(default_factory=lambda: array("l"))
    names: list[str] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.ids)


@dataclass(frozen=True)
class Team:
    """The workspace's users; ``sales`` and ``support`` are weighted pools of
    indexes into ``users`` that record owners are drawn from."""

    users: tuple[User, ...]
    sales: tuple[int, ...]
    support: tuple[int, ...]


@dataclass(frozen=True)
class ProductRow:
    id: UUID
    name: str
    unit_price: Decimal
    max_quantity: int


class Writer:
    """Buffers unsaved rows and writes them with ``bulk_create``.

    A flush writes every buffer in the order its model was first added, so
    parents (added first) are inserted before their children.
    """

    def __init__(self) -> None:
        self._buffers: dict[type[models.Model], list[models.Model]] = {}
        self.counts: dict[type[models.Model], int] = {}

    def add(self, row: models.Model) -> None:
        row.derive()
        buffer = self._buffers.setdefault(type(row), [])
        buffer.append(row)
        if len(buffer) >= FLUSH_EVERY:
            self.flush()

    def flush(self) -> None:
        for model, rows in self._buffers.items():
            if rows:
                model.objects.bulk_create(rows, batch_size=INSERT_BATCH)
                self.counts[model] = self.counts.get(model, 0) + len(rows)
                rows.clear()

    def count(self, model: type[models.Model]) -> int:
        return self.counts.get(model, 0) + len(self._buffers.get(model, ()))


def stage_weights(
    stages: Sequence[StageSpec], *, won: float, lost: float
) -> list[float]:
    """Cumulative weights: ``won`` and ``lost`` shares split among the stages of
    that kind, the rest among open stages, earlier open stages weighing more."""
    open_stages = [s for s in stages if s.kind not in ("won", "lost")]
    open_total = sum(range(1, len(open_stages) + 1)) or 1
    kinds = {"won": won, "lost": lost}
    counts = {k: sum(1 for s in stages if s.kind == k) for k in kinds}
    weights = []
    for stage in stages:
        if stage.kind in kinds:
            weights.append(kinds[stage.kind] / counts[stage.kind])
        else:
            rank = len(open_stages) - open_stages.index(stage)
            weights.append((1 - won - lost) * rank / open_total)
    return list(itertools.accumulate(weights))


class Seeding:
    """Shared state of one seeding run."""

    def __init__(
        self,
        workspace: Workspace,
        team: Team,
        *,
        seed: int,
        now: dt.datetime,
    ) -> None:
        self.workspace = workspace
        self.workspace_id = workspace.pk
        self.team = team
        self.rng = random.Random(seed)
        self.pools = demo_pools.build(seed)
        self.types = registry.for_workspace(workspace)
        self.writer = Writer()
        self.now = now
        self.now_ts = now.timestamp()
        self.today = now.date()
        self.start_ts = self.now_ts - HISTORY_DAYS * DAY
        self.tables: dict[str, Table] = {}
        self.products: list[ProductRow] = []
        self.campaigns: list[crm_models.Campaign] = []
        #: Per account row, the row numbers of its contacts.
        self.account_contacts: list[list[int]] = []

    # -- registry -------------------------------------------------------------

    def object_type(self, name: str) -> ObjectType:
        object_type = self.types.find(name)
        if object_type is None:
            raise LookupError(f"The workspace has no object {name!r}.")
        return object_type

    def choices(self, object_name: str, field_name: str) -> tuple[str, ...]:
        """The picklist's values in this workspace."""
        spec = self.object_type(object_name).fields[field_name]
        return tuple(choice.value for choice in spec.choices)

    # -- time -----------------------------------------------------------------

    def times(self, n: int) -> array:
        """``n`` ascending creation times over the history, denser recently
        (half uniform, half rising linearly): a growing business."""
        r = self.rng.random
        span = self.now_ts - self.start_ts
        start = self.start_ts
        return array(
            "d",
            sorted(
                start + span * (max(r(), r()) if r() < 0.5 else r()) for _ in range(n)
            ),
        )

    def at(self, ts: float) -> dt.datetime:
        return dt.datetime.fromtimestamp(ts, dt.UTC)

    def date(self, ts: float) -> dt.date:
        return dt.datetime.fromtimestamp(ts, dt.UTC).date()

    def noon(self, day: dt.date) -> float:
        return dt.datetime.combine(day, dt.time(12), dt.UTC).timestamp()

    def later(self, ts: float, max_days: float) -> float:
        """A time after ``ts`` by up to ``max_days``, never after now."""
        return min(self.now_ts, ts + self.rng.random() * max_days * DAY)

    # -- rows -----------------------------------------------------------------

    def pick(self, table: Table, ts: float) -> int:
        """A row of ``table`` created before ``ts`` (the oldest if none was)."""
        before = bisect.bisect_right(table.times, ts)
        return int(self.rng.random() * before) if before else 0

    def contact_of(self, account: int) -> int:
        """A contact of the account, or -1 when it has none."""
        contacts = self.account_contacts[account]
        return self.rng.choice(contacts) if contacts else -1

    def base(
        self, ts: float, owner: int, updated_ts: float | None = None
    ) -> dict[str, object]:
        """The columns every record has."""
        user_id = self.team.users[owner].pk
        created = self.at(ts)
        return {
            "id": uuid7(nanoseconds=int(ts * 1e9)),
            "workspace_id": self.workspace_id,
            "owner_id": user_id,
            "created_by_id": user_id,
            "updated_by_id": user_id,
            "created_at": created,
            "updated_at": created if updated_ts is None else self.at(updated_ts),
        }

    def address(self, prefix: str) -> dict[str, str]:
        pools, rng = self.pools, self.rng
        return {
            f"{prefix}street": rng.choice(pools.streets),
            f"{prefix}city": rng.choice(pools.cities),
            f"{prefix}state": rng.choice(pools.states),
            f"{prefix}postal_code": rng.choice(pools.postcodes),
            f"{prefix}country": "United States",
        }

    def person(self, domain: str) -> tuple[str, str, str]:
        """First name, last name and an email at ``domain``."""
        rng, pools = self.rng, self.pools
        f = rng.randrange(len(pools.first_names))
        last = rng.randrange(len(pools.last_names))
        email = f"{pools.first_slugs[f]}.{pools.last_slugs[last]}@{domain}"
        return pools.first_names[f], pools.last_names[last], email

    def sales_owner(self) -> int:
        return self.rng.choice(self.team.sales)
