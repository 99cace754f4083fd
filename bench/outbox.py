"""Outbox throughput: confirmations from the outbox to a local SMTP sink, by 1 and by 2 real workers.

    .venv/bin/python -m bench.outbox [--messages 2000]

The demo city is seeded (once); `--messages` bookings with an e-mail address are written straight
into its database with a confirmation each in the outbox, while the workers already run and idle.
The figure is messages/s from that commit until the last row is SENT. The baseline, in the same
run, is the same number of ready-made messages sent straight to the same sink with aiosmtplib at the
worker's concurrency, once with a connection per mail and once over one connection per lane (as the
worker now sends): the ratio is what rendering, claiming and settling cost on top of SMTP itself.
Prints JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import signal
import subprocess
import sys
import time
from contextlib import ExitStack
from email.message import EmailMessage
from typing import Any

import aiosmtplib
import asyncpg
from rich.progress import Progress
from sqlalchemy.engine import make_url

from bench.common import ROOT, bench_environment, seed
from jobs.outbox import CONCURRENT_SENDS
from tests.support.mail_sink import Sink, smtp_sink

CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"

# bookings for the bench, on the first slots of the demo city, each with a confirmation to send
SEED_BOOKINGS = """
    WITH chosen AS (
        SELECT sl.id, sl.office_id, sl.service_id, sl.starts_at, sl.ends_at, row_number() OVER () AS n
        FROM slots sl WHERE sl.starts_at > now() ORDER BY sl.id LIMIT $1
    ),
    made AS (
        INSERT INTO bookings (code, status, slot_id, office_id, service_id, starts_at, ends_at, channel,
                              citizen_name, citizen_email, citizen_locale, document_hash, document_hint,
                              manage_nonce, manage_token_hash)
        SELECT c.code, 'BOOKED', ch.id, ch.office_id, ch.service_id, ch.starts_at, ch.ends_at, 'WEB',
               'Bench Citizen ' || ch.n, 'bench' || ch.n || '@example.org',
               CASE WHEN ch.n % 2 = 0 THEN 'en' ELSE 'es' END,
               sha256(('doc' || ch.n)::bytea), right('0000' || ch.n, 4), decode(md5(random()::text), 'hex'),
               sha256(('token' || ch.n || random())::bytea)
        FROM chosen ch JOIN unnest($2::text[]) WITH ORDINALITY AS c(code, n) ON c.n = ch.n
        RETURNING id
    )
    INSERT INTO outbox (kind, booking_id) SELECT 'booking.confirmation', id FROM made
"""
RESET = "DELETE FROM outbox; DELETE FROM booking_events; DELETE FROM bookings WHERE citizen_email LIKE 'bench%'"


def dsn(url: str) -> str:
    return make_url(url).render_as_string(hide_password=False)


def codes(count: int) -> list[str]:
    return ["".join(secrets.choice(CODE_ALPHABET) for _ in range(8)) for _ in range(count)]


async def scalar(url: str, sql: str, *args: Any) -> Any:
    conn = await asyncpg.connect(dsn(url))
    try:
        return await conn.fetchval(sql, *args)
    finally:
        await conn.close()


async def execute(url: str, sql: str, *args: Any) -> None:
    conn = await asyncpg.connect(dsn(url))
    try:
        await conn.execute(sql, *args)
    finally:
        await conn.close()


async def through_workers(url: str, env: dict[str, str], workers: int, messages: int, sink: Sink) -> dict[str, Any]:
    await execute(url, RESET)
    sink.received = 0
    with ExitStack() as stack:
        for _ in range(workers):
            process = subprocess.Popen(  # noqa: ASYNC220 (started once, before the measured part)
                [sys.executable, "main.py", "worker"],
                cwd=ROOT,
                env=env | {"SMTP_URL": sink.url, "TURNERO_DELIVERY_EVERY_SECONDS": "1"},
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            stack.callback(process.wait, 15)
            stack.callback(process.send_signal, signal.SIGINT)
        await asyncio.sleep(6)  # started, connected and idle
        await execute(url, SEED_BOOKINGS, messages, codes(messages))
        began = time.perf_counter()
        with Progress(transient=True) as progress:
            task = progress.add_task(f"{workers} worker(s)", total=messages)
            while (sent := await scalar(url, "SELECT count(*) FROM outbox WHERE status = 'SENT'")) < messages:
                progress.update(task, completed=sent)
                failed = await scalar(url, "SELECT count(*) FROM outbox WHERE status = 'FAILED' OR attempts > 1")
                if failed:
                    raise SystemExit(f"{failed} messages failed or were retried: see the outbox's last_error")
                await asyncio.sleep(0.05)
        elapsed = time.perf_counter() - began
    return {
        "workers": workers,
        "messages": messages,
        "received": sink.received,
        "seconds": round(elapsed, 2),
        "messages_per_s": round(messages / elapsed, 1),
    }


async def straight_to_smtp(sink: Sink, messages: int, sample: EmailMessage, *, reuse: bool) -> dict[str, Any]:
    """The sample sent `messages` times at the worker's concurrency: a connection per mail, or one per lane."""
    sink.received = 0
    per_lane = [messages // CONCURRENT_SENDS + (lane < messages % CONCURRENT_SENDS) for lane in range(CONCURRENT_SENDS)]

    async def lane(count: int) -> None:
        if not reuse:
            for _ in range(count):
                await aiosmtplib.send(sample, hostname="127.0.0.1", port=sink.port)
            return
        async with aiosmtplib.SMTP(hostname="127.0.0.1", port=sink.port) as client:
            for _ in range(count):
                await client.send_message(sample)

    began = time.perf_counter()
    await asyncio.gather(*(lane(count) for count in per_lane))
    elapsed = time.perf_counter() - began
    return {"messages": sink.received, "seconds": round(elapsed, 2), "messages_per_s": round(messages / elapsed, 1)}


async def bench(url: str, env: dict[str, str], messages: int) -> dict[str, Any]:
    with smtp_sink() as sink:
        sink.parse = False  # keeps the first message as the baseline's sample, only counts the rest
        one = await through_workers(url, env, 1, messages, sink)
        sample = sink.messages[0]
        two = await through_workers(url, env, 2, messages, sink)
        del sample["To"]
        sample["To"] = "bench@example.org"
        baseline = await straight_to_smtp(sink, messages, sample, reuse=False)
        reused = await straight_to_smtp(sink, messages, sample, reuse=True)
    await execute(url, RESET)
    return {
        "benchmark": "outbox to SMTP",
        "message_bytes": len(bytes(sample)),
        "one_worker": one,
        "two_workers": two,
        "baseline_aiosmtplib_same_sink": baseline,
        "one_worker_vs_baseline": round(one["messages_per_s"] / baseline["messages_per_s"], 3),
        "two_workers_vs_baseline": round(two["messages_per_s"] / baseline["messages_per_s"], 3),
        "baseline_aiosmtplib_reused_connections": reused,
        "one_worker_vs_reused": round(one["messages_per_s"] / reused["messages_per_s"], 3),
        "two_workers_vs_reused": round(two["messages_per_s"] / reused["messages_per_s"], 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=2000)
    args = parser.parse_args()
    env = bench_environment()
    seed(env)
    report = asyncio.run(bench(env["DATABASE_URL"], env, args.messages))
    json.dump(report, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
