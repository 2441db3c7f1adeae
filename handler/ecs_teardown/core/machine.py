"""Every transition of one service's teardown, in one place: `decide` (what ECS shows, plus what this teardown
learned -> the next action) and `apply` (an action and the outcome of its ECS call -> the service's next state).

No I/O and no clock: the table in the README and the table-driven tests in tests/unit/test_machine.py describe the
whole behaviour; engine.py only observes, calls the gateway and hands the results back here.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace

from .drain import Preparation
from .model import ACTIVE, CODE_DEPLOY, DAEMON, DRAINING, EXTERNAL, UNREADABLE, ForceMode, ServiceRef, ServiceSnapshot
from .ports import CallOutcome, CallResult

# How long a drained service's DeleteService may be refused with "deployments are active" before the teardown stops
# the deployment (ECS controller) or names it (CodeDeploy); twice this, and it deletes with force or fails.
DEPLOYMENT_WAIT_S = 60.0
NOT_WAITING = "DeleteService accepted; WaitForInactive is false"


@dataclass(frozen=True)
class Progress:
    """What this invocation learned from its own calls, which a DescribeServices reading does not show."""

    delete_accepted: bool = False  # DeleteService answered; ECS may still show ACTIVE for a moment
    force_required: bool = False  # ECS refused the scale-down or the plain delete
    refusal: str = ""  # ECS's words for that refusal
    preparation: Preparation | None = None  # read (and acted on) before the first write; carried by hand-overs
    blocked_since: float | None = None  # when DeleteService first said "deployments are active"
    rollout_stop_requested: bool = False  # StopServiceDeployment was sent (or refused: it will not help)


class Kind(enum.Enum):
    DONE = "done"
    PREPARE = "prepare"  # read auto scaling, target groups, stop timeout; suspend scaling; lower delays
    STOP_DEPLOYMENT = "stop_deployment"
    SCALE_TO_ZERO = "scale_to_zero"
    WAIT = "wait"
    DELETE = "delete"
    FAIL = "fail"


class Phase(enum.StrEnum):
    """Where a service is in its teardown; the value is what logs, the CLI and Reasons show."""

    OBSERVING = "observing"  # no reading yet (a throttled or failed DescribeServices)
    PREPARING = "preparing"  # auto scaling suspended, deregistration delays lowered, figures read
    SCALING_DOWN = "scaling-down"
    DRAINING_TASKS = "draining-tasks"  # desired 0, tasks still running or pending
    DELETING = "deleting"
    STOPPING_DEPLOYMENT = "stopping-deployment"  # a rollout blocks the delete: StopServiceDeployment
    DRAINING = "draining"  # DeleteService accepted; ECS shows DRAINING
    GONE = "gone"  # INACTIVE or MISSING
    REPLACED = "replaced"  # a newer service has the name: not the one this teardown was asked for
    DELETE_ACCEPTED = "delete-accepted"  # done, with WaitForInactive=false
    FAILED = "failed"


class Outcome(enum.Enum):
    DONE = "done"
    FAILED = "failed"
    UNFINISHED = "unfinished"


@dataclass(frozen=True)
class Action:
    kind: Kind
    phase: Phase
    force: bool = False
    why: str = ""  # why this action: shown in logs, and as the Reason of a FAIL


@dataclass(frozen=True)
class Settings:
    drain_timeout_s: float | None  # None: `auto` (core/drain.py), from the service's preparation
    force: ForceMode
    wait_for_inactive: bool
    # A service created after this moment is a newer one that took the name (a late or repeated Delete must not
    # tear it down); None: no such check.
    not_after: float | None = None


@dataclass(frozen=True)
class ServiceState:
    """One service's teardown so far: its last reading, what was learned, and where it stands."""

    ref: ServiceRef
    progress: Progress = field(default_factory=Progress)
    snapshot: ServiceSnapshot | None = None
    phase: Phase = Phase.OBSERVING
    why: str = ""
    outcome: Outcome = Outcome.UNFINISHED
    forced: bool = False
    drain_started_at: float | None = None  # when our scale-down was accepted: the drain timeout counts from it

    @property
    def drain_is_ours(self) -> bool:
        """The drain began with this teardown's scale-down (rather than being found under way)."""
        return self.drain_started_at is not None

    def drain_start(self, started_at: float) -> float:
        """When the drain began: this teardown's scale-down, or else the teardown's own start."""
        return self.drain_started_at or started_at


def decide(
    snapshot: ServiceSnapshot | None,
    progress: Progress,
    drain_elapsed_s: float,
    settings: Settings,
    blocked_s: float = 0.0,
    drain_is_ours: bool = True,
) -> Action:
    """The next action for one service. `drain_elapsed_s` counts from the start of its drain: when its scale-down
    was accepted, or, for a service found at desired 0, when the teardown began; `blocked_s` from the first time
    DeleteService said "deployments are active"."""
    if snapshot is None:
        return Action(Kind.WAIT, Phase.OBSERVING, why="no reading of the service yet")
    settled = _without_writes(snapshot, progress, settings)
    if settled is not None:
        return settled
    if progress.preparation is None:
        return Action(Kind.PREPARE, Phase.PREPARING, why="auto scaling, target groups and stop timeout first")
    if settings.force is ForceMode.ALWAYS:
        return Action(Kind.DELETE, Phase.DELETING, force=True, why="ForceDelete is always")
    if progress.force_required:
        return _force_or_fail(settings, f"ECS refused: {progress.refusal}")
    if snapshot.scheduling == DAEMON:
        # DAEMON services refuse a desiredCount; ECS stops their tasks itself on DeleteService.
        return Action(Kind.DELETE, Phase.DELETING, why="DAEMON service: deleted without a scale-down")
    if snapshot.desired > 0:
        return Action(Kind.SCALE_TO_ZERO, Phase.SCALING_DOWN, why=f"desired {snapshot.desired}")
    if snapshot.tasks > 0:
        timeout_s = drain_timeout_s(settings, progress.preparation, drain_is_ours)
        if drain_elapsed_s < timeout_s:
            return Action(Kind.WAIT, Phase.DRAINING_TASKS, why=snapshot.counts())
        return _force_or_fail(
            settings, f"tasks still running after the drain timeout of {timeout_s:g} s ({snapshot.counts()})"
        )
    if blocked_s >= DEPLOYMENT_WAIT_S:
        return _past_deployment(snapshot, progress, settings, blocked_s)
    return Action(Kind.DELETE, Phase.DELETING, why="drained: no tasks left")


def _without_writes(snapshot: ServiceSnapshot, progress: Progress, settings: Settings) -> Action | None:
    """The decisions that need no write: the service is gone, replaced, being deleted, unreadable or refused."""
    if snapshot.status == UNREADABLE:  # never act on a count that is not known
        return Action(Kind.FAIL, Phase.FAILED, why=snapshot.problem)
    if _newer_than_request(snapshot, settings):
        return Action(
            Kind.DONE, Phase.REPLACED, why="a newer service of this name, created after the request: not touched"
        )
    if snapshot.gone:
        what = f"{snapshot.missing_what} not found" if snapshot.missing_what else snapshot.status
        return Action(Kind.DONE, Phase.GONE, why=what)
    if progress.delete_accepted or snapshot.status == DRAINING:
        if not settings.wait_for_inactive:
            return Action(Kind.DONE, Phase.DELETE_ACCEPTED, why=NOT_WAITING)
        return Action(Kind.WAIT, Phase.DRAINING, why=f"{snapshot.status}: waiting for INACTIVE")
    if snapshot.status != ACTIVE:
        # A status this table does not know yet: look again rather than act on a guess.
        return Action(Kind.WAIT, Phase.OBSERVING, why=f"unexpected status {snapshot.status}")
    refusal = refusal_of(snapshot)
    if refusal:
        return Action(Kind.FAIL, Phase.FAILED, why=f"{refusal}; not touched")
    return None


def refusal_of(snapshot: ServiceSnapshot) -> str:
    """Why this tool will not tear the service down at all, or ''. Create refuses such a target up front."""
    if snapshot.express:
        return (
            "an ECS Express Mode service: ECS manages its load balancer and scaling, so delete it with "
            "DeleteExpressGatewayService (aws ecs delete-express-gateway-service), which removes them too"
        )
    if snapshot.controller == EXTERNAL:
        return (
            "it uses the EXTERNAL deployment controller: its task sets are managed outside ECS; delete them "
            "(DeleteTaskSet) with the tool that created them, then delete the service"
        )
    return ""


def drain_timeout_s(settings: Settings, preparation: Preparation | None, drain_is_ours: bool = True) -> float:
    """The drain timeout: as set, or `auto` from the service's load balancers and stop timeout (`drain_is_ours`:
    the drain began with this teardown's scale-down, after any lowering of the delays)."""
    if settings.drain_timeout_s is not None:
        return settings.drain_timeout_s
    return (preparation or Preparation(stop_timeout_s=None)).auto_drain_timeout_s(drain_is_ours)


def _past_deployment(snapshot: ServiceSnapshot, progress: Progress, settings: Settings, blocked_s: float) -> Action:
    """A drained service whose DeleteService has said "deployments are active" for DEPLOYMENT_WAIT_S or more."""
    waited = f"DeleteService refused for {blocked_s:.0f} s: deployments are active"
    if snapshot.controller == CODE_DEPLOY:
        ids = ", ".join(snapshot.codedeploy) or "(no id in the task sets)"
        return Action(
            Kind.FAIL,
            Phase.FAILED,
            why=f"{waited}; CodeDeploy deployment {ids} is in progress: stop it "
            "(aws deploy stop-deployment --deployment-id ID) or let it finish, then delete again",
        )
    if snapshot.rollout and not progress.rollout_stop_requested:
        return Action(Kind.STOP_DEPLOYMENT, Phase.STOPPING_DEPLOYMENT, why=f"{waited}; stopping {snapshot.rollout}")
    if blocked_s >= 2 * DEPLOYMENT_WAIT_S:
        return _force_or_fail(settings, f"{waited} ({snapshot.rollout or 'no rollout in progress'})")
    return Action(Kind.DELETE, Phase.DELETING, why=f"{waited}; trying again")


def _newer_than_request(snapshot: ServiceSnapshot, settings: Settings) -> bool:
    """Created strictly after `not_after`: a service created up to and including that moment (the request's own
    time plus the clock skew allowed) is the request's own and is torn down; only a later one is left alone."""
    if snapshot.created_at is None or settings.not_after is None or snapshot.gone:
        return False
    return snapshot.created_at > settings.not_after


def _force_or_fail(settings: Settings, why: str) -> Action:
    if settings.force is ForceMode.NEVER:
        return Action(Kind.FAIL, Phase.FAILED, why=f"{why}; ForceDelete is never, so it was not deleted with force")
    return Action(Kind.DELETE, Phase.DELETING, force=True, why=why)


def begin(state: ServiceState, action: Action) -> ServiceState:
    """The state as the action starts: its phase and why; DONE and FAIL end the service's teardown here."""
    outcome = {Kind.DONE: Outcome.DONE, Kind.FAIL: Outcome.FAILED}.get(action.kind, state.outcome)
    return replace(state, phase=action.phase, why=action.why, outcome=outcome)


def apply(
    state: ServiceState, action: Action, call: CallResult, now: float, wait_for_inactive: bool = True
) -> ServiceState:
    """What the ECS call the action made (a scale-down, a delete, a deployment's stop) changed. A delete ECS took
    is the end without WaitForInactive: no later reading needed (DeleteService answered with the service)."""
    if call.outcome is CallOutcome.GONE:
        return finish(state, Outcome.DONE, Phase.GONE, call.detail or "not found")
    if call.outcome is CallOutcome.RETRY_LATER:
        return replace(state, why=f"{action.why}; will retry: {call.detail}")
    if action.kind is Kind.STOP_DEPLOYMENT:  # sent or refused: either way, asking again will not help
        why = action.why if call.outcome is CallOutcome.ACCEPTED else f"{action.why}; refused: {call.detail}"
        return replace(state, progress=replace(state.progress, rollout_stop_requested=True), why=why)
    if call.outcome is CallOutcome.DEPLOYMENTS_ACTIVE:
        since = state.progress.blocked_since if state.progress.blocked_since is not None else now
        why = f"{action.why}; will retry: {call.detail}"
        return replace(state, progress=replace(state.progress, blocked_since=since), why=why)
    if call.outcome is CallOutcome.NEEDS_FORCE:
        return replace(state, progress=replace(state.progress, force_required=True, refusal=call.detail))
    if action.kind is Kind.SCALE_TO_ZERO:  # accepted (or not active: the next reading tells)
        accepted = call.outcome is CallOutcome.ACCEPTED and state.drain_started_at is None
        return replace(state, drain_started_at=now) if accepted else state
    forced = state.forced or (action.force and call.outcome is CallOutcome.ACCEPTED)
    phase = Phase.DRAINING if call.outcome is CallOutcome.ACCEPTED else state.phase
    deleting = replace(state, progress=replace(state.progress, delete_accepted=True), forced=forced, phase=phase)
    return deleting if wait_for_inactive else finish(deleting, Outcome.DONE, Phase.DELETE_ACCEPTED, NOT_WAITING)


def prepared(state: ServiceState, preparation: Preparation) -> ServiceState:
    """The service's surroundings are read and acted on: later decisions use them, hand-overs carry them."""
    return replace(state, progress=replace(state.progress, preparation=preparation))


def finish(state: ServiceState, outcome: Outcome, phase: Phase, why: str) -> ServiceState:
    return replace(state, outcome=outcome, phase=phase, why=why)
