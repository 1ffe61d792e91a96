"""Expression indexes for custom fields marked "indexed" (PostgreSQL).

The index is on exactly the SQL the compiler emits for the field
(``jsonsql.sql``), partial to the field's workspace (and custom object) and to
live records, so a filter or sort on the field in that workspace can use it.
It is built ``CONCURRENTLY`` by the ``crm.build_index`` task, sent once the
field's transaction commits: the admin's request does not wait for a build
over a million rows, and writes to the table go on meanwhile (without a
broker the task runs in-process at commit; inside an open transaction, in
tests, the index is built plainly). Other databases get no index: the call is
a no-op.
"""

from __future__ import annotations

import hashlib
import logging

from django.db import connection, transaction

from accounts.models import Workspace
from crm import tasking
from crm.metadata import registry
from crm.metadata.types import FieldSpec, ObjectType, Storage
from crm.query import compile, jsonsql

log = logging.getLogger(__name__)
BUILD_TASK = "crm.build_index"


def name_for(workspace_id, object_name: str, field_name: str) -> str:
    digest = hashlib.sha256(
        f"{workspace_id}:{object_name}:{field_name}".encode()
    ).hexdigest()[:16]
    return f"hotcrm_cf_{digest}"


def statement(
    workspace: Workspace,
    object_type: ObjectType,
    spec: FieldSpec,
    *,
    concurrently: bool,
) -> str:
    """The CREATE INDEX statement for one JSON-stored field."""
    kind = jsonsql.kind_of(spec.type)
    bag = f'"{compile.BAGS[spec.storage]}"'
    expression = jsonsql.sql("postgresql", bag, spec.name, kind)
    method = "gin" if kind == "list" else "btree"
    table = object_type.model._meta.db_table
    where = f"workspace_id = '{workspace.pk}'::uuid AND deleted_at IS NULL"
    if object_type.is_custom:
        where += f" AND definition_id = {int(object_type.definition_id)}"
    return (
        f"CREATE INDEX {'CONCURRENTLY ' if concurrently else ''}IF NOT EXISTS "
        f"{name_for(workspace.pk, object_type.api_name, spec.name)} "
        f"ON {table} USING {method} (({expression})) WHERE {where}"
    )


def _drop_if_invalid(name: str, concurrently: bool) -> None:
    """A failed concurrent build leaves an invalid index that IF NOT EXISTS
    would keep; drop it so the build is retried."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT NOT i.indisvalid FROM pg_index i "
            "JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = %s",
            [name],
        )
        row = cursor.fetchone()
        if row and row[0]:
            how = "CONCURRENTLY " if concurrently else ""
            cursor.execute(f"DROP INDEX {how}IF EXISTS {name}")


def ensure(workspace: Workspace, object_name: str, field_name: str) -> bool:
    """Build the index of one indexed custom field if it is missing.
    Returns whether an index applies (PostgreSQL, indexed JSON field)."""
    if connection.vendor != "postgresql":
        return False
    workspace.refresh_from_db(fields=["metadata_version"])
    object_type = registry.for_workspace(workspace).find(object_name)
    spec = object_type.fields.get(field_name) if object_type else None
    if spec is None or not spec.indexed or spec.storage is Storage.COLUMN:
        return False
    concurrently = not connection.in_atomic_block
    _drop_if_invalid(
        name_for(workspace.pk, object_type.api_name, spec.name), concurrently
    )
    sql = statement(workspace, object_type, spec, concurrently=concurrently)
    with connection.cursor() as cursor:
        cursor.execute(sql)
    log.info("indexed %s.%s for workspace %s", object_name, field_name, workspace.pk)
    return True


def drop(workspace: Workspace, object_name: str, field_name: str) -> None:
    """Remove a field's index (when the field is deleted). No-op elsewhere."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"DROP INDEX IF EXISTS {name_for(workspace.pk, object_name, field_name)}"
        )


def on_field_created(workspace: Workspace, definition) -> None:
    """Called by the metadata service: index an indexed field once its
    definition has committed."""
    if not definition.indexed or connection.vendor != "postgresql":
        return
    args = [str(workspace.pk), definition.object_name, definition.name]
    transaction.on_commit(lambda: tasking.send(BUILD_TASK, args))


def ensure_all(workspace: Workspace) -> int:
    """Build every missing index of the workspace's indexed custom fields."""
    built = 0
    for object_type in registry.for_workspace(workspace).types:
        for spec in object_type.fields.values():
            if spec.indexed and spec.storage is not Storage.COLUMN:
                built += ensure(workspace, object_type.api_name, spec.name)
    return built
