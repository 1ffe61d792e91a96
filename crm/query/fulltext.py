"""Full-text search for the global search box, and ``query`` text within one
object.

On PostgreSQL each object has a search document: its short text columns
(name, email, phone, url, address parts…) plus every string in its JSON
fields, as a ``simple`` (no stemming) ``tsvector``. A GIN index on exactly
that expression (``document_sql``; created by migration 0002 for the standard
objects and custom records, the case's rebuilt by 0008 with its number) makes
a search a bitmap index scan. Words match
as prefixes, all words must match. On SQLite a record matches when each word
is contained in one of the same columns or in the value of one of its
text-like JSON fields (``JSON_TEXT_TYPES``), each read by its JSON path: the
values, as in the PostgreSQL document, never the key names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, reduce
from operator import and_, or_

from django.db import connection, models
from django.db.models import BooleanField, F, FloatField, Q, Value
from django.db.models.expressions import Expression

from accounts.access import Context
from crm.metadata import registry
from crm.metadata.types import ObjectType, Storage
from crm.query import compile, visibility

#: Field types whose column values go into the search document.
TEXT_TYPES = frozenset({"text", "email", "phone", "url"})
#: Types of JSON-stored fields whose values SQLite searches (PostgreSQL's
#: document holds every string of the JSON).
JSON_TEXT_TYPES = TEXT_TYPES | {"long_text", "picklist", "multi_picklist"}
_WORD = re.compile(r"[\w@.+-]+", re.UNICODE)
MAX_WORDS = 8


@cache
def columns(model) -> tuple[str, ...]:
    """The model columns searched, in a fixed order (the index depends on it):
    short free-text columns, not picklists."""
    hints = getattr(getattr(model, "CRM", None), "field_types", {})
    return tuple(
        f.column
        for f in model._meta.concrete_fields
        if isinstance(f, models.CharField)
        and not f.choices
        and hints.get(f.name) != "picklist"
    )


def document_sql(model, quote) -> str:
    """The search document of a table's row; ``quote`` renders a column."""
    bag = "data" if model._meta.model_name == "customrecord" else "custom"
    parts = [f"jsonb_to_tsvector('simple'::regconfig, {quote(bag)}, '[\"string\"]')"]
    texts = [f"coalesce({quote(c)}, '')" for c in columns(model)]
    if texts:
        joined = " || ' ' || ".join(texts)
        parts.insert(0, f"to_tsvector('simple'::regconfig, {joined})")
    return "(" + " || ".join(parts) + ")"


def index_sql(model) -> str:
    table = model._meta.db_table
    name = f"{table}_search"[:63]
    document = document_sql(model, lambda column: f'"{column}"')
    return (
        f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin ({document}) "
        "WHERE deleted_at IS NULL"
    )


class Matches(Expression):
    """``document @@ query`` (PostgreSQL)."""

    conditional = True
    output_field = BooleanField()
    # ``::tsquery`` takes the prefixes as given (``tsquery`` lowercases and
    # sanitises them); ``to_tsquery`` would split ``ann@acme`` into two words.
    template = "{document} @@ %s::tsquery"

    def __init__(self, model, tsquery: str):
        super().__init__()
        self.model, self.tsquery = model, tsquery

    def as_sql(self, compiler, connection):
        table = compiler.quote_name_unless_alias(compiler.query.get_initial_alias())
        document = document_sql(self.model, lambda c: f'{table}."{c}"')
        return self.template.format(document=document), (self.tsquery,)


class Rank(Matches):
    """``ts_rank(document, query)``: higher is better."""

    conditional = False
    output_field = FloatField()
    template = "ts_rank({document}, %s::tsquery)"


def words(text: str) -> list[str]:
    return _WORD.findall(text or "")[:MAX_WORDS]


def tsquery(text: str) -> str:
    """Every word as a quoted prefix, AND-ed."""
    return " & ".join("'" + w.lower().replace("'", "''") + "':*" for w in words(text))


def text_q(object_type: ObjectType, text: str) -> Q:
    """Records of ``object_type`` matching the search text (all words)."""
    found = words(text)
    if not found:
        return Q()
    if connection.vendor == "postgresql":
        return Q(Matches(object_type.model, tsquery(text)))
    sources = [*columns(object_type.model), *_json_paths(object_type)]
    if not sources:
        return Q(pk__in=[])
    per_word = [
        reduce(or_, [Q(**{f"{source}__icontains": w}) for source in sources])
        for w in found
    ]
    return reduce(and_, per_word)


def _json_paths(object_type: ObjectType) -> list[str]:
    """The lookups of the text-like JSON-stored fields (``custom__motto``)."""
    return [
        f"{compile.BAGS[spec.storage]}__{spec.name}"
        for spec in object_type.fields.values()
        if spec.storage is not Storage.COLUMN and spec.type.key in JSON_TEXT_TYPES
    ]


def rank(object_type: ObjectType, text: str) -> Expression:
    if connection.vendor == "postgresql":
        return Rank(object_type.model, tsquery(text))
    return Value(0.0, output_field=FloatField())


@dataclass(frozen=True)
class Hit:
    object: str
    label: str
    id: str
    name: str
    score: float


def _name_source(object_type: ObjectType) -> str:
    spec = object_type.fields[object_type.name_field]
    return spec.column if spec.storage is Storage.COLUMN else compile.BAGS[spec.storage]


def search(
    ctx: Context,
    text: str,
    *,
    objects: list[str] | None = None,
    limit: int = 5,
) -> list[Hit]:
    """The best ``limit`` matches per object the context may read, best first.
    One query per searched object (plus its visibility look-ups)."""
    if not words(text):
        return []
    types = registry.all_types(ctx)
    if objects:
        wanted = {registry.get(ctx, name).api_name for name in objects}
        types = [t for t in types if t.api_name in wanted]
    hits: list[Hit] = []
    for object_type in types:
        spec = object_type.fields[object_type.name_field]
        qs = (
            visibility.readable(ctx, object_type)
            .filter(text_q(object_type, text))
            .annotate(_score=rank(object_type, text))
            .order_by("-_score", F("pk").desc())
            .values("id", _name_source(object_type), "_score")[:limit]
        )
        for raw in qs:
            if spec.storage is Storage.COLUMN:
                name = raw[spec.column]
            else:
                name = (raw[compile.BAGS[spec.storage]] or {}).get(spec.name)
            hits.append(
                Hit(
                    object=object_type.api_name,
                    label=object_type.label,
                    id=str(raw["id"]),
                    name=str(name or f"{object_type.label} {raw['id']}"),
                    score=float(raw["_score"] or 0),
                )
            )
    hits.sort(key=lambda hit: -hit.score)
    return hits
