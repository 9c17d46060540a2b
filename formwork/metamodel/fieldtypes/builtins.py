"""The field types every app has, registered exactly as a plugin would register its own."""

from __future__ import annotations

from .base import FieldType, FieldTypeRegistry
from .number_types import DecimalType, Integer, Money, Percent, Rating
from .text_types import AutoNumber, Email, LongText, Phone, RichText, Text, Url
from .value_types import Attachment, Boolean, Date, DateTime, Link, MultiSelect, Select, Table

BUILTIN_TYPES: tuple[type[FieldType], ...] = (
    Text,
    LongText,
    RichText,
    Integer,
    DecimalType,
    Money,
    Percent,
    Boolean,
    Date,
    DateTime,
    Select,
    MultiSelect,
    Rating,
    Email,
    Phone,
    Url,
    Link,
    Table,
    Attachment,
    AutoNumber,
)


def register_builtin_types(registry: FieldTypeRegistry) -> None:
    for kind in BUILTIN_TYPES:
        registry.register(kind())
