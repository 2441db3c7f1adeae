"""Endpoints on 127.0.0.1 for the timing suite: a Lambda API that records async Invokes (fast, slow or silent), and
an ECS endpoint that forwards to moto's server recording every call, or accepts connections and never replies."""

from __future__ import annotations

import http.client
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit


@dataclass
class Recorded:
    at: float  # time.time()
    name: str  # the Lambda function, or the ECS operation
    body: dict[str, Any] = field(default_factory=dict)


class _Server:
    def __init__(self, handler: type[BaseHTTPRequestHandler]) -> None:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self) -> Any:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


class LambdaApi(_Server):
    """Lambda's Invoke: `delay_s` before answering 202 (None: never answer); every Invoke received is recorded."""

    def __init__(self, delay_s: float | None = 0.0) -> None:
        self.delay_s, self.invokes = delay_s, list[Recorded]()
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))) or b"{}")
                api.invokes.append(Recorded(time.time(), self.path.split("/")[3], body))
                if api.delay_s is None:
                    time.sleep(30)  # silent: the client gives up first
                    return
                time.sleep(api.delay_s)
                self.send_response(202)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        super().__init__(Handler)


class EcsRecorder(_Server):
    """Forwards ECS calls to moto's server (`target`), recording each; with `silent`, accepts and never replies."""

    def __init__(self, target: str, silent: bool = False) -> None:
        self.silent, self.calls = silent, list[Recorded]()
        parts, recorder = urlsplit(target), self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                operation = str(self.headers.get("X-Amz-Target", "")).rsplit(".", 1)[-1]
                recorder.calls.append(Recorded(time.time(), operation))
                if recorder.silent:
                    time.sleep(30)
                    return
                upstream = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=10)
                upstream.request("POST", self.path, body=raw, headers=dict(self.headers))
                reply = upstream.getresponse()
                data = reply.read()
                self.send_response(reply.status)
                for key, value in reply.getheaders():
                    if key.lower() not in ("content-length", "transfer-encoding", "connection", "date", "server"):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        super().__init__(Handler)

    def writes(self) -> list[Recorded]:
        return [call for call in self.calls if call.name in ("UpdateService", "DeleteService")]
