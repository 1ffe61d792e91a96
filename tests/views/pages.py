"""Helpers that read the pages the browser UI's views answer, and build
their URLs."""

import re

from django.urls import reverse


def names_in(response) -> list[str]:
    """The record titles of a list page, in order."""
    return re.findall(
        r'class="row-title" href="[^"]+">([^<]+)</a>', response.content.decode()
    )


def list_url(obj: str, **params) -> str:
    from urllib.parse import urlencode

    return reverse("crm:record_list", args=[obj]) + (
        f"?{urlencode(params, doseq=True)}" if params else ""
    )


def oob_messages(page: str) -> list[str]:
    """The flash messages an HTMX answer sends to the page's message area."""
    area = re.search(
        r'<div id="messages" class="messages" aria-live="polite" '
        r'hx-swap-oob="innerHTML">(.*?)</div>\s*$',
        page,
        re.S,
    )
    assert area, "no messages for the message area"
    return re.findall(
        r'<div class="flash flash-\w+" role="status">([^<]*)</div>', area.group(1)
    )


def detail(obj, pk):
    return reverse("crm:record_detail", args=[obj, pk])
