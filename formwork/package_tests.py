"""Running a package's own test cases (`tests/*.yaml`): what `formwork test` does.

Each case runs alone on a fresh in-memory SQLite database: its users are created, its steps
write through the record service in order (so every rule runs as in production: defaults,
validations, computed fields, grades), then its expectations are checked against what the
records hold. A case passes, or fails with readable reasons: expected against actual, and
the file and line of what did not hold.
"""

from __future__ import annotations

import datetime as dt
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from .metamodel.model import App, Entity, Expectation, Grading, TestCase, TestStep, TestSuite
from .metamodel.problems import Location
from .package_test_values import matches, show
from .rules.functions import FunctionRegistry
from .rules.rulebook import RuleBook
from .store.database import Database
from .store.errors import RecordError, ValidationFailed
from .store.record import Record
from .store.record_rules import latest_explanation
from .store.records import RecordService
from .store.system import USER_TABLE
from .store.tables import Tables, build_tables


@dataclass(frozen=True, slots=True)
class CaseResult:
    """The outcome of one case: passed when nothing is listed in `failures`."""

    suite: str
    case: str
    location: Location
    failures: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        return not self.failures

    @property
    def name(self) -> str:
        """`suite::case`, as the report prints it."""
        return f"{self.suite}::{self.case}"


@dataclass(frozen=True, slots=True)
class SuiteReport:
    """Every case's result, in file and case order, and how long the run took."""

    results: tuple[CaseResult, ...] = ()
    seconds: float = 0.0

    @property
    def passed(self) -> int:
        return sum(1 for r in self.results if r.passed)

    @property
    def failed(self) -> int:
        return len(self.results) - self.passed

    @property
    def ok(self) -> bool:
        return self.failed == 0

    def summary(self) -> str:
        """The last line of the report, as pytest writes it: `12 passed, 1 failed in 0.84s`."""
        parts = [f"{self.passed} passed"] + ([f"{self.failed} failed"] if self.failed else [])
        return f"{', '.join(parts)} in {self.seconds:.2f}s"


def run_package_tests(
    app: App, functions: FunctionRegistry | None = None, select: str | None = None
) -> SuiteReport:
    """Run the test cases of `app` (those whose `suite::case` contains `select`, if given)."""
    started = time.perf_counter()
    tables = build_tables(app)
    rules = RuleBook(app, functions)
    results = []
    with tempfile.TemporaryDirectory(prefix="formwork-test-") as files:
        for suite in app.tests.values():
            for case in suite.cases:
                if select and select not in f"{suite.name}::{case.name}":
                    continue
                failures = _CaseRun(app, suite, case, tables, rules, files).run()
                results.append(CaseResult(suite.name, case.name, case.location, failures))
    return SuiteReport(tuple(results), time.perf_counter() - started)


class _CaseRun:
    """One case on its own database: the steps, then the expectations."""

    def __init__(
        self,
        app: App,
        suite: TestSuite,
        case: TestCase,
        tables: Tables,
        rules: RuleBook,
        files: str,
    ) -> None:
        self.app, self.suite, self.case, self.tables = app, suite, case, tables
        self.db = Database("sqlite://", poolclass=sa.pool.StaticPool)
        self.service = RecordService(
            self.db, app, tables, files, clock=_clock(suite.today), rules=rules
        )
        #: Record name → (entity, id); users are records of the user entity.
        self.names: dict[str, tuple[str, int]] = {}
        self.last: tuple[str, int] | None = None
        self.failures: list[str] = []

    def run(self) -> tuple[str, ...]:
        try:
            self.tables.metadata.create_all(self.db.engine)
            for user in self.suite.users:
                self.names[user] = ("user", self._add_user(user))
            if self._steps():
                for expectation in self.case.expectations:
                    self._expect(expectation)
        except Exception as exc:  # a crash fails the case; the others still run
            where = traceback.extract_tb(exc.__traceback__)[-1]
            self.failures.append(
                f"crashed: {type(exc).__name__}: {exc} ({where.filename}:{where.lineno})"
            )
        finally:
            self.db.dispose()
        return tuple(self.failures)

    # -- steps ------------------------------------------------------------------------------
    def _steps(self) -> bool:
        """Run the steps; False when the case cannot go on to its expectations."""
        steps = self.case.steps
        for number, step in enumerate(steps, 1):
            refusal_expected = self.case.errors is not None and number == len(steps)
            try:
                record = self._write(step)
            except ValidationFailed as exc:
                if refusal_expected:
                    self._check_errors(step, exc.errors)
                    return True
                self.failures.append(
                    f"step {number} ({step.location}) was refused: {_errors_text(exc.errors)}"
                )
                return False
            except RecordError as exc:
                self.failures.append(f"step {number} ({step.location}) failed: {exc}")
                return False
            if step.key:
                self.names[step.key] = (record.entity, record.id)
            self.last = (record.entity, record.id)
            if refusal_expected:
                expected = ", ".join(self.case.errors or {})
                self.failures.append(
                    f"step {number} ({step.location}) was saved, but it should have been "
                    f"refused with errors on {expected}"
                )
        return True

    def _write(self, step: TestStep) -> Record:
        entity = self.app.entity(step.entity)
        values = self._resolve(entity, step.values)
        if step.update is None:
            return self.service.create(step.entity, values)
        _entity, id = self.names[step.update]
        current = self.service.get(step.entity, id)
        return self.service.update(step.entity, id, values, current.version)

    def _resolve(self, entity: Entity, values: Mapping[str, Any]) -> dict[str, Any]:
        """Values with each link's "@name" replaced by the named record's id."""
        out = {}
        for name, value in values.items():
            field = entity.fields[name]
            if field.type == "link":
                value = self._id(value)
            elif field.type == "table" and isinstance(value, list):
                child = self.app.entity(field.setting("to"))
                value = [
                    self._resolve(child, row) if isinstance(row, Mapping) else row for row in value
                ]
            out[name] = value
        return out

    def _id(self, value: Any) -> Any:
        if isinstance(value, str) and value.startswith("@") and value[1:] in self.names:
            return self.names[value[1:]][1]
        return value

    def _check_errors(self, step: TestStep, actual: Mapping[str, list[str]]) -> None:
        expected = self.case.errors or {}
        for name, texts in expected.items():
            messages = actual.get(name)
            if not messages:
                self.failures.append(
                    f"expected an error on {name} ({step.location}), got none; "
                    f"errors were: {_errors_text(actual)}"
                )
                continue
            for text in texts:
                if not any(text in m for m in messages):
                    self.failures.append(
                        f"error on {name}: expected a message containing {text!r}, "
                        f"got {' / '.join(map(repr, messages))}"
                    )
        for name in actual.keys() - expected.keys():
            self.failures.append(
                f"unexpected error on {name}: {' / '.join(map(repr, actual[name]))}"
            )

    # -- expectations -----------------------------------------------------------------------
    def _expect(self, expectation: Expectation) -> None:
        if expectation.record:
            entity_name, id = self.names[expectation.record]
        elif self.last is not None:
            entity_name, id = self.last
        else:
            self.failures.append(f"{expectation.location}: no record was saved to check")
            return
        record = self.service.get(entity_name, id)
        entity = self.app.entity(entity_name)
        what = f"{entity_name} {expectation.record or '#' + str(id)} ({expectation.location})"
        before = len(self.failures)
        for name, expected in expectation.values.items():
            actual = record.version if name == "version" else record.get(name)
            field = entity.fields.get(name)
            if field is not None and field.type == "link":
                expected = _map_expected(expected, self._id)
            problem = matches(expected, actual)
            if problem:
                self.failures.append(f"{what}: {name}: {problem}")
        if expectation.explanation is not None:
            self._expect_explanation(entity, id, expectation.explanation, what)
        if len(self.failures) > before:
            self.failures.extend(f"  {line}" for line in self._why(entity, id))

    def _expect_explanation(
        self, entity: Entity, id: int, expected: Mapping[str, Any], what: str
    ) -> None:
        grading = _grading(self.app, entity, expected.get("grading"))
        why = self._explanation(grading, id)
        if why is None:
            self.failures.append(f"{what}: no grade was recorded by {grading.name}")
            return
        if "score_grade" in expected and why["score_grade"] != expected["score_grade"]:
            self.failures.append(
                f"{what}: the score alone gives {why['score_grade']!r}, "
                f"expected {expected['score_grade']!r}"
            )
        if "override" in expected:
            problem = _override_problem(grading, why.get("override"), expected["override"])
            if problem:
                self.failures.append(f"{what}: {problem}")
        dimensions = {d["name"]: d for d in why["dimensions"]}
        for name, parts in (expected.get("dimensions") or {}).items():
            for part, value in parts.items():
                problem = matches(value, dimensions[name].get(part))
                if problem:
                    self.failures.append(f"{what}: dimension {name} {part}: {problem}")

    def _explanation(self, grading: Grading, id: int) -> dict[str, Any] | None:
        with self.db.read() as conn:
            return latest_explanation(conn, self.tables, grading.name, grading.entity, id)

    def _why(self, entity: Entity, id: int) -> Iterator[str]:
        """A line per grading of the record: how its score and grade came about."""
        for grading in self.app.gradings_of(entity.name):
            why = self._explanation(grading, id)
            if why is None:
                continue
            parts = ", ".join(
                f"{d['name']} {show(d['value'])} → {show(d['points'])} pts × {show(d['weight'])}"
                f" = {show(d['contribution'])}"
                for d in why["dimensions"]
            )
            moved = why.get("override")
            override = "" if moved is None else f" → {why['grade']} by override {moved + 1}"
            yield (
                f"{grading.name}: score {show(why['score'])} → {why['score_grade']}"
                f"{override} ({parts})"
            )

    def _add_user(self, username: str) -> int:
        with self.db.write() as conn:
            result = conn.execute(
                self.tables.system(USER_TABLE).insert(),
                {
                    "username": username,
                    "display_name": username,
                    "roles": [],
                    "active": True,
                    "created_at": dt.datetime.now(dt.UTC),
                },
            )
            return int(result.inserted_primary_key[0])


def _grading(app: App, entity: Entity, name: str | None) -> Grading:
    return app.gradings[name] if name else app.gradings_of(entity.name)[0]


def _override_problem(grading: Grading, moved: int | None, expected: bool | str) -> str | None:
    reason = None if moved is None else grading.overrides[moved].reason
    if expected is True and reason is None:
        return "expected an override to set the grade, but none did"
    if expected is False and reason is not None:
        return f"expected no override, but one set the grade ({reason.get('en')!r})"
    if isinstance(expected, str):
        texts = list(reason.texts.values()) if reason is not None else []
        if not any(expected in text for text in texts):
            got = f"one whose reason is {texts[0]!r}" if texts else "none"
            return f"expected the override whose reason contains {expected!r}, got {got}"
    return None


def _map_expected(expected: Any, resolve: Callable[[Any], Any]) -> Any:
    """An expected link value (or comparison of one) with "@name" resolved to an id."""
    if isinstance(expected, Mapping):
        return {k: _map_expected(v, resolve) for k, v in expected.items()}
    if isinstance(expected, list):
        return [resolve(v) for v in expected]
    return resolve(expected)


def _errors_text(errors: Mapping[str, list[str]]) -> str:
    return "; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items())


def _clock(today: str | None) -> Callable[[], dt.datetime]:
    if today is None:
        return lambda: dt.datetime.now(dt.UTC)
    fixed = dt.datetime.combine(dt.date.fromisoformat(today), dt.time(12), dt.UTC)
    return lambda: fixed


def render_report(report: SuiteReport, package: str) -> str:
    """The report as pytest prints it: a line per case, the failures, then the counts."""
    lines = [f"{package}: {len(report.results)} case(s)"]
    lines += [f"{r.name} {'PASSED' if r.passed else 'FAILED'}" for r in report.results]
    failed = [r for r in report.results if not r.passed]
    if failed:
        lines.append("")
        lines.append(" FAILURES ".center(72, "="))
    for result in failed:
        lines.append(f" {result.name} ".center(72, "_"))
        lines.append(f"{result.location}")
        lines += [f"  {failure}" for failure in result.failures]
    if not report.results:
        lines.append("no test cases (add tests/*.yaml to the package; see docs/package-tests.md)")
    lines.append(f" {report.summary()} ".center(72, "="))
    return "\n".join(lines)
