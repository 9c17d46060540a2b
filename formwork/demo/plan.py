"""The demo plan: which records to make, in which order, and the values of each.

`DemoPlan` draws every record from the spec with one seeded random source and one seeded Faker,
entity by entity in link order (a record links only to records made before it), so the same
seed gives the same records whichever writer stores them. A record's values hold `Ref`s where
they link to generated records; its later edits (its history) come with it, and
`final_values` is what it holds once they are applied.
"""

from __future__ import annotations

import bisect
import datetime as dt
import random
from collections.abc import Collection, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from graphlib import CycleError, TopologicalSorter
from typing import Any

from faker import Faker

from ..metamodel.model import USER_ENTITY, App, Entity, Field
from ..store.input_schema import is_empty
from .errors import DemoError
from .spec import DEFAULT_EMPTY, DemoSpec, EntitySpec, FieldSpec, Profile
from .values import Draw, Generator, Ref, SameLink, UserPool, default_generator

#: Faker's locale for an app's default locale, where the two are spelled differently.
FAKER_LOCALES = {"zh": "zh_CN", "en": "en_US", "ja": "ja_JP", "de": "de_DE", "fr": "fr_FR"}
#: Draws of a unique field before numbering the value apart from the ones already taken.
UNIQUE_TRIES = 5
#: How often a record the app's rules refuse is drawn again before the run stops.
REDRAWS = 20
#: Rows of a child table per record when the table sets no limits.
DEFAULT_MOST_ROWS = 3


@dataclass
class Edit:
    """A later change of a record: when, and the fields it sets."""

    at: dt.datetime
    values: dict[str, Any]


@dataclass
class Planned:
    """One record to write: values as a caller sends them (with `Ref`s), rows of its tables."""

    entity: str
    index: int
    values: dict[str, Any]
    rows: dict[str, list[dict[str, Any]]]
    created_at: dt.datetime
    created_by: int | None
    edits: list[Edit] = field(default_factory=list)

    def final_values(self) -> dict[str, Any]:
        values = dict(self.values)
        for edit in self.edits:
            values.update(edit.values)
        return values


def faker_locale(app: App, spec: DemoSpec) -> str:
    if spec.locale:
        return spec.locale
    locale = app.default_locale
    return FAKER_LOCALES.get(locale, locale.replace("-", "_"))


def entity_order(app: App, spec: DemoSpec) -> list[str]:
    """The entities that get records, each after the entities it links to (a cycle of links is
    broken where the config first declares it: those links may stay empty)."""
    top = [name for name, ent in app.entities.items() if not ent.child_of]
    graph: dict[str, set[str]] = {name: set() for name in top}
    for name in top:
        for target in _link_targets(app, app.entity(name)):
            if target in graph and target != name:
                graph[name].add(target)
    try:
        order = list(TopologicalSorter(graph).static_order())
    except CycleError:
        order = top
    return [name for name in order if spec.entity(name).count > 0]


def _link_targets(app: App, ent: Entity) -> Iterator[str]:
    for f in ent.fields.values():
        if f.type == "link":
            yield f.setting("to")
        elif f.type == "table":
            yield from _link_targets(app, app.entity(f.setting("to")))


class DemoPlan:
    """Draws the records of a demo data run; call `records(entity)` in `order`."""

    def __init__(
        self,
        app: App,
        spec: DemoSpec,
        *,
        scale: int,
        seed: int,
        users: UserPool,
        now: dt.datetime,
        taken: Mapping[tuple[str, str], set[Any]] | None = None,
    ) -> None:
        self.app, self.spec, self.users = app, spec, users
        self.now, self.today = now, now.date()
        self.seed = seed
        self.rng = random.Random(seed)
        self.fake = Faker(faker_locale(app, spec))
        self.fake.seed_instance(seed)
        self.order = entity_order(app, spec)
        self.counts = {name: round(spec.entity(name).count * scale) for name in self.order}
        #: Values of unique fields already used, by (entity, field).
        self.taken: dict[tuple[str, str], set[Any]] = {k: set(v) for k, v in (taken or {}).items()}
        self.made: dict[str, int] = {}
        #: The next number that sets a much-drawn unique value apart, by value.
        self._apart: dict[Any, int] = {}
        self._defaults: dict[tuple[str, str], Generator | None] = {}
        #: When each generated record was created (epoch seconds) and by whom, by entity.
        self._created: dict[str, list[float]] = {}
        self._creator: dict[str, list[int | None]] = {}
        self._fields = {name: self._field_order(app.entity(name)) for name in app.entities}
        #: Records by a field's value, where a `same` generator looks them up.
        self._index: dict[tuple[str, str], dict[Any, list[int]]] = {
            (g.entity, g.via): {} for g in self._generators() if isinstance(g, SameLink)
        }
        self._check_drawable()

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    # -- records ---------------------------------------------------------------------------
    def records(self, entity: str) -> Iterator[Planned]:
        """The entity's records, in creation order; each may link to any made before it."""
        ent = self.app.entity(entity)
        espec = self.spec.entity(entity)
        count = self.counts[entity]
        start = self.now - dt.timedelta(days=self.spec.days)
        span = (self.now - start).total_seconds()
        for index in range(count):
            values: dict[str, Any] = {}
            creator: int | None = None
            if espec.belongs_to:
                parent_entity = ent.fields[espec.belongs_to].setting("to")
                parent = self.rng.randrange(self.made[parent_entity])
                values[espec.belongs_to] = Ref(parent_entity, parent)
                born = self._created[parent_entity][parent]
                moment = born + self.rng.random() * (self.now.timestamp() - born)
                creator = self._creator[parent_entity][parent]
            else:
                moment = start.timestamp() + (index + self.rng.random()) / count * span
            created = dt.datetime.fromtimestamp(moment, dt.UTC)
            planned = self._record(ent, index, created, values, creator)
            self._add_to_index(planned)
            self._created.setdefault(entity, []).append(moment)
            self._creator.setdefault(entity, []).append(planned.created_by)
            self.made[entity] = index + 1
            yield planned

    def redraw(self, planned: Planned, attempt: int, refused: Iterable[str] = ()) -> Planned:
        """The same record (entity, place, time, parent) with its values drawn again, for a
        record the app's rules refused. The draws depend on the seed, the record and the
        attempt alone, so both writers (which draw ahead by different batches) get the same.

        From the second half of the attempts on, the `refused` fields are left empty where
        they may be (a link no drawn record satisfies, a date no draw puts in order)."""
        ent = self.app.entity(planned.entity)
        belongs_to = self.spec.entity(planned.entity).belongs_to
        values = {belongs_to: planned.values[belongs_to]} if belongs_to else {}
        parent = planned.values.get(belongs_to) if belongs_to else None
        creator = self._creator[parent.entity][parent.index] if isinstance(parent, Ref) else None
        blank = set(refused) if attempt > REDRAWS // 2 else set()
        drawn_ahead = self.made
        # As when it was first drawn: it may link only to records made before it.
        self.made = {**drawn_ahead, planned.entity: planned.index}
        try:
            with self._own_randomness(planned.entity, planned.index, attempt):
                again = self._record(ent, planned.index, planned.created_at, values, creator, blank)
        finally:
            self.made = drawn_ahead
        self._creator[planned.entity][planned.index] = again.created_by
        self._remove_from_index(planned)
        self._add_to_index(again)
        return again

    @contextmanager
    def _own_randomness(self, *key: object) -> Iterator[None]:
        saved = self.rng.getstate(), self.fake.random.getstate()
        self.rng.seed(f"{self.seed}:{key}")
        self.fake.random.seed(f"{self.seed}:{key}:faker")
        try:
            yield
        finally:
            self.rng.setstate(saved[0])
            self.fake.random.setstate(saved[1])

    def _record(
        self,
        ent: Entity,
        index: int,
        created: dt.datetime,
        values: dict[str, Any],
        creator: int | None,
        blank: set[str] | None = None,
    ) -> Planned:
        espec = self.spec.entity(ent.name)
        profile = self._profile(espec)
        d = self._draw(created, values)
        self._fill(ent, espec, profile, d, skip={espec.belongs_to}, blank=blank or set())
        rows = self._rows(ent, d)
        owner = values.get(ent.owner) if ent.owner else None
        created_by = owner if isinstance(owner, int) else creator
        planned = Planned(ent.name, index, values, rows, created, created_by)
        if espec.edits is not None and self.rng.random() < espec.edits.share:
            planned.edits = self._edits(ent, espec, profile, planned)
        return planned

    def _draw(self, created: dt.datetime, values: dict[str, Any]) -> Draw:
        return Draw(
            self.rng, self.fake, self.today, created, values, self.users, self.made, self._index
        )

    def _add_to_index(self, planned: Planned) -> None:
        for (entity, via), records in self._index.items():
            if entity == planned.entity:
                bisect.insort(records.setdefault(planned.values.get(via), []), planned.index)

    def _remove_from_index(self, planned: Planned) -> None:
        for (entity, via), records in self._index.items():
            if entity == planned.entity:
                records[planned.values.get(via)].remove(planned.index)

    def _generators(self) -> Iterator[Generator]:
        for espec in self.spec.entities.values():
            for fields in (espec.fields, *(p.fields for p in espec.profiles)):
                yield from (f.generator for f in fields.values() if f.generator is not None)

    def _profile(self, espec: EntitySpec) -> Profile | None:
        if not espec.profiles:
            return None
        return self.rng.choices(espec.profiles, [p.weight for p in espec.profiles])[0]

    def _fill(
        self,
        ent: Entity,
        espec: EntitySpec,
        profile: Profile | None,
        d: Draw,
        skip: set[str | None],
        only: set[str] | None = None,
        blank: Collection[str] = (),
    ) -> None:
        for f in self._fields[ent.name]:
            if f.name in skip or (only is not None and f.name not in only):
                continue
            fspec = _field_spec(espec, profile, f.name)
            generator = fspec.generator or self._default(f)
            if generator is None:
                continue
            if self.rng.random() < _empty_chance(f, fspec) or (f.name in blank and not f.required):
                d.values.pop(f.name, None)
                continue
            value = self._unique(ent, f, generator, d) if f.unique else generator.draw(d)
            if is_empty(value):
                d.values.pop(f.name, None)
            else:
                d.values[f.name] = value

    def _default(self, f: Field) -> Generator | None:
        key = (f.entity, f.name)
        if key not in self._defaults:
            self._defaults[key] = default_generator(f, self.spec.days)
        return self._defaults[key]

    def _unique(self, ent: Entity, f: Field, generator: Generator, d: Draw) -> Any:
        taken = self.taken.setdefault((ent.name, f.name), set())
        value = None
        for _ in range(UNIQUE_TRIES):
            value = generator.draw(d)
            if value is None or value not in taken:
                break
        else:
            value = _numbered_apart(f, value, taken, self._apart)
        if value is not None:
            taken.add(value)
        return value

    def _rows(self, ent: Entity, d: Draw) -> dict[str, list[dict[str, Any]]]:
        rows: dict[str, list[dict[str, Any]]] = {}
        for f in ent.fields.values():
            if f.type != "table":
                continue
            child = self.app.entity(f.setting("to"))
            cspec = self.spec.entity(child.name)
            low = f.setting("min_rows") or (1 if f.required else 0)
            high = max(low, f.setting("max_rows") or DEFAULT_MOST_ROWS)
            count = min(high, max(low, round(self.rng.uniform(0, 2 * cspec.count))))
            rows[f.name] = []
            for _ in range(count):
                row = self._draw(d.created, {})
                self._fill(child, cspec, self._profile(cspec), row, skip=set())
                rows[f.name].append(row.values)
        return rows

    def _edits(
        self, ent: Entity, espec: EntitySpec, profile: Profile | None, planned: Planned
    ) -> list[Edit]:
        assert espec.edits is not None
        low, high = espec.edits.times
        born = planned.created_at.timestamp()
        moments = sorted(
            born + self.rng.random() * (self.now.timestamp() - born)
            for _ in range(self.rng.randint(low, high))
        )
        redraw = self._with_readers(ent, set(espec.edits.fields))
        current = dict(planned.values)
        edits = []
        for moment in moments:
            d = self._draw(planned.created_at, dict(current))
            self._fill(ent, espec, profile, d, skip={espec.belongs_to}, only=redraw)
            changed = {
                name: d.values.get(name)
                for name in redraw
                if d.values.get(name) != current.get(name)
            }
            if changed:
                edits.append(Edit(dt.datetime.fromtimestamp(moment, dt.UTC), changed))
                current.update(changed)
        return edits

    # -- structure -------------------------------------------------------------------------
    def _field_order(self, ent: Entity) -> list[Field]:
        """The fields a caller may write, each after the fields its generators read."""
        writable = [f for f in ent.fields.values() if f.stored and f.writable]
        espec = self.spec.entity(ent.name)
        graph: dict[str, set[str]] = {f.name: set() for f in writable}
        for f in writable:
            for fspec in _all_specs(espec, f.name):
                if fspec.generator is not None:
                    graph[f.name] |= set(fspec.generator.reads) & set(graph)
        by_name = {f.name: f for f in writable}
        return [by_name[name] for name in TopologicalSorter(graph).static_order()]

    def _with_readers(self, ent: Entity, names: set[str]) -> set[str]:
        """`names` and every field whose generator reads one of them, transitively."""
        espec = self.spec.entity(ent.name)
        result = set(names)
        for f in self._fields[ent.name]:
            for fspec in _all_specs(espec, f.name):
                if fspec.generator is not None and set(fspec.generator.reads) & result:
                    result.add(f.name)
        return result

    def _check_drawable(self) -> None:
        """Every required field must be drawable, and required user links need users."""
        problems = []
        for name in self.order:
            ent = self.app.entity(name)
            belongs_to = self.spec.entity(name).belongs_to
            if belongs_to and _unreachable(self, ent.fields[belongs_to], name):
                target = ent.fields[belongs_to].setting("to")
                problems.append(f"{name} belongs to {target}, which gets no records before it")
            entities = [ent, *(self.app.entity(f.setting("to")) for f in _tables(ent))]
            for e in entities:
                espec = self.spec.entity(e.name)
                for f in self._fields[e.name]:
                    if not f.required or f.default_formula or f.name == espec.belongs_to:
                        continue
                    given = any(s.generator for s in _all_specs(espec, f.name))
                    if not given and default_generator(f, self.spec.days) is None:
                        problems.append(
                            f"{e.name}.{f.name} is required, but nothing draws a {f.type} "
                            "value; give it a generator in demo.yaml (e.g. `value:` or "
                            "`weights:`)"
                        )
                    elif _links_to(f, USER_ENTITY) and not self._has_users(espec, f):
                        problems.append(
                            f"{e.name}.{f.name} is a required link to a user, but there are "
                            "no such users; add them under `users:` in demo.yaml or create "
                            "them first"
                        )
                    elif f.type == "link" and not given and _unreachable(self, f, name):
                        problems.append(
                            f"{e.name}.{f.name} is a required link to "
                            f"{f.setting('to')}, which gets no records before {name}"
                        )
        if problems:
            raise DemoError("; ".join(problems))

    def _has_users(self, espec: EntitySpec, f: Field) -> bool:
        """Whether a link to a user can be drawn (the spec's users count: they are made
        before any record)."""
        roles = {getattr(s.generator, "role", None) for s in _all_specs(espec, f.name)} or {None}
        for role in roles:
            if role is None and not (self.users.all or any(self.spec.users.values())):
                return False
            if role and not (self.users.by_role.get(role) or self.spec.users.get(role)):
                return False
        return True


def _tables(ent: Entity) -> list[Field]:
    return [f for f in ent.fields.values() if f.type == "table"]


def _links_to(f: Field, target: str) -> bool:
    return f.type == "link" and f.setting("to") == target


def _unreachable(plan: DemoPlan, f: Field, entity: str) -> bool:
    target = f.setting("to")
    if target == USER_ENTITY:
        return False
    if target not in plan.order or not plan.counts[target]:
        return True
    return plan.order.index(target) >= plan.order.index(entity)


def _field_spec(espec: EntitySpec, profile: Profile | None, name: str) -> FieldSpec:
    if profile is not None and name in profile.fields:
        return profile.fields[name]
    return espec.fields.get(name) or FieldSpec()


def _all_specs(espec: EntitySpec, name: str) -> list[FieldSpec]:
    specs = [p.fields[name] for p in espec.profiles if name in p.fields]
    if name in espec.fields:
        specs.append(espec.fields[name])
    return specs


def _empty_chance(f: Field, fspec: FieldSpec) -> float:
    if f.default_formula and fspec.generator is None:
        return 1.0  # the default formula fills it, as it would for a person
    if f.required:
        return 0.0
    if fspec.empty is not None:  # a spec knows when a conditionally required field is empty
        return fspec.empty
    if f.required_when:
        return 0.0
    return 0.0 if fspec.generator is not None else DEFAULT_EMPTY


def _numbered_apart(f: Field, value: Any, taken: set[Any], apart: dict[Any, int]) -> Any:
    """`value` made unique with a number: `name 2`, `a-2@b.cn`; DemoError for non-text.

    `apart` remembers the last number given to each value, so the search does not start
    over at 2 each time a popular value comes up again."""
    if not isinstance(value, str):
        raise DemoError(
            f"{f.entity}.{f.name} is unique, but its generator keeps drawing values already "
            "used; give it a wider range"
        )
    limit = f.setting("max_length") or getattr(f.kind, "default_length", 200)
    number = apart.get((f.entity, f.name, value), 1)
    while True:
        number += 1
        if f.type == "email" and "@" in value:
            local, domain = value.split("@", 1)
            candidate = f"{local}-{number}@{domain}"
        else:
            suffix = f" {number}"
            candidate = value[: limit - len(suffix)] + suffix
        if candidate not in taken:
            apart[(f.entity, f.name, value)] = number
            return candidate
