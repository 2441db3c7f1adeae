"""crhelper's CfnResource, configured and guarded against its known traps (see DESIGN.md):

- its default DEBUG level logs the whole event, presigned ResponseURL included: INFO at least, and a redacting
  filter on its loggers;
- sleep_on_delete=120 by default: 0 here;
- its sender retries forever on a dead URL and takes any status as success: `_send` goes through response.py;
- its polling (an EventBridge rule per request, never removed when CloudFormation gives up) is not used, so the
  Lambda, Events and Logs clients it would build at cold start are not built either;
- its timer answers "Execution timed out" only 0.5 s before Lambda's end: here a few seconds earlier;
- a long teardown may hand over to a fresh invocation (`defer_answer`) instead of answering now.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Callable
from typing import Any

from crhelper import CfnResource

from . import identity
from .response import send_response

_URL_RE = re.compile(r"(https?://[^\s'\"?]*)\?[^\s'\"]*")
TIMER_MARGIN_S = 3.0
CRHELPER_EVENT_KEYS = ("CrHelperPoll", "CrHelperData", "CrHelperRule", "CrHelperPermission")


def redact(text: str) -> str:
    """Drop the query of any URL (where presigned URLs keep their signature)."""
    return _URL_RE.sub(r"\1?<redacted>", text)


class RedactingFilter(logging.Filter):
    """Removes presigned URLs and ResponseURL values from log records before any handler sees them."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, dict):
            record.msg = {k: ("<redacted>" if k == "ResponseURL" else v) for k, v in record.msg.items()}
        if record.args:
            record.msg, record.args = record.getMessage(), None
        record.msg = redact(str(record.msg))
        return True


def guard_crhelper_logging() -> None:
    """crhelper's records: never below INFO (its DEBUG lines print the event), always redacted."""
    level = max(logging.INFO, logging.getLogger("crhelper").getEffectiveLevel())
    for name in ("crhelper.resource_helper", "crhelper.utils", "crhelper.log_helper"):
        logger = logging.getLogger(name)
        logger.setLevel(level)
        if not any(isinstance(f, RedactingFilter) for f in logger.filters):
            logger.addFilter(RedactingFilter())


class GuardedCfnResource(CfnResource):
    # crhelper's stubs declare only its public API; these private parts are what the guards replace.
    _context: Any
    _timer: threading.Timer | None
    _timeout: Callable[[], None]
    _response_url: str

    def __init__(self) -> None:
        # crhelper builds Lambda, Events and Logs clients for its polling unless AWS_SAM_LOCAL is set; polling is
        # not used here, so say so for the length of the constructor and spare the cold start three clients.
        saved = os.environ.get("AWS_SAM_LOCAL")
        os.environ["AWS_SAM_LOCAL"] = "true"
        try:
            super().__init__(json_logging=False, log_level="INFO", boto_level="ERROR", sleep_on_delete=0)
        finally:
            if saved is None:
                del os.environ["AWS_SAM_LOCAL"]
            else:
                os.environ["AWS_SAM_LOCAL"] = saved
        self._sam_local = saved
        self._answer_deferred = False
        self._answered = False
        self._answer_lock = threading.Lock()
        self.answer_delivered = False
        guard_crhelper_logging()

    def __call__(self, event: dict[str, Any], context: Any) -> None:
        self._answer_deferred = False
        self._answered = False
        self.answer_delivered = False
        self._response_url = ""  # never answer to the URL of an earlier request
        # crhelper reads these keys of the event for its polling, which is not used: CrHelperPoll would skip the
        # handler (a Create answered SUCCESS unvalidated), CrHelperData would become the answer's Data (one that is
        # not an object made the answer fail to serialize: no answer at all). CloudFormation never sends them.
        event = {key: value for key, value in event.items() if key not in CRHELPER_EVENT_KEYS}
        super().__call__(event, context)

    def has_answered(self) -> bool:
        """True once this request's answer went out (or was attempted), from either thread."""
        return self._answered

    def defer_answer(self) -> None:
        """A fresh invocation carries on with this request and will answer it; this one must not."""
        self._answer_deferred = True

    def _log_setup(self, event: dict[str, Any], context: Any) -> None:
        # crhelper sets the root logger's level on every call; keep that from opening its DEBUG lines.
        super()._log_setup(event, context)  # type: ignore[misc]
        guard_crhelper_logging()

    def _cfn_response(self, event: dict[str, Any]) -> None:
        if self._answer_deferred and self.Status != "FAILED":
            logging.getLogger(__name__).info("answer deferred to the continuing invocation")
            return
        super()._cfn_response(event)  # type: ignore[misc]

    def generate_physical_id(self, event: dict[str, Any]) -> str:
        # Only a failed Create gets here (a successful one returns its id); a Delete recognizes this id as a no-op.
        return identity.failed_create_id(str(event.get("RequestId", "")))

    def _set_timeout(self) -> None:
        remaining_s = self._context.get_remaining_time_in_millis() / 1000.0
        self._timer = threading.Timer(max(0.0, remaining_s - TIMER_MARGIN_S), self._timeout)
        self._timer.daemon = True
        self._timer.start()

    def _send(self, status: str | None = None, reason: str = "", _unused_sender: Any = None) -> None:
        body = {
            "Status": status or self.Status,
            "PhysicalResourceId": str(self.PhysicalResourceId) or identity.failed_create_id(self.RequestId),
            "StackId": self.StackId,
            "RequestId": self.RequestId,
            "LogicalResourceId": self.LogicalResourceId,
            "Reason": str(reason if status else self.Reason),
            "Data": self.Data,
            "NoEcho": self.NoEcho,
        }
        if body["Status"] == "FAILED" and not body["Reason"]:
            body["Reason"] = "failed without a message; see the function's log"
        with self._answer_lock:
            if self._answered:  # crhelper's timer and the main thread may both try: one answer only
                return
            self._answered = True
        self.answer_delivered = send_response(self._response_url, body)
