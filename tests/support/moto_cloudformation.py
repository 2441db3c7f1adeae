"""An adapter that lets moto's CloudFormation engine drive the real handler through its own `Custom::` path.

moto 5.2.5 (cloudformation/custom_model.py) creates a `Custom::` resource like this: it looks up the Lambda
function named by ServiceToken, builds a Create event whose ResponseURL is
`{settings.moto_server_host()}:{settings.moto_server_port()}/cloudformation_REGION/cfnresponse?stack=STACK_ID`
(`http://host.docker.internal:5000` by default), and calls `fn.invoke(...)` in a thread; `LambdaFunction.invoke`
runs the code through `LambdaFunction._invoke_lambda`, which starts a Docker container. The stack stays
CREATE_IN_PROGRESS until a PUT to that URL says Status SUCCESS (cloudformation/responses.py,
`process_cfn_response`): moto then stores the answer's Data for `Fn::GetAtt` and marks the stack CREATE_COMPLETE.
Any other Status is ignored (the stack stays CREATE_IN_PROGRESS forever), and the answer's PhysicalResourceId,
Reason and size are never read.

Three changes, each the narrowest that does the job, all undone by the caller's `pytest.MonkeyPatch`:

1. `TlsMotoServer`: moto's own WSGI application (`DomainDispatcherApplication(create_backend_app)`, what
   `ThreadedMotoServer` serves) on 127.0.0.1 over TLS, because the handler answers only https. Nothing of moto is
   patched for it; `ThreadedMotoServer` just has no `ssl_context` parameter.
2. The ResponseURL's host: `moto.settings.moto_server_host` (the one function moto reads it from; it has no
   environment variable outside Docker) returns `https://127.0.0.1`, and `MOTO_PORT` (moto's documented setting,
   read at each call) is the TLS server's port.
3. The Lambda run: `_invoke_lambda` of the ONE `LambdaFunction` object behind the ServiceToken (an instance
   attribute, so every other function and moto's own `invoke` stay as they are) calls our
   the function's handler (as app.py builds it) with `LocalContext(...)` in-process instead of Docker.

One spy, which changes nothing: `CloudFormationResponse.process_cfn_response` records the raw body moto received
before handing it on, since moto keeps only its Data (the PhysicalResourceId the handler answered is not stored
anywhere in moto: DescribeStackResources shows moto's own generated name for a custom resource).
"""

from __future__ import annotations

import json
import ssl
import threading
import traceback
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from werkzeug.serving import BaseWSGIServer, make_server

from ecs_teardown_tools.local import LocalContext

HOST = "127.0.0.1"


class TlsMotoServer:
    """moto's server application over HTTPS on 127.0.0.1 (a free port), in a daemon thread of this process."""

    def __init__(self, cert_path: str, key_path: str) -> None:
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app

        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert_path, key_path)
        self.cert_path = cert_path
        self._server: BaseWSGIServer = make_server(
            HOST,
            0,
            DomainDispatcherApplication(create_backend_app),
            threaded=True,
            request_handler=MotoRequestHandler,
            ssl_context=context,
        )
        self.port: int = self._server.server_address[1]
        self.url = f"https://{HOST}:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self) -> TlsMotoServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def reset(self) -> None:
        """Every backend emptied (moto's own /moto-api/reset), so each test starts from a clean account."""
        context = ssl.create_default_context(cafile=self.cert_path)
        request = urllib.request.Request(f"{self.url}/moto-api/reset", method="POST")
        with urllib.request.urlopen(request, context=context, timeout=10) as response:
            assert response.status == 200


@dataclass
class Invocation:
    """One run of the handler that moto asked for (the Create of a custom resource)."""

    event: dict[str, Any]
    error: str = ""  # the traceback, if the handler raised (moto's thread would only print it)


@dataclass
class ReceivedByMoto:
    """A body PUT to moto's cfnresponse endpoint, as moto received it."""

    raw: bytes
    body: dict[str, Any]


@dataclass
class CustomResourceBridge:
    """Installs the three changes above; records what moto asked the handler and what it was answered."""

    server: TlsMotoServer
    monkeypatch: pytest.MonkeyPatch
    make_context: Callable[[], LocalContext]
    handler: Callable[[dict[str, Any], Any], None]  # the Lambda function's handler (CustomResource.handle)
    invocations: list[Invocation] = field(default_factory=list)
    received: list[ReceivedByMoto] = field(default_factory=list)
    _done: threading.Condition = field(default_factory=threading.Condition)

    def install(self) -> None:
        import moto.settings
        from moto.cloudformation.responses import CloudFormationResponse

        # (2) The ResponseURL moto builds: https://127.0.0.1:PORT instead of http://host.docker.internal:5000.
        self.monkeypatch.setattr(moto.settings, "moto_server_host", lambda: f"https://{HOST}")
        self.monkeypatch.setenv("MOTO_PORT", str(self.server.port))

        # The spy: what the handler PUT to moto, byte for byte, then moto's own processing.
        original = CloudFormationResponse.process_cfn_response
        bridge = self

        def recording(response: CloudFormationResponse) -> Any:
            raw = response.raw_body if isinstance(response.raw_body, bytes) else str(response.body).encode()
            with bridge._done:
                bridge.received.append(ReceivedByMoto(raw, json.loads(raw)))
            return original(response)

        self.monkeypatch.setattr(CloudFormationResponse, "process_cfn_response", recording)

    def attach(self, function_arn: str, region: str = "us-east-1") -> None:
        """(3) The function behind `function_arn` runs our handler in-process when moto invokes it."""
        from moto.awslambda.utils import get_backend
        from moto.core import DEFAULT_ACCOUNT_ID

        function = get_backend(DEFAULT_ACCOUNT_ID, region).get_function(function_arn)
        bridge = self

        def run_handler(event: Any = None) -> tuple[str, bool, str]:
            # moto's `invoke` has already parsed the JSON payload; it takes (result, errored, logs) back.
            invocation = Invocation(event=event)
            try:
                bridge.handle(event)
            except Exception:
                invocation.error = traceback.format_exc()
            with bridge._done:
                bridge.invocations.append(invocation)
                bridge._done.notify_all()
            return "null", bool(invocation.error), invocation.error

        self.monkeypatch.setattr(function, "_invoke_lambda", run_handler)

    def handle(self, event: dict[str, Any]) -> None:
        """The real Lambda entry, with a Lambda-like context (also used to send Update and Delete ourselves)."""
        self.handler(event, self.make_context())

    def wait_for_invocations(self, count: int, timeout_s: float = 10.0) -> list[Invocation]:
        with self._done:
            self._done.wait_for(lambda: len(self.invocations) >= count, timeout=timeout_s)
            return list(self.invocations)
