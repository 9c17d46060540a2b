"""Per-config memos: what pages work out from the config, the user's roles and the language
alone — the menu, an entity's labels and filter choices — kept until the config changes.

Each entry is kept under what it was made from: the request's model and access policy (by
identity: a published or rolled-back config is a new runtime with a new model and policy,
so nothing made from the old one is found again), the roles of the signed-in user (their
permissions depend on those alone; row scopes, which depend on who they are, are never
memoised), the request's language (of the config's labels and of the UI's catalog), and the
caller's own key. The memo holds a bounded number of entries, dropping the least recently
used, so configs that are gone are not kept alive for long.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from cachetools import LRUCache
from flask import g

from ..auth import current_user
from .context import locale, runtime
from .translate import babel_locale

T = TypeVar("T")

#: How many entries are kept (a few dozen per entity, role set and language).
MAX_ENTRIES = 4096

#: Where a request keeps its scope (see `_scope`).
_SCOPE = "fw_memo_scope"
_entries: LRUCache[Hashable, tuple[Any, Any, Any]] = LRUCache(MAX_ENTRIES)
_lock = threading.Lock()  # cachetools' caches are not thread-safe


def per_config(what: str, key: Hashable, build: Callable[[], T]) -> T:
    """`build()`'s value for `what` and `key` under the current config, roles and language,
    made once and then remembered (see the module docstring). `build` may depend on nothing
    else of the request."""
    model, policy, roles, config_locale, ui_locale = _scope()
    full = (what, key, id(model), id(policy), roles, config_locale, ui_locale)
    with _lock:
        try:  # one look-up (`get` makes three, each hashing the whole key)
            entry = _entries[full]
        except KeyError:
            entry = None
    if entry is not None and entry[0] is model and entry[1] is policy:
        return entry[2]
    value = build()
    with _lock:
        _entries[full] = (model, policy, value)
    return value


def _scope() -> tuple[Any, ...]:
    """The request's model, access policy, the user's roles (None: signed out), the config's
    language and the UI's (the same but under `force_locale`, which changes both or only
    the UI's): worked out once per request, signed-in user and UI locale (signing in or out,
    or another locale, starts anew)."""
    user = current_user()
    ui_locale = babel_locale()
    scope = g.get(_SCOPE)
    if scope is None or scope[0] is not user or scope[6] is not ui_locale:
        current = runtime()
        roles = None if user is None else user.roles
        # The UI locale by name: cheaper to hash and compare than Babel's Locale.
        name = None if ui_locale is None else str(ui_locale)
        scope = (user, current.model, current.records.policy, roles, locale(), name, ui_locale)
        setattr(g, _SCOPE, scope)
    return scope[1:6]


def clear() -> None:
    """Forget every entry (for tests)."""
    with _lock:
        _entries.clear()
