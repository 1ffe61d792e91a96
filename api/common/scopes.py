"""What a credential's scopes leave of its holder's rights.

``read:<object>`` allows reading, ``write:<object>`` reading and writing (an
API answers a write with the record, so writing implies reading); ``crm`` names
every object. The rights are the intersection of the holder's and the scopes':
a scope never adds a right. Admin status (the setup console, metadata writes,
other users' recycle-bin batches) survives only ``write:crm``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from accounts.access import ALL_ACTIONS, Action, Context
from crm.metadata import registry

READ_ACTIONS = frozenset({Action.READ, Action.VIEW_ALL})


def is_full(scopes: Iterable[str] | None) -> bool:
    """True when the scopes keep every right of the holder."""
    return scopes is None or "write:crm" in scopes


def allows_writes(scopes: Iterable[str] | None) -> bool:
    """True when some scope allows writing anything at all."""
    return scopes is None or any(s.startswith("write:") for s in scopes)


def narrow(ctx: Context, scopes: Iterable[str] | None) -> Context:
    """``ctx`` limited to ``scopes`` (None or ``write:crm``: unchanged)."""
    scopes = None if scopes is None else tuple(scopes)
    if is_full(scopes):
        return ctx
    types = registry.for_workspace(ctx.workspace).types
    by_object: dict[str, set[Action]] = {}
    everything: set[Action] = set()
    for scope in scopes:
        verb, _, name = scope.partition(":")
        actions = ALL_ACTIONS if verb == "write" else READ_ACTIONS
        if name == "crm":
            everything |= actions
            continue
        object_type = registry.for_workspace(ctx.workspace).find(name)
        if object_type is not None:
            by_object.setdefault(object_type.api_name, set()).update(actions)
    grants = {}
    for object_type in types:
        name = object_type.api_name
        allowed = everything | by_object.get(name, set())
        held = {action for action in Action if ctx.can(name, action)}
        if allowed & held:
            grants[name] = frozenset(allowed & held)
    return replace(ctx, is_admin=False, grants=grants)
