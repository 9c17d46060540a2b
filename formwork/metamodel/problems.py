"""Config problems: what went wrong where, with a stable code and a hint.

Every mistake in a config package becomes a `Problem`. Loading collects all of them and
raises one `ConfigError`; nothing downstream ever sees a half-valid config. The catalogue of
codes lives here so that `docs/errors.md` can be checked against it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Location:
    """A place in a config file: the file path (as given) and a 1-based line (0 = unknown)."""

    file: str
    line: int = 0

    def __str__(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file


@dataclass(frozen=True, slots=True)
class Code:
    code: str
    title: str
    hint: str


#: Every problem code, in documentation order. Codes are stable: never reuse or renumber one.
CODES: dict[str, Code] = {
    c.code: c
    for c in (
        # FW1xx: reading files
        Code("FW101", "Package folder not found", "Pass the folder that holds app.yaml."),
        Code("FW102", "app.yaml missing", "A package is a folder with app.yaml at its top."),
        Code("FW103", "File is not valid YAML or JSON", "Check indentation, quotes and colons."),
        Code("FW104", "Duplicate key in a file", "Each key may appear once per mapping."),
        Code(
            "FW105", "File does not hold a mapping", "A config file holds one mapping (key: value)."
        ),
        Code("FW106", "Unsupported file in the package", "Use .yaml, .yml or .json files."),
        Code("FW107", "Same name declared in two files", "Each entity is declared in one file."),
        Code("FW108", "File cannot be read", "Check that the file exists and is readable."),
        # FW2xx: shape (JSON Schema)
        Code("FW201", "Required key missing", "Add the key; the config reference lists it."),
        Code("FW202", "Unknown key", "Check the spelling against the config reference."),
        Code("FW203", "Wrong value type", "Use the type the config reference gives."),
        Code("FW204", "Value not allowed", "Use one of the listed values."),
        Code(
            "FW205", "Value out of range or badly formed", "See the limits in the config reference."
        ),
        Code("FW206", "Setting not valid for this field type", "Remove it or change the type."),
        # FW3xx: names and references
        Code("FW301", "Invalid name", "Use lower_snake_case: a letter, then letters, digits, _."),
        Code("FW302", "Reserved name", "Pick another name; system names cannot be reused."),
        Code("FW303", "Duplicate name", "Names must be unique where they are declared."),
        Code("FW304", "Unknown entity", "Link to an entity declared in entities/, or to user."),
        Code("FW305", "Unknown field", "Name a field declared on the entity."),
        Code("FW306", "Unknown role", "Declare the role in app.yaml under roles."),
        Code("FW307", "Child table misconfigured", "The target entity needs child_of: <parent>."),
        Code("FW308", "Field cannot be used here", "See the config reference for what is allowed."),
        Code(
            "FW309", "Rename source clashes", "renamed_from must name an old field, not a live one."
        ),
        # FW4xx: values
        Code("FW401", "Options list is empty", "A select needs at least one option."),
        Code("FW402", "Duplicate option", "Each option value appears once."),
        Code("FW403", "Default does not fit the field type", "Give a value the field accepts."),
        Code("FW404", "Label missing in the default locale", "Add a label in the default locale."),
        Code(
            "FW405",
            "Invalid numbering pattern",
            "Use text with one {###…} counter, e.g. KH-{YYYY}-{#####}.",
        ),
        Code("FW406", "Inconsistent limits", "min must not exceed max."),
        Code("FW407", "Locale not declared", "Add the locale to app.yaml locales."),
        # FW5xx: formulas
        Code("FW501", "Formula not allowed", "Formulas are expressions: see docs/formulas.md."),
        Code("FW502", "Formula names something unknown", "Check the field and function names."),
        Code("FW503", "Formula types do not fit", "Check what each part gives (number, text…)."),
        Code(
            "FW504",
            "Computed fields depend on each other in a cycle",
            "Break the cycle: one of the fields must not use the others.",
        ),
        # FW6xx: gradings
        Code(
            "FW601", "Grade thresholds out of order", "Highest grade first, each min_score lower."
        ),
        Code("FW602", "A score would have no grade", "The last grade has no min_score."),
        Code("FW603", "Override misconfigured", "One of at_least/at_most/set, naming a grade."),
        Code("FW604", "Score or grade field unusable", "Declare readonly score and grade fields."),
        Code("FW605", "Bands out of order", "Highest min first; a band without min comes last."),
        # FW7xx: package tests
        Code(
            "FW701",
            "Test step names no entity to create or record to change",
            "Write `- order: {…}` or `- update: name` with `set: {…}`.",
        ),
        Code("FW702", "Unknown field in a test", "Name a field declared on the record's entity."),
        Code("FW703", "Name used twice in a test", "Case names and record names are unique."),
        Code(
            "FW704",
            "Unknown record in a test",
            "Name a record given earlier in the case with `as:`, or a user of `users:`.",
        ),
        Code(
            "FW705",
            "Explanation check names no grading or dimension",
            "Name a grading of the record's entity and its dimensions.",
        ),
        # FW8xx: approval flows
        Code("FW801", "Unknown state", "Name a state declared under the flow's states."),
        Code(
            "FW802",
            "State never reached",
            "Move records into it (initial, submit.state or an effect's state), or remove it.",
        ),
        Code(
            "FW803",
            "Step can never run",
            "Its when (together with submit.when) can never hold: fix or remove the step.",
        ),
        Code(
            "FW804",
            "Approver is not a user",
            "A field approver must be a link to user (or a path through links to one).",
        ),
        Code(
            "FW805",
            "State field unusable",
            "Use a stored select field with an option per state (or a text field).",
        ),
        Code(
            "FW806",
            "Field cannot be set or locked by the flow",
            "Name a stored field people can write, other than the state field.",
        ),
        Code("FW807", "Entity has two flows", "Each entity has at most one approval flow."),
        Code(
            "FW808",
            "Reminder or escalation without a deadline",
            "Give the step due_hours, or remove remind_every_hours and escalate_to.",
        ),
        # FW9xx: dashboards
        Code(
            "FW901",
            "Widget cannot use this entity or field",
            "Group by a select or link field, bucket a date field, measure a number field.",
        ),
        Code(
            "FW902",
            "Filter cannot be written in a list URL",
            "Filter on stored plain-value fields; ranges only on numbers and dates.",
        ),
        Code(
            "FW903",
            "Filter value does not fit its field",
            "Give an option, number or date (today, -30d…) the field accepts.",
        ),
        Code("FW904", "Aging buckets out of order", "List bucket starts smallest first."),
        Code(
            "FW905",
            "Key does not apply to this kind of widget",
            "Remove the key, or change the widget's kind.",
        ),
        # FW95x: reminders
        Code(
            "FW951",
            "Reminder date unusable",
            "Name a stored date field of the reminder's entity.",
        ),
        Code(
            "FW952",
            "Recipient is not a user",
            "A field recipient must be a link to user (or a path through links to one).",
        ),
        Code(
            "FW953",
            "Title names something unknown",
            "Write {field} or {link.field} with fields of the reminder's entity; {{ for a brace.",
        ),
        Code(
            "FW954",
            "Setting does not fit the reminder's kind",
            "repeat_days is for overdue reminders, which need a when; yearly days stay under 300.",
        ),
        Code(
            "FW955",
            "Reminder cannot run in the database",
            "Use stored fields and functions with an SQL form (not len, not virtual fields).",
        ),
    )
}


@dataclass(frozen=True, slots=True)
class Problem:
    """One mistake in a config: code, document path, message, hint and where it is."""

    code: str
    path: str
    message: str
    location: Location | None = None
    hint: str = ""

    def __post_init__(self) -> None:
        if self.code not in CODES:
            raise ValueError(f"unknown problem code {self.code}")

    @property
    def effective_hint(self) -> str:
        return self.hint or CODES[self.code].hint

    def __str__(self) -> str:
        where = str(self.location) if self.location else "<package>"
        path = self.path or "(top)"
        return f"{where}: {path}: {self.message} [{self.code}]\n    Hint: {self.effective_hint}"


class ConfigError(Exception):
    """A config package that cannot be used; carries every problem found."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = tuple(sorted(problems, key=_sort_key))
        count = len(self.problems)
        super().__init__(f"{count} problem{'s' if count != 1 else ''} in the config")

    def report(self) -> str:
        lines = [str(p) for p in self.problems]
        lines.append(f"{len(self.problems)} problem(s) found.")
        return "\n".join(lines)


def _sort_key(p: Problem) -> tuple[str, int, str]:
    loc = p.location or Location("")
    return (loc.file, loc.line, p.path)
