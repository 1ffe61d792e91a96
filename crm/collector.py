"""Pausing Python's cyclic garbage collector through bulk work.

A bulk request or a job's chunk makes hundreds of thousands of short-lived,
acyclic objects (row dicts, records, snapshots) while a large set lives on
(the request's rows). The collector's generation thresholds count those
allocations and set off full collections that walk every live object again:
about a fifth of a 10,000-row job's time (``bench/bulk_bench.py``).
Reference counting frees these objects anyway, so ``paused()`` holds the
collector off for the section and lets it run again afterwards, when it
finds whatever cycles the section left.

The pause is process-wide (the collector is): sections in several threads
nest, and the collector comes back when the last one ends, as it was before
the first.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_depth = 0
_was_enabled = False


@contextmanager
def paused() -> Iterator[None]:
    """Run the block with the cyclic collector off."""
    global _depth, _was_enabled
    with _lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _was_enabled:
                gc.enable()
