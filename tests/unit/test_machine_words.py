"""The decisions issue 13 added, asserted whole (the why is a log line, a CLI line and maybe a Reason): the
preparation first, a DAEMON service, a drained one, the refused Express Mode and EXTERNAL services, a deployment that
blocks the delete, and what a StopServiceDeployment's answer changes. Also the quick poll's growth where the cap
allows it. tests/unit/test_drain.py has these rows by kind; this file pins their words."""

from __future__ import annotations

from dataclasses import replace

import pytest

from ecs_teardown.core.drain import Preparation
from ecs_teardown.core.machine import (
    DEPLOYMENT_WAIT_S,
    Action,
    Kind,
    Phase,
    Progress,
    ServiceState,
    Settings,
    apply,
    decide,
    refusal_of,
)
from ecs_teardown.core.model import ACTIVE, CODE_DEPLOY, DAEMON, EXTERNAL, ForceMode, ServiceRef, ServiceSnapshot
from ecs_teardown.core.polling import PollPolicy
from ecs_teardown.core.ports import CallOutcome, CallResult
from support.fake_ecs import ROLLOUT

AUTO = Settings(drain_timeout_s=300.0, force=ForceMode.AUTO, wait_for_inactive=True)
NEVER = Settings(drain_timeout_s=300.0, force=ForceMode.NEVER, wait_for_inactive=True)
PREPARED = Progress(preparation=Preparation())
EXPRESS = (
    "an ECS Express Mode service: ECS manages its load balancer and scaling, so delete it with "
    "DeleteExpressGatewayService (aws ecs delete-express-gateway-service), which removes them too"
)
EXTERNAL_WORDS = (
    "it uses the EXTERNAL deployment controller: its task sets are managed outside ECS; delete them "
    "(DeleteTaskSet) with the tool that created them, then delete the service"
)
STOP_IT = "stop it (aws deploy stop-deployment --deployment-id ID) or let it finish, then delete again"


def drained(**fields: object) -> ServiceSnapshot:
    return ServiceSnapshot(ACTIVE, **fields)  # type: ignore[arg-type]


def test_the_preparation_comes_first_and_says_so() -> None:
    assert decide(drained(desired=2, running=2), Progress(), 0.0, AUTO) == Action(
        Kind.PREPARE, Phase.PREPARING, why="auto scaling, target groups and stop timeout first"
    )


def test_a_daemon_service_is_deleted_without_a_scale_down_and_says_so() -> None:
    assert decide(drained(scheduling=DAEMON, desired=3, running=3), PREPARED, 0.0, AUTO) == Action(
        Kind.DELETE, Phase.DELETING, why="DAEMON service: deleted without a scale-down"
    )


def test_a_drained_service_is_deleted_and_says_so() -> None:
    expected = Action(Kind.DELETE, Phase.DELETING, why="drained: no tasks left")
    assert decide(drained(), PREPARED, 0.0, AUTO) == expected
    assert decide(drained(rollout=ROLLOUT), PREPARED, 0.0, AUTO, DEPLOYMENT_WAIT_S - 0.001) == expected


@pytest.mark.parametrize(
    ("snapshot", "words"),
    [(drained(express=True, desired=1), EXPRESS), (drained(controller=EXTERNAL, desired=1), EXTERNAL_WORDS)],
)
def test_a_service_this_tool_does_not_tear_down_is_refused_in_these_words(snapshot: ServiceSnapshot, words: str):
    assert refusal_of(snapshot) == words
    assert decide(snapshot, Progress(), 0.0, AUTO) == Action(Kind.FAIL, Phase.FAILED, why=f"{words}; not touched")


def test_a_codedeploy_deployment_is_named_with_what_to_do() -> None:
    snapshot = drained(controller=CODE_DEPLOY, codedeploy=("d-ABCDEF123", "d-XYZ987654"))
    assert decide(snapshot, PREPARED, 0.0, AUTO, 60.4) == Action(
        Kind.FAIL,
        Phase.FAILED,
        why="DeleteService refused for 60 s: deployments are active; "
        f"CodeDeploy deployment d-ABCDEF123, d-XYZ987654 is in progress: {STOP_IT}",
    )
    nameless = decide(drained(controller=CODE_DEPLOY), PREPARED, 0.0, AUTO, 61.0)
    assert nameless.why == (
        "DeleteService refused for 61 s: deployments are active; "
        f"CodeDeploy deployment (no id in the task sets) is in progress: {STOP_IT}"
    )


def test_a_rollout_that_blocks_the_delete_is_stopped_then_deleted_again_then_forced() -> None:
    waited = "DeleteService refused for {:.0f} s: deployments are active"
    asked = replace(PREPARED, rollout_stop_requested=True)
    assert decide(drained(rollout=ROLLOUT), PREPARED, 0.0, AUTO, 75.0) == Action(
        Kind.STOP_DEPLOYMENT, Phase.STOPPING_DEPLOYMENT, why=f"{waited.format(75)}; stopping {ROLLOUT}"
    )
    assert decide(drained(rollout=ROLLOUT), asked, 0.0, AUTO, 90.0) == Action(
        Kind.DELETE, Phase.DELETING, why=f"{waited.format(90)}; trying again"
    )
    assert decide(drained(rollout=ROLLOUT), asked, 0.0, AUTO, 120.0) == Action(
        Kind.DELETE, Phase.DELETING, force=True, why=f"{waited.format(120)} ({ROLLOUT})"
    )
    assert decide(drained(), PREPARED, 0.0, AUTO, 130.0) == Action(
        Kind.DELETE, Phase.DELETING, force=True, why=f"{waited.format(130)} (no rollout in progress)"
    )
    assert decide(drained(), PREPARED, 0.0, NEVER, 130.0) == Action(
        Kind.FAIL,
        Phase.FAILED,
        why=f"{waited.format(130)} (no rollout in progress); ForceDelete is never, so it was not deleted with force",
    )


STATE = ServiceState(
    ServiceRef("prod", "web"),
    Progress(preparation=Preparation(), blocked_since=100.0),
    drained(rollout=ROLLOUT),
    Phase.STOPPING_DEPLOYMENT,
    why="stopping it",
)
STOP = Action(Kind.STOP_DEPLOYMENT, Phase.STOPPING_DEPLOYMENT, why="stopping it")


def test_an_accepted_stop_of_a_rollout_is_asked_for_once_and_keeps_its_why() -> None:
    after = apply(STATE, STOP, CallResult(CallOutcome.ACCEPTED, "ignored"), 170.0)
    assert after == replace(STATE, progress=replace(STATE.progress, rollout_stop_requested=True), why="stopping it")


@pytest.mark.parametrize("outcome", [CallOutcome.NEEDS_FORCE, CallOutcome.NOT_ACTIVE, CallOutcome.DEPLOYMENTS_ACTIVE])
def test_a_refused_stop_of_a_rollout_is_not_asked_for_again_and_says_why(outcome: CallOutcome) -> None:
    after = apply(STATE, STOP, CallResult(outcome, "ServiceDeploymentNotFoundException"), 170.0)
    assert after == replace(
        STATE,
        progress=replace(STATE.progress, rollout_stop_requested=True),
        why="stopping it; refused: ServiceDeploymentNotFoundException",
    )


def test_a_refused_delete_while_deployments_are_active_starts_the_clock_and_says_why() -> None:
    state = replace(STATE, progress=Progress(preparation=Preparation()), why="drained: no tasks left")
    delete = Action(Kind.DELETE, Phase.DELETING, why="drained: no tasks left")
    busy = CallResult(CallOutcome.DEPLOYMENTS_ACTIVE, "The service cannot be stopped while deployments are active.")
    assert apply(state, delete, busy, 42.0) == replace(
        state,
        progress=replace(state.progress, blocked_since=42.0),
        why="drained: no tasks left; will retry: The service cannot be stopped while deployments are active.",
    )


def test_the_quick_poll_grows_up_to_its_cap_while_nothing_moves() -> None:
    policy = PollPolicy(fast_s=1.0, imminent_cap_s=10.0)
    assert [policy.next_interval(previous, False, True) for previous in (0.2, 1.0, 3.0, 4.0, 6.0)] == [
        1.0,
        2.0,
        6.0,
        8.0,
        10.0,
    ]
    assert policy.next_interval(3.0, True, True) == 1.0


def test_a_drain_is_taken_for_the_teardown_s_own_unless_told_otherwise() -> None:
    """`auto` with a delay lowered from 300 s to 5 s: a drain this teardown began counts on 5 s (5 + 30 + 60 = 95 s);
    one found under way, on the 300 s found (390 s)."""
    auto = Settings(drain_timeout_s=None, force=ForceMode.AUTO, wait_for_inactive=True)
    progress = Progress(preparation=Preparation(delays=(("tg", 300),), lowered=(("tg", 5),)))
    tasks = drained(running=1)
    assert decide(tasks, progress, 94.9, auto).kind is Kind.WAIT
    assert decide(tasks, progress, 95.0, auto) == Action(
        Kind.DELETE,
        Phase.DELETING,
        force=True,
        why="tasks still running after the drain timeout of 95 s (desired 0, running 1, pending 0)",
    )
    assert decide(tasks, progress, 389.9, auto, drain_is_ours=False).kind is Kind.WAIT
    assert decide(tasks, progress, 390.0, auto, drain_is_ours=False).force is True
