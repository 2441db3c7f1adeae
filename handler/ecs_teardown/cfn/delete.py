"""What a Delete does: tear down the services the properties name, within CloudFormation's time budget and only
while the stack goes away (core/guard.py), handing over to a fresh invocation when one is not enough."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Protocol

from ..aws.ecs import CALL_WORST_S
from ..aws.lambda_invoke import HANDOVER_WORST_S
from ..core.budget import HANDOVER_KEY, MAX_INVOCATIONS, Budget, HandOver
from ..core.engine import Step, TeardownResult, run_teardown, summarize
from ..core.guard import STACK_GOING_AWAY, STACK_REMOVING_IT, StackGuard, StackStaysError, StackUnreadableError
from ..core.machine import Outcome
from ..core.model import TeardownRequest
from ..core.ports import EcsCallError, Gateway, LedgerError
from ..core.restore import restore_kept
from ..core.window import AnsweredError, InvocationWindow
from . import identity
from .answer import ANSWER_WORST_S, PRESIGNED_LIFETIME_S, TIMER_MARGIN_S, signed_at
from .edges import Edges
from .handover import hand_over
from .properties import ArnScope
from .requests import TeardownError, remaining_s, request_of, scope_of

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DeleteReport:
    handed_over: bool
    result: TeardownResult | None = None
    throttles: int = 0


def _check_id_scope(physical_id: str, scope: ArnScope | None) -> None:
    """The service-ARN ids version 0.1 issued are ARNs DescribeServices returned to it: one of another partition,
    region or account names services it never resolved (whatever the properties say), so nothing is touched."""
    theirs = ArnScope.from_arn(physical_id) if physical_id.startswith("arn:") else None
    if theirs is not None and scope is not None and theirs != scope:
        raise TeardownError(
            f"PhysicalResourceId {physical_id[:200]!r} is in partition {theirs.partition!r}, region "
            f"{theirs.region!r}, account {theirs.account!r}, but this function acts in {scope.partition!r}, "
            f"{scope.region!r}, {scope.account!r}: it did not issue this id; nothing was touched"
        )


class AnswerGate(Protocol):
    """Where this invocation's one decision is made: answer, or hand over (protocol.GuardedCfnResource)."""

    def has_answered(self) -> bool: ...
    def answered_elsewhere(self) -> None: ...
    def claim_hand_over(self) -> bool: ...
    def hand_over_done(self, handed_over: bool) -> None: ...


class OpenGate:
    """No timer that could answer first (a direct call of `delete`, as in some tests)."""

    def has_answered(self) -> bool:
        return False

    def answered_elsewhere(self) -> None:
        return None

    def claim_hand_over(self) -> bool:
        return True

    def hand_over_done(self, handed_over: bool) -> None:
        return None


def delete(event: dict[str, Any], context: Any, edges: Edges, gate: AnswerGate | None = None) -> DeleteReport:
    """Tear down the services the properties name, or answer SUCCESS at once when there is nothing to do: an id
    this handler never issued (a failed Create's), or a stack that is not going away (core/guard.py).

    `gate` is the invocation's answer protocol: once the request was answered (crhelper's last-moment timer) no ECS
    call is made and no hand-over happens.
    """
    gate = gate or OpenGate()
    if _settled(event, context, edges, gate):
        return DeleteReport(handed_over=False)
    request = request_of(event, context, edges)
    carried, budget, late = _budget(event, context, edges, request)
    if late:
        if _nothing_left(request, edges):
            log.info("a late delivery, but every service is already gone: nothing to do")
            return DeleteReport(handed_over=False)
        raise TeardownError(late)
    gateway = _guarded(event, context, edges, gate, request)
    throttles_before = gateway.throttles
    try:
        result = _run(request, gateway, edges, carried, budget)
    except StackStaysError as stays:
        log.info(
            f"stack is {stays.status}: not a stack delete (the resource is removed, replaced or rolled back); "
            "services left alone",
            extra={"stack_status": stays.status, "cluster": request.cluster},
        )
        return DeleteReport(handed_over=False)
    except AnsweredError as answered:
        log.warning(f"stopped, no further ECS call: {answered}")
        gate.answered_elsewhere()  # by the timer, or by another invocation: either way not by this one again
        return DeleteReport(handed_over=False)
    except StackUnreadableError as error:
        touched = "nothing was touched" if carried.invocation == 0 else "this invocation made no ECS call"
        raise TeardownError(
            f"cannot tell whether stack {str(event.get('StackId', ''))[:300]!r} is being deleted, so {touched}: {error}"
        ) from error
    report = DeleteReport(handed_over=False, result=result, throttles=gateway.throttles - throttles_before)
    if result.all_done:  # a newer service that took a requested name gets back a group lowered under it
        _restored(result, gateway, edges, carried.started_at + request.service_timeout_s)
    try:
        return _conclude(event, context, edges, report, carried, budget, gate, gateway.unread_note())
    except TeardownError as failed:
        due = carried.started_at + request.service_timeout_s  # CloudFormation's own deadline for the answer
        raise TeardownError(str(failed) + _restored(result, gateway, edges, due), result) from failed


def _restored(result: TeardownResult, gateway: Gateway, edges: Edges, due: float) -> str:
    """A FAILED answer keeps the services it names: put back what was changed around them first, while the answer
    still has time (a call's worst case, then the answer's own, before CloudFormation's deadline)."""
    restore_by = due - ANSWER_WORST_S
    problems = restore_kept(result, gateway, lambda: edges.clock() + CALL_WORST_S <= restore_by)
    for problem in problems:
        log.warning("not restored", extra={"detail": problem})
    return f". Not restored: {'; '.join(problems)}" if problems else ""


def _settled(event: dict[str, Any], context: Any, edges: Edges, gate: AnswerGate) -> bool:
    """Whether there is nothing to do for this request: an id this handler never issued, or an answer on record."""
    physical_id = event.get("PhysicalResourceId")
    if identity.parse_id(physical_id) is None:
        log.info(
            "physical id not issued by this handler (a failed Create?): nothing to delete",
            extra={"physical_id": str(physical_id)[:200]},
        )
        return True
    _check_id_scope(str(physical_id), scope_of(context, event))
    answered = _answer_on_record(str(event.get("RequestId", "")), edges)
    if answered:
        # A duplicate delivery, a hand-over queued after its Invoke timed out, a retry after a timeout: the request
        # has its answer, and nothing may be done after it.
        log.warning(f"this request was answered {answered} already (the ledger says): nothing touched, no answer")
        gate.answered_elsewhere()
        return True
    return False


def _guarded(
    event: dict[str, Any], context: Any, edges: Edges, gate: AnswerGate, request: TeardownRequest
) -> StackGuard:
    """The gateway within this invocation's window for calls, gated on the stack's status."""
    accepted = STACK_REMOVING_IT if request.teardown_on_removal else STACK_GOING_AWAY
    # Every call must end before what follows the last one (a hand-over, then maybe the answer) and the timer.
    hard_end = edges.clock() + remaining_s(context) - (HANDOVER_WORST_S + ANSWER_WORST_S + TIMER_MARGIN_S)
    request_id = str(event.get("RequestId", ""))
    window = InvocationWindow(
        edges.gateway(),
        edges.clock,
        hard_end,
        CALL_WORST_S,
        gate.has_answered,
        lambda: bool(_answer_on_record(request_id, edges)),
    )
    return StackGuard(window, window.stacks(edges.stack_reader()), str(event.get("StackId", "")), accepted)


def _budget(
    event: dict[str, Any], context: Any, edges: Edges, request: TeardownRequest
) -> tuple[HandOver, Budget, str]:
    """What this invocation carries from earlier ones, its deadlines, and why it came too late to act ('' if not)."""
    now = edges.clock()
    carried = HandOver.from_event(event.get(HANDOVER_KEY), now)
    signed = signed_at(event.get("ResponseURL"), now)
    if HANDOVER_KEY not in event:
        # The teardown began when CloudFormation sent the request (the URL's signing time), not when Lambda's
        # queue delivered it: the budget is CloudFormation's, and a late or repeated delivery is seen as late.
        carried = HandOver(started_at=min(now, signed or now))
    budget = Budget.of(carried.started_at, request.service_timeout_s, now, remaining_s(context))
    which = f"this hand-over (invocation {carried.invocation + 1})" if carried.invocation else "this delivery"
    if signed is not None and now - signed > PRESIGNED_LIFETIME_S:
        # No answer can reach CloudFormation any more, and what bears these names now may be newer.
        late = (
            f"{which} of the request came {now - signed:.0f} s after CloudFormation signed its ResponseURL, past "
            f"the URL's {PRESIGNED_LIFETIME_S} s lifetime; nothing was touched"
        )
        log.warning(late)
        return carried, budget, late
    if now >= budget.answer_by and (HANDOVER_KEY in event or now > carried.started_at):
        # A delivery that came after the answer's deadline (a held-back hand-over, a repeated event): the answer is
        # due or CloudFormation has given up, and what bears these names now may be newer. Touch nothing.
        late = (
            f"the time budget (ServiceTimeout {request.service_timeout_s} s) ran out before {which} of the request "
            f"began, {now - carried.started_at:.0f} s after the teardown started; nothing was touched"
        )
        return carried, budget, late
    return carried, budget, ""


def _answer_on_record(request_id: str, edges: Edges) -> str:
    try:
        return edges.answer_ledger().answer_of(request_id)
    except LedgerError as error:  # go on: the ledger is checked again before answering
        log.warning("the answer ledger could not be read; going on", extra={"error": str(error)})
        return ""


def _nothing_left(request: TeardownRequest, edges: Edges) -> bool:
    """One look, no write: is every service already gone? (A late Delete with nothing to do still succeeds.)"""
    names = [ref.name for ref in request.services]
    try:
        readings = edges.gateway().describe(request.cluster, names)
    except EcsCallError:
        return False
    return len(readings) == len(names) and all(snapshot.gone for snapshot in readings.values())


def _run(request: TeardownRequest, gateway: Gateway, edges: Edges, carried: HandOver, budget: Budget) -> TeardownResult:
    def on_step(step: Step) -> None:
        _log_step(step)
        if edges.on_step is not None:
            edges.on_step(step)

    now = edges.clock()
    log.info(
        "teardown round started",
        extra={
            "cluster": request.cluster,
            "services": len(request.services),
            "invocation": carried.invocation + 1,
            "elapsed_s": round(now - carried.started_at, 1),
            "budget_left_s": round(budget.answer_by - now, 1),
        },
    )
    return run_teardown(
        request,
        gateway,
        started_at=carried.started_at,
        deadline=budget.deadline,
        clock=edges.clock,
        sleep=edges.sleep,
        on_step=on_step,
        drain_started=carried.drain_started,
        preparations=carried.preparations,
        blocked_since=carried.blocked_since,
        rollout_stop_requested=carried.rollout_stop_requested,
        policy=edges.poll_policy,
    )


def _conclude(
    event: dict[str, Any],
    context: Any,
    edges: Edges,
    report: DeleteReport,
    carried: HandOver,
    budget: Budget,
    gate: AnswerGate,
    unread_note: str,
) -> DeleteReport:
    """Done, failed, or handed over to a fresh invocation, as the result and the time left say."""
    result = report.result
    assert result is not None
    if result.all_done:
        log.info(
            "teardown finished",
            extra={"elapsed_s": round(result.elapsed_s, 1), "forced_deletes": result.forced_deletes},
        )
        return report
    if result.with_outcome(Outcome.FAILED):
        raise TeardownError(summarize(result, budget_ran_out=False) + unread_note, result)
    next_invocation = carried.invocation + 1
    if edges.clock() < budget.answer_by and next_invocation < MAX_INVOCATIONS:
        if not gate.claim_hand_over():
            log.warning("already answered (the invocation's timer came first): no hand-over")
            return report
        try:
            hand_over(event, context, edges, carried.following(result))
        except TeardownError:
            gate.hand_over_done(False)  # this invocation answers FAILED after all
            raise
        gate.hand_over_done(True)
        return DeleteReport(handed_over=True, result=result, throttles=report.throttles)
    if edges.clock() < budget.answer_by:  # the budget is not spent: the hand-overs are
        raise TeardownError(
            f"{summarize(result, budget_ran_out=False)}. Hand-overs stop at {MAX_INVOCATIONS} invocations, and this "
            "teardown needed more: a longer Lambda timeout gives each invocation more time",
            result,
        )
    raise TeardownError(summarize(result, budget_ran_out=True) + unread_note, result)


def _log_step(step: Step) -> None:
    fields = step.fields()
    # Powertools keeps `service` for the function's own name: the ECS service goes under `ecs_service`.
    fields["ecs_service"] = fields.pop("service")
    log.info(f"{step.service.name}: {step.phase.value}", extra=fields)
