"""The answer to CloudFormation: which URLs we answer to, the 4096-byte cap, and no network on a refused URL."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from ecs_teardown.cfn import answer as response
from ecs_teardown.cfn.answer import MAX_BODY_BYTES, ResponseUrlError, check_response_url, fit_body, send_response
from ecs_teardown.config import ALLOW_LOCAL_ENV, Config

SIGNATURE = "f00dfeedc0ffee0123456789abcdef0123456789abcdef0123456789abcdef01"
QUERY = (
    "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAEXAMPLE%2F20250101%2Fus-east-1%2Fs3%2Faws4_request"
    f"&X-Amz-Date=20250101T000000Z&X-Amz-Expires=7200&X-Amz-SignedHeaders=host&X-Amz-Signature={SIGNATURE}"
)
PATH = "/arn%3Aaws%3Acloudformation%3Aus-east-1%3A123456789012%3Astack/s/1%7CRes%7Creq-1"


def url(host: str, scheme: str = "https") -> str:
    return f"{scheme}://{host}{PATH}?{QUERY}"


# ---------------------------------------------------------------------------------------------------------------
# check_response_url
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "host",
    [
        "s3.amazonaws.com",
        "cloudformation-custom-resource-response-useast1.s3.amazonaws.com",
        "cloudformation-custom-resource-response-uswest2.s3.us-west-2.amazonaws.com",
        "cloudformation-custom-resource-response-cnnorth1.s3.cn-north-1.amazonaws.com.cn",
        "s3.cn-northwest-1.amazonaws.com.cn",
        "S3.AmazonAWS.com",
        "s3.amazonaws.com:443",
    ],
)
def test_accepts_https_to_aws_hosts(host: str) -> None:
    parts = check_response_url(url(host), allow_local=False)
    assert parts.scheme == "https"
    assert parts.hostname == host.split(":")[0].lower()
    assert parts.query == QUERY  # the query (the signature) is kept for the PUT itself


REFUSED = [
    pytest.param(url("s3.amazonaws.com", "http"), "https", id="http"),
    pytest.param(url("s3.amazonaws.com", "ftp"), "https", id="ftp"),
    pytest.param(f"s3.amazonaws.com{PATH}?{QUERY}", "https", id="no-scheme"),
    pytest.param(url("amazonaws.com.evil.example"), "not an AWS host", id="suffix-look-alike"),
    pytest.param(url("evil-amazonaws.com"), "not an AWS host", id="dash-look-alike"),
    pytest.param(url("evilamazonaws.com"), "not an AWS host", id="glued-look-alike"),
    pytest.param(url("amazonaws.com"), "not an AWS host", id="bare-amazonaws"),
    pytest.param(url("amazonaws.com.cn"), "not an AWS host", id="bare-amazonaws-cn"),
    pytest.param(url(".amazonaws.com"), "", id="empty-label"),
    pytest.param(url("s3.amazonaws.com.evil.example"), "not an AWS host", id="aws-then-evil"),
    pytest.param(url("s3.amazonaws.co"), "not an AWS host", id="co"),
    pytest.param(url("s3_x.amazonaws.com"), "not an AWS host", id="underscore"),
    pytest.param(url("s3.amazonaws.com@evil.example"), "user information", id="userinfo"),
    pytest.param(url("user:pass@s3.amazonaws.com"), "user information", id="userinfo-on-aws"),
    pytest.param(url("s3.amazonaws.com:443@evil.example"), "user information", id="userinfo-with-port"),
    pytest.param(url("evil.example#@s3.amazonaws.com"), "not an AWS host", id="fragment-trick"),
    pytest.param(url("s3.amazonaws.com\\@evil.example"), "", id="backslash-trick"),
    pytest.param(url("s3.amazonaws.com:8443"), "port 8443", id="port-8443"),
    pytest.param(url("s3.amazonaws.com:80"), "port 80", id="port-80"),
    pytest.param(url("s3.amazonaws.com:0"), "port 0", id="port-0"),
    pytest.param(url("s3.amazonaws.com:99999"), "malformed", id="port-out-of-range"),
    pytest.param(url("s3.amazonaws.com:abc"), "malformed", id="port-not-a-number"),
    pytest.param(url("169.254.169.254"), "not an AWS host", id="imds"),
    pytest.param(url("169.254.170.2"), "not an AWS host", id="ecs-metadata"),
    pytest.param(url("10.0.0.1"), "not an AWS host", id="private-10"),
    pytest.param(url("172.16.5.4"), "not an AWS host", id="private-172"),
    pytest.param(url("192.168.1.1"), "not an AWS host", id="private-192"),
    pytest.param(url("[::1]"), "not an AWS host", id="ipv6-loopback"),
    pytest.param(url("[fd00::1]"), "not an AWS host", id="ipv6-private"),
    pytest.param(url("[::1"), "malformed", id="ipv6-broken"),
    pytest.param(url("127.0.0.1"), ALLOW_LOCAL_ENV, id="loopback"),
    pytest.param(url("localhost"), ALLOW_LOCAL_ENV, id="localhost"),
    pytest.param(url("localhost:8443"), ALLOW_LOCAL_ENV, id="localhost-port"),
    pytest.param(url("0.0.0.0"), "not an AWS host", id="zeros"),
    pytest.param(url("s3.amazonaws.com%2eevil.example"), "not an AWS host", id="percent-dot"),
    pytest.param(url(""), "not an AWS host", id="no-host"),
    pytest.param("", "no ResponseURL", id="empty"),
]


@pytest.mark.parametrize(("target", "words"), REFUSED)
def test_refuses(target: str, words: str) -> None:
    with pytest.raises(ResponseUrlError) as caught:
        check_response_url(target, allow_local=False)
    message = str(caught.value)
    assert words in message
    assert SIGNATURE not in message
    assert "X-Amz-Signature" not in message
    assert "X-Amz-Credential" not in message


@pytest.mark.parametrize("value", [None, 42, b"https://s3.amazonaws.com/", ["https://s3.amazonaws.com/"]])
def test_refuses_non_strings(value: object) -> None:
    with pytest.raises(ResponseUrlError, match="no ResponseURL"):
        check_response_url(value, allow_local=False)


def test_error_is_a_value_error() -> None:
    assert issubclass(ResponseUrlError, ValueError)


def test_refused_host_is_shown_cut_short() -> None:
    host = "a" * 300 + ".example"
    with pytest.raises(ResponseUrlError) as caught:
        check_response_url(url(host), allow_local=False)
    assert len(str(caught.value)) < 200


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "localhost:8443", "127.0.0.1:4443", "s3.amazonaws.com"])
def test_local_hosts_accepted_with_the_opt_in(host: str) -> None:
    parts = check_response_url(url(host), allow_local=True)
    assert parts.hostname == host.split(":")[0]


@pytest.mark.parametrize(
    "target",
    [
        url("127.0.0.1", "http"),
        url("localhost", "http"),
        url("10.0.0.1"),
        url("169.254.169.254"),
        url("127.0.0.2"),
        url("localhost.evil.example"),
        url("user@localhost"),
    ],
)
def test_local_opt_in_opens_only_loopback_over_https(target: str) -> None:
    with pytest.raises(ResponseUrlError):
        check_response_url(target, allow_local=True)


@pytest.mark.parametrize(
    ("value", "allowed"), [("true", True), ("TRUE", True), (" true ", True), ("1", False), ("", False)]
)
def test_local_opt_in_from_environment(value: str, allowed: bool) -> None:
    opt_in = Config.from_environment({ALLOW_LOCAL_ENV: value}).allow_local_response_url
    assert opt_in is allowed
    if allowed:
        assert check_response_url(url("127.0.0.1"), opt_in).hostname == "127.0.0.1"
    else:
        with pytest.raises(ResponseUrlError):
            check_response_url(url("127.0.0.1"), opt_in)


def test_local_opt_in_absent_by_default() -> None:
    assert Config.from_environment({}).allow_local_response_url is False
    with pytest.raises(ResponseUrlError):
        check_response_url(url("localhost"))
    assert check_response_url(url("s3.amazonaws.com")).hostname == "s3.amazonaws.com"


@pytest.mark.parametrize("value", ["", None, 42])
def test_no_response_url_word_for_word(value: object) -> None:
    with pytest.raises(ResponseUrlError) as caught:
        check_response_url(value, allow_local=False)
    assert str(caught.value) == "the event has no ResponseURL"


LOCAL_HINT = f"; local hosts need {ALLOW_LOCAL_ENV}=true"


@pytest.mark.parametrize(
    ("target", "partition", "message"),
    [
        # the refused host itself, lower-cased as urlsplit reads it, and nothing of the path or the query
        (url("evil.example"), None, "refusing to answer to host 'evil.example': not an AWS host"),
        (url("S3.Evil.Example"), None, "refusing to answer to host 's3.evil.example': not an AWS host"),
        (url("a.b_c.amazonaws.com"), None, "refusing to answer to host 'a.b_c.amazonaws.com': not an AWS host"),
        (url(""), None, "refusing to answer to host '(none)': not an AWS host"),
        (url("127.0.0.1"), None, f"refusing to answer to host '127.0.0.1': not an AWS host{LOCAL_HINT}"),
        (url("localhost:8443"), None, f"refusing to answer to host 'localhost': not an AWS host{LOCAL_HINT}"),
        (url("127.0.0.2"), None, "refusing to answer to host '127.0.0.2': not an AWS host"),
        # with the function's own partition: only its hosts, and the message says which partition
        (
            url("s3.amazonaws.com.cn"),
            "aws",
            "refusing to answer to host 's3.amazonaws.com.cn': not an AWS host of partition 'aws'",
        ),
        (
            url("s3.amazonaws.com"),
            "aws-cn",
            "refusing to answer to host 's3.amazonaws.com': not an AWS host of partition 'aws-cn'",
        ),
        (
            url("localhost"),
            "aws",
            f"refusing to answer to host 'localhost': not an AWS host of partition 'aws'{LOCAL_HINT}",
        ),
        # the other refusals, word for word
        (url("s3.amazonaws.com", "http"), None, "the ResponseURL must use https, not 'http'"),
        (f"s3.amazonaws.com{PATH}", None, "the ResponseURL must use https, not 'no scheme'"),
        (
            url("s3.amazonaws.com:8443"),
            None,
            "refusing to answer to port 8443 of 's3.amazonaws.com': AWS answers use 443",
        ),
        (url("u@s3.amazonaws.com"), None, "the ResponseURL must not carry user information"),
        (url(":p@s3.amazonaws.com"), None, "the ResponseURL must not carry user information"),
        (
            url("s3.amazonaws.com:x"),
            None,
            "the ResponseURL is malformed (Port could not be cast to integer value as 'x')",
        ),
        (url("s3.amazonaws.cöm"), None, "the ResponseURL holds characters outside ASCII"),
    ],
)
def test_refusal_messages_name_the_host_exactly(target: str, partition: str | None, message: str) -> None:
    with pytest.raises(ResponseUrlError) as caught:
        check_response_url(target, allow_local=False, partition=partition)
    assert str(caught.value) == message


def test_a_refused_host_is_shown_cut_to_80_characters() -> None:
    host = "a" * 63 + "." + "b" * 63 + ".example"
    with pytest.raises(ResponseUrlError) as caught:
        check_response_url(url(host), allow_local=False)
    assert str(caught.value) == f"refusing to answer to host {host[:80]!r}: not an AWS host"


def dns_name(length: int, suffix: str = ".amazonaws.com") -> str:
    """A host of exactly `length` characters: labels of 63 (and one shorter) before `suffix`."""
    room = length - len(suffix)
    labels = []
    while room > 64:
        labels.append("a" * 63)
        room -= 64
    labels.append("b" * room)
    return ".".join(labels) + suffix


@pytest.mark.parametrize(
    "host",
    [
        "s3.b-c.amazonaws.com",
        "a.b.c.d.s3.amazonaws.com",
        "a." + "b" * 63 + ".amazonaws.com",  # a label of 63: the longest DNS allows
        "0.amazonaws.com",
        dns_name(253),  # the longest name DNS allows
        "s3.amazonaws.com.cn",  # any partition's host, where the function's own is not known
    ],
)
def test_hosts_with_valid_labels_everywhere_are_accepted(host: str) -> None:
    assert check_response_url(url(host), allow_local=False).hostname == host


@pytest.mark.parametrize(
    "host",
    [
        "a.b_c.amazonaws.com",  # an underscore beyond the first label
        "a.-b.amazonaws.com",  # a label that starts with a hyphen
        "a.b-.amazonaws.com",  # a label that ends with a hyphen
        "s3-.amazonaws.com",
        "a..amazonaws.com",  # an empty label
        "a." + "b" * 64 + ".amazonaws.com",  # a label of 64
        dns_name(254),  # a name over 253 characters
        "s3.amazonaws.com.",  # the root's dot: not a form CloudFormation uses
        "s3.amazonaws.com.cn.",
    ],
)
def test_hosts_with_an_invalid_label_anywhere_are_refused(host: str) -> None:
    with pytest.raises(ResponseUrlError) as caught:
        check_response_url(url(host), allow_local=False)
    assert str(caught.value) == f"refusing to answer to host {host[:80]!r}: not an AWS host"


def test_the_function_s_partition_narrows_the_hosts_to_its_own() -> None:
    cn = "s3.cn-north-1.amazonaws.com.cn"
    assert check_response_url(url(cn), partition="aws-cn").hostname == cn
    assert check_response_url(url(cn), partition="aws-unknown").hostname == cn  # unknown: any partition's host
    with pytest.raises(ResponseUrlError):
        check_response_url(url(cn), partition="aws")


# ---------------------------------------------------------------------------------------------------------------
# fit_body
# ---------------------------------------------------------------------------------------------------------------

PHYSICAL_ID = "arn:aws:ecs:us-east-1:123456789012:service/prod/web"
REQUEST_ID = "8f3a1e52-7c5f-4f7e-9d1b-0c1b2f3e4d5a"


def body(reason: str = "", data: dict[str, Any] | None = None, status: str = "FAILED") -> dict[str, Any]:
    return {
        "Status": status,
        "PhysicalResourceId": PHYSICAL_ID,
        "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/s/1",
        "RequestId": REQUEST_ID,
        "LogicalResourceId": "Teardown",
        "Reason": reason,
        "Data": data if data is not None else {},
        "NoEcho": False,
    }


def assert_fits_and_keeps_identity(encoded: bytes, original: dict[str, Any]) -> dict[str, Any]:
    assert isinstance(encoded, bytes)
    assert len(encoded) <= MAX_BODY_BYTES
    answer: dict[str, Any] = json.loads(encoded)
    for key in ("Status", "PhysicalResourceId", "StackId", "RequestId", "LogicalResourceId"):
        assert answer[key] == original[key]
    return answer


def test_small_body_is_unchanged() -> None:
    original = body("boom", {"ServiceArn": PHYSICAL_ID})
    assert json.loads(fit_body(original)) == original


def test_fit_body_does_not_mutate_its_argument() -> None:
    original = body("x" * 10_000, {f"k{i}": "v" * 100 for i in range(60)})
    copy = json.loads(json.dumps(original))
    fit_body(original)
    assert original == copy


HUGE_REASONS = [
    pytest.param("x" * 100_000, id="ascii"),
    pytest.param("failure: " * 20_000, id="ascii-words"),
    pytest.param("é" * 50_000, id="latin-1"),
    pytest.param("失败" * 20_000, id="cjk"),
    pytest.param("😀" * 20_000, id="emoji"),
    pytest.param('"\\' * 20_000, id="escaped-ascii"),
    pytest.param("\n\t" * 20_000, id="control"),
    pytest.param("a" * 3000 + "é" * 3000, id="ascii-then-unicode"),
    pytest.param("é" * 700, id="just-over-in-unicode"),
]


@pytest.mark.parametrize("reason", HUGE_REASONS)
def test_huge_reason_fits(reason: str) -> None:
    original = body(reason)
    answer = assert_fits_and_keeps_identity(fit_body(original), original)
    assert answer["Reason"]  # FAILED needs a Reason
    assert "cut to fit" in answer["Reason"]


@pytest.mark.parametrize("reason", HUGE_REASONS)
def test_huge_reason_keeps_its_beginning(reason: str) -> None:
    """The cut Reason still says what went wrong: it starts with the start of the original."""
    original = body(reason)
    answer = json.loads(fit_body(original))
    assert answer["Reason"].startswith(reason[:50]), answer["Reason"][:120]


def test_huge_ascii_reason_keeps_most_of_the_room() -> None:
    encoded = fit_body(body("x" * 100_000))
    assert len(encoded) > MAX_BODY_BYTES - 300


@pytest.mark.parametrize(
    "data",
    [
        pytest.param({f"Key{i}": "v" * 200 for i in range(100)}, id="many-keys"),
        pytest.param({"Big": "b" * 20_000, "ServiceArn": PHYSICAL_ID}, id="one-big-value"),
        pytest.param({"Big": "é" * 5_000, "Small": "s"}, id="unicode-value"),
        pytest.param({f"K{i}": "😀" * 50 for i in range(40)}, id="many-unicode"),
    ],
)
def test_huge_data_fits(data: dict[str, Any]) -> None:
    original = body("boom", data, status="SUCCESS")
    answer = assert_fits_and_keeps_identity(fit_body(original), original)
    assert set(answer["Data"]) <= set(data)
    assert set(answer["Data"]) != set(data)
    for key, value in answer["Data"].items():
        assert value == data[key]  # kept keys are kept whole


def test_data_drops_the_biggest_keys_first() -> None:
    data = {"Big": "b" * 20_000, "ServiceArn": PHYSICAL_ID}
    answer = json.loads(fit_body(body("", data, status="SUCCESS")))
    assert answer["Data"] == {"ServiceArn": PHYSICAL_ID}


def test_huge_reason_and_huge_data_fit() -> None:
    original = body("r" * 50_000, {f"Key{i}": "v" * 500 for i in range(50)})
    assert_fits_and_keeps_identity(fit_body(original), original)


def test_reason_is_cut_before_data() -> None:
    data = {"ServiceArn": PHYSICAL_ID, "Cluster": "prod"}
    original = body("r" * 10_000, data)
    answer = assert_fits_and_keeps_identity(fit_body(original), original)
    assert answer["Data"] == data
    assert answer["Reason"].startswith("rrrr")


def test_reason_and_data_both_cut_when_data_alone_is_over() -> None:
    data = {"Big": "b" * 3000, "Small": "s"}
    original = body("r" * 3000, data)
    answer = assert_fits_and_keeps_identity(fit_body(original), original)
    assert "Small" in answer["Data"]


def test_short_reason_survives_when_only_data_is_too_big() -> None:
    """Cutting a 20-character Reason cannot make room; it must not be replaced by the 'cut' note."""
    reason = "service web: boom 42"
    original = body(reason, {"Big": "b" * 20_000, "ServiceArn": PHYSICAL_ID})
    answer = assert_fits_and_keeps_identity(fit_body(original), original)
    assert answer["Reason"] == reason
    assert answer["Data"] == {"ServiceArn": PHYSICAL_ID}


def test_body_without_data_and_huge_physical_id_is_still_returned(caplog: pytest.LogCaptureFixture) -> None:
    original = body("boom")
    original["PhysicalResourceId"] = "p" * 5000
    with caplog.at_level(logging.WARNING, logger=response.__name__):
        encoded = fit_body(original)
    assert json.loads(encoded)["PhysicalResourceId"] == "p" * 5000
    assert "CloudFormation may refuse it" in caplog.text


# ---------------------------------------------------------------------------------------------------------------
# send_response
# ---------------------------------------------------------------------------------------------------------------


class NoConnection:
    made = 0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        NoConnection.made += 1
        raise AssertionError("no connection may be opened")


@pytest.mark.parametrize(
    "target",
    [
        url("s3.amazonaws.com", "http"),
        url("evil.example"),
        url("s3.amazonaws.com@evil.example"),
        url("169.254.169.254"),
        url("127.0.0.1"),
        url("s3.amazonaws.com:8443"),
        "",
    ],
)
def test_send_to_refused_url_returns_false_without_network(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, target: str
) -> None:
    monkeypatch.delenv(ALLOW_LOCAL_ENV, raising=False)
    monkeypatch.setattr(response.http.client, "HTTPSConnection", NoConnection)
    NoConnection.made = 0
    sleeps: list[float] = []
    with caplog.at_level(logging.DEBUG):
        delivered = send_response(target, body("boom"), sleep=sleeps.append)
    assert delivered is False
    assert NoConnection.made == 0
    assert sleeps == []
    assert "no answer sent" in caplog.text
    assert SIGNATURE not in caplog.text


class FakeConnection:
    """Plays back HTTP statuses (or raises OSError for None); records what was sent."""

    statuses: list[int | None] = []
    sent: list[dict[str, Any]] = []

    def __init__(self, host: str, port: int | None, timeout: float, context: Any) -> None:
        self.host, self.port = host, port

    def request(self, method: str, target: str, body: bytes, headers: dict[str, str]) -> None:
        FakeConnection.sent.append({"method": method, "host": self.host, "target": target, "body": body, **headers})
        self.status = FakeConnection.statuses.pop(0)
        if self.status is None:
            raise OSError("connection reset")

    def getresponse(self) -> Any:
        return type("Response", (), {"status": self.status})()

    def close(self) -> None:
        pass


@pytest.fixture
def fake_https(monkeypatch: pytest.MonkeyPatch) -> type[FakeConnection]:
    FakeConnection.statuses, FakeConnection.sent = [], []
    monkeypatch.setattr(response.http.client, "HTTPSConnection", FakeConnection)
    return FakeConnection


@pytest.mark.parametrize(
    ("statuses", "delivered", "attempts", "sleeps"),
    [
        ([200], True, 1, []),
        ([204], True, 1, []),
        ([500, 200], True, 2, [0.5]),
        ([None, None, 200], True, 3, [0.5, 1.0]),
        ([429, 408, 503, 200], True, 4, [0.5, 1.0, 2.0]),
        ([403], False, 1, []),
        ([404], False, 1, []),
        ([500, 500, 500, 500], False, 4, [0.5, 1.0, 2.0]),
        ([None, None, None, None], False, 4, [0.5, 1.0, 2.0]),
    ],
)
def test_send_is_bounded_and_checks_the_status(
    fake_https: type[FakeConnection],
    caplog: pytest.LogCaptureFixture,
    statuses: list[int | None],
    delivered: bool,
    attempts: int,
    sleeps: list[float],
) -> None:
    fake_https.statuses = list(statuses)
    slept: list[float] = []
    with caplog.at_level(logging.DEBUG):
        result = send_response(url("s3.amazonaws.com"), body("boom"), sleep=slept.append, allow_local=False)
    assert result is delivered
    assert len(fake_https.sent) == attempts
    assert slept == sleeps
    assert SIGNATURE not in caplog.text


def test_send_puts_the_fitted_body_to_the_presigned_path(fake_https: type[FakeConnection]) -> None:
    fake_https.statuses = [200]
    assert send_response(url("s3.amazonaws.com"), body("x" * 50_000), sleep=lambda _: None, allow_local=False)
    (sent,) = fake_https.sent
    assert sent["method"] == "PUT"
    assert sent["host"] == "s3.amazonaws.com"
    assert sent["target"] == f"{PATH}?{QUERY}"
    assert sent["Content-Type"] == ""
    assert len(sent["body"]) <= MAX_BODY_BYTES
    assert sent["Content-Length"] == str(len(sent["body"]))


@pytest.mark.parametrize(
    ("target", "why"),
    [
        ("https://bucket.s3.amazonaws.com/ключ?X-Amz-Signature=ab", "outside ASCII"),
        ("https://" + "a" * 64 + ".s3.amazonaws.com/p?X-Amz-Signature=ab", "not an AWS host"),
        ("https://" + ("a" * 60 + ".") * 5 + "s3.amazonaws.com/p", "not an AWS host"),
    ],
    ids=["non-ascii-path", "label-over-63", "host-over-253"],
)
def test_a_url_that_cannot_be_sent_to_is_refused_at_the_check_and_send_never_raises(
    target: str, why: str, caplog: pytest.LogCaptureFixture
) -> None:
    with pytest.raises(ResponseUrlError, match=why):
        check_response_url(target)
    with caplog.at_level("ERROR"):
        assert send_response(target, {"Status": "SUCCESS"}, attempts=1, sleep=lambda s: None) is False
    assert "X-Amz-Signature" not in caplog.text and "no answer sent to CloudFormation" in caplog.text


@pytest.mark.parametrize(
    ("stamp", "expected"),
    [
        ("20261130T101010Z", 1796033410.0),
        ("20240229T000000Z", 1709164800.0),  # a leap day
        ("20250229T000000Z", None),  # not a leap year
        ("20261331T000000Z", None),  # month 13
        ("2026113T101010Z", None),  # SigV4 always writes two digits
        ("20261130T101010", None),  # no Z
        ("20261130T2510100Z", None),
        ("\uff12\uff10\uff12\uff161130T101010Z", None),  # fullwidth (non-ASCII) digits
        ("", None),
    ],
)
def test_signed_at_reads_sigv4_s_basic_iso_8601_date_only(stamp: str, expected: float | None) -> None:
    from ecs_teardown.cfn.answer import signed_at

    url = f"https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/x?X-Amz-Date={stamp}&X-Amz-Expires=7200"
    assert signed_at(url, now=2_000_000_000.0) == expected
    assert signed_at(url, now=1_000_000_000.0) is None  # never in the future
