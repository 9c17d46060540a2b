"""Field types: the storage, input, widget and display of each kind of field."""

from .base import FieldType, FieldTypeRegistry
from .builtins import register_builtin_types
from .inputs import Upload


def default_registry() -> FieldTypeRegistry:
    """A new registry holding the built-in types; add your own with `register`."""
    registry = FieldTypeRegistry()
    register_builtin_types(registry)
    return registry


__all__ = ["FieldType", "FieldTypeRegistry", "Upload", "default_registry"]
