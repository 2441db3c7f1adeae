"""`ecs-teardown`: the command line.

    ecs-teardown invoke EVENT.json   run the Lambda handler in-process, as `sam local invoke -e` would, but with
                                     no Docker: a Lambda-like context, the configured AWS endpoint (real AWS or an
                                     emulator), and a local HTTPS endpoint that receives and prints the answer.

Exit codes: 0 the answer was SUCCESS, 1 it was FAILED or never came, 2 bad usage.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from pathlib import Path
from typing import Any

HANDLER_DIR = Path(__file__).resolve().parents[1]  # where app.py, the Lambda entry, lives

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def _load_event(path: str) -> dict[str, Any]:
    try:
        with open(path) as handle:
            event = json.load(handle)
    except OSError as error:
        raise SystemExit(_usage(f"cannot read event file {path!r}: {error.strerror}")) from None
    except json.JSONDecodeError as error:
        raise SystemExit(_usage(f"event file {path!r} is not JSON: {error}")) from None
    if not isinstance(event, dict):
        raise SystemExit(_usage(f"event file {path!r} holds a {type(event).__name__}, not a CloudFormation event"))
    return event


def _usage(message: str) -> int:
    print(f"ecs-teardown: {message}", file=sys.stderr)
    return EXIT_USAGE


def invoke(args: argparse.Namespace) -> int:
    """Run app.lambda_handler on the event; hand-overs run as fresh invocations in this process."""
    event = _load_event(args.event)
    if args.endpoint_url:
        os.environ["AWS_ENDPOINT_URL_ECS"] = args.endpoint_url
    if args.region:
        os.environ["AWS_REGION"] = os.environ["AWS_DEFAULT_REGION"] = args.region
    os.environ.setdefault("AWS_REGION", os.environ.get("AWS_DEFAULT_REGION", "us-east-1"))
    os.environ.setdefault("AWS_DEFAULT_REGION", os.environ["AWS_REGION"])  # the one boto3 reads, as in Lambda
    if not (HANDLER_DIR / "app.py").exists():
        return _usage(f"the Lambda entry app.py is not beside the package ({HANDLER_DIR}); run from a checkout")
    sys.path.insert(0, str(HANDLER_DIR))

    from .local import AnswerEndpoint, ContinuationQueue, LocalContext

    with AnswerEndpoint() as answers:
        answers.trust()  # this process only: SSL_CERT_FILE and the local-answer opt-in
        event["ResponseURL"] = answers.url(str(event.get("RequestId", "answer")))
        # The function's logs and metrics go to stderr; stdout carries only the answer, for pipelines.
        with contextlib.redirect_stdout(sys.stderr):
            import app

            queue = ContinuationQueue()
            app.runtime.continuation = queue
            region = os.environ["AWS_REGION"]
            invocations = queue.run(
                app.lambda_handler,
                event,
                lambda: LocalContext(timeout_s=args.timeout, region=region, function_name=args.function_name),
            )
        received = answers.wait_for(1, timeout_s=5.0)
    if not received:
        print("ecs-teardown: the handler sent no answer (see the log above)", file=sys.stderr)
        return EXIT_FAILED
    answer = received[-1].body
    print(json.dumps(answer, indent=2))
    print(f"({invocations} invocation(s), {len(received)} answer(s))", file=sys.stderr)
    return EXIT_OK if answer.get("Status") == "SUCCESS" else EXIT_FAILED


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ecs-teardown", description="Tear down Amazon ECS services safely.")
    commands = parser.add_subparsers(dest="command", required=True)
    local = commands.add_parser(
        "invoke",
        help="run the Lambda handler locally on a CloudFormation event file (no Docker)",
        description="Run the Lambda handler in this process on EVENT (a CloudFormation request, e.g. from "
        "events/), against the configured AWS endpoint, and print the answer CloudFormation would receive.",
    )
    local.add_argument("event", help="the event file (JSON), e.g. events/delete.json")
    local.add_argument("--endpoint-url", help="ECS endpoint, e.g. an emulator (default: AWS_ENDPOINT_URL_ECS or AWS)")
    local.add_argument("--region", help="AWS region (default: AWS_REGION, AWS_DEFAULT_REGION or us-east-1)")
    local.add_argument("--timeout", type=float, default=900.0, help="the Lambda timeout to simulate, in seconds")
    local.add_argument("--function-name", default="ecs-teardown-local", help="the simulated function's name")
    local.set_defaults(run=invoke)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return EXIT_USAGE if exit_.code not in (0, None) else EXIT_OK
    try:
        code: int = args.run(args)
    except SystemExit as exit_:
        return int(exit_.code) if isinstance(exit_.code, int) else EXIT_USAGE
    return code


if __name__ == "__main__":
    sys.exit(main())
