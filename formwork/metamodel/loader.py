"""The one way in: `load_app(folder)` reads, checks and builds a package, or raises ConfigError."""

from __future__ import annotations

from pathlib import Path

from .builder import ModelBuilder
from .fieldtypes import FieldTypeRegistry, default_registry
from .model import App
from .package import read_package
from .problems import ConfigError


def load_app(root: str | Path, types: FieldTypeRegistry | None = None) -> App:
    """Load the package at `root` into a model; ConfigError lists every problem found."""
    types = types or default_registry()
    package = read_package(Path(root), types)
    app = ModelBuilder(package, types).build()
    if package.problems or app is None:
        raise ConfigError(package.problems)
    # Formulas are checked once the structure they refer to is sound, as a compiler
    # type-checks only what parses: otherwise every formula naming a broken field would add noise.
    from ..rules.config_checks import check_formulas
    from .flow_formulas import check_flow_formulas

    check_formulas(app, package.problem)
    check_flow_formulas(app, package.problem)
    if package.problems:
        raise ConfigError(package.problems)
    return app
