"""Faults for the reliability suite: ECS errors on the fake (throttling, 5xx, dropped connections, timeouts, a
reply lost after ECS applied the call), a fake ECS that is safe to share between threads and can change the world
at a given time, and a TCP proxy that resets connections in front of a real HTTP server (moto's).
"""

from __future__ import annotations

import contextlib
import random
import selectors
import socket
import struct
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import (
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

from support.fake_ecs import FakeClock, FakeEcs, Fault, client_error

ENDPOINT = "https://ecs.us-east-1.amazonaws.com/"
OPERATIONS = ("DescribeServices", "UpdateService", "DeleteService")


def _server_error(operation: str) -> Exception:
    return client_error("ServerException", "Service encountered an internal error.", operation, 500)


def _unavailable(operation: str) -> Exception:
    return client_error("ServiceUnavailableException", "Service unavailable, try again.", operation, 503)


def _bad_gateway(operation: str) -> Exception:
    return client_error("502", "Bad Gateway", operation, 502)  # an HTML 502 from a load balancer: no ECS code


def _throttled(operation: str) -> Exception:
    return client_error("ThrottlingException", "Rate exceeded", operation)


def _reset(operation: str) -> Exception:
    return ConnectionClosedError(endpoint_url=ENDPOINT)


def _read_timeout(operation: str) -> Exception:
    return ReadTimeoutError(endpoint_url=ENDPOINT)


def _unreachable(operation: str) -> Exception:
    return EndpointConnectionError(endpoint_url=ENDPOINT)


def _connect_timeout(operation: str) -> Exception:
    return ConnectTimeoutError(endpoint_url=ENDPOINT)


# What botocore raises to its caller once its own retries are spent, one maker per kind of fault.
FAULT_KINDS: dict[str, Callable[[str], Exception]] = {
    "throttling": _throttled,
    "server-error-500": _server_error,
    "unavailable-503": _unavailable,
    "bad-gateway-502": _bad_gateway,
    "connection-reset": _reset,
    "read-timeout": _read_timeout,
    "endpoint-unreachable": _unreachable,
    "connect-timeout": _connect_timeout,
}


def storm(kind: str, fraction: float, seed: int, operations: tuple[str, ...] = OPERATIONS) -> Fault:
    """`fraction` of the calls of `operations` fail with `kind` (seeded, so a scenario replays exactly)."""
    make, rng = FAULT_KINDS[kind], random.Random(seed)

    def fault(operation: str, kwargs: dict[str, Any]) -> Exception | None:
        if operation in operations and rng.random() < fraction:
            return make(operation)
        return None

    return fault


def burst_of(kind: str, count: int, operations: tuple[str, ...] = OPERATIONS) -> Fault:
    """The first `count` calls of `operations` fail with `kind`, one after the other; then all succeed."""
    make, left = FAULT_KINDS[kind], [count]

    def fault(operation: str, kwargs: dict[str, Any]) -> Exception | None:
        if operation in operations and left[0] > 0:
            left[0] -= 1
            return make(operation)
        return None

    return fault


def always(kind: str, operations: tuple[str, ...] = OPERATIONS) -> Fault:
    make = FAULT_KINDS[kind]

    def fault(operation: str, kwargs: dict[str, Any]) -> Exception | None:
        return make(operation) if operation in operations else None

    return fault


class ThreadSafeClock(FakeClock):
    """A FakeClock several threads may sleep on: time only moves forward, one sleep at a time."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        super().__init__(start)
        self._lock = threading.Lock()

    def sleep(self, seconds: float) -> None:
        with self._lock:
            super().sleep(seconds)


@dataclass
class WorldFakeEcs(FakeEcs):
    """The fake ECS, plus what the reliability suite needs:

    - `lost_replies`: a fault consulted *after* an UpdateService/DeleteService was applied; an exception it returns
      is raised, as when ECS acted but its reply never arrived (a read timeout, a reset);
    - `at(time, change)`: change the world (re-create a service, say) once the clock reaches `time`;
    - a lock around every call, so two threads see ECS serialize their calls as the real one does;
    - `accepted`: the UpdateService/DeleteService calls ECS carried out, in order.
    """

    lost_replies: Fault | None = None
    scheduled: list[tuple[float, Callable[[], None]]] = field(default_factory=list)
    accepted: list[tuple[float, str, dict[str, Any]]] = field(default_factory=list)
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    def at(self, when: float, change: Callable[[], None]) -> None:
        self.scheduled.append((when, change))

    def _play_scheduled(self) -> None:
        due = [item for item in self.scheduled if item[0] <= self.clock.now]
        for item in due:
            self.scheduled.remove(item)
            item[1]()

    def _guarded(self, operation: str, call: Callable[..., dict[str, Any]], kwargs: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            self._play_scheduled()
            result = call(**kwargs)
            if operation != "DescribeServices":
                self.accepted.append((self.clock.now, operation, dict(kwargs)))
                if self.lost_replies is not None:
                    error = self.lost_replies(operation, kwargs)
                    if error is not None:
                        raise error
            return result

    def describe_services(self, **kwargs: Any) -> dict[str, Any]:
        return self._guarded("DescribeServices", super().describe_services, kwargs)

    def update_service(self, **kwargs: Any) -> dict[str, Any]:
        return self._guarded("UpdateService", super().update_service, kwargs)

    def delete_service(self, **kwargs: Any) -> dict[str, Any]:
        return self._guarded("DeleteService", super().delete_service, kwargs)

    def touched(self, name: str, since: float = float("-inf")) -> list[tuple[float, str, dict[str, Any]]]:
        """UpdateService/DeleteService calls (attempted, accepted or not) that named service `name`."""
        return [
            (when, op, kwargs)
            for when, op, kwargs in self.calls
            if op != "DescribeServices" and when >= since and str(kwargs.get("service", "")).rsplit("/", 1)[-1] == name
        ]


def _reset_socket(sock: socket.socket) -> None:
    """Close with an RST (SO_LINGER 0), as a crashed peer or a middlebox dropping the flow would."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(OSError):
        sock.close()


class FaultProxy:
    """A TCP proxy on 127.0.0.1 in front of `upstream` (host, port) that resets some connections.

    For every chunk a client sends, with probability `reset_requests` the connection is reset instead of forwarded
    (the request never reached the server; the first `reset_first` chunks always are); for every chunk the server
    answers, with probability `reset_replies` the connection is reset instead (the server acted, the client never
    hears of it). Seeded; counts what it did. One thread per connection, so a reset is sent at once (a socket closed
    under another thread's recv() would keep the connection open until that recv returned).
    """

    def __init__(
        self,
        upstream: tuple[str, int],
        reset_requests: float,
        reset_replies: float,
        seed: int = 1,
        reset_first: int = 0,
    ) -> None:
        self.upstream = upstream
        self.reset_requests, self.reset_replies = reset_requests, reset_replies
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._first_left = reset_first
        self.connections = self.forwarded = self.requests_reset = self.replies_reset = 0
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._closing = False
        self._thread = threading.Thread(target=self._accept_loop, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _fails(self, is_request: bool) -> bool:
        with self._lock:
            if is_request and self._first_left > 0:
                self._first_left -= 1
                failed = True
            else:
                failed = self._rng.random() < (self.reset_requests if is_request else self.reset_replies)
            if failed and is_request:
                self.requests_reset += 1
            elif failed:
                self.replies_reset += 1
            elif is_request:
                self.forwarded += 1
            return failed

    def _accept_loop(self) -> None:
        while not self._closing:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                self.connections += 1
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        try:
            server = socket.create_connection(self.upstream, timeout=10)
        except OSError:
            _reset_socket(client)
            return
        selector = selectors.DefaultSelector()
        selector.register(client, selectors.EVENT_READ, (client, server, True))
        selector.register(server, selectors.EVENT_READ, (server, client, False))
        try:
            while not self._closing:
                for key, _ in selector.select(timeout=0.5):
                    source, sink, is_request = key.data
                    chunk = source.recv(65536)
                    if not chunk or self._fails(is_request):
                        return
                    sink.sendall(chunk)
        except OSError:
            pass
        finally:
            selector.close()
            _reset_socket(client)
            _reset_socket(server)

    def __enter__(self) -> FaultProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._closing = True
        self._listener.close()
