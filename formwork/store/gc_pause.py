"""Pausing Python's cyclic garbage collector while a batch is being written.

A batch write holds tens of thousands of small containers (cleaned rows, formula views,
parameter dicts, audit changes) until it ends. While they live, every full collection the
cyclic collector starts walks the whole heap — the app's model, SQLAlchemy's caches and the
batch — and at a collection every few hundred rows that was a quarter of an import's time. The
batch's objects are freed by reference counting when it ends, so the collector is paused for
the batch and runs again after it. Pauses from several threads nest: the collector resumes when
the last one ends, and only if it was running before the first began.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_holders = 0
_was_enabled = True


@contextmanager
def gc_paused() -> Iterator[None]:
    global _holders, _was_enabled
    with _lock:
        if _holders == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _holders += 1
    try:
        yield
    finally:
        with _lock:
            _holders -= 1
            if _holders == 0 and _was_enabled:
                gc.enable()
