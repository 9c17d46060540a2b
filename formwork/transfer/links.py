"""Link cells resolved to the ids of the records they name.

A cell may name the linked record by its title ("上海建工"), by one of its auto-numbers
("KH-2025-00012") or by its number ("#12", or bare digits when no title matches); a link to a
user by username or display name. Titles and numbers are looked up through the record
service as the importing user, so only records they may read can be named (and nothing about
others leaks). Lookups are made for a whole chunk of rows at once and remembered for the rest
of the file.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _

from ..metamodel.model import USER_ENTITY, Field
from ..store.actor import Actor
from ..store.errors import RecordError
from ..store.query import MAX_PAGE_SIZE, Filter, Query
from ..store.records import RecordService
from ..store.tables import USER_TABLE

RECORD_NUMBER = re.compile(r"#\s*(\d{1,18})")
CHUNK = 200


class LinkProblem(ValueError):
    """The cell names no record, or more than one."""


@dataclass(frozen=True, slots=True)
class _Many:
    count: int


class LinkResolver:
    """Ids for link cells of one import, as seen by `user`."""

    def __init__(self, service: RecordService, user: Actor | int | None) -> None:
        self.service = service
        self.user = user
        #: target entity → cell text → id, or _Many when several records match.
        self.known: dict[str, dict[str, int | _Many]] = defaultdict(dict)
        self.looked_up: dict[str, set[str]] = defaultdict(set)

    def prefetch(self, field: Field, texts: Iterable[str]) -> None:
        """Look up, in as few queries as possible, the texts not looked up before."""
        target = field.setting("to")
        wanted = {t for t in texts if t and not RECORD_NUMBER.fullmatch(t)}
        wanted -= self.looked_up[target]
        if not wanted:
            return
        self.looked_up[target] |= wanted
        names = sorted(wanted)
        for start in range(0, len(names), CHUNK):
            chunk = names[start : start + CHUNK]
            found = self._users(chunk) if target == USER_ENTITY else self._records(target, chunk)
            for text, ids in found.items():
                self.known[target][text] = ids.pop() if len(ids) == 1 else _Many(len(ids))

    def resolve(self, field: Field, text: str) -> int:
        """The id `text` names; LinkProblem if none or several records match."""
        target = field.setting("to")
        number = RECORD_NUMBER.fullmatch(text)
        if number:
            return int(number.group(1))
        self.prefetch(field, [text])
        found = self.known[target].get(text)
        if isinstance(found, _Many):
            raise LinkProblem(
                _(
                    "%(count)s records are named %(name)s; give its number (#id) instead.",
                    count=found.count,
                    name=text,
                )
            )
        if found is not None:
            return found
        if text.isdigit() and int(text) > 0:
            return int(text)
        raise LinkProblem(_("No record named %(name)s was found.", name=text))

    def _records(self, target: str, texts: list[str]) -> dict[str, set[int]]:
        entity = self.service.app.entity(target)
        hidden = self.service.policy.hidden(self.user, entity)
        keys = [entity.title_field] if entity.title_field else []
        keys += [f.name for f in entity.stored_fields() if f.type == "autonumber"]
        found: dict[str, set[int]] = defaultdict(set)
        for key in dict.fromkeys(k for k in keys if k and k not in hidden):
            query = Query(filters=(Filter(key, "in", texts),), page_size=MAX_PAGE_SIZE, count=False)
            try:
                while True:
                    page = self.service.query(target, query, self.user)
                    for record in page.records:
                        value = record.values.get(key)
                        if value is not None:
                            found[str(value)].add(record.id)
                    if page.next_cursor is None:
                        break
                    query = Query(
                        filters=query.filters,
                        page_size=MAX_PAGE_SIZE,
                        after=page.next_cursor,
                        count=False,
                    )
            except RecordError:  # the user may not read that entity: numbers only
                return {}
        return found

    def _users(self, texts: list[str]) -> dict[str, set[int]]:
        users = self.service.tables.system(USER_TABLE)
        lowered = {t.lower(): t for t in texts}
        query = sa.select(users.c.id, users.c.username, users.c.display_name).where(
            sa.or_(users.c.username.in_(list(lowered)), users.c.display_name.in_(texts))
        )
        found: dict[str, set[int]] = defaultdict(set)
        with self.service.db.read() as conn:
            for row in conn.execute(query):
                if row.username in lowered:
                    found[lowered[row.username]].add(row.id)
                if row.display_name in texts:
                    found[row.display_name].add(row.id)
        return found
