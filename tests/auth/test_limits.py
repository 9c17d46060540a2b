"""Rate limits apply to the targets declared with `formwork.auth.limits`, and every other
request is exempt from the limiter."""

from __future__ import annotations

import pytest
from flask import Blueprint, Flask
from werkzeug.wrappers import Response

from formwork.auth import authenticates_itself, limits
from tests.auth.conftest import AppFactory


@pytest.mark.parametrize(
    ("path", "method", "limited"),
    [
        ("/healthz", "GET", False),
        ("/", "GET", False),
        ("/static/formwork.css", "GET", False),
        ("/nowhere", "GET", False),
        ("/login", "POST", True),
        ("/api/v1/", "GET", True),
    ],
)
def test_only_requests_to_limited_targets_meet_the_limiter(
    make_app: AppFactory, path: str, method: str, limited: bool
) -> None:
    app = make_app()
    limiter = app.extensions[limits.EXTENSION].limiter
    with app.test_request_context(path, method=method):
        exempt = any(fn() for fn in limiter._request_filters)
    assert exempt is not limited


def _probes(make_app: AppFactory) -> tuple[Blueprint, Blueprint, Flask]:
    app = make_app()
    limited, free = Blueprint("probe_limited", __name__), Blueprint("probe_free", __name__)
    for blueprint in (limited, free):
        blueprint.add_url_rule("/", "index", lambda: ("ok", 200))
        blueprint.add_url_rule("/other", "other", lambda: ("ok", 200))
        blueprint.add_url_rule("/gone", "gone", lambda: ("gone", 404))
        app.register_blueprint(blueprint, url_prefix=f"/{blueprint.name}")
        authenticates_itself(app, blueprint)
    return limited, free, app


def test_a_declared_blueprint_limit_counts_all_its_views_together(make_app: AppFactory) -> None:
    limited, _free, app = _probes(make_app)
    limits.limit_blueprint(app, limited, "2 per minute")
    client = app.test_client()
    assert client.get("/probe_limited/").status_code == 200
    assert client.get("/probe_limited/other").status_code == 200
    # Another view of the blueprint is no fresh budget.
    assert client.get("/probe_limited/").status_code == 429
    assert client.get("/probe_limited/other").status_code == 429
    assert {client.get("/probe_free/").status_code for _ in range(4)} == {200}


def test_a_declared_limit_may_count_only_some_responses(make_app: AppFactory) -> None:
    limited, _free, app = _probes(make_app)

    def missed(response: Response) -> bool:
        return response.status_code == 404

    limits.limit_blueprint(app, limited, "1 per minute", deduct_when=missed)
    client = app.test_client()
    assert {client.get("/probe_limited/").status_code for _ in range(3)} == {200}
    assert [client.get("/probe_limited/gone").status_code for _ in range(2)] == [404, 429]


def test_a_declared_view_limit_applies_to_that_view_only(make_app: AppFactory) -> None:
    _limited, _free, app = _probes(make_app)
    limits.limit_view(app, "probe_free.other", "1 per minute")
    client = app.test_client()
    assert [client.get("/probe_free/other").status_code for _ in range(2)] == [200, 429]
    assert {client.get("/probe_free/").status_code for _ in range(3)} == {200}
