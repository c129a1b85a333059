"""Schemathesis against the OpenAPI document: generated requests never cause a server error.

Every operation of ``/api/v1`` (the writes included, as an operator) gets a few generated
requests on each backend; few examples keep it at seconds. (Schemathesis' own pytest plugin
does not run with this pytest version, so the operations are driven with hypothesis here.)
"""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from tests.web.test_api import bearer

EXAMPLES = 4


def test_no_generated_request_causes_a_server_error(app: Any, tokens: dict[str, str]) -> None:
    headers = bearer(tokens["operator"])
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app, headers=headers)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {op.path for op in operations} >= {
        "/api/v1/overview",
        "/api/v1/findings",
        "/api/v1/findings/{finding_id}",
        "/api/v1/scans",
        "/api/v1/findings/{finding_id}/mutes",
    }
    seen: list[int] = []
    for op in operations:

        @given(case=op.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case: Any) -> None:
            response = case.call(headers=headers)
            seen.append(response.status_code)
            assert response.status_code < 500, (case.method, case.path, response.text[:300])
            assert response.status_code != 401, (case.method, case.path)

        check()
    assert len(seen) >= len(operations)
