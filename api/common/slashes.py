"""Paths with or without a trailing slash, answered alike.

The documents write paths without one (``/api/v1/opportunities``); clients
often add one. A redirect would turn a POST into a GET in many clients, so a
route here matches both forms in place. ``reverse`` keeps giving the form
without the slash.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.urls import URLPattern
from django.urls.resolvers import RoutePattern


class TolerantRoutePattern(RoutePattern):
    """A ``path()`` route that also matches its path plus one ``/``."""

    def match(self, path):
        found = super().match(path)
        if found is None and path.endswith("/"):
            found = super().match(path[:-1])
        return found


def tolerant(patterns: Iterable) -> list:
    """``patterns`` with every endpoint ``path()`` made slash-tolerant
    (resolvers and ``re_path()`` patterns are kept as they are)."""
    out = []
    for entry in patterns:
        pattern = getattr(entry, "pattern", None)
        if isinstance(entry, URLPattern) and type(pattern) is RoutePattern:
            entry = URLPattern(
                TolerantRoutePattern(
                    pattern._route, name=pattern.name, is_endpoint=True
                ),
                entry.callback,
                entry.default_args,
                entry.name,
            )
        out.append(entry)
    return out
