"""The one way in: `load_app(folder)` reads, checks and builds a package, or raises ConfigError.

`build_model` is the second half on its own, for a raw document changed after reading (the
site overlay merges its patches into the package before the model is built).
"""

from __future__ import annotations

from pathlib import Path

from .builder import ModelBuilder
from .fieldtypes import FieldTypeRegistry, default_registry
from .model import App
from .package import RawPackage, read_package
from .problems import ConfigError


def load_app(root: str | Path, types: FieldTypeRegistry | None = None) -> App:
    """Load the package at `root` into a model; ConfigError lists every problem found."""
    types = types or default_registry()
    package = read_package(Path(root), types)
    app = build_model(package, types)
    if app is None:
        raise ConfigError(package.problems)
    return app


def build_model(package: RawPackage, types: FieldTypeRegistry) -> App | None:
    """The model of a read package, or None with every problem added to `package.problems`."""
    app = ModelBuilder(package, types).build()
    if package.problems or app is None:
        return None
    # Formulas are checked once the structure they refer to is sound, as a compiler
    # type-checks only what parses: otherwise every formula naming a broken field would add noise.
    from ..rules.config_checks import check_formulas
    from .flow_formulas import check_flow_formulas
    from .reminder_formulas import check_reminder_formulas

    check_formulas(app, package.problem)
    check_flow_formulas(app, package.problem)
    check_reminder_formulas(app, package.problem)
    return None if package.problems else app
