"""An outside GraphQL fuzzer (schemathesis) against a real `serve`, as an ADMIN and as nobody: whatever it
sends, the answer is never a 5xx and never an INTERNAL_SERVER_ERROR. Bounded: a fixed seed, a fixed number
of examples per operation, and a time limit per caller."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import hypothesis
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase
from schemathesis.core.result import Ok
from schemathesis.core.transport import Response
from schemathesis.generation.case import Case

from core.runtime import AppState
from schema.root import SDL_PATH
from tests.support.api import Api

pytestmark = pytest.mark.slow

SEED = 1313
# about 30 s per caller on a two-core machine under load; past the time limit the remaining operations are
# left out (and named in the output), but at least MOST of them must have been tried
EXAMPLES = 6
SECONDS_PER_CALLER = 45
MOST = 0.75


def faults(response: Response) -> list[str]:
    """What in an answer is a fault of ours: a 5xx, or an error coded INTERNAL_SERVER_ERROR."""
    if response.status_code >= 500:
        return [f"HTTP {response.status_code}"]
    try:
        body = json.loads(response.content)
    except ValueError:
        return []
    errors = body.get("errors") or [] if isinstance(body, dict) else []
    return [
        error.get("message", "")
        for error in errors
        if (error.get("extensions") or {}).get("code") == "INTERNAL_SERVER_ERROR"
    ]


def fuzz(endpoint: str, token: str | None) -> tuple[list[str], int, int]:
    """Every query and mutation of the schema with EXAMPLES generated calls each: what went wrong, and how;
    how many operations were tried, of how many."""
    schema = schemathesis.graphql.from_path(SDL_PATH)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    found: list[str] = []
    skipped: list[str] = []
    tried = 0
    deadline = time.monotonic() + SECONDS_PER_CALLER
    session = requests.Session()
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result
        operation = result.ok()
        if time.monotonic() > deadline:
            skipped.append(operation.label)
            continue

        @hypothesis.seed(SEED)
        @hypothesis.settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
            print_blob=False,
        )
        @hypothesis.given(case=operation.as_strategy())
        def call(case: Case[Any]) -> None:
            response = case.call(base_url=endpoint, session=session, headers=headers, timeout=30)
            for fault in faults(response):
                found.append(f"{case.operation.label}: {fault} <- {json.dumps(case.body)[:400]}")

        call()
        tried += 1
    if skipped:
        print(f"out of time: {len(skipped)} operations not fuzzed ({', '.join(skipped)})")
    return found, tried, tried + len(skipped)


async def test_no_input_makes_an_internal_error(api: Api, state: AppState, one_server: str) -> None:
    admin = await api.make_admin(state)
    endpoint = f"{one_server}/graphql"
    for token in (admin, None):
        started = time.monotonic()
        found, tried, operations = await asyncio.to_thread(fuzz, endpoint, token)
        assert not found, "\n".join(found[:30])
        assert tried >= MOST * operations, (tried, operations)
        assert time.monotonic() - started < SECONDS_PER_CALLER + 15
