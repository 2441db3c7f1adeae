"""The answer to CloudFormation: one builder (`answer_body`) and one sender (`send_response`), with the host
check, the 4096-byte cap, bounded retries and the status checked; the URL is never logged.

crhelper's own sender retries forever on a dead URL, takes any HTTP status as success and logs the presigned URL;
this one replaces it (see protocol.py). The ResponseURL is a credential: only its host is ever logged.
"""

from __future__ import annotations

import datetime
import http.client
import json
import logging
import re
import ssl
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import SplitResult, parse_qs, urlsplit

from ..config import ALLOW_LOCAL_ENV
from .partitions import DNS_SUFFIXES, answer_host_suffixes

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 4096
AWS_HOST_SUFFIXES = answer_host_suffixes()  # every partition this function accepts requests from
LOCAL_HOSTS = ("127.0.0.1", "localhost")
# DNS: labels of 1 to 63 letters, digits and hyphens, at most 253 characters in all (RFC 1035, 2.3.4).
_HOST_RE = re.compile(r"^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$")


class ResponseUrlError(ValueError):
    """The ResponseURL is not one this handler may answer to."""


def answer_body(
    request: dict[str, Any], status: str, reason: str, physical_id: str, data: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The answer for `request` (a CloudFormation event): every answer the function sends is built here."""
    body = {
        "Status": status,
        "Reason": reason if reason or status != "FAILED" else "failed without a message; see the function's log",
        "PhysicalResourceId": physical_id,
        "StackId": str(request.get("StackId", "")),
        "RequestId": str(request.get("RequestId", "")),
        "LogicalResourceId": str(request.get("LogicalResourceId", "")),
        "Data": data or {},
    }
    return body


def check_response_url(url: object, allow_local: bool = False, partition: str | None = None) -> SplitResult:
    """Accept only https to an AWS host (or, with the local opt-in, to 127.0.0.1 / localhost); with `partition`
    (the function's own), only a host of that partition: CloudFormation answers from the stack's own partition."""
    if not isinstance(url, str) or not url:
        raise ResponseUrlError("the event has no ResponseURL")
    if not url.isascii():  # CloudFormation's presigned URLs are ASCII; anything else cannot go on the request line
        raise ResponseUrlError("the ResponseURL holds characters outside ASCII")
    try:
        parts = urlsplit(url)
        host, port = (parts.hostname or ""), parts.port
    except ValueError as error:
        raise ResponseUrlError(f"the ResponseURL is malformed ({error})") from None
    if parts.scheme != "https":
        raise ResponseUrlError(f"the ResponseURL must use https, not {parts.scheme or 'no scheme'!r}")
    if parts.username is not None or parts.password is not None:
        raise ResponseUrlError("the ResponseURL must not carry user information")
    if allow_local and host in LOCAL_HOSTS:
        return parts
    suffixes = (f".{DNS_SUFFIXES[partition]}",) if partition in DNS_SUFFIXES else AWS_HOST_SUFFIXES
    # A host _HOST_RE accepts begins with a letter or digit, never with the suffix's dot: ending with a suffix, it has
    # at least one label of its own before it (the bare suffix, "amazonaws.com", never matches ".amazonaws.com").
    is_aws = bool(_HOST_RE.match(host)) and any(host.endswith(suffix) for suffix in suffixes)
    if not is_aws:
        shown = host[:80] or "(none)"
        local = f"; local hosts need {ALLOW_LOCAL_ENV}=true" if host in LOCAL_HOSTS else ""
        of = f" of partition {partition!r}" if partition in DNS_SUFFIXES else ""
        raise ResponseUrlError(f"refusing to answer to host {shown!r}: not an AWS host{of}{local}")
    if port not in (None, 443):
        raise ResponseUrlError(f"refusing to answer to port {port} of {host!r}: AWS answers use 443")
    return parts


REASON_FLOOR_CHARS = 1000  # Data is dropped before a Reason is cut below this
_CUT_NOTE = " ... (cut to fit CloudFormation's 4096-byte answer; the function's log has it all)"


def _size(body: dict[str, Any]) -> int:
    return len(json.dumps(body).encode())


def _cut_reason(body: dict[str, Any], reason: str, floor: int) -> None:
    """Set the longest beginning of `reason` (at least `floor` characters) that lets the body fit."""
    if _size(body) <= MAX_BODY_BYTES or len(reason) <= floor:
        return
    low, high = floor, len(reason)  # JSON escapes make bytes per character vary (1 to 12): search, don't divide
    while low < high:
        middle = (low + high + 1) // 2
        body["Reason"] = reason[:middle] + _CUT_NOTE
        if _size(body) <= MAX_BODY_BYTES:
            low = middle
        else:
            high = middle - 1
    body["Reason"] = reason[:low] + _CUT_NOTE if low else _CUT_NOTE.strip()


PRESIGNED_LIFETIME_S = 7200  # CloudFormation's response URLs are valid for two hours
_AMZ_DATE = re.compile(r"([0-9]{4})([0-9]{2})([0-9]{2})T([0-9]{2})([0-9]{2})([0-9]{2})Z")


def signed_at(url: object, now: float) -> float | None:
    """When CloudFormation signed its presigned ResponseURL (X-Amz-Date), i.e. when it sent the request; None when
    the URL does not say or the time is in the future. A time older than the URL's lifetime is returned as it is:
    such a request can no longer be answered, and the caller must touch nothing."""
    if not isinstance(url, str):
        return None
    try:
        stamp = parse_qs(urlsplit(url).query).get("X-Amz-Date", [""])[0]
        # SigV4's basic ISO 8601 form, YYYYMMDDTHHMMSSZ (read by hand: strptime's first call imports _strptime).
        parts = _AMZ_DATE.fullmatch(stamp)
        if parts is None:
            return None
        year, month, day, hour, minute, second = (int(part) for part in parts.groups())
        when = datetime.datetime(year, month, day, hour, minute, second, tzinfo=datetime.UTC).timestamp()
    except ValueError:  # a month 13, a day 31 in April...
        return None
    return when if when <= now + 5 else None


def fit_body(body: dict[str, Any]) -> bytes:
    """Serialize the answer within CloudFormation's 4096 bytes: cut a long Reason, then drop Data keys (largest
    first), then cut the Reason further. Status and the ids are never touched."""
    body = dict(body)
    reason = str(body.get("Reason", ""))
    _cut_reason(body, reason, floor=min(len(reason), REASON_FLOOR_CHARS))
    data = dict(body.get("Data") or {})
    for key in sorted(data, key=lambda k: -len(json.dumps(data[k]))):
        if _size(body) <= MAX_BODY_BYTES:
            break
        del data[key]
        body["Data"] = data
    _cut_reason(body, reason, floor=0)
    encoded = json.dumps(body).encode()
    if len(encoded) > MAX_BODY_BYTES:
        log.warning("answer is %d bytes even without Reason and Data; CloudFormation may refuse it", len(encoded))
    return encoded


def _put(host: str, port: int | None, target: str, payload: bytes, timeout_s: float, context: ssl.SSLContext) -> int:
    """One PUT of the answer; its HTTP status."""
    connection = http.client.HTTPSConnection(host, port, timeout=timeout_s, context=context)
    try:
        headers = {"Content-Type": "", "Content-Length": str(len(payload))}
        connection.request("PUT", target, body=payload, headers=headers)
        return connection.getresponse().status
    finally:
        connection.close()


# crhelper's timer answers "Execution timed out" this long before Lambda would end the invocation.
TIMER_MARGIN_S = 3.0
ANSWER_ATTEMPTS, ANSWER_TIMEOUT_S, ANSWER_BACKOFF_S = 4, 5.0, 0.5
# The longest an answer can take: every attempt timing out, and the backoffs between them.
ANSWER_WORST_S = ANSWER_ATTEMPTS * ANSWER_TIMEOUT_S + sum(ANSWER_BACKOFF_S * 2**n for n in range(ANSWER_ATTEMPTS - 1))


def send_response(
    url: str,
    body: dict[str, Any],
    *,
    attempts: int = ANSWER_ATTEMPTS,
    timeout_s: float = ANSWER_TIMEOUT_S,
    backoff_s: float = ANSWER_BACKOFF_S,
    sleep: Callable[[float], None] = time.sleep,
    allow_local: bool = False,
) -> bool:
    """PUT the answer; True once CloudFormation's endpoint answered 2xx. Never raises, never loops unbounded.

    Worst case: attempts x timeout_s plus the backoffs (ANSWER_WORST_S: 4 x 5 s + 3.5 s with the defaults).
    """
    try:
        parts = check_response_url(url, allow_local)
    except ResponseUrlError as error:
        log.error("no answer sent to CloudFormation: %s", error)
        return False
    payload = fit_body(body)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    host = parts.hostname or ""
    context = ssl.create_default_context()  # honours SSL_CERT_FILE, so a local run can trust its own CA
    for attempt in range(1, attempts + 1):
        where = {"attempt": attempt, "attempts": attempts, "host": host}
        try:
            status = _put(host, parts.port, target, payload, timeout_s, context)
        except (OSError, http.client.HTTPException, ValueError) as error:  # ValueError: encoding, IDNA
            log.warning("answer to CloudFormation not delivered", extra={**where, "error": type(error).__name__})
        else:
            if 200 <= status < 300:
                log.info(
                    "answer delivered to CloudFormation",
                    extra={**where, "http_status": status, "status": body.get("Status")},
                )
                return True
            log.warning("CloudFormation's endpoint refused the answer", extra={**where, "http_status": status})
            if 400 <= status < 500 and status not in (408, 429):
                return False  # an expired or altered presigned URL will not start working
        if attempt < attempts:
            sleep(backoff_s * 2 ** (attempt - 1))
    log.error("answer to CloudFormation not delivered after %d attempts", attempts, extra={"host": host})
    return False
