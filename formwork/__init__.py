"""Formwork: a metamodel engine that turns config packages into data apps."""

from .app import create_app

__all__ = ["create_app"]
