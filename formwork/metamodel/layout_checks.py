"""Checks and building of an entity's list and form: the fields they name must fit the use."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .checks import Checks, a
from .model import SYSTEM_COLUMNS, Field, FormSection, FormView, ListView, SortKey
from .source import DocPath

DEFAULT_LIST_COLUMNS = 6


class LayoutChecks(Checks):
    """Builds list and form views, checking every field they name."""

    # -- references from lists and forms --------------------------------------------------
    def check_field_ref(
        self,
        fields: Mapping[str, Field],
        declared: Mapping[str, Any],
        name: str,
        path: DocPath,
        stored: bool = False,
    ) -> Field | None:
        if name not in declared:
            self.problem("FW305", path, f"no field named {name!r}", self.suggest(name, declared))
            return None
        field = fields.get(name)  # None when the field itself is broken: reported already
        if field is not None and stored and not field.stored:
            self.problem(
                "FW308",
                path,
                f"{name!r} is {a(field.type)} field and has no column",
                "Only fields stored on the record can be used here; show it on the form instead.",
            )
            return None
        return field

    def build_list_view(
        self,
        entity: str,
        doc: Mapping[str, Any],
        fields: Mapping[str, Field],
        declared: Mapping[str, Any],
        title: str | None,
    ) -> ListView:
        path: DocPath = ("entities", entity, "list")
        for key in ("columns", "filters", "search"):
            for index, name in enumerate(doc.get(key) or ()):
                field = self.check_field_ref(
                    fields, declared, name, (*path, key, index), stored=True
                )
                if field is None:
                    continue
                if key == "filters" and field.kind.bulky:
                    self.problem(
                        "FW308",
                        (*path, key, index),
                        f"{a(field.type)} field cannot be a filter",
                        "Filter on fields with short values (text, numbers, dates, select, link…).",
                    )
                if key == "search" and not field.kind.searchable:
                    self.problem(
                        "FW308",
                        (*path, key, index),
                        f"{a(field.type)} field cannot be searched as text",
                        "Search works on text-like fields (text, email, phone, autonumber…).",
                    )
        raw_sort = doc.get("sort") or []
        raw_sort = [raw_sort] if isinstance(raw_sort, str) else raw_sort
        sort = []
        for index, item in enumerate(raw_sort):
            name = item.lstrip("-")
            sort_path = (
                (*path, "sort", index) if isinstance(doc.get("sort"), list) else (*path, "sort")
            )
            if name in SYSTEM_COLUMNS:
                sort.append(SortKey(name, item.startswith("-")))
                continue
            field = self.check_field_ref(fields, declared, name, sort_path, stored=True)
            if field is not None and not field.kind.ordered:
                self.problem(
                    "FW308",
                    sort_path,
                    f"{a(field.type)} field cannot be sorted on",
                    "Sort on fields with an order: text, numbers, dates, select, autonumber.",
                )
            sort.append(SortKey(name, item.startswith("-")))
        board = doc.get("board")
        if board is not None:
            field = self.check_field_ref(fields, declared, board, (*path, "board"), stored=True)
            if field is not None and field.type != "select":
                self.problem(
                    "FW308",
                    (*path, "board"),
                    f"{a(field.type)} field cannot be a board",
                    "A board has a column per option: name a select field.",
                )
        columns = doc.get("columns") or self._default_columns(fields, title)
        searchable = doc.get("search") or [f.name for f in fields.values() if f.searchable]
        return ListView(
            columns=tuple(columns),
            filters=tuple(doc.get("filters") or ()),
            sort=tuple(sort),
            search=tuple(searchable),
            page_size=int(doc.get("page_size", 50)),
            board=board,
        )

    def _default_columns(self, fields: Mapping[str, Field], title: str | None) -> list[str]:
        stored = [f.name for f in fields.values() if f.stored and not f.kind.bulky]
        if title in stored:
            stored.remove(title)
            stored.insert(0, title)
        return stored[:DEFAULT_LIST_COLUMNS]

    def build_form_view(
        self,
        entity: str,
        doc: Mapping[str, Any] | None,
        fields: Mapping[str, Field],
        declared: Mapping[str, Any],
    ) -> FormView:
        if not doc:
            return FormView((FormSection(None, tuple(fields)),))
        path: DocPath = ("entities", entity, "form", "sections")
        placed: dict[str, DocPath] = {}
        sections = []
        for s_index, section in enumerate(doc["sections"]):
            s_path = (*path, s_index)
            for f_index, name in enumerate(section["fields"]):
                f_path = (*s_path, "fields", f_index)
                self.check_field_ref(fields, declared, name, f_path)
                if name in placed:
                    self.problem(
                        "FW303",
                        f_path,
                        f"{name!r} is already placed in the form",
                        "Each field appears in one section.",
                    )
                placed[name] = f_path
            label = self.label(section["label"], (*s_path, "label")) if "label" in section else None
            sections.append(FormSection(label, tuple(section["fields"])))
        return FormView(tuple(sections))
