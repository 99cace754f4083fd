"""The subscribers of bench/fanout.py: many graphql-transport-ws sockets in one process, driven over
stdin/stdout with one JSON object a line.

    python -m bench.fanout_client URL TOKEN OFFICE_ID [--cpus 1] [--per-socket 1]

Each message is stamped by the kernel when it reached its socket (SO_TIMESTAMPNS), not when this process
got round to reading it: with thousands of sockets on a shared core, the subscribers' own speed would
otherwise be part of the figure. Sockets are plain non-blocking ones under epoll, with websockets'
sans-I/O protocol for the handshake and the frames (it answers the server's pings too).

`--per-socket K` runs K subscriptions of the office on each socket (graphql-transport-ws carries several, each
under its own id), for more subscribers than a process may hold sockets.

Commands: {"cmd": "open", "count": N} opens N sockets of K subscriptions each (progress lines {"acked": k}
in sockets, then {"open": N}); {"cmd": "wait", "seq": S, "timeout": T} answers once every subscription has
had event S, with the receive times of S (one per subscription); {"cmd": "stats"}; {"cmd": "quit"}.
"""

from __future__ import annotations

import argparse
import json
import os
import select
import socket
import struct
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

from websockets.client import ClientProtocol
from websockets.frames import Frame, Opcode
from websockets.http11 import Response
from websockets.typing import Subprotocol
from websockets.uri import parse_uri

SUBSCRIPTION = "subscription($o: ID!) { queueEvents(officeId: $o) { seq type ticket { number status } desk { name } } }"
SO_TIMESTAMPNS = 35  # Linux; the socket module does not name it
TIMESPEC = struct.Struct("@ll")
HANDSHAKES_AT_ONCE = 200


@dataclass(eq=False)
class Subscriber:
    sock: socket.socket
    protocol: ClientProtocol
    acked: bool = False
    closed: bool = False
    last_seq: dict[str, int] = field(default_factory=dict)  # by subscription id
    out_of_order: int = 0


@dataclass
class Subscribers:
    url: str
    token: str
    office_id: str
    per_socket: int = 1
    epoll: select.epoll = field(default_factory=select.epoll)
    by_fd: dict[int, Subscriber] = field(default_factory=dict)
    arrivals: dict[int, list[float]] = field(default_factory=lambda: defaultdict(list))
    types: dict[int, str] = field(default_factory=dict)
    received: int = 0
    errors: list[str] = field(default_factory=list)

    def open_one(self) -> None:
        parsed = urlparse(self.url)
        sock = socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 80))
        sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        sock.setblocking(False)
        protocol = ClientProtocol(parse_uri(self.url), subprotocols=[Subprotocol("graphql-transport-ws")])
        protocol.send_request(protocol.connect())
        subscriber = Subscriber(sock, protocol)
        self.by_fd[sock.fileno()] = subscriber
        self.epoll.register(sock.fileno(), select.EPOLLIN)
        self._flush(subscriber)

    def acked(self) -> int:
        return sum(1 for s in self.by_fd.values() if s.acked)

    def all_have(self, seq: int) -> bool:
        return all(self.having(s, seq) == self.per_socket for s in self.by_fd.values() if not s.closed)

    @staticmethod
    def having(subscriber: Subscriber, seq: int) -> int:
        """How many of the socket's subscriptions have had event `seq`."""
        return sum(1 for last in subscriber.last_seq.values() if last >= seq)

    def poll(self, timeout: float) -> list[int]:
        """Reads what arrived; returns the other ready descriptors (stdin)."""
        others: list[int] = []
        for fd, _ in self.epoll.poll(timeout):
            subscriber = self.by_fd.get(fd)
            if subscriber is None:
                others.append(fd)
            else:
                self._read(subscriber)
        return others

    def _read(self, subscriber: Subscriber) -> None:
        try:
            data, ancillary, _, _ = subscriber.sock.recvmsg(1 << 16, socket.CMSG_SPACE(TIMESPEC.size))
        except BlockingIOError:
            return
        if not data:
            subscriber.closed = True
            self.epoll.unregister(subscriber.sock.fileno())
            return
        stamp = time.time()
        for level, kind, value in ancillary:
            if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
                seconds, nanoseconds = TIMESPEC.unpack(value[: TIMESPEC.size])
                stamp = seconds + nanoseconds / 1e9
        subscriber.protocol.receive_data(data)
        for event in subscriber.protocol.events_received():
            if isinstance(event, Response):
                if event.status_code != 101:
                    self.errors.append(f"handshake refused: {event.status_code}")
                    continue
                init = {"type": "connection_init", "payload": {"authorization": f"Bearer {self.token}"}}
                subscriber.protocol.send_text(json.dumps(init).encode())
                for number in range(self.per_socket):
                    subscribe = {
                        "id": f"q{number}",
                        "type": "subscribe",
                        "payload": {"query": SUBSCRIPTION, "variables": {"o": self.office_id}},
                    }
                    subscriber.protocol.send_text(json.dumps(subscribe).encode())
            elif isinstance(event, Frame) and event.opcode is Opcode.TEXT:
                self._message(subscriber, json.loads(bytes(event.data)), stamp)
            elif isinstance(event, Frame) and event.opcode is Opcode.CLOSE:
                subscriber.closed = True
                self.errors.append(f"closed by the server: {bytes(event.data)!r}")
        self._flush(subscriber)

    def _message(self, subscriber: Subscriber, message: dict[str, Any], stamp: float) -> None:
        if message["type"] == "connection_ack":
            subscriber.acked = True
            return
        data = message.get("payload", {}).get("data") if message["type"] == "next" else None
        if data is None:
            self.errors.append(json.dumps(message)[:300])
            return
        seq: int = data["queueEvents"]["seq"]
        last = subscriber.last_seq.get(message["id"])
        if last is not None and seq != last + 1:
            subscriber.out_of_order += 1
        subscriber.last_seq[message["id"]] = seq
        self.arrivals[seq].append(stamp)
        self.types[seq] = data["queueEvents"]["type"]
        self.received += 1

    def _flush(self, subscriber: Subscriber) -> None:
        for chunk in subscriber.protocol.data_to_send():
            subscriber.sock.setblocking(True)  # small writes to a local server: never long
            subscriber.sock.sendall(chunk)
            subscriber.sock.setblocking(False)

    def close(self) -> None:
        for subscriber in self.by_fd.values():
            subscriber.sock.close()
        self.epoll.close()


def reply(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def open_subscriptions(subscribers: Subscribers, count: int) -> None:
    """A few hundred handshakes in flight at a time, as a crowd of screens reconnecting would be."""
    started = 0
    reported = 0
    deadline = time.monotonic() + 60 + count / 20
    while subscribers.acked() < count:
        if time.monotonic() > deadline:
            raise SystemExit(f"only {subscribers.acked()} of {count} subscriptions were acknowledged")
        while started < count and started - subscribers.acked() < HANDSHAKES_AT_ONCE:
            subscribers.open_one()
            started += 1
        subscribers.poll(0.05)
        if subscribers.acked() - reported >= 100:
            reported = subscribers.acked()
            reply({"acked": reported})
    reply({"open": count})


def wait_for(subscribers: Subscribers, seq: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not subscribers.all_have(seq) and time.monotonic() < deadline:
        subscribers.poll(0.01)
    have = sum(subscribers.having(s, seq) for s in subscribers.by_fd.values())
    reply({"seq": seq, "have": have, "type": subscribers.types.get(seq), "times": subscribers.arrivals.get(seq, [])})


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("token")
    parser.add_argument("office_id")
    parser.add_argument("--cpus", default="", help="comma-separated CPUs to run on")
    parser.add_argument("--per-socket", type=int, default=1, help="subscriptions on each socket")
    args = parser.parse_args()
    if args.cpus:
        os.sched_setaffinity(0, {int(cpu) for cpu in args.cpus.split(",")})
    subscribers = Subscribers(args.url, args.token, args.office_id, per_socket=args.per_socket)
    stdin = sys.stdin.fileno()
    subscribers.epoll.register(stdin, select.EPOLLIN)
    pending = b""
    while True:
        if stdin not in subscribers.poll(1.0):
            continue
        chunk = os.read(stdin, 1 << 16)
        if not chunk:
            break
        pending += chunk
        while b"\n" in pending:
            line, pending = pending.split(b"\n", 1)
            command = json.loads(line)
            if command["cmd"] == "open":
                open_subscriptions(subscribers, command["count"])
            elif command["cmd"] == "wait":
                wait_for(subscribers, command["seq"], command["timeout"])
            elif command["cmd"] == "stats":
                reply(
                    {
                        "received": subscribers.received,
                        "out_of_order": sum(s.out_of_order for s in subscribers.by_fd.values()),
                        "closed": sum(1 for s in subscribers.by_fd.values() if s.closed),
                        "errors": subscribers.errors[:5],
                    }
                )
            elif command["cmd"] == "quit":
                subscribers.close()
                return
    subscribers.close()


if __name__ == "__main__":
    main()
