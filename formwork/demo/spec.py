"""The demo spec of a package: how many records of each entity, and how their values are drawn.

A package may carry a `demo.yaml` (see docs/demo-data.md); `spec_loader` reads and checks it
into a `DemoSpec`. Without one, `DemoSpec()` applies: one record of each entity per scale
unit, every value drawn from its field's type alone. The spec is immutable and knows nothing
of randomness; `values` holds the generators and `plan` does the drawing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ..metamodel.model import frozen_map
from .values import Generator

#: Records are created over this many days before today, unless the spec says otherwise.
DEFAULT_DAYS = 730
#: A field without a spec is left empty this often, unless it is required.
DEFAULT_EMPTY = 0.15


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """How one field is drawn: a generator (None: the field type's own) and how often it is
    left empty (None: never when required or given a generator, else DEFAULT_EMPTY)."""

    generator: Generator | None = None
    empty: float | None = None


@dataclass(frozen=True, slots=True)
class Profile:
    """A kind of record (e.g. large, medium, small): drawn by weight, then its fields' specs
    take the place of the entity's. Profiles make fields vary together."""

    name: str
    weight: float
    fields: Mapping[str, FieldSpec] = field(default_factory=frozen_map)


@dataclass(frozen=True, slots=True)
class Edits:
    """Later changes that give records a history: `share` of the records get between
    `times[0]` and `times[1]` edits, each drawing `fields` (and what depends on them) anew."""

    share: float
    times: tuple[int, int]
    fields: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class EntitySpec:
    #: Records per scale unit (for a child entity: rows per parent record, at most).
    count: float = 1.0
    #: A link field whose record each record belongs to: created after it, by its creator.
    belongs_to: str | None = None
    fields: Mapping[str, FieldSpec] = field(default_factory=frozen_map)
    profiles: tuple[Profile, ...] = ()
    edits: Edits | None = None


@dataclass(frozen=True, slots=True)
class DemoSpec:
    #: Faker's locale (None: the one matching the app's default locale).
    locale: str | None = None
    #: Records are created over the last `days` days.
    days: int = DEFAULT_DAYS
    #: Demo users to create, by role.
    users: Mapping[str, int] = field(default_factory=frozen_map)
    #: Teams the demo users of each role are spread over.
    teams: tuple[str, ...] = ()
    entities: Mapping[str, EntitySpec] = field(default_factory=frozen_map)

    def entity(self, name: str) -> EntitySpec:
        return self.entities.get(name) or EntitySpec()
