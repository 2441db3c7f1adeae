"""The reliability suite's shared parts. Every test here runs under a secret scan: whatever the handler logged (the
Powertools JSON lines, records reaching the root logger, stdout/stderr, and any subprocess output a test hands in)
must hold no ResponseURL, no presigned signature or credential, and no AWS secret key or session token."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator

import pytest

from ecs_teardown.cfn import answer as response
from support.secrets import SECRET_KEY, SESSION_TOKEN, find_secrets


class Scanned:
    """Extra text (subprocess output, say) a test wants included in its secret scan."""

    def __init__(self) -> None:
        self.texts: list[str] = []

    def add(self, text: str) -> None:
        self.texts.append(text)


@pytest.fixture(autouse=True)
def distinctive_secrets(aws_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """Credentials that a scan can find: 'testing' (the suite-wide value) is too common a word to look for."""
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    monkeypatch.setenv("AWS_SESSION_TOKEN", SESSION_TOKEN)


@pytest.fixture(autouse=True)
def secret_scan(
    distinctive_secrets: None, app_logs, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> Iterator[Scanned]:
    scanned = Scanned()
    yield scanned
    captured = capsys.readouterr()
    texts = [*app_logs.lines, caplog.text, captured.out, captured.err, *scanned.texts]
    leaks = [leak for text in texts for leak in find_secrets(text)]
    assert not leaks, f"secret values in the logs or output: {leaks[:5]}"


@pytest.fixture
def quick_sender(monkeypatch: pytest.MonkeyPatch) -> Callable:
    """The real sender with short timeouts and backoffs (same attempts), wherever the handler calls it."""
    from ecs_teardown.cfn import protocol

    def patch(*, timeout_s: float = 0.5, backoff_s: float = 0.01, attempts: int = 4) -> None:
        quick = functools.partial(response.send_response, timeout_s=timeout_s, backoff_s=backoff_s, attempts=attempts)
        monkeypatch.setattr(protocol, "send_response", quick)

    patch()
    return patch
