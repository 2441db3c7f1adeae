"""The presigned ResponseURL is a credential: redact() and RedactingFilter keep it out of every log line."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from ecs_teardown.cfn.protocol import RedactingFilter, guard_crhelper_logging, redact

SIGNATURE = "5e1f0c0ffee0123456789abcdef0123456789abcdef0123456789abcdef0aa55"
OLD_SIGNATURE = "dGhpc2lzYXNlY3JldA%3D%3D"
HOST = "cloudformation-custom-resource-response-useast1.s3.amazonaws.com"
RESPONSE_URL = (
    f"https://{HOST}/arn%3Aaws%3Acloudformation%3Aus-east-1%3A123456789012%3Astack/s/1%7CTeardown%7Creq-1"
    "?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAEXAMPLE%2F20250101%2Fus-east-1%2Fs3%2Faws4_request"
    f"&X-Amz-Date=20250101T000000Z&X-Amz-Expires=7200&X-Amz-SignedHeaders=host&X-Amz-Signature={SIGNATURE}"
)
OLD_STYLE_URL = f"https://{HOST}/path?AWSAccessKeyId=AKIAEXAMPLE&Expires=1700000000&Signature={OLD_SIGNATURE}"
SECRETS = ("X-Amz-Signature", SIGNATURE, OLD_SIGNATURE, "AKIAEXAMPLE")


def event() -> dict[str, Any]:
    return {
        "RequestType": "Delete",
        "ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:teardown",
        "ResponseURL": RESPONSE_URL,
        "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/s/1",
        "RequestId": "req-1",
        "LogicalResourceId": "Teardown",
        "PhysicalResourceId": "arn:aws:ecs:us-east-1:123456789012:service/prod/web",
        "ResourceType": "Custom::EcsServiceTeardown",
        "ResourceProperties": {"Service": "web", "Cluster": "prod"},
    }


def assert_clean(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text, text


# ---------------------------------------------------------------------------------------------------------------
# redact
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(RESPONSE_URL, id="bare-url"),
        pytest.param(OLD_STYLE_URL, id="old-style-url"),
        pytest.param(f"PUT {RESPONSE_URL} failed", id="in-a-sentence"),
        pytest.param(f"url='{RESPONSE_URL}'", id="single-quoted"),
        pytest.param(f'url="{RESPONSE_URL}"', id="double-quoted"),
        pytest.param(str(event()), id="repr-of-event"),
        pytest.param(json.dumps(event()), id="json-of-event"),
        pytest.param(json.dumps(event(), indent=2), id="indented-json"),
        pytest.param(f"{RESPONSE_URL} and {OLD_STYLE_URL}", id="two-urls"),
        pytest.param(RESPONSE_URL.replace("https", "http", 1), id="http"),
    ],
)
def test_redact_removes_the_query(text: str) -> None:
    redacted = redact(text)
    assert_clean(redacted)
    assert "<redacted>" in redacted
    assert HOST in redacted  # the host is no secret and helps a reader


def test_redact_leaves_plain_text_alone() -> None:
    text = "scaled service web to 0 in cluster prod (desired 0, running 2); see https://example.com/docs"
    assert redact(text) == text


# ---------------------------------------------------------------------------------------------------------------
# RedactingFilter on real log records
# ---------------------------------------------------------------------------------------------------------------


@pytest.fixture
def captured() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    logger = logging.getLogger("tests.unit.test_cfn.redacting")
    logger.handlers, logger.propagate = [handler], False
    logger.setLevel(logging.DEBUG)
    logger.filters = [RedactingFilter()]
    yield logger, stream
    logger.handlers, logger.filters = [], []


def test_event_dict_as_message(captured: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = captured
    logger.debug(event())
    output = stream.getvalue()
    assert_clean(output)
    assert "RequestType" in output
    assert "Custom::EcsServiceTeardown" in output


def test_event_dict_as_message_keeps_the_other_keys(captured: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = captured
    original = event()
    logger.info(original)
    assert "'ResponseURL': '<redacted>'" in stream.getvalue()
    assert original["ResponseURL"] == RESPONSE_URL  # the caller's event is not altered


def test_percent_formatted_message_with_url_in_args(captured: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = captured
    logger.info("sending response to %s with status %s", RESPONSE_URL, "SUCCESS")
    output = stream.getvalue()
    assert_clean(output)
    assert f"sending response to https://{HOST}/" in output
    assert "with status SUCCESS" in output


def test_percent_formatted_message_with_event_in_args(captured: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = captured
    logger.debug("event: %s", event())
    output = stream.getvalue()
    assert_clean(output)
    assert "event: {" in output


def test_mapping_args(captured: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = captured
    logger.info("answering %(ResponseURL)s for %(RequestId)s", event())
    output = stream.getvalue()
    assert_clean(output)
    assert "for req-1" in output


def test_plain_string_with_url(captured: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = captured
    logger.warning(f"PUT {OLD_STYLE_URL} timed out; retrying {RESPONSE_URL}")
    output = stream.getvalue()
    assert_clean(output)
    assert "timed out; retrying" in output


def test_plain_string_without_url_unchanged(captured: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = captured
    logger.info("100% done")
    assert stream.getvalue() == "INFO 100% done\n"


def test_exception_object_as_message(captured: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = captured
    logger.error(RuntimeError(f"could not reach {RESPONSE_URL}"))
    output = stream.getvalue()
    assert_clean(output)
    assert "could not reach" in output


def test_nested_event(captured: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = captured
    logger.info({"message": "received", "event": event()})
    output = stream.getvalue()
    assert_clean(output)
    assert "received" in output


@pytest.mark.parametrize(
    ("msg", "args"),
    [
        pytest.param(event(), None, id="dict-msg"),
        pytest.param("event %s", (event(),), id="dict-arg"),
        pytest.param("url %s", (RESPONSE_URL,), id="url-arg"),
        pytest.param(f"url {RESPONSE_URL}", None, id="plain"),
        pytest.param(["list", RESPONSE_URL], None, id="list-msg"),
    ],
)
def test_filter_on_bare_records(msg: Any, args: Any) -> None:
    record = logging.LogRecord("crhelper.utils", logging.INFO, __file__, 1, msg, args, None)
    assert RedactingFilter().filter(record) is True  # redacts; never drops a record
    assert_clean(record.getMessage())
    assert_clean(logging.Formatter("%(message)s").format(record))


def test_guard_crhelper_logging_installs_the_filter_once_and_raises_the_level() -> None:
    names = ("crhelper.resource_helper", "crhelper.utils", "crhelper.log_helper")
    saved = {name: (logging.getLogger(name).level, list(logging.getLogger(name).filters)) for name in names}
    parent_level = logging.getLogger("crhelper").level
    try:
        logging.getLogger("crhelper").setLevel(logging.DEBUG)
        for name in names:
            logging.getLogger(name).setLevel(logging.DEBUG)
        guard_crhelper_logging()
        guard_crhelper_logging()
        for name in names:
            logger = logging.getLogger(name)
            assert logger.getEffectiveLevel() >= logging.INFO
            assert sum(isinstance(f, RedactingFilter) for f in logger.filters) == 1
    finally:
        logging.getLogger("crhelper").setLevel(parent_level)
        for name, (level, filters) in saved.items():
            logging.getLogger(name).setLevel(level)
            logging.getLogger(name).filters = filters


def test_crhelper_debug_event_line_is_redacted_or_dropped() -> None:
    """crhelper logs the whole event at DEBUG; after the guard it is dropped, and would be redacted anyway."""
    parent = logging.getLogger("crhelper")
    logger = logging.getLogger("crhelper.resource_helper")
    saved = (logger.level, list(logger.filters), list(logger.handlers), logger.propagate, parent.level)
    stream = io.StringIO()
    try:
        parent.setLevel(logging.DEBUG)  # crhelper's own setup: DEBUG on its loggers
        logger.setLevel(logging.DEBUG)
        logger.handlers, logger.propagate = [logging.StreamHandler(stream)], False
        guard_crhelper_logging()
        logger.debug(event())
        logger.info("event: %s", event())
        output = stream.getvalue()
        assert_clean(output)
        assert "RequestType" not in output.split("event: ")[0]  # the DEBUG line is gone
        assert "event: {" in output
    finally:
        logger.setLevel(saved[0])
        logger.filters, logger.handlers, logger.propagate = saved[1], saved[2], saved[3]
        parent.setLevel(saved[4])
