"""The command line's parsing, with no AWS at all: a typo, a repeated option or a malformed value is a one-line usage
error (exit 2) that names what was wrong, before anything is read or touched."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import pytest

from ecs_teardown_tools import cli

ROOT = Path(__file__).resolve().parents[2]
TEARDOWN = {"services": ["--service", "web"], "cluster": ["prod"], "stack": ["app"]}
EVERY = {**TEARDOWN, "invoke": ["events/delete.json"]}
# A valid value for each single-value option: a new option without one here fails the test that covers them all.
SAMPLES = {
    "--cluster": "demo",
    "--drain-timeout": "5",
    "--deregistration-delay": "5",
    "--force": "never",
    "--timeout": "5",
    "--endpoint-url": "http://127.0.0.1:5000",
    "--region": "us-east-1",
    "--profile": "dev",
    "--stack-status": "DELETE_IN_PROGRESS",
    "--function-name": "f",
}


@pytest.fixture(autouse=True)
def nothing_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    """A command line that parses never gets to AWS here: its run is replaced (invoke's after its event is read)."""

    def refuse(*_: Any) -> int:
        raise AssertionError("the command line was accepted and would have run")

    monkeypatch.setattr(cli, "_run_teardown", refuse)
    monkeypatch.setattr("ecs_teardown_tools.invoke._point_at", refuse)


def main(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = cli.main(list(argv))
    return code, capsys.readouterr().err


def commands() -> dict[str, argparse.ArgumentParser]:
    parser = cli.build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def single_value_options() -> list[tuple[str, str]]:
    return [
        (name, flag)
        for name, command in commands().items()
        for action in command._actions
        if isinstance(action, argparse._StoreAction) or type(action).__name__ == "_Once"
        for flag in action.option_strings
    ]


def test_no_parser_takes_an_abbreviation_for_an_option() -> None:
    assert not cli.build_parser().allow_abbrev
    assert not any(command.allow_abbrev for command in commands().values())


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["services", "--service", "web", "--forc", "always"], "--forc"),
        (["services", "--service", "web", "--no"], "--no"),  # was --no-wait
        (["services", "--service", "web", "--dry"], "--dry"),
        (["services", "--service", "web", "--y"], "--y"),
        (["services", "--service", "web", "--ign"], "--ign"),
        (["services", "--serv", "web"], "--serv"),
        (["stack", "app", "--prof", "dev"], "--prof"),
        (["invoke", "events/delete.json", "--stack", "DELETE_IN_PROGRESS"], "--stack"),
        (["--vers", "services", "--service", "web"], "--vers"),  # was --version
    ],
)
def test_an_abbreviated_option_is_an_error_naming_it(capsys, argv, says) -> None:
    code, err = main(capsys, *argv)
    assert code == 2 and says in err and err.count("\n") == 1, err


def test_every_single_value_option_is_covered() -> None:
    found = single_value_options()
    assert {flag for _, flag in found} == set(SAMPLES)
    assert ("services", "--service") not in found, "--service is repeatable"


@pytest.mark.parametrize(("command", "flag"), single_value_options())
@pytest.mark.parametrize("same", [True, False])
def test_a_single_value_option_given_twice_is_an_error_naming_it(capsys, command, flag, same) -> None:
    second = (
        SAMPLES[flag]
        if same
        else {"--force": "always", "--stack-status": "UPDATE_COMPLETE", "--endpoint-url": "https://localhost"}.get(
            flag, "7"
        )
    )
    code, err = main(capsys, command, *EVERY[command], flag, SAMPLES[flag], flag, second)
    assert code == 2, err
    assert f"argument {flag}: given more than once" in err and err.count("\n") == 1, err


def test_a_single_value_option_given_once_keeps_its_value_and_service_repeats() -> None:
    args = cli.build_parser().parse_args(
        ["services", "--service", "a", "--service", "b", "--force", "never", "--cluster", "default"]
    )
    assert (args.service, args.force, args.cluster) == (["a", "b"], "never", "default")


@pytest.mark.parametrize("command", list(EVERY))
@pytest.mark.parametrize(
    "url",
    [
        "notaurl",
        "http://[::1",
        "ftp://127.0.0.1",
        "http://127.0.0.1:port",
        "http://:5000",
        "http://h:99999",
        "http://h:0",
    ],
)
def test_a_malformed_endpoint_url_is_a_usage_error_naming_it(capsys, command, url) -> None:
    code, err = main(capsys, command, *EVERY[command], "--endpoint-url", url)
    assert code == 2, err
    assert f"argument --endpoint-url: {url!r} is not" in err and err.count("\n") == 1, err


@pytest.mark.parametrize("url", ["http://127.0.0.1:5000", "https://localhost", "http://[::1]:4566/", "HTTPS://ecs.x"])
def test_a_well_formed_endpoint_url_is_taken_as_written(url) -> None:
    for command, positional in EVERY.items():
        assert cli.build_parser().parse_args([command, *positional, "--endpoint-url", url]).endpoint_url == url


@pytest.mark.parametrize("text", ["²", "١٢", "\uff15", "1" * 5000, " 5", "+5", "5.0", ""])
def test_seconds_are_ascii_digits_and_the_error_says_what_is_expected(capsys, text) -> None:
    code, err = main(capsys, "services", "--service", "web", "--timeout", text)
    assert code == 2 and "argument --timeout: expected whole seconds from 1 to 86400, got" in err, err
    code, err = main(capsys, "services", "--service", "web", "--drain-timeout", text)
    assert code == 2 and "argument --drain-timeout: expected auto or whole seconds from 0 to" in err, err


def test_seconds_in_range_are_taken() -> None:
    args = cli.build_parser().parse_args(["services", "--service", "w", "--timeout", "0012", "--drain-timeout", "0"])
    assert (args.timeout, args.drain_timeout) == (12, 0)


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"\xff\xfe{}", "is not JSON: not UTF-8 text"),
        (b"\xef\xbb\xbf{}", "is not JSON"),  # a UTF-8 BOM
        (b"[" * 100_000, "is not JSON"),  # nested too deep for the parser
        (b'{"a": ' + b"1" * 5000 + b"}", "is not JSON"),  # a number longer than Python's int limit
    ],
)
def test_an_event_file_that_is_not_json_text_is_a_usage_error(capsys, tmp_path: Path, content, says) -> None:
    event = tmp_path / "event.json"
    event.write_bytes(content)
    code, err = main(capsys, "invoke", str(event))
    assert code == 2, err
    assert err.startswith(f"ecs-teardown: event file {str(event)!r} {says}") and err.count("\n") == 1, err


def test_the_sample_events_still_load() -> None:
    from ecs_teardown_tools.invoke import load_event

    path = ROOT / "events" / "delete.json"
    loaded: dict[str, Any] = load_event(str(path))
    assert loaded == json.loads(path.read_text())
