"""Schemathesis fuzzes the API in-process (WSGI) against the OpenAPI document it serves.

Every operation of a user's document gets requests that fit the document and requests that
do not (bodies, query parameters, headers, ids); no answer may be a server error, and every
answer must be one the document lists, with the content type, headers and body schema it
promises. Examples are bounded so each run takes seconds. The reference app is fuzzed here
as an administrator; test_every_type.py fuzzes an app with a field of every type.

(Schemathesis' pytest loader for fixtures does not run under pytest 9 yet, so `fuzz` walks
the operations itself, with Hypothesis.)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import CHECKS

from tests.api.conftest import ApiClient
from tests.app_fixtures import Crm

#: Whether each answer is allowed and fits the document. (Not "negative data rejection":
#: the record service is lenient on purpose — it takes "12" for 12, trims text — so some
#: requests outside the document's canonical form are rightly accepted.)
CHECKED = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "response_headers_conformance",
)


def fuzz(app: Flask, client: ApiClient, examples: int = 4) -> None:
    """Fuzz every operation of `client`'s document; fail listing every operation that broke."""
    auth = {"Authorization": f"Bearer {client.token}"}
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app, headers=auth)
    checks = [CHECKS.get_one(name) for name in CHECKED]
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 7  # the index, the document, and an entity's five at least
    failures: dict[str, str] = {}
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=examples,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            def run(case: Any) -> None:
                for limiter in app.extensions["limiter"]:  # bad tokens are part of the fuzz
                    limiter.reset()
                case.call_and_validate(headers=auth, checks=checks)

            try:
                run()
            except Exception as exc:  # every operation's failure, reported together below
                failures[f"{operation.label} ({mode})"] = str(exc)[:3000]
    assert not failures, "\n\n".join(f"{k}:\n{v}" for k, v in failures.items())


def test_the_reference_app_keeps_its_document(
    app: Flask, api_as: Callable[..., ApiClient], crm: Crm
) -> None:
    client = api_as("admin")
    for index in range(3):  # a few records, so that low ids exist
        crm.customer(f"客户{index}", owner=client.user, annual_amount="1000.50")
    fuzz(app, client)
