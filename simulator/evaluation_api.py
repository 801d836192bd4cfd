"""The national portal's evaluation surface over HTTP (routes mounted by `app.py`); the
answers themselves are `evaluation.Evaluator`'s."""

from __future__ import annotations

import json
import time
import weakref

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from simulator import drift
from simulator.clock import iso
from simulator.evaluation import (
    EvaluationError,
    Evaluator,
    Served,
    UnknownGroup,
    department_rows,
    parse_period,
)

Simulator = Served  # the serving simulator (app.py), as far as this surface reads it


# --- HTTP -------------------------------------------------------------------------------------
def _reply(payload: dict, status: int) -> Response:
    try:
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    except UnicodeEncodeError:  # a lone surrogate (drift corpus): sent as its `\u` escape
        body = json.dumps(payload, separators=(",", ":")).encode()
    return Response(body, status, media_type="application/json; charset=utf-8")


async def _body(request: Request) -> dict:
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return {}
    return body if isinstance(body, dict) else {}


_EVALUATORS: weakref.WeakKeyDictionary[Simulator, Evaluator] = weakref.WeakKeyDictionary()


def evaluator_of(sim: Simulator) -> Evaluator:
    """The one evaluator (and cache) of a simulator, shared by the portal and admin routes."""
    if sim not in _EVALUATORS:
        _EVALUATORS[sim] = Evaluator(sim)
    return _EVALUATORS[sim]


def routes(sim: Simulator) -> list[Route]:
    """The evaluation surface, to mount under `/dvcqg`."""
    evaluator = evaluator_of(sim)

    async def answer(request: Request, work) -> Response:
        body = await _body(request)
        try:
            data = await run_in_threadpool(work, body)
        except EvaluationError as exc:
            return _reply({"code": "BAD_REQUEST", "data": None, "message": str(exc)}, 400)
        except UnknownGroup:
            return _reply({"code": "NOT_FOUND", "data": None, "message": "Not Found"}, 404)
        return _reply({"code": "OK", "data": data, "message": "OK"}, 201)

    def served(group: str, body: dict) -> dict:
        data = evaluator.evaluation(group, body)
        if "corpus" not in sim.faults.rates:
            return data
        period = parse_period(body, group)
        key = f"{group}|{period.start.isoformat()}|{period.stop.isoformat()}"
        return drift.served_evaluation(data, key, sim.faults)

    async def evaluation(request: Request) -> Response:
        group = request.path_params["group"]
        return await answer(request, lambda body: served(group, body))

    async def formalities(request: Request) -> Response:
        return await answer(request, evaluator.formalities)

    return [
        Route("/api/v1/reporting/evaluation/{group}", evaluation, methods=["POST"]),
        Route("/api/v1/reporting/formalities", formalities, methods=["POST"]),
    ]


def admin_routes(sim: Simulator) -> list[Route]:
    """Under `/_sim`: `GET /dvcqg-departments` (the departmentId ↔ unit code seed rows) and
    `POST /evaluation-warmup` (build the facts of the current AS_OF now rather than on the
    first evaluation request: a province-size world takes a minute)."""

    async def departments(_request: Request) -> Response:
        return _reply(department_rows(sim.world), 200)

    async def warmup(_request: Request) -> Response:
        started = time.monotonic()
        facts = await run_in_threadpool(evaluator_of(sim).facts)
        return _reply(
            {
                "asOf": iso(facts.at),
                "copies": len(facts.copies),
                "dossiers": len(facts.o_unit),
                "petitions": len(facts.petitions),
                "seconds": round(time.monotonic() - started, 3),
            },
            200,
        )

    return [
        Route("/dvcqg-departments", departments),
        Route("/evaluation-warmup", warmup, methods=["POST"]),
    ]
