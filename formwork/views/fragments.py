"""Remembered template fragments: markup rendered once per config, roles and language (see
`memo`) and per the key a template gives, with the per-request parts filled in afterwards.

A template wraps the fragment in a call block and names, as keyword arguments, the values
that change from request to request (a CSRF token, the page's address, the user's name);
the body writes them as `{{ fill.<name> }}`:

    {% call(fill) fragment("top-bar", request.endpoint, counts, csrf=csrf_token()) %}
      … {{ fill.csrf }} …
    {% endcall %}

The first time, the body is rendered with a placeholder for each fill — a mark no page can
hold otherwise (random per process) — and kept; each request then puts its values, escaped
as `{{ value }}` would be, where the marks are. So the body may depend only on the config,
the roles, the language, the app's mount point, the key and the fills; anything else it
shows must be in the key. A fill must be written as it is (no filter), where `{{ }}` escapes
it for HTML: a mark holds "<" and ">", so it is found only as HTML escaping writes it, and
a mark that comes out otherwise (filtered, unescaped) is an error.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Hashable
from typing import Any

from flask import request
from markupsafe import Markup, escape

from . import memo

#: Unique to this process: the marks the body is rendered with stand for nothing else.
_TOKEN = secrets.token_hex(8)


class _Marks:
    """The placeholder of each fill, as the body reads it (`fill.<name>`)."""

    def __init__(self, names: tuple[str, ...]) -> None:
        self.marks = {name: f"<fw{_TOKEN}{name}>" for name in names}

    def __getattr__(self, name: str) -> str:
        try:
            return self.marks[name]
        except KeyError:
            if name.startswith("__"):
                raise AttributeError(name) from None
            # Not AttributeError, which Jinja would turn into an empty value.
            raise ValueError(f"{name!r} is not a fill of this fragment") from None


def fragment(name: str, /, *key: Hashable, caller: Callable[[_Marks], str], **fills: Any) -> Markup:
    """The call block's body for `name` and `key` (rendered once, see the module docstring)
    with `fills` put in."""
    names = tuple(sorted(fills))
    parts = memo.per_config(
        "fragment", (name, request.script_root, names, key), lambda: _split(caller, names)
    )
    if len(parts) == 1:
        return Markup(parts[0])
    out = [parts[0]]
    for index in range(1, len(parts), 2):
        out += (escape(fills[parts[index]]), parts[index + 1])
    return Markup("".join(out))


def _split(caller: Callable[[_Marks], str], names: tuple[str, ...]) -> tuple[str, ...]:
    """The body rendered with marks, cut at them: text, fill name, text, fill name, …, text."""
    marks = _Marks(names)
    text = str(caller(marks))
    by_mark = {str(escape(mark)): name for name, mark in marks.marks.items()}
    parts: list[str] = []
    rest = text
    while True:
        found = [(rest.find(mark), mark) for mark in by_mark if mark in rest]
        if not found:
            break
        at, mark = min(found)
        parts += (rest[:at], by_mark[mark])
        rest = rest[at + len(mark) :]
    parts.append(rest)
    if any(_TOKEN in p.lower() for p in parts[::2]):
        raise ValueError("a fill was not written as {{ fill.<name> }}")
    return tuple(parts)
