"""The function table of docs/formulas.md, generated from the function registry.

The rest of that page is prose; the part between the markers is rewritten by
`python -m formwork.rules.docs --write`, and a test fails when it is out of date.
"""

from __future__ import annotations

import sys
from pathlib import Path

from .functions import ANY, FunctionRegistry, default_functions

DOC = Path(__file__).resolve().parents[2] / "docs" / "formulas.md"
START, END = "<!-- functions:start -->", "<!-- functions:end -->"


def function_table(functions: FunctionRegistry) -> str:
    lines = ["| function | arguments | gives | in SQL | what it does |", "|---|---|---|---|---|"]
    for function in sorted(functions, key=lambda f: f.name):
        params = [p.replace("|", " or ") if p != ANY else "any" for p in function.params]
        if function.optional_from is not None:
            params = params[: function.optional_from] + [
                f"[{p}]" for p in params[function.optional_from :]
            ]
        if function.variadic:
            params.append("…")
        gives = "same as the arguments" if function.returns == "arg0" else function.returns
        sql = "yes" if function.sql is not None else "no"
        lines.append(
            f"| `{function.name}` | {', '.join(params) or '—'} | {gives} | {sql} | {function.doc} |"
        )
    return "\n".join(lines)


def render(current: str, functions: FunctionRegistry) -> str:
    head, rest = current.split(START, 1)
    _old, tail = rest.split(END, 1)
    return f"{head}{START}\n{function_table(functions)}\n{END}{tail}"


if __name__ == "__main__":
    text = DOC.read_text(encoding="utf-8")
    updated = render(text, default_functions())
    if "--write" in sys.argv:
        DOC.write_text(updated, encoding="utf-8")
    else:
        print(updated)
