"""Config load + validate of the reference package, against merely parsing its YAML files.

Run: .venv/bin/python -m bench.bench_config_load
"""

from __future__ import annotations

from pathlib import Path

from ruamel.yaml import YAML

from bench.timing import best_of, report
from formwork.metamodel import load_app

PACKAGE = Path(__file__).resolve().parent.parent / "configs" / "engineering_crm"


def parse_only() -> None:
    yaml = YAML(typ="rt", pure=True)
    for file in sorted(PACKAGE.rglob("*.yaml")):
        yaml.load(file.read_text(encoding="utf-8"))


def main() -> None:
    load_app(PACKAGE)  # warm imports and caches
    full = best_of(20, lambda: load_app(PACKAGE))
    parse = best_of(20, parse_only)
    report("config load+validate (engineering_crm)", full, parse, "YAML parse alone")


if __name__ == "__main__":
    main()
