"""Turnero's command line (OPERATIONS.md): serve, worker, migrate, seed, create-admin, and a few helpers."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path

from pydantic import ValidationError

from core.health import is_unavailable
from core.settings import Settings, load_settings, settings_problem


def _settings() -> Settings:
    from core.runtime import resolve_servers

    return resolve_servers(load_settings())


def _migrate(settings: Settings) -> None:
    from core.db import migrate

    assert settings.migration_url
    migrate(settings.migration_url)


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    settings = _settings()
    _migrate(settings)
    # each serving process (uvicorn's workers inherit the environment) tunes its collector once started
    os.environ.setdefault("TURNERO_GC_TUNING", "1")
    uvicorn.run(
        "server.app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level="info",
        proxy_headers=True,
        # the app logs each request itself (server/observability.py): JSON, with its request id, no client address
        access_log=False,
        log_config=None,
        # longer than a load balancer's idle timeout (often 60 s), so the server never closes a connection first
        timeout_keep_alive=75,
        # a websocket message may be as large as a request body (TURNERO_MAX_BODY_BYTES), not uvicorn's 16 MiB
        ws_max_size=settings.max_body_bytes,
        # named rather than "auto" (which picks the same today): shared feeds write frames to its transports
        # directly (realtime/library_internals.py, RawWebSocket); measured against "websockets" in
        # docs/performance.md, "10,000 screens on one process"
        ws=settings.ws_implementation,
        loop="uvloop",
    )
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    from core.logs import configure_logging
    from jobs.worker import run

    settings = _settings()
    configure_logging(settings.log_format)
    _migrate(settings)
    run(settings)
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    _migrate(_settings())
    print("migrations applied")
    return 0


def cmd_seed(args: argparse.Namespace) -> int:
    if not args.demo:
        print("seed: nothing to do; use --demo to load the demo city", file=sys.stderr)
        return 2
    from rich.console import Console

    from demo.history import MAX_DAYS, seed_history
    from demo.seed import credentials_path, demo_accounts, print_accounts, seed_demo, write_credentials

    if args.history is not None and not 1 <= args.history <= MAX_DAYS:
        print(f"seed: --history takes 1 to {MAX_DAYS} days", file=sys.stderr)
        return 2
    settings = _settings()
    _migrate(settings)
    offices = asyncio.run(seed_demo(settings))
    print("Demo accounts (passwords derived from this installation's secret key):")
    print_accounts(Console(), demo_accounts(settings.secret_key))
    tokens = write_credentials(credentials_path(settings), settings.secret_key, offices, settings.public_url)
    print(f"Kiosk and display tokens, and every account: {tokens}")
    if args.history is None:
        return 0
    return asyncio.run(seed_history(settings, args.history))


def cmd_create_admin(args: argparse.Namespace) -> int:
    from demo.admin import create_admin

    password = os.environ.get("TURNERO_ADMIN_PASSWORD")
    if not password:
        if not sys.stdin.isatty():
            print("create-admin: set TURNERO_ADMIN_PASSWORD or run it in a terminal", file=sys.stderr)
            return 2
        password = getpass.getpass(f"Password for {args.username}: ")
    settings = _settings()
    _migrate(settings)
    return asyncio.run(create_admin(settings, args.username, password))


def cmd_demo(args: argparse.Namespace) -> int:
    from demo.run import run_demo

    return run_demo(args.host, args.port, args.workers)


def cmd_export_schema(args: argparse.Namespace) -> int:
    from schema.root import SDL_PATH, sdl

    target = Path(args.output) if args.output else SDL_PATH
    target.write_text(sdl())
    print(f"schema written to {target}")
    return 0


def cmd_replay_draw(args: argparse.Namespace) -> int:
    from jobs.draws import replay_draw

    return asyncio.run(replay_draw(_settings(), args.draw_id))


def cmd_stop_embedded(args: argparse.Namespace) -> int:
    from core.embedded import stop_embedded_postgres, stop_embedded_redis

    settings = load_settings()
    stopped = [
        name
        for name, stop in (("PostgreSQL", stop_embedded_postgres), ("Redis", stop_embedded_redis))
        if stop(settings.data_dir)
    ]
    print(f"stopped: {', '.join(stopped) or 'nothing was running'}")
    return 0


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="python main.py", description="Turnero: appointments and queues.")
    commands = root.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, handler: Callable[[argparse.Namespace], int], help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.set_defaults(handler=handler)
        return sub

    for name, handler, help_text in (
        ("serve", cmd_serve, "apply pending migrations, then serve the API"),
        ("demo", cmd_demo, "load the demo city, then serve the API"),
    ):
        sub = add(name, handler, help_text)
        sub.add_argument("--host", default="127.0.0.1")
        sub.add_argument("--port", type=int, default=8000)
        sub.add_argument("--workers", type=int, default=1)
    add("worker", cmd_worker, "run the background worker (arq) until stopped")
    add("migrate", cmd_migrate, "apply pending migrations and exit")
    seed = add("seed", cmd_seed, "load data")
    seed.add_argument("--demo", action="store_true", help="the demo city (idempotent)")
    seed.add_argument(
        "--history",
        type=int,
        metavar="DAYS",
        help="with --demo: simulate DAYS past days of the city's operation for analytics (once; a rerun adds nothing)",
    )
    admin = add("create-admin", cmd_create_admin, "create or reset an ADMIN (password: TURNERO_ADMIN_PASSWORD)")
    admin.add_argument("username")
    export = add("export-schema", cmd_export_schema, "write the GraphQL SDL (default schema/schema.graphql)")
    export.add_argument("--output")
    replay = add("replay-draw", cmd_replay_draw, "replay a past draw from its stored seed; exit 1 if it differs")
    replay.add_argument("draw_id", type=int)
    add("stop-embedded", cmd_stop_embedded, "stop the embedded PostgreSQL and Redis of the data directory")
    return root


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    for chatty in ("embedded_postgres", "alembic.runtime.plugins"):
        logging.getLogger(chatty).setLevel(logging.WARNING)
    args = parser().parse_args(argv)
    try:
        load_settings()  # every command refuses a bad environment the same way, before doing anything
    except ValidationError as error:
        print(f"turnero: {settings_problem(error)}", file=sys.stderr)
        return 2
    try:
        code: int = args.handler(args)
        return code
    except KeyboardInterrupt:
        return 130
    except Exception as error:
        if is_unavailable(error) or "connect" in str(error).lower():
            print(f"turnero: cannot reach the database or Redis: {error}", file=sys.stderr)
            return 1
        raise


if __name__ == "__main__":
    sys.exit(main())
