"""CloudFormation's custom-resource protocol: the event checks, the dispatch to Create/Update (requests.py) and Delete (delete.py),
and crhelper, configured and guarded against its known traps (shared/DESIGN.md, "crhelper's traps"):

- its default DEBUG level logs the whole event, presigned ResponseURL included: INFO at least, and a redacting
  filter on its loggers;
- sleep_on_delete=120 by default: 0 here;
- its sender retries forever on a dead URL and takes any status as success: `_send` goes through answer.py;
- its polling (an EventBridge rule per request, never removed when CloudFormation gives up) is not used, so the
  Lambda, Events and Logs clients it would build at cold start are not built either;
- its timer answers "Execution timed out" only 0.5 s before Lambda's end: here a few seconds earlier;
- a long teardown may hand its request over to a fresh invocation (`claim_hand_over`, then `hand_over_done`) instead of answering now.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import time
import warnings
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers
from aws_lambda_powertools.metrics import MetricUnit
from crhelper import CfnResource

from ..core.engine import TeardownResult
from ..core.ports import Ledger, LedgerError, NoLedger
from . import delete, identity, requests
from .answer import (
    ANSWER_WORST_S,
    PRESIGNED_LIFETIME_S,
    TIMER_MARGIN_S,
    ResponseUrlError,
    answer_body,
    check_response_url,
    send_response,
)
from .delete import DeleteReport
from .edges import Edges
from .requests import TeardownError

_URL_RE = re.compile(r"(https?://[^\s'\"?]*)\?[^\s'\"]*")
OPEN, ANSWERED, HANDING_OVER, HANDED_OVER = "open", "answered", "handing-over", "handed-over"
CRHELPER_EVENT_KEYS = ("CrHelperPoll", "CrHelperData", "CrHelperRule", "CrHelperPermission")
REQUIRED_FIELDS = ("RequestType", "ResponseURL", "StackId", "RequestId", "LogicalResourceId")
REQUEST_TYPES = ("Create", "Update", "Delete")


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

    def __init__(self, allow_local_answers: bool = False, ledger: Ledger | None = None) -> None:
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
        self._allow_local_answers = allow_local_answers
        self._ledger: Ledger = ledger or NoLedger()
        self._answer_lock = threading.Lock()
        self._fate = OPEN  # one decision per request: answered, or handed over, never both (see `_decide`)
        self._answer_finished = threading.Event()
        self.answer_delivered = False
        self._sent_physical_id = ""
        guard_crhelper_logging()

    def __call__(self, event: dict[str, Any], context: Any) -> None:
        self._fate = OPEN
        self._answer_finished.clear()
        self.answer_delivered = False
        self._response_url = ""  # never answer to the URL of an earlier request
        # Every answer for one resource carries the same id: an Update's or a Delete's is the one it was sent, also
        # when crhelper's timer answers before the handler has set one.
        sent_id = event.get("PhysicalResourceId")
        self._sent_physical_id = sent_id if isinstance(sent_id, str) else ""
        # crhelper reads these keys of the event for its polling, which is not used: CrHelperPoll would skip the
        # handler (a Create answered SUCCESS unvalidated), CrHelperData would become the answer's Data (one that is
        # not an object made the answer fail to serialize: no answer at all). CloudFormation never sends them.
        event = {key: value for key, value in event.items() if key not in CRHELPER_EVENT_KEYS}
        super().__call__(event, context)
        # The timer's thread may still be sending its answer: Lambda freezes the environment when the handler
        # returns, so wait for it (it is bounded: ANSWER_WORST_S) rather than leave the answer half sent.
        if self._fate == ANSWERED and not self._answer_finished.wait(timeout=ANSWER_WORST_S + 1):
            logging.getLogger(__name__).error("the answer was still being sent when the handler returned")

    def _decide(self, fate: str) -> bool:
        """Move this request to `fate` (ANSWERED or HANDING_OVER) if it is still OPEN: the one place where the main
        thread and crhelper's timer thread meet, so only one of them answers or hands over."""
        with self._answer_lock:
            if self._fate != OPEN:
                return False
            self._fate = fate
            return True

    def has_answered(self) -> bool:
        """True once this request's answer went out (or is going out), from either thread."""
        return self._fate == ANSWERED

    def claim_hand_over(self) -> bool:
        """The right to hand this request over to a fresh invocation; False once it was answered (the timer)."""
        return self._decide(HANDING_OVER)

    def answered_elsewhere(self) -> None:
        """Another invocation answered this request (the ledger says): this one must not answer."""
        if self._decide(ANSWERED):
            self._answer_finished.set()

    def hand_over_done(self, handed_over: bool) -> None:
        """After the hand-over's Invoke: the next invocation answers, or (it failed) this one must."""
        with self._answer_lock:
            self._fate = HANDED_OVER if handed_over else OPEN

    def _log_setup(self, event: dict[str, Any], context: Any) -> None:
        # crhelper sets the root logger's level on every call; keep that from opening its DEBUG lines.
        super()._log_setup(event, context)  # type: ignore[misc]
        guard_crhelper_logging()

    def _cfn_response(self, event: dict[str, Any]) -> None:
        if self._fate == HANDED_OVER:
            logging.getLogger(__name__).info("answer handed over to the next invocation")
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
        request = {"StackId": self.StackId, "RequestId": self.RequestId, "LogicalResourceId": self.LogicalResourceId}
        physical_id = (
            str(self.PhysicalResourceId or "") or self._sent_physical_id or identity.failed_create_id(self.RequestId)
        )
        body = answer_body(
            request, status or self.Status, str(reason if status else self.Reason), physical_id, self.Data
        )
        body["NoEcho"] = self.NoEcho
        # crhelper's timer and the main thread may both try, and a hand-over under way is its own answer: one only.
        if not self._decide(ANSWERED):
            logging.getLogger(__name__).info("not answering: this request was answered or handed over already")
            return
        try:
            if self._first_answer(str(body["Status"])):
                self.answer_delivered = send_response(self._response_url, body, allow_local=self._allow_local_answers)
        finally:
            self._answer_finished.set()

    def _first_answer(self, status: str) -> bool:
        """Record this answer in the ledger; False when another invocation of the same request answered first."""
        log = logging.getLogger(__name__)
        try:
            first = self._ledger.record_answer(self.RequestId, status, int(time.time()) + PRESIGNED_LIFETIME_S)
        except LedgerError as error:  # answer anyway: a second answer is better than none
            log.warning("the answer ledger could not be written; answering anyway", extra={"error": str(error)})
            return True
        if not first:
            log.warning("another invocation answered this request already (the ledger says): not answering again")
        return first


def malformed(event: Any) -> str:
    """Why the event cannot go to crhelper (which would fail on a missing key), or ''."""
    if not isinstance(event, dict):
        return f"the event is a {type(event).__name__}, not a CloudFormation request"
    missing = [key for key in REQUIRED_FIELDS if not isinstance(event.get(key), str) or not event.get(key)]
    if missing:
        return f"the event lacks {', '.join(missing)}"
    if event["RequestType"] not in REQUEST_TYPES:
        return f"RequestType {str(event['RequestType'])[:40]!r} is not Create, Update or Delete"
    if event["RequestType"] != "Create" and not isinstance(event.get("PhysicalResourceId"), str):
        return f"a {event['RequestType']} request needs a PhysicalResourceId"
    return ""


class CustomResource:
    """The function: Powertools' Logger and Metrics around a guarded crhelper, dispatching to requests.py and delete.py.

    `handle` is the Lambda handler. Each instance has its own edges, so tests and the local invoke build their own
    instead of patching a module's globals."""

    def __init__(self, edges: Edges) -> None:
        config = edges.config
        self.edges = edges
        self.logger = Logger(service=config.service_name)
        self.metrics = Metrics(namespace=config.metrics_namespace)
        self.helper = GuardedCfnResource(config.allow_local_response_url, edges.answer_ledger())
        copy_config_to_registered_loggers(source_logger=self.logger, include={"crhelper", "ecs_teardown"})
        for handler in self.logger.handlers:
            if not any(isinstance(f, RedactingFilter) for f in handler.filters):
                handler.addFilter(RedactingFilter())
        # Create, Update and hand-overs publish no metrics by design; Powertools would warn about each of them.
        warnings.filterwarnings("ignore", message="No application metrics to publish")
        self.helper.create(self._create_or_update)
        self.helper.update(self._create_or_update)
        self.helper.delete(self._delete)
        handle = self.metrics.log_metrics(self.logger.inject_lambda_context(clear_state=True)(self._handle))
        if config.tracer:
            # Opt-in X-Ray tracing: needs aws-xray-sdk in the function or a layer. Off by default, and then nothing
            # of Powertools' Tracer or the X-Ray SDK is imported, so the cold start does not pay for it.
            from aws_lambda_powertools import Tracer

            handle = Tracer().capture_lambda_handler(handle)
        self.handle: Callable[[Any, Any], None] = handle

    def _create_or_update(self, event: dict[str, Any], context: Any) -> str:
        physical_id, self.helper.Data = requests.create_or_update(event, context, self.edges)
        return physical_id

    def _delete(self, event: dict[str, Any], context: Any) -> None:
        try:
            report = delete.delete(event, context, self.edges, gate=self.helper)
        except TeardownError as failure:
            self._record_metrics(DeleteReport(handed_over=False, result=failure.result), succeeded=False)
            raise
        self._record_metrics(report, succeeded=True)

    def _record_metrics(self, report: DeleteReport, succeeded: bool) -> None:
        if report.throttles:
            self.metrics.add_metric(name="Throttles", unit=MetricUnit.Count, value=report.throttles)
        result: TeardownResult | None = report.result
        if report.handed_over or result is None:
            return
        self.metrics.add_metric(name="TeardownDuration", unit=MetricUnit.Seconds, value=round(result.elapsed_s, 3))
        self.metrics.add_metric(name="ForcedDeletes", unit=MetricUnit.Count, value=result.forced_deletes)
        outcome = "TeardownSucceeded" if succeeded else "TeardownFailed"
        self.metrics.add_metric(name=outcome, unit=MetricUnit.Count, value=1)

    def _handle(self, event: Any, context: Any) -> None:
        fields = event if isinstance(event, dict) else {}
        self.logger.append_keys(
            request_type=str(fields.get("RequestType"))[:40],
            cfn_request_id=str(fields.get("RequestId"))[:100],
            stack_id=str(fields.get("StackId"))[:300],
            logical_resource_id=str(fields.get("LogicalResourceId"))[:300],
        )
        scope = requests.scope_of(context, fields)
        allow_local = self.edges.config.allow_local_response_url
        try:
            check_response_url(fields.get("ResponseURL"), allow_local, scope.partition if scope else None)
        except ResponseUrlError as error:
            self.logger.error(f"cannot answer this request: {error}")
            return
        problem = malformed(event)
        if problem:
            self.logger.error(f"malformed request, answering FAILED: {problem}")
            physical_id = fields.get("PhysicalResourceId")
            if not isinstance(physical_id, str) or not physical_id:
                physical_id = identity.failed_create_id(str(fields.get("RequestId", "")))
            body = answer_body(fields, "FAILED", f"ecs-teardown: {problem}", physical_id)
            send_response(fields["ResponseURL"], body, allow_local=allow_local)
            return
        self.logger.info("request received", extra={"physical_id": str(fields.get("PhysicalResourceId", ""))[:300]})
        self.helper(event, context)
