"""The typed, immutable model of an app: what every other part of Formwork reads.

Built once from a validated config package (see `loader.load_app`); frozen dataclasses and
read-only mappings, so a model can be shared between threads and requests and never drifts
from the config it came from. Nothing downstream reads raw YAML.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from .problems import Location

if TYPE_CHECKING:
    from .fieldtypes import FieldType, FieldTypeRegistry

#: The name of the built-in entity that link fields use to point at people.
USER_ENTITY = "user"

#: Columns every entity table has; no field may take these names.
SYSTEM_COLUMNS = ("id", "created_at", "created_by", "updated_at", "updated_by", "version")
#: Extra columns a child entity's table has.
CHILD_COLUMNS = ("parent_id", "position")


def frozen_map(items: Mapping[str, Any] | None = None) -> Mapping[str, Any]:
    return MappingProxyType(dict(items or {}))


@dataclass(frozen=True, slots=True)
class Label:
    """Text in several locales, e.g. {"zh": "订单", "en": "Order"}."""

    texts: Mapping[str, str]

    def get(self, locale: str, fallback: str = "") -> str:
        if locale in self.texts:
            return self.texts[locale]
        # A label for "zh" serves "zh-CN" and the other way round.
        base = locale.split("-")[0]
        for key, text in self.texts.items():
            if key.split("-")[0] == base:
                return text
        return fallback or next(iter(self.texts.values()), "")


@dataclass(frozen=True, slots=True)
class Option:
    """One choice of a select or multiselect field: the stored value and its label."""

    value: str
    label: Label
    color: str | None = None


@dataclass(frozen=True, slots=True, repr=False)
class Field:
    """A field of an entity. `kind` is the field type object that knows storage and input."""

    name: str
    entity: str
    kind: FieldType
    label: Label
    location: Location
    help: Label | None = None
    required: bool = False
    unique: bool = False
    default: Any = None
    options: tuple[Option, ...] = ()
    #: Type-specific settings (max_length, min, max, to, pattern, max_size, accept, …).
    settings: Mapping[str, Any] = field(default_factory=frozen_map)
    searchable: bool = False
    indexed: bool = False
    readonly: bool = False
    renamed_from: str | None = None
    #: Computes the field (a computed field); kept in a column unless `virtual`.
    formula: str | None = None
    virtual: bool = False
    default_formula: str | None = None
    visible_when: str | None = None
    required_when: str | None = None
    readonly_when: str | None = None

    def __repr__(self) -> str:
        return f"<Field {self.entity}.{self.name}: {self.type}>"

    @property
    def type(self) -> str:
        return self.kind.name

    @property
    def stored(self) -> bool:
        """True when the field is a column of its entity's own table."""
        return self.kind.stored and not self.virtual

    @property
    def computed(self) -> bool:
        return self.formula is not None

    @property
    def writable(self) -> bool:
        """Whether callers may send a value (generated and computed fields are not writable)."""
        return not self.readonly and self.kind.writable and self.formula is None

    def formulas(self) -> dict[str, str]:
        """The field's formulas by the key they are written under."""
        keys = ("formula", "default_formula", "visible_when", "required_when", "readonly_when")
        return {key: getattr(self, key) for key in keys if getattr(self, key) is not None}

    def setting(self, name: str, default: Any = None) -> Any:
        return self.settings.get(name, default)

    def option_values(self) -> tuple[str, ...]:
        return tuple(o.value for o in self.options)


@dataclass(frozen=True, slots=True)
class SortKey:
    field: str
    descending: bool = False


@dataclass(frozen=True, slots=True)
class ListView:
    columns: tuple[str, ...]
    filters: tuple[str, ...] = ()
    sort: tuple[SortKey, ...] = ()
    search: tuple[str, ...] = ()
    page_size: int = 50
    #: A select field whose options are the columns of the board (kanban) view, or None.
    board: str | None = None


@dataclass(frozen=True, slots=True)
class FormSection:
    label: Label | None
    fields: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class FormView:
    sections: tuple[FormSection, ...]


@dataclass(frozen=True, slots=True)
class Validation:
    """A rule every record must keep; `field` is where its message shows (None: the record)."""

    rule: str
    message: Label
    location: Location
    field: str | None = None


@dataclass(frozen=True, slots=True)
class Related:
    """Records of `entity` whose link field `via` points at this entity's record."""

    name: str
    entity: str
    via: str
    label: Label | None = None


@dataclass(frozen=True, slots=True)
class Scope:
    """Which records a role may act on: kind all, own, team, none, or when (with a formula)."""

    kind: str
    formula: str | None = None


ALL_RECORDS, NO_RECORDS = Scope("all"), Scope("none")


@dataclass(frozen=True, slots=True)
class RolePermissions:
    """What one role may do with one entity's records."""

    read: Scope = NO_RECORDS
    write: Scope = NO_RECORDS
    delete: Scope = NO_RECORDS
    export: Scope = NO_RECORDS
    create: bool = False
    import_: bool = False
    hidden: frozenset[str] = frozenset()
    readonly: frozenset[str] = frozenset()


FULL_ACCESS = RolePermissions(ALL_RECORDS, ALL_RECORDS, ALL_RECORDS, ALL_RECORDS, True, True)


@dataclass(frozen=True, slots=True, repr=False)
class Entity:
    """A kind of record: one table, its fields, and how lists and forms show it."""

    name: str
    label: Label
    fields: Mapping[str, Field]
    list: ListView
    form: FormView
    location: Location
    plural_label: Label | None = None
    title_field: str | None = None
    #: For child entities (rows of a parent's table field): the parent entity's name.
    child_of: str | None = None
    validations: tuple[Validation, ...] = ()
    related: Mapping[str, Related] = field(default_factory=frozen_map)
    #: The link-to-user field that owns a record (None: the user who created it).
    owner: str | None = None
    #: By role; empty means every role may do everything (no `permissions:` in the config).
    permissions: Mapping[str, RolePermissions] = field(default_factory=frozen_map)
    #: `stored_fields()`, worked out once: every read of a record asks for it.
    _stored: tuple[Field, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        stored = tuple(f for f in self.fields.values() if f.stored)
        object.__setattr__(self, "_stored", stored)

    def __repr__(self) -> str:
        return f"<Entity {self.name}: {len(self.fields)} fields>"

    @property
    def table_name(self) -> str:
        return self.name

    def stored_fields(self) -> tuple[Field, ...]:
        return self._stored

    def field(self, name: str) -> Field:
        return self.fields[name]


@dataclass(frozen=True, slots=True)
class Role:
    name: str
    label: Label


@dataclass(frozen=True, slots=True, repr=False)
class App:
    """A whole app: entities and roles, the locales it speaks, and its field-type registry."""

    name: str
    title: Label
    version: str
    default_locale: str
    locales: tuple[str, ...]
    roles: Mapping[str, Role]
    entities: Mapping[str, Entity]
    types: FieldTypeRegistry
    location: Location
    gradings: Mapping[str, Grading] = field(default_factory=frozen_map)
    #: The package's test suites (`tests/*.yaml`), by name.
    tests: Mapping[str, TestSuite] = field(default_factory=frozen_map)
    #: Approval flows (`flows/*.yaml`), by name; at most one per entity.
    flows: Mapping[str, Flow] = field(default_factory=frozen_map)
    #: Entities in the main menu, in order (default: every entity that is not a child).
    navigation: tuple[str, ...] = ()
    #: Dashboards (`dashboards/*.yaml`), by name.
    dashboards: Mapping[str, Dashboard] = field(default_factory=frozen_map)
    #: Reminders (`reminders/*.yaml`), by name: the rules that give people dated to-dos.
    reminders: Mapping[str, Reminder] = field(default_factory=frozen_map)

    def __repr__(self) -> str:
        return f"<App {self.name} {self.version}: {len(self.entities)} entities>"

    def entity(self, name: str) -> Entity:
        return self.entities[name]

    def children_of(self, parent: str) -> tuple[Entity, ...]:
        return tuple(e for e in self.entities.values() if e.child_of == parent)

    def gradings_of(self, entity: str) -> tuple[Grading, ...]:
        return tuple(g for g in self.gradings.values() if g.entity == entity)

    def flow_of(self, entity: str) -> Flow | None:
        """The approval flow of an entity's records, if it has one."""
        return next((f for f in self.flows.values() if f.entity == entity), None)


@dataclass(frozen=True, slots=True)
class Band:
    """Points for a dimension's value: the first band whose `min` the value reaches wins.

    A band without `min` matches every value (the catch-all, last).
    """

    points: float
    min: float | None = None


@dataclass(frozen=True, slots=True)
class Dimension:
    """One line of a scorecard: a value formula, turned into points (0–100) and weighted."""

    name: str
    label: Label
    weight: float
    value: str
    location: Location
    bands: tuple[Band, ...] = ()


@dataclass(frozen=True, slots=True)
class GradeLevel:
    """A grade and the lowest score that earns it (None for the lowest grade)."""

    grade: str
    label: Label
    min_score: float | None
    strategy: Label | None = None
    color: str | None = None


@dataclass(frozen=True, slots=True)
class Override:
    """A rule that moves the grade whatever the score: at_least, at_most or set."""

    kind: str
    grade: str
    when: str
    reason: Label
    location: Location


@dataclass(frozen=True, slots=True)
class Grading:
    """A scorecard for an entity: weighted dimensions → score → grade, with overrides.

    The score and grade are kept in the entity's `score_field` and `grade_field`.
    """

    name: str
    entity: str
    label: Label
    dimensions: tuple[Dimension, ...]
    grades: tuple[GradeLevel, ...]
    location: Location
    overrides: tuple[Override, ...] = ()
    score_field: str = "score"
    grade_field: str = "grade"

    def rank(self, grade: str) -> int:
        """0 for the highest grade, larger for lower ones."""
        return next(i for i, level in enumerate(self.grades) if level.grade == grade)


@dataclass(frozen=True, slots=True)
class TestStep:
    """One write of a test case: create a record of `entity`, or change the record `update`.

    Values are as a caller would send them; a link's "@key" names a record (or user) given
    earlier in the case. `key` (`as:` in the file) lets later steps and expectations name it.
    """

    __test__ = False  # not a pytest test class

    entity: str
    values: Mapping[str, Any]
    location: Location
    key: str | None = None
    update: str | None = None


@dataclass(frozen=True, slots=True)
class Expectation:
    """What a record holds once every step has run: field values and, for graded records,
    parts of the grade's explanation. Values may be comparisons ({between: [60, 80]})."""

    record: str
    values: Mapping[str, Any]
    location: Location
    explanation: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class TestCase:
    """Given these writes, expect these values; with `errors`, the last write is refused."""

    __test__ = False

    name: str
    steps: tuple[TestStep, ...]
    expectations: tuple[Expectation, ...]
    location: Location
    #: Field → message substrings the last step's refusal must hold (None: nothing refused).
    errors: Mapping[str, tuple[str, ...]] | None = None


@dataclass(frozen=True, slots=True)
class TestSuite:
    """A file of test cases (`tests/*.yaml`); each case runs on a fresh, empty database."""

    __test__ = False

    name: str
    cases: tuple[TestCase, ...]
    location: Location
    label: Label | None = None
    #: Users created before each case, named "@username" by link fields.
    users: tuple[str, ...] = ()
    #: The date the cases run on (today() in formulas, numbering); None: the real date.
    today: str | None = None


# Flows have a module of their own (they also round-trip through JSON), as do dashboards; they
# are part of the model all the same. Imported last: both build on Label above.
from .dashboard_model import Dashboard as Dashboard  # noqa: E402
from .flow_model import Approver as Approver  # noqa: E402
from .flow_model import Effect as Effect  # noqa: E402
from .flow_model import Flow as Flow  # noqa: E402
from .flow_model import FlowState as FlowState  # noqa: E402
from .flow_model import FlowStep as FlowStep  # noqa: E402
from .flow_model import Submit as Submit  # noqa: E402
from .reminder_model import Reminder as Reminder  # noqa: E402
