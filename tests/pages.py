"""Reading rendered pages in tests: forms, their fields, and the text of elements by id."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

from flask.testing import FlaskClient

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


@dataclass
class Form:
    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)


class Page(HTMLParser):
    """A parsed page: `forms`, `text(id)` for an element's text, `ids` present."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.forms: list[Form] = []
        self._texts: dict[str, list[str]] = {}
        self._open: list[tuple[str, str | None]] = []
        self.feed(html)
        self.close()

    @property
    def ids(self) -> set[str]:
        return set(self._texts)

    def text(self, element_id: str) -> str:
        return " ".join(" ".join(self._texts[element_id]).split())

    def form(self, action: str) -> Form:
        return next(f for f in self.forms if f.action == action)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = dict(attrs)
        if tag == "form":
            self.forms.append(Form(attr.get("action") or "", (attr.get("method") or "get").lower()))
        if tag == "input" and self.forms and attr.get("name"):
            self.forms[-1].fields[attr["name"] or ""] = attr.get("value") or ""
        element_id = attr.get("id")
        if element_id:
            self._texts.setdefault(element_id, [])
        if tag not in VOID:
            self._open.append((tag, element_id))

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self._open) - 1, -1, -1):
            if self._open[i][0] == tag:
                del self._open[i:]
                break

    def handle_data(self, data: str) -> None:
        for _, element_id in self._open:
            if element_id:
                self._texts[element_id].append(data)


def page(client: FlaskClient, path: str) -> Page:
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return Page(response.get_data(as_text=True))


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    """The CSRF token from the first form on `path` that has one."""
    forms = page(client, path).forms
    return next(f.fields["csrf_token"] for f in forms if "csrf_token" in f.fields)


def sign_in(client: FlaskClient, username: str, password: str, next_url: str | None = None):
    data = {"username": username, "password": password, "csrf_token": csrf_token(client)}
    if next_url is not None:
        data["next"] = next_url
    return client.post("/login", data=data)
