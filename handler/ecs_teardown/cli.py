"""`ecs-teardown`: the command line.

    ecs-teardown services --cluster C --service S [--service S2 ...]   tear these services down
    ecs-teardown stack STACK_NAME       tear down every AWS::ECS::Service of a stack (nested stacks too), so
                                        that the stack delete that follows cannot hang on them
    ecs-teardown invoke EVENT.json      run the Lambda handler in-process on a CloudFormation event, as
                                        `sam local invoke -e` would, but with no Docker

Exit codes: 0 all gone (invoke: the answer was SUCCESS), 1 some failed (invoke: FAILED or no answer), 2 bad usage.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from pathlib import Path
from typing import Any

from .teardown_cli import EXIT_FAILED, EXIT_OK, EXIT_USAGE

HANDLER_DIR = Path(__file__).resolve().parents[1]  # where app.py, the Lambda entry, lives


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
        os.environ["AWS_ENDPOINT_URL_ECS"] = os.environ["AWS_ENDPOINT_URL_CLOUDFORMATION"] = args.endpoint_url
    if args.region:
        os.environ["AWS_REGION"] = os.environ["AWS_DEFAULT_REGION"] = args.region
    os.environ.setdefault("AWS_REGION", os.environ.get("AWS_DEFAULT_REGION", "us-east-1"))
    os.environ.setdefault("AWS_DEFAULT_REGION", os.environ["AWS_REGION"])  # the one boto3 reads, as in Lambda
    if not (HANDLER_DIR / "app.py").exists():
        return _usage(f"the Lambda entry app.py is not beside the package ({HANDLER_DIR}); run from a checkout")
    sys.path.insert(0, str(HANDLER_DIR))

    from .custom_resource import scope_of
    from .local import LOCAL_ACCOUNT, AnswerEndpoint, ContinuationQueue, FixedStackStatus, LocalContext

    with AnswerEndpoint() as answers:
        answers.trust()  # this process only: SSL_CERT_FILE and the local-answer opt-in
        event["ResponseURL"] = answers.url(str(event.get("RequestId", "answer")))
        # The function's logs and metrics go to stderr; stdout carries only the answer, for pipelines.
        with contextlib.redirect_stdout(sys.stderr):
            import app

            queue = ContinuationQueue()
            app.runtime.continuation = queue
            if args.stack_status:
                app.runtime.stacks_factory = lambda: FixedStackStatus(args.stack_status)
            region = os.environ["AWS_REGION"]
            # The simulated function lives in the account its ServiceToken names, as the real one would.
            scope = scope_of(None, event)
            account = scope.account if scope else LOCAL_ACCOUNT
            invocations = queue.run(
                app.lambda_handler,
                event,
                lambda: LocalContext(
                    timeout_s=args.timeout, region=region, account=account, function_name=args.function_name
                ),
            )
        received = answers.wait_for(1, timeout_s=5.0)
    if not received:
        print("ecs-teardown: the handler sent no answer (see the log above)", file=sys.stderr)
        return EXIT_FAILED
    answer = received[-1].body
    print(json.dumps(answer, indent=2))
    print(f"({invocations} invocation(s), {len(received)} answer(s))", file=sys.stderr)
    return EXIT_OK if answer.get("Status") == "SUCCESS" else EXIT_FAILED


def _teardown_options(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--drain-timeout",
        type=_seconds(0, 3600),
        default=300,
        metavar="SECONDS",
        help="after the scale to zero, how long to wait for the tasks to stop (default 300)",
    )
    command.add_argument(
        "--force",
        choices=["auto", "always", "never"],
        default="auto",
        help="auto: force only when the drain timed out or a scale-down is impossible (default); "
        "always: delete with force at once; never: fail rather than force",
    )
    command.add_argument(
        "--timeout",
        type=_seconds(1, 86400),
        default=3600,
        metavar="SECONDS",
        help="give up (exit 1) on services not gone after this long (default 3600)",
    )
    command.add_argument("--dry-run", action="store_true", help="print the plan for each service; change nothing")
    command.add_argument("--json", action="store_true", help="one JSON object per line, for pipelines")
    command.add_argument("--endpoint-url", help="AWS endpoint for every call, e.g. an emulator")
    command.add_argument("--region", help="AWS region (default: the standard AWS configuration)")
    command.add_argument("--profile", help="AWS profile (default: the standard AWS configuration)")
    command.set_defaults(run=_run_teardown)


def _seconds(low: int, high: int) -> Any:
    def parse(text: str) -> int:
        if not text.isdigit() or not low <= int(text) <= high:
            raise argparse.ArgumentTypeError(f"expected whole seconds from {low} to {high}, got {text!r}")
        return int(text)

    return parse


def _run_teardown(args: argparse.Namespace) -> int:
    from .teardown_cli import run

    return run(args)


EPILOG = "exit codes: 0 all gone, 1 some failed or unfinished, 2 bad usage"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ecs-teardown", description="Tear down Amazon ECS services safely.", epilog=EPILOG
    )
    commands = parser.add_subparsers(dest="command", required=True)
    services = commands.add_parser(
        "services",
        help="tear down services of one cluster",
        epilog=EPILOG,
        description="Scale each service to zero, wait for its tasks to stop, delete it (with force only when it "
        "must) and wait until ECS reports it INACTIVE. Services proceed in parallel.",
    )
    services.add_argument("--cluster", default="default", help="cluster name or ARN (default: default)")
    services.add_argument(
        "--service",
        action="append",
        required=True,
        metavar="NAME_OR_ARN",
        help="a service name or ARN; repeat for several",
    )
    _teardown_options(services)
    stack = commands.add_parser(
        "stack",
        help="tear down every ECS service of a CloudFormation stack",
        epilog=EPILOG,
        description="Find every AWS::ECS::Service of the stack and of its nested stacks, and tear them down in "
        "parallel, so that the stack delete that follows cannot hang on them. The stack itself is not touched.",
    )
    stack.add_argument("stack_name", metavar="STACK_NAME", help="stack name or ARN")
    _teardown_options(stack)
    local = commands.add_parser(
        "invoke",
        epilog="exit codes: 0 the answer was SUCCESS, 1 FAILED or no answer, 2 bad usage",
        help="run the Lambda handler locally on a CloudFormation event file (no Docker)",
        description="Run the Lambda handler in this process on EVENT (a CloudFormation request, e.g. from "
        "events/), against the configured AWS endpoint, and print the answer CloudFormation would receive.",
    )
    local.add_argument("event", help="the event file (JSON), e.g. events/delete.json")
    local.add_argument(
        "--endpoint-url",
        help="ECS and CloudFormation endpoint, e.g. an emulator (default: AWS_ENDPOINT_URL_ECS / _CLOUDFORMATION or AWS)",
    )
    local.add_argument(
        "--stack-status",
        metavar="STATUS",
        help="what CloudFormation shows for the event's StackId, e.g. DELETE_IN_PROGRESS (default: ask it with "
        "DescribeStacks); a hand-made event's StackId names no real stack",
    )
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
    except KeyboardInterrupt:
        print(
            "ecs-teardown: interrupted; services may be mid-teardown: run the same command again to resume",
            file=sys.stderr,
        )
        return EXIT_FAILED
    return code


if __name__ == "__main__":
    sys.exit(main())
