"""Command line: `python -m simulator serve|report [options]`.

World options may also come from the environment: SIM_SEED, SIM_SCALE, AS_OF, HISTORY_START;
credentials from SIM_CLIENT_ID, SIM_USERNAME, SIM_PASSWORD, SIM_DVCQG_USERNAME,
SIM_DVCQG_PASSWORD.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time

from pipeline.config import DEFAULT_HISTORY_START
from pipeline.workcal import VN_TZ
from simulator.app import Settings
from simulator.faults import FAULTS, parse_fault_specs


def _as_of(value: str | None) -> dt.datetime:
    if not value:
        return dt.datetime.now(VN_TZ).replace(microsecond=0)
    ts = dt.datetime.fromisoformat(value)
    return ts if ts.tzinfo else ts.replace(tzinfo=VN_TZ)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m simulator",
        description="Portal simulator: one-stop and national APIs.",
    )
    sub = p.add_subparsers(dest="command", required=True)
    for name in ("serve", "report"):
        s = sub.add_parser(name)
        s.add_argument("--seed", type=int, default=int(os.environ.get("SIM_SEED", 766)))
        s.add_argument(
            "--as-of",
            default=os.environ.get("AS_OF"),
            help="ISO instant the world is viewed at (default: now)",
        )
        s.add_argument(
            "--history-start",
            default=os.environ.get("HISTORY_START", DEFAULT_HISTORY_START.isoformat()),
        )
        s.add_argument("--scale", type=float, default=float(os.environ.get("SIM_SCALE", 1.0)))
    serve = sub.choices["serve"]
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8766)
    serve.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="NAME=RATE",
        help=f"inject a fault at a rate in [0, 1]; names: {', '.join(FAULTS)}",
    )
    serve.add_argument("--fault-seed", type=int, default=None)
    serve.add_argument("--token-ttl", type=int, default=300)
    serve.add_argument("--session-ttl", type=int, default=1800)
    return p


def settings_from(args) -> Settings:
    env = os.environ
    return Settings(
        as_of=_as_of(args.as_of),
        seed=args.seed,
        history_start=dt.date.fromisoformat(args.history_start),
        scale=args.scale,
        client_id=env.get("SIM_CLIENT_ID", "motcua-warehouse"),
        username=env.get("SIM_USERNAME", "demo"),
        password=env.get("SIM_PASSWORD", "demo-password"),
        dvcqg_username=env.get("SIM_DVCQG_USERNAME", "demo"),
        dvcqg_password=env.get("SIM_DVCQG_PASSWORD", "demo-password"),
        token_ttl=getattr(args, "token_ttl", 300),
        session_ttl=getattr(args, "session_ttl", 1800),
        faults=parse_fault_specs(getattr(args, "fault", [])),
        fault_seed=getattr(args, "fault_seed", None),
    )


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    settings = settings_from(args)
    if args.command == "report":
        from simulator.clock import epoch
        from simulator.report import render
        from simulator.world import World

        world = World(settings.seed, settings.history_start, settings.scale)
        sys.stdout.write(render(world, epoch(settings.as_of)))
        return 0
    import uvicorn

    from simulator.app import create_app

    started = time.perf_counter()
    app = create_app(settings)
    print(
        f"simulator: world indexed in {time.perf_counter() - started:.1f} s; serving "
        f"http://{args.host}:{args.port}/motcua and /dvcqg",
        file=sys.stderr,
        flush=True,
    )
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", access_log=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
