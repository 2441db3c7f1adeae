"""Records every outgoing connection attempt the handler's sender could make: HTTPS connections it opens and the
sockets created under them. Lets a test assert that a refused ResponseURL was never even dialled."""

from __future__ import annotations

import http.client
import socket
from typing import Any

import pytest


class ConnectionWatch:
    """With `dial=False` no connection is made at all: each attempt is recorded and refused (no DNS, no network)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, dial: bool = True) -> None:
        self.https: list[tuple[str, Any]] = []  # (host, port) of every HTTPSConnection.connect()
        self.sockets: list[Any] = []  # every address socket.create_connection() was asked for
        real_connect = http.client.HTTPSConnection.connect
        real_create = socket.create_connection
        watch = self

        def connect(connection: http.client.HTTPSConnection) -> None:
            watch.https.append((connection.host, connection.port))
            if not dial:
                raise ConnectionRefusedError(f"not dialling {connection.host} in a test")
            real_connect(connection)

        def create_connection(address: Any, *args: Any, **kwargs: Any) -> socket.socket:
            watch.sockets.append(address)
            if not dial:
                raise ConnectionRefusedError(f"not dialling {address} in a test")
            return real_create(address, *args, **kwargs)

        # Patched on the class and on the socket module: the sender's http.client uses both.
        monkeypatch.setattr(http.client.HTTPSConnection, "connect", connect)
        monkeypatch.setattr(socket, "create_connection", create_connection)

    @property
    def attempts(self) -> int:
        return len(self.https) + len(self.sockets)
