"""crm.query rows as v1 JSON.

A query row holds the record's id, its fields by name (lookups as the
target's UUID: v1 reads with ``uuids=True``, so ids stay ``UUID`` objects
until they are rendered here), dot paths (``account.name``) and expansions.
v1 shows ids prefixed (``acc_…``), lookups as ``<name>_id`` and paths as
asked; an expansion inlines the related record (or list of records) rendered
the same way. A ``Plan`` says, per row key, which answer key it becomes and
how its value converts; it is built once per serializer and field selection,
so a row costs one C-level pick of its values, one dict and a call per
converted value. A flat page (no dot path, no expansion) goes further: the
plan reads the fetched tuples themselves (``maker``, given to
``crm.query.page`` as its ``rows_as``), each value converted once by the
engine's conversion and the plan's together.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from crm.query import select

Convert = Callable[[Any], Any] | None


@dataclass(frozen=True)
class Plan:
    """Row key → (answer key, conversion), in the answer's order."""

    items: tuple[tuple[str, str, Convert], ...]
    _pick: Callable[[Mapping[str, Any]], tuple] = field(
        init=False, repr=False, compare=False
    )
    _names: tuple[str, ...] = field(init=False, repr=False, compare=False)
    _converts: tuple[tuple[str, Callable[[Any], Any]], ...] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        pick = select.picker([key for key, _, _ in self.items])
        converts = tuple((name, c) for _, name, c in self.items if c is not None)
        object.__setattr__(self, "_pick", pick)
        object.__setattr__(self, "_names", tuple(name for _, name, _ in self.items))
        object.__setattr__(self, "_converts", converts)

    @property
    def keys(self) -> frozenset[str]:
        """The row keys it reads."""
        return frozenset(key for key, _, _ in self.items)

    def render(self, row: Mapping[str, Any]) -> dict[str, Any]:
        try:
            out = dict(zip(self._names, self._pick(row), strict=True))
        except KeyError:  # a key the row lacks reads as empty
            out = {name: row.get(key) for key, name, _ in self.items}
        for name, convert in self._converts:
            out[name] = convert(out[name])
        return out

    def render_all(self, found: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
        render = self.render
        return [render(row) for row in found]

    def maker(self, columns: Sequence[tuple[str, int, Convert]]):
        """The answer row of a fetched tuple read as ``columns`` (crm.query's
        key, position and conversion of each), or None when the plan asks
        for a key they do not hold."""
        at = {key: (position, convert) for key, position, convert in columns}
        if any(key not in at for key, _, _ in self.items):
            return None
        names, positions, steps = [], [], []
        for i, (key, name, convert) in enumerate(self.items):
            position, engine = at[key]
            names.append(name)
            positions.append(position)
            both = _chain(engine, convert)
            if both is not None:
                steps.append((i, both))
        pick, keys = select.picker(positions), tuple(names)

        def make(raw: tuple) -> dict[str, Any]:
            values = list(pick(raw))
            for i, convert in steps:
                values[i] = convert(values[i])
            return dict(zip(keys, values, strict=True))

        return make


def _chain(first: Convert, then: Convert) -> Convert:
    if first is None or then is None:
        return then or first
    return lambda value: then(first(value))


def prefixer(prefix: str) -> Callable[[Any], str | None]:
    """A UUID (or its text, as crm.query gives lookups stored in JSON) as the
    v1 id ``<prefix>_<hex>``."""
    head = f"{prefix}_"

    def convert(value: Any) -> str | None:
        cls = value.__class__  # the common cases first: they run per row
        if cls is UUID:
            return head + value.hex
        if cls is str:
            return head + value.replace("-", "")
        if value is None:
            return None
        if isinstance(value, dict):  # the lookup is expanded under its name
            return convert(value.get("id"))
        return head + str(value).replace("-", "")

    return convert


def _one(plan: Plan) -> Callable[[Any], Any]:
    def convert(value: Any) -> Any:
        return None if value is None else plan.render(value)

    return convert


def _many(plan: Plan) -> Callable[[Any], Any]:
    def convert(value: Any) -> Any:
        return plan.render_all(value or ())

    return convert


def key_of(fields: Sequence, expand: Sequence) -> tuple:
    """What a plan depends on: the selected fields and expansions."""
    return (
        tuple(path.name for path in fields),
        tuple(
            (e.key, e.kind, e.object_type.api_name, tuple(f.name for f in e.fields))
            for e in expand
        ),
    )


def build(
    serializer,
    fields: Sequence,
    expand: Sequence,
    nested: Callable[[Any, Sequence], Plan],
) -> Plan:
    """The plan of ``fields`` (crm.query Paths) and ``expand`` (Expands) of
    ``serializer``'s object; row keys of neither are left out of the answer.
    ``nested(object_type, fields)`` plans an expanded record."""
    prefixes = serializer.prefixes
    own = serializer.object_type
    items: list[tuple[str, str, Convert]] = [("id", "id", prefixer(own.prefix))]
    for path in fields:
        name, leaf = path.name, path.leaf
        if name == "id":
            continue
        if leaf.type.key == "id":  # ``account.id``
            items.append((name, name, prefixer(path.holder.prefix)))
        elif leaf.is_lookup:
            target = prefixes.get(leaf.target or "", leaf.target or "")
            items.append((name, f"{name}_id", prefixer(target)))
        else:
            items.append((name, name, None))
    for entry in expand:
        plan = nested(entry.object_type, entry.fields)
        convert = _one(plan) if entry.kind == "lookup" else _many(plan)
        items.append((entry.key, entry.key, convert))
    return Plan(tuple(items))
