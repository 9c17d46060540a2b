"""Value generators: one small class per way of drawing a field's value.

Each generator is bound to its field and draws a value the field accepts (numbers are clamped
to the field's min/max and stored as its type keeps them, text is cut to its length). The
spec language's keys map one to one onto the classes here (`faker` → `FakerText`, `weights` →
`Weighted`, …); `default_generator` picks what a field gets from its type alone. Links to
generated records are drawn as `Ref`s, which the writers turn into ids.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

import marshmallow as ma
from faker import Faker

from ..metamodel.model import USER_ENTITY, Field

#: Where `days` count from: today, the record's creation, or another date field of the record.
TODAY, CREATED = "today", "created"


@dataclass(frozen=True, slots=True)
class Ref:
    """A record generated in this run, by entity and position (0 = the first one made)."""

    entity: str
    index: int


@dataclass
class UserPool:
    """The users links may point at: every one, and the demo users by role."""

    all: list[int] = field(default_factory=list)
    by_role: dict[str, list[int]] = field(default_factory=dict)


@dataclass
class Draw:
    """What a generator may use while drawing the values of one record."""

    rng: random.Random
    fake: Faker
    today: dt.date
    #: When the record being drawn is created.
    created: dt.datetime
    #: The record's values drawn so far (fields that others read are drawn first).
    values: dict[str, Any]
    users: UserPool
    #: How many records of each entity were generated before this one.
    made: Mapping[str, int]
    #: Records by the value of a field, for `SameLink`: (entity, field) → value → indexes.
    index: Mapping[tuple[str, str], Mapping[Any, list[int]]] = field(default_factory=dict)


class Generator(Protocol):
    #: Fields of the same record the generator reads (they are drawn before it).
    reads: tuple[str, ...]

    def draw(self, d: Draw) -> Any: ...


def fit_number(target: Field, number: float) -> Any:
    """`number` inside the field's min/max, as the field stores it (int, Decimal, stars)."""
    low, high = target.setting("min"), target.setting("max")
    if low is not None:
        number = max(number, low)
    if high is not None:
        number = min(number, high)
    return target.kind.from_formula(number, target)


def fit_text(target: Field, text: str) -> str:
    limit = target.setting("max_length") or getattr(target.kind, "default_length", None)
    return text[:limit].strip() if limit else text


@dataclass(frozen=True)
class FakerText:
    """Text from a Faker provider (`company`) or a Faker format (`{{city_name}}{{company}}`).

    Text the field refuses (a locale's phone format the phone type does not take) is drawn
    again a few times, then left out."""

    target: Field
    provider: str
    reads: tuple[str, ...] = ()
    tries: ClassVar[int] = 5
    check: ma.fields.Field = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "check", self.target.kind.input_field(self.target))

    def draw(self, d: Draw) -> Any:
        for _ in range(self.tries):
            if "{{" in self.provider:
                value = d.fake.parse(self.provider)
            else:
                value = getattr(d.fake, self.provider)()
            text = fit_text(self.target, str(value))
            try:
                self.check.deserialize(text)
            except ma.ValidationError:
                continue
            return text
        return None


@dataclass(frozen=True)
class Constant:
    value: Any
    reads: tuple[str, ...] = ()

    def draw(self, d: Draw) -> Any:
        return self.value


@dataclass(frozen=True)
class Weighted:
    """One of `choices`, each as likely as its weight."""

    choices: tuple[Any, ...]
    weights: tuple[float, ...]
    reads: tuple[str, ...] = ()

    def draw(self, d: Draw) -> Any:
        return d.rng.choices(self.choices, self.weights)[0]


@dataclass(frozen=True)
class Chance:
    """True with probability `p`."""

    p: float
    reads: tuple[str, ...] = ()

    def draw(self, d: Draw) -> Any:
        return d.rng.random() < self.p


@dataclass(frozen=True)
class EachChance:
    """Several choices: each option is taken with its own probability (at most `most`)."""

    chances: tuple[tuple[str, float], ...]
    most: int | None = None
    reads: tuple[str, ...] = ()

    def draw(self, d: Draw) -> Any:
        taken = [option for option, p in self.chances if d.rng.random() < p]
        return taken[: self.most] if self.most else taken


@dataclass(frozen=True)
class Uniform:
    target: Field
    low: float
    high: float
    reads: tuple[str, ...] = ()

    def draw(self, d: Draw) -> Any:
        if self.target.kind.value_type == "number" and _whole(self.target):
            return fit_number(self.target, d.rng.randint(math.ceil(self.low), int(self.high)))
        return fit_number(self.target, d.rng.uniform(self.low, self.high))


@dataclass(frozen=True)
class LogNormal:
    """Amounts: most near `median`, a long tail of large ones (sigma: how long)."""

    target: Field
    median: float
    sigma: float
    low: float | None = None
    high: float | None = None
    reads: tuple[str, ...] = ()

    def draw(self, d: Draw) -> Any:
        number = d.rng.lognormvariate(math.log(self.median), self.sigma)
        return fit_number(self.target, _clamp(number, self.low, self.high))


@dataclass(frozen=True)
class Ranges:
    """A range picked by weight, then a value uniformly inside it."""

    target: Field
    ranges: tuple[tuple[float, float], ...]
    weights: tuple[float, ...]
    reads: tuple[str, ...] = ()

    def draw(self, d: Draw) -> Any:
        low, high = d.rng.choices(self.ranges, self.weights)[0]
        return Uniform(self.target, low, high).draw(d)


@dataclass(frozen=True)
class FractionOf:
    """A share of another number of the record (the largest order within the year's total)."""

    target: Field
    source: str
    low: float
    high: float
    reads: tuple[str, ...] = ()

    def draw(self, d: Draw) -> Any:
        whole = d.values.get(self.source)
        if whole is None:
            return None
        return fit_number(self.target, float(whole) * d.rng.uniform(self.low, self.high))


@dataclass(frozen=True)
class Days:
    """A date (or time) `low`..`high` days from today, the record's creation or a date field."""

    target: Field
    low: int
    high: int
    origin: str = TODAY
    reads: tuple[str, ...] = ()

    def draw(self, d: Draw) -> Any:
        if self.origin == TODAY:
            start: Any = d.today
        elif self.origin == CREATED:
            start = d.created.date()
        else:
            start = d.values.get(self.origin)
            if start is None:
                return None
        if isinstance(start, dt.datetime):
            start = start.date()
        day = start + dt.timedelta(days=d.rng.randint(self.low, self.high))
        if self.target.type == "datetime":
            moment = dt.datetime.combine(day, dt.time(8), tzinfo=dt.UTC)
            return moment + dt.timedelta(seconds=d.rng.randrange(11 * 3600))
        return day


@dataclass(frozen=True)
class UserLink:
    """A user: a demo user of `role`, or (role None) any user."""

    role: str | None = None
    reads: tuple[str, ...] = ()

    def draw(self, d: Draw) -> Any:
        ids = d.users.by_role.get(self.role, []) if self.role else d.users.all
        return d.rng.choice(ids) if ids else None


@dataclass(frozen=True)
class RecordLink:
    """A record of `entity` generated earlier in the run."""

    entity: str
    reads: tuple[str, ...] = ()

    def draw(self, d: Draw) -> Any:
        made = d.made.get(self.entity, 0)
        return Ref(self.entity, d.rng.randrange(made)) if made else None


@dataclass(frozen=True)
class SameLink:
    """A record of `entity` whose field `via` holds what this record's `via` holds: a
    project of the same account (drawn among records made before this one)."""

    entity: str
    via: str
    reads: tuple[str, ...] = ()

    def draw(self, d: Draw) -> Any:
        records = d.index.get((self.entity, self.via), {}).get(d.values.get(self.via), [])
        made = records[: bisect.bisect_left(records, d.made.get(self.entity, 0))]
        return Ref(self.entity, d.rng.choice(made)) if made else None


@dataclass(frozen=True)
class Words:
    """A few words, as a name or title would read."""

    target: Field
    reads: tuple[str, ...] = ()

    def draw(self, d: Draw) -> Any:
        words = d.fake.words(d.rng.randint(2, 4))
        joiner = "" if all(_is_wide(w) for w in words) else " "
        return fit_text(self.target, joiner.join(words).capitalize())


@dataclass(frozen=True)
class Paragraph:
    target: Field
    html: bool = False
    reads: tuple[str, ...] = ()

    def draw(self, d: Draw) -> Any:
        text = d.fake.paragraph()
        return fit_text(self.target, f"<p>{text}</p>" if self.html else text)


def default_generator(target: Field, days: int) -> Generator | None:
    """What a field without a spec gets, from its type; None: the field is left alone."""
    kind = target.type
    low, high = target.setting("min"), target.setting("max")
    simple: dict[str, Callable[[], Generator]] = {
        "text": lambda: Words(target),
        "longtext": lambda: Paragraph(target),
        "richtext": lambda: Paragraph(target, html=True),
        "email": lambda: FakerText(target, "email"),
        "phone": lambda: FakerText(target, "phone_number"),
        "url": lambda: FakerText(target, "url"),
        "boolean": lambda: Chance(0.3),
        "date": lambda: Days(target, -days, 0),
        "datetime": lambda: Days(target, -days, 0),
    }
    if kind in simple:
        return simple[kind]()
    if kind == "integer":
        start = 0 if low is None else low
        return Uniform(target, start, start + 100 if high is None else high)
    if kind in ("decimal", "percent"):
        top = 100 if kind == "percent" else 1000
        return Uniform(target, 0 if low is None else low, top if high is None else high)
    if kind == "money":
        return LogNormal(target, 100_000, 1.0, low, high)
    if kind == "rating":
        return Uniform(target, 1, target.setting("max", 5))
    if kind == "select":
        values = target.option_values()
        return Weighted(values, (1.0,) * len(values))
    if kind == "multiselect":
        chances = tuple((v, 0.3) for v in target.option_values())
        return EachChance(chances, target.setting("max_items"))
    if kind == "link":
        to = target.setting("to")
        return UserLink() if to == USER_ENTITY else RecordLink(to)
    return None  # tables are rows (see plan), files and generated numbers are never drawn


def _whole(target: Field) -> bool:
    return target.type in ("integer", "rating")


def _clamp(number: float, low: float | None, high: float | None) -> float:
    if low is not None:
        number = max(number, low)
    if high is not None:
        number = min(number, high)
    return number


def _is_wide(word: str) -> bool:
    """Words of scripts written without spaces (Chinese, Japanese)."""
    return any("\u2e80" <= ch <= "\u9fff" or "\uac00" <= ch <= "\ud7af" for ch in word)
