"""Remembered template fragments (`formwork.views.fragments`), and the layout's top bar made
with one: rendered once per config, roles, language and key, with each request's own token,
address and name put in — the page is the one rendered afresh, for every user and page."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from flask import Flask, render_template_string

from formwork.views import memo
from tests.app_fixtures import Crm
from tests.pages import page
from tests.views.conftest import SignedIn

#: CSRF tokens carry the second they were made: two renderings may differ there alone.
TOKEN = re.compile(r'(name="csrf_token" value="|"X-CSRFToken": ")[^"]*"')


@pytest.fixture
def request_context(app: Flask) -> Iterator[None]:
    with app.test_request_context("/"):
        app.preprocess_request()
        yield


def render(source: str, **context: object) -> str:
    return render_template_string(source, **context)


def test_fills_are_put_in_escaped_as_the_body_would_write_them(request_context: None) -> None:
    source = (
        '{% call(fill) fragment("t", 1, x=x) %}<a title="{{ fill.x }}">{{ fill.x }}</a>'
        "{% endcall %}"
    )
    assert render(source, x='<b> & "c"') == (
        '<a title="&lt;b&gt; &amp; &#34;c&#34;">&lt;b&gt; &amp; &#34;c&#34;</a>'
    )
    assert render(source, x="plain") == '<a title="plain">plain</a>'


def test_the_body_is_rendered_once_per_key(request_context: None) -> None:
    made: list[int] = []
    source = '{% call(fill) fragment("once", key, n=n) %}{{ made(key) }}{{ fill.n }};{% endcall %}'

    def made_for(key: int) -> str:
        made.append(key)
        return f"k{key}-"

    assert render(source, key=1, n=10, made=made_for) == "k1-10;"
    assert render(source, key=1, n=11, made=made_for) == "k1-11;"
    assert render(source, key=2, n=12, made=made_for) == "k2-12;"
    assert made == [1, 2]
    memo.clear()
    assert render(source, key=1, n=13, made=made_for) == "k1-13;"
    assert made == [1, 2, 1]


def test_a_fill_not_written_as_it_is_is_refused(request_context: None) -> None:
    for written in ("fill.x|upper", "fill.x|safe", "fill.x|urlencode", "fill.x|replace('<', '[')"):
        source = f'{{% call(fill) fragment("{written}", x=x) %}}{{{{ {written} }}}}{{% endcall %}}'
        with pytest.raises(ValueError, match="fill"):
            render(source, x="a")
    with pytest.raises(ValueError, match="not a fill"):
        render('{% call(fill) fragment("unknown", x=x) %}{{ fill.y }}{% endcall %}', x="a")


PATHS = ["/", "/r/customer/", "/r/customer/?sort=-name&q=%3Cb%3E%20%26", "/r/contact/", "/d/"]
PATHS += ["/r/customer/?annual_amount.min=10", "/r/customer/?annual_amount.max=%3C1%3E"]
PATHS += ["/r/customer/?grade=A&grade=B", "/r/customer/?grade=nope", "/r/customer/?tags=x"]
PATHS += [
    "/r/customer/?account_manager=1",
    "/r/contact/?customer=1",
    "/r/customer/board?by=grade&region=x",
]
PATHS += ["/inbox", "/notifications", "/admin/config/", "/account/tokens"]


def test_pages_are_the_ones_rendered_afresh(as_role: Callable[..., SignedIn], crm: Crm) -> None:
    crm.customer("甲")
    clients = [as_role("admin"), as_role("admin"), as_role("account_manager")]
    clients.append(as_role("admin", locale="zh"))
    # Every page from what all the others left behind …
    kept = {(p, i): c.get(p).get_data(as_text=True) for p in PATHS for i, c in enumerate(clients)}
    for (path, index), html in kept.items():
        memo.clear()  # … is the page made from nothing.
        fresh = clients[index].get(path).get_data(as_text=True)
        assert TOKEN.sub("", html) == TOKEN.sub("", fresh), (path, index)


def test_each_user_sees_their_own_name_token_and_address(
    as_role: Callable[..., SignedIn], crm: Crm
) -> None:
    crm.customer("甲")
    first, second = as_role("admin", name="first"), as_role("admin", name="second")
    for client in (first, second, first, second):
        path = f"/r/customer/?q={client.user.username}"
        shown = page(client, path)
        assert shown.text("signed-in-user") == client.user.username
        language = shown.form("/language")
        assert language.fields["next"] == path
        assert shown.form("/logout").fields["csrf_token"] == language.fields["csrf_token"]
        # The token is this session's: the switch accepts it.
        switched = client.post("/language", data={**language.fields, "locale": "zh"})
        assert switched.status_code == 302 and switched.location == path
        assert page(client, path).text("signed-in-user") == client.user.username
        client.post_form("/language", {"locale": "en", "next": "/"})
