"""`ecs-teardown invoke EVENT.json`: the Lambda handler run in this process on a CloudFormation event, as
`sam local invoke -e` would, but with no Docker. Hand-overs run as fresh in-process invocations."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from dataclasses import replace
from typing import Any
from urllib.parse import quote

from .exits import EXIT_FAILED, EXIT_OK, UsageError


def load_event(path: str) -> dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as handle:  # JSON is UTF-8 (RFC 8259), whatever the locale
            event = json.load(handle)
    except OSError as error:
        raise UsageError(f"cannot read event file {path!r}: {error.strerror}") from None
    except UnicodeDecodeError as error:
        raise UsageError(
            f"event file {path!r} is not JSON: not UTF-8 text ({error.reason} at byte {error.start})"
        ) from None
    except (ValueError, RecursionError) as error:  # JSONDecodeError; an int over Python's digit limit; deep nesting
        raise UsageError(f"event file {path!r} is not JSON: {error}") from None
    if not isinstance(event, dict):
        raise UsageError(f"event file {path!r} holds a {type(event).__name__}, not a CloudFormation event")
    return event


def _point_at(args: argparse.Namespace) -> None:
    if args.endpoint_url:
        os.environ["AWS_ENDPOINT_URL_ECS"] = os.environ["AWS_ENDPOINT_URL_CLOUDFORMATION"] = args.endpoint_url
    if args.region:
        os.environ["AWS_REGION"] = os.environ["AWS_DEFAULT_REGION"] = args.region
    os.environ.setdefault("AWS_REGION", os.environ.get("AWS_DEFAULT_REGION", "us-east-1"))
    os.environ.setdefault("AWS_DEFAULT_REGION", os.environ["AWS_REGION"])  # the one boto3 reads, as in Lambda
    if args.endpoint_url and _no_credentials():
        # An emulator takes any credentials (as `ecs-teardown services --endpoint-url` does); AWS never sees these.
        os.environ["AWS_ACCESS_KEY_ID"] = os.environ["AWS_SECRET_ACCESS_KEY"] = "local"


def _no_credentials() -> bool:
    import boto3

    return boto3.Session().get_credentials() is None


def invoke(args: argparse.Namespace) -> int:
    """Run the handler on the event; print the answer CloudFormation would receive on stdout."""
    event = load_event(args.event)
    _point_at(args)
    from ecs_teardown.cfn.edges import Edges
    from ecs_teardown.cfn.protocol import CustomResource
    from ecs_teardown.cfn.requests import scope_of
    from ecs_teardown.config import Config

    from .local import LOCAL_ACCOUNT, AnswerEndpoint, FixedStackStatus, HandOverQueue, LocalContext

    with AnswerEndpoint() as answers:
        answers.trust()  # this process only: SSL_CERT_FILE for the answer endpoint's own certificate
        event["ResponseURL"] = answers.url(quote(str(event.get("RequestId", "answer")), safe=""))  # any RequestId
        # The function's logs and metrics go to stderr; stdout carries only the answer, for pipelines.
        with contextlib.redirect_stdout(sys.stderr):
            queue = HandOverQueue()
            stacks = (lambda: FixedStackStatus(args.stack_status)) if args.stack_status else None
            config = replace(Config.from_environment(), allow_local_response_url=True)
            function = CustomResource(Edges(hand_over=queue, stacks=stacks, config=config))
            # The simulated function lives in the account its ServiceToken names, as the real one would.
            scope = scope_of(None, event)
            account = scope.account if scope else LOCAL_ACCOUNT
            region = os.environ["AWS_REGION"]
            invocations = queue.run(
                function.handle,
                event,
                lambda: LocalContext(args.timeout, args.function_name, region, account),
            )
        received = answers.wait_for(1, timeout_s=5.0)
    if not received:
        print("ecs-teardown: the handler sent no answer (see the log above)", file=sys.stderr)
        return EXIT_FAILED
    answer = received[-1].body
    print(json.dumps(answer, indent=2))
    print(f"({invocations} invocation(s), {len(received)} answer(s))", file=sys.stderr)
    return EXIT_OK if answer.get("Status") == "SUCCESS" else EXIT_FAILED
