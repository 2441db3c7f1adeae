"""`ecs-teardown`: the command line.

    ecs-teardown services --cluster C --service S [--service S2 ...]   tear these services down
    ecs-teardown cluster CLUSTER        tear down every service of a cluster
    ecs-teardown stack STACK_NAME       tear down every AWS::ECS::Service of a stack (nested stacks too), so
                                        that the stack delete that follows cannot hang on them
    ecs-teardown invoke EVENT.json      run the Lambda handler in-process on a CloudFormation event, as
                                        `sam local invoke -e` would, but with no Docker

Exit codes: 0 all gone (invoke: the answer was SUCCESS), 1 some failed or a named target not found (invoke: FAILED
or no answer), 2 usage or configuration, 130 interrupted. An error that stops the command is one line on stderr;
each target's outcome goes to stdout.
"""

from __future__ import annotations

import argparse
import re
import sys
from typing import Any, NoReturn

from ecs_teardown.core.model import MAX_DEREGISTRATION_DELAY_S, MAX_DRAIN_TIMEOUT_S, MAX_SERVICE_TIMEOUT_S

from .exits import EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, UsageError, to_stderr
from .targets import DEFAULT_CLUSTER

LAMBDA_MAX_TIMEOUT_S = 900  # Lambda's largest function timeout (Lambda API reference, CreateFunction: Timeout)


def _teardown_options(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--drain-timeout",
        action=_Once,
        type=_auto_or_seconds(0, MAX_DRAIN_TIMEOUT_S),
        default="auto",  # a string default goes through `type` too: None
        metavar="auto|SECONDS",
        help="after the scale to zero, how long to wait for the tasks to stop before forcing (default auto: the "
        "target groups' deregistration delay + the task's stopTimeout + 60 s)",
    )
    command.add_argument(
        "--deregistration-delay",
        action=_Once,
        type=_seconds(0, MAX_DEREGISTRATION_DELAY_S),
        default=None,
        metavar="SECONDS",
        help="fast drain: first lower the deregistration delay of the services' target groups that no other "
        "service of the cluster uses to this (put back if a service is kept)",
    )
    command.add_argument(
        "--force",
        action=_Once,
        choices=["auto", "always", "never"],
        default="auto",
        help="auto: force only when the drain timed out or a scale-down is impossible (default); "
        "always: delete with force at once; never: fail rather than force",
    )
    command.add_argument(
        "--timeout",
        action=_Once,
        type=_seconds(1, 86400),
        default=MAX_SERVICE_TIMEOUT_S,
        metavar="SECONDS",
        help=f"give up (exit 1) on services not gone after this long (default {MAX_SERVICE_TIMEOUT_S})",
    )
    for flag, text in (  # flags: saying one twice changes nothing
        ("--dry-run", "print the plan for each service; change nothing"),
        ("--yes", "tear down without asking (needed when not on a terminal)"),
        ("--no-wait", "done once ECS accepted the delete, without waiting for INACTIVE"),
        ("--ignore-not-found", "a named service or cluster that does not exist is no error (exit 0)"),
        ("--json", "one JSON object per line, for pipelines"),
    ):
        command.add_argument(flag, action="store_true", help=text)
    command.add_argument(
        "--endpoint-url", action=_Once, type=_endpoint_url, help="AWS endpoint for every call, e.g. an emulator"
    )
    command.add_argument("--region", action=_Once, help="AWS region (default: the standard AWS configuration)")
    command.add_argument("--profile", action=_Once, help="AWS profile (default: the standard AWS configuration)")
    command.set_defaults(run=_run_teardown)


class _Once(argparse.Action):
    """A single-value option: given a second time, it is an error (which one was meant?); the last one never wins."""

    def __call__(self, parser: Any, namespace: argparse.Namespace, values: Any, option_string: Any = None) -> None:
        given: set[str] = namespace.__dict__.setdefault("_given_once", set())
        if self.dest in given:
            raise argparse.ArgumentError(self, "given more than once: give it once")
        given.add(self.dest)
        setattr(namespace, self.dest, values)


def _seconds(low: int, high: int) -> Any:
    def parse(text: str) -> int:
        digits = text.lstrip("0") or "0"  # ASCII digits only: str.isdigit() takes '²' and '١٢' too
        if not re.fullmatch("[0-9]+", text) or len(digits) > len(str(high)) or not low <= int(digits) <= high:
            raise argparse.ArgumentTypeError(f"expected whole seconds from {low} to {high}, got {text!r}")
        return int(digits)

    return parse


def _endpoint_url(text: str) -> str:
    """An http(s) URL with a host and, if any, a port from 1 to 65535: what botocore sends requests to (a URL it
    cannot would be its ValueError traceback at the first call)."""
    from urllib.parse import urlsplit

    from botocore.utils import is_valid_endpoint_url, is_valid_ipv6_endpoint_url

    try:
        parts = urlsplit(text)
        well_formed = parts.scheme in ("http", "https") and bool(parts.hostname) and parts.port != 0
    except ValueError:  # an unclosed [IPv6 address; a port (.port) that is not a number from 0 to 65535
        well_formed = False
    if not (well_formed and (is_valid_endpoint_url(text) or is_valid_ipv6_endpoint_url(text))):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an http:// or https:// URL with a host, e.g. http://127.0.0.1:5000"
        )
    return text


def _stack_status(text: str) -> str:
    """A status CloudFormation can show: its API's StackStatus values, from the model botocore ships."""
    import difflib

    import botocore.session

    shape = botocore.session.get_session().get_service_model("cloudformation").shape_for("StackStatus")
    known: list[str] = shape.enum  # type: ignore[attr-defined]  # a StringShape's; the stubs type it as Shape
    if text not in known:
        close = difflib.get_close_matches(text, known, n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        raise argparse.ArgumentTypeError(f"{text!r} is not a CloudFormation stack status{hint}")
    return text


def _auto_or_seconds(low: int, high: int) -> Any:
    seconds = _seconds(low, high)

    def parse(text: str) -> int | None:
        if text == "auto":
            return None
        try:
            return int(seconds(text))
        except argparse.ArgumentTypeError:
            raise argparse.ArgumentTypeError(
                f"expected auto or whole seconds from {low} to {high}, got {text!r}"
            ) from None

    return parse


def _run_teardown(args: argparse.Namespace) -> int:
    from .command import run

    return run(args)


def _run_invoke(args: argparse.Namespace) -> int:
    from .invoke import invoke

    return invoke(args)


EPILOG = (
    "exit codes: 0 all gone, 1 some failed or unfinished or a named target not found, 2 usage or configuration "
    "(no region, no credentials, no confirmation), 130 interrupted"
)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("ecs-teardown")
    except PackageNotFoundError:  # run from a checkout without installing
        return "unknown"


class _Parser(argparse.ArgumentParser):
    """argparse, with its usage errors on one line (and where to read more), as every other error of the command;
    and no abbreviated options (`--no` would be --no-wait): a typo is an error. Its subcommands' parsers are _Parsers."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **{**kwargs, "allow_abbrev": False})

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: {message} (see: {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="ecs-teardown", description="Tear down Amazon ECS services safely.", epilog=EPILOG)
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(dest="command", required=True)
    services = commands.add_parser(
        "services",
        help="tear down services of one cluster",
        epilog=EPILOG,
        description="Scale each service to zero, wait for its tasks to stop, delete it (with force only when it "
        "must) and wait until ECS reports it INACTIVE. Services proceed in parallel.",
    )
    services.add_argument(
        "--cluster", action=_Once, default=DEFAULT_CLUSTER, help="cluster name or ARN (default: default)"
    )
    services.add_argument(
        "--service",
        action="append",
        required=True,
        metavar="NAME_OR_ARN",
        help="a service name or ARN; repeat for several",
    )
    _teardown_options(services)
    cluster = commands.add_parser(
        "cluster",
        help="tear down every service of a cluster",
        epilog=EPILOG,
        description="Tear down every service the cluster has (ListServices), in parallel. The cluster itself is "
        "not touched.",
    )
    cluster.add_argument("cluster_name", metavar="CLUSTER", help="cluster name or ARN")
    _teardown_options(cluster)
    stack = commands.add_parser(
        "stack",
        help="tear down every ECS service of a CloudFormation stack",
        epilog=EPILOG,
        description="Find every AWS::ECS::Service of the stack and of its nested stacks, and tear them down in "
        "parallel, so that the stack delete that follows cannot hang on them. The stack itself is not touched.",
    )
    stack.add_argument("stack_name", metavar="STACK_NAME", help="stack name or ARN")
    _teardown_options(stack)
    _invoke_parser(commands)
    return parser


def _invoke_parser(commands: Any) -> None:
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
        action=_Once,
        type=_endpoint_url,
        help="ECS and CloudFormation endpoint, e.g. an emulator (default: AWS_ENDPOINT_URL_ECS / _CLOUDFORMATION or AWS)",
    )
    local.add_argument(
        "--stack-status",
        metavar="STATUS",
        action=_Once,
        type=_stack_status,
        help="what CloudFormation shows for the event's StackId, e.g. DELETE_IN_PROGRESS (default: ask it with "
        "DescribeStacks); a hand-made event's StackId names no real stack",
    )
    local.add_argument(
        "--region", action=_Once, help="AWS region (default: AWS_REGION, AWS_DEFAULT_REGION or us-east-1)"
    )
    local.add_argument(
        "--timeout",
        action=_Once,
        type=_seconds(1, LAMBDA_MAX_TIMEOUT_S),
        default=LAMBDA_MAX_TIMEOUT_S,
        metavar="SECONDS",
        help=f"the Lambda timeout to simulate (default {LAMBDA_MAX_TIMEOUT_S}, as Lambda allows: 1 to 900)",
    )
    local.add_argument(
        "--function-name", action=_Once, default="ecs-teardown-local", help="the simulated function's name"
    )
    local.set_defaults(run=_run_invoke)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return EXIT_USAGE if exit_.code not in (0, None) else EXIT_OK
    try:
        code: int = args.run(args)
    except UsageError as error:
        to_stderr(f"ecs-teardown: {error}")
        return EXIT_USAGE
    except KeyboardInterrupt:  # Ctrl-C before a teardown's first write (or during `invoke`): exit as interrupted
        to_stderr("\necs-teardown: interrupted; run the same command again to resume (it re-reads ECS)")
        return EXIT_INTERRUPTED
    return code


if __name__ == "__main__":
    sys.exit(main())
