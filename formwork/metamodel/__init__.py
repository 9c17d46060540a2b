"""The config language: packages on disk → validated, typed, immutable model."""

from .loader import load_app
from .model import App, Entity, Field, Label
from .problems import ConfigError, Problem

__all__ = ["App", "ConfigError", "Entity", "Field", "Label", "Problem", "load_app"]
