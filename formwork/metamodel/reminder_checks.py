"""Checks and building of reminders (`reminders/*.yaml`).

While building: the entity, its date field (a stored date), the recipients (roles, and link
fields to users, through links too), the fields the title names in every locale, and the
settings each kind allows. The `when` formula is checked once the whole model is built
(`reminder_formulas`, run by the loader), like the other formulas.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..rules.scope import MAX_LINK_HOPS, USER_FIELDS
from .checks import Checks, a
from .model import USER_ENTITY, Entity, Field, Label
from .reminder_model import Recipient, Reminder, template_parts
from .source import DocPath, format_path

#: A yearly reminder's to-dos come at most this many days before the anniversary.
MAX_YEARLY_DAYS = 300
#: Field types a title cannot show: their values are rows or files.
UNSHOWABLE_TYPES = frozenset({"table", "attachment"})


class ReminderChecks(Checks):
    def build_reminders(self, entities: Mapping[str, Entity]) -> dict[str, Reminder]:
        reminders: dict[str, Reminder] = {}
        for name, doc in sorted((self.doc.get("reminders") or {}).items()):
            path: DocPath = ("reminders", name)
            if _root_broken(self, path):
                continue
            reminder = self._reminder_build(name, doc, path, entities)
            if reminder is not None:
                reminders[name] = reminder
        return reminders

    def _reminder_build(
        self, name: str, doc: Mapping[str, Any], path: DocPath, entities: Mapping[str, Entity]
    ) -> Reminder | None:
        self.check_name(name, (*path, "reminder"), "reminder")
        entity = self.entity_of(doc, path, entities)
        if entity is None:
            return None
        label = self.label(doc["label"], (*path, "label"))
        description = self.optional_label(doc, "description", path)
        date_ok = self._reminder_date(entity, doc["date"], (*path, "date"))
        self._reminder_kind_settings(doc, path)
        recipients = tuple(
            self._reminder_recipient(entity, spec, (*path, "to", index), entities)
            for index, spec in enumerate(doc["to"])
        )
        title = self._reminder_title(entity, doc["title"], (*path, "title"), entities)
        if not date_ok or title is None:
            return None
        return Reminder(
            name=name,
            entity=entity.name,
            label=label,
            description=description,
            date_field=doc["date"],
            kind=doc["kind"],
            days=int(doc.get("days", 0)),
            when=doc.get("when"),
            repeat_days=doc.get("repeat_days"),
            recipients=recipients,
            title=title,
            location=self.location(path),
        )

    def _reminder_date(self, entity: Entity, name: str, where: DocPath) -> bool:
        declared = self.doc["entities"][entity.name]["fields"]
        if name not in declared:
            self.problem("FW305", where, f"no field named {name!r}", self.suggest(name, declared))
            return False
        field = entity.fields.get(name)
        if field is None:
            return False  # the field itself is broken: reported already
        if field.type != "date" or not field.stored:
            dates = sorted(f.name for f in entity.fields.values() if _is_date(f))
            self.problem(
                "FW951",
                where,
                f"{entity.name}.{name} is {a(field.type)} field"
                f"{' (virtual, without a column)' if field.type == 'date' else ''}, "
                "not a stored date field",
                f"Date fields of {entity.name}: {', '.join(dates) or 'none'}.",
            )
            return False
        return True

    def _reminder_kind_settings(self, doc: Mapping[str, Any], path: DocPath) -> None:
        kind = doc["kind"]
        if "repeat_days" in doc and kind != "overdue":
            self.problem(
                "FW954",
                (*path, "repeat_days"),
                f"a {kind} reminder does not repeat: repeat_days is for overdue reminders",
                "Remove repeat_days, or make the reminder `kind: overdue`.",
            )
        if kind == "overdue" and not doc.get("when"):
            self.problem(
                "FW954",
                (*path, "kind"),
                "an overdue reminder needs a `when`: what keeps the record overdue",
                "e.g. `when: balance > 0` — without it every past date is overdue forever.",
            )
        if kind == "yearly" and int(doc.get("days", 0)) > MAX_YEARLY_DAYS:
            self.problem(
                "FW954",
                (*path, "days"),
                f"a yearly reminder comes at most {MAX_YEARLY_DAYS} days ahead, not {doc['days']}",
                f"Give days between 0 and {MAX_YEARLY_DAYS}.",
            )

    # -- recipients ------------------------------------------------------------------------
    def _reminder_recipient(
        self,
        entity: Entity,
        spec: Mapping[str, str],
        where: DocPath,
        entities: Mapping[str, Entity],
    ) -> Recipient:
        kind, value = next(iter(spec.items()))
        item: DocPath = (*where, kind)
        if kind == "role":
            roles = set((self.doc.get("app") or {}).get("roles") or {})
            if not self.is_broken(("app", "roles")) and value not in roles:
                self.problem("FW306", item, f"no role named {value!r}", self.suggest(value, roles))
        else:
            fields = self._reminder_walk(entity, value, item, entities, "FW952")
            last = fields[-1] if fields else None
            if fields is not None and not (
                last is not None and last.type == "link" and last.setting("to") == USER_ENTITY
            ):
                what = (
                    f"{last.entity}.{last.name} is {a(last.type)} field"
                    + (f" to {last.setting('to')}" if last.type == "link" else "")
                    if last is not None
                    else f"{value} is a user's text"
                )
                self.problem(
                    "FW952",
                    item,
                    f"{what}, not a link to a user",
                    "Name a `type: link, to: user` field, or a path of links ending in one.",
                )
        return Recipient(kind, value)

    # -- the title -------------------------------------------------------------------------
    def _reminder_title(
        self, entity: Entity, raw: Any, path: DocPath, entities: Mapping[str, Entity]
    ) -> Label | None:
        if self.is_broken(path):
            return None
        label = self.label(raw, path)
        ok = True
        for locale, text in label.texts.items():
            where: DocPath = path if isinstance(raw, str) else (*path, locale)
            try:
                parts = template_parts(text)
            except ValueError as exc:
                self.problem("FW953", where, f"the title cannot be read: {exc}", BRACES_HINT)
                ok = False
                continue
            for part in parts:
                if part.path is None:
                    continue
                fields = self._reminder_walk(entity, part.path, where, entities, "FW953")
                if fields is None:
                    ok = False
                elif fields and fields[-1].type in UNSHOWABLE_TYPES:
                    self.problem(
                        "FW953",
                        where,
                        f"{{{part.path}}} is {a(fields[-1].type)} field, which a title cannot show",
                        "Name a field that holds a value.",
                    )
                    ok = False
        return label if ok else None

    def _reminder_walk(
        self,
        entity: Entity,
        path_text: str,
        where: DocPath,
        entities: Mapping[str, Entity],
        code: str,
    ) -> list[Field] | None:
        """The fields along `link.link.field` from `entity` (empty when it ends at a user's
        own field); None, with a problem, when a step names nothing or cannot be followed."""
        names = path_text.split(".")
        if len(names) > MAX_LINK_HOPS or not all(names):
            self.problem(
                code,
                where,
                f"{path_text!r} is not a field path of at most {MAX_LINK_HOPS} names",
                "Write field or link.field, e.g. account.name.",
            )
            return None
        fields: list[Field] = []
        owner: Entity | None = entity
        for index, name in enumerate(names):
            last = index == len(names) - 1
            if owner is None:  # a user: only a few of its fields are readable
                if name in USER_FIELDS and last:
                    return []
                self.problem(
                    code,
                    where,
                    f"users have no field {name!r} to show",
                    f"Readable fields of a user: {', '.join(USER_FIELDS)}.",
                )
                return None
            field = owner.fields.get(name)
            if field is None:
                declared = self.doc["entities"].get(owner.name, {}).get("fields", {})
                if name in declared:
                    return None  # the field itself is broken: reported already
                self.problem(
                    code if code != "FW952" else "FW305",
                    where,
                    f"{owner.name} has no field {name!r}",
                    self.suggest(name, declared),
                )
                return None
            fields.append(field)
            if last:
                return fields
            target = field.setting("to") if field.type == "link" else None
            if target is None:
                self.problem(
                    code,
                    where,
                    f"{owner.name}.{name} is {a(field.type)} field, not a link to follow",
                    "Only link fields can be followed with a dot.",
                )
                return None
            owner = None if target == USER_ENTITY else entities.get(target)
            if owner is None and target != USER_ENTITY:
                return None  # the target entity is broken: reported already
        return fields  # pragma: no cover - the loop returns on its last name


BRACES_HINT = "Put field names in braces, {code}; write {{ and }} for literal braces."


def _is_date(field: Field) -> bool:
    return field.type == "date" and field.stored


def _root_broken(checks: Checks, path: DocPath) -> bool:
    """A reminder whose name, entity, date, kind or recipients are malformed is not built."""
    keys = ("reminder", "entity", "date", "kind", "to", "label")
    exact = {format_path(path), *(format_path((*path, key)) for key in keys)}
    return any(b in exact or b.startswith(format_path((*path, "to"))) for b in checks.broken)
