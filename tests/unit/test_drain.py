"""What surrounds a service's drain (core/drain.py) and the decisions it feeds (core/machine.py): the preparation
before the first write, DrainTimeoutSeconds `auto`, deployments that block the delete, services refused."""

from __future__ import annotations

import json

import pytest

from ecs_teardown.core.drain import DRAIN_MARGIN_S, WINDOW_SLACK_S, Preparation, Scaling
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
    drain_timeout_s,
)
from ecs_teardown.core.model import (
    ACTIVE,
    CODE_DEPLOY,
    DEFAULT_DRAIN_TIMEOUT_S,
    EXTERNAL,
    ForceMode,
    ServiceRef,
    ServiceSnapshot,
)
from ecs_teardown.core.ports import CallOutcome, CallResult
from support.fake_ecs import ROLLOUT

TG_A = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0123456789abcdef"
TG_B = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-b/fedcba9876543210"
AUTO = Settings(drain_timeout_s=None, force=ForceMode.AUTO, wait_for_inactive=True)
NEVER = Settings(drain_timeout_s=None, force=ForceMode.NEVER, wait_for_inactive=True)
PREPARED = Preparation(delays=((TG_A, 300),), stop_timeout_s=30)


def drained(**fields: object) -> ServiceSnapshot:
    return ServiceSnapshot(ACTIVE, **fields)  # type: ignore[arg-type]


# --- the figures ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("preparation", "expected"),
    [
        (Preparation(stop_timeout_s=30), 30 + DRAIN_MARGIN_S),  # no load balancer
        (Preparation(delays=((TG_A, 300), (TG_B, 20)), stop_timeout_s=120), 300 + 120 + DRAIN_MARGIN_S),
        (Preparation(delays=((TG_A, 300),), lowered=((TG_A, 5),), stop_timeout_s=30), 5 + 30 + DRAIN_MARGIN_S),
        (Preparation(delays=((TG_A, 3600),), stop_timeout_s=120), 3600),  # never past the 3600 s maximum
        (Preparation(stop_timeout_s=None), DEFAULT_DRAIN_TIMEOUT_S),  # stop timeout unknown: at least 300 s
        (Preparation(delays=((TG_A, 600),), stop_timeout_s=None), 600 + 30 + DRAIN_MARGIN_S),  # ...and the delay
    ],
)
def test_auto_drain_timeout_is_the_delay_plus_the_stop_timeout_plus_a_margin(preparation, expected):
    assert preparation.auto_drain_timeout_s() == expected
    assert drain_timeout_s(AUTO, preparation) == expected
    assert drain_timeout_s(AUTO, None) == DEFAULT_DRAIN_TIMEOUT_S  # not prepared yet
    assert drain_timeout_s(Settings(45, ForceMode.AUTO, True), preparation) == 45  # a number set wins


def test_the_drain_window_opens_when_the_delay_ends_and_closes_after_the_stop_timeout():
    preparation = Preparation(delays=((TG_A, 300), (TG_B, 60)), lowered=((TG_A, 10),), stop_timeout_s=30)
    assert preparation.delay_s == 60  # TG_A was lowered to 10: TG_B's 60 s is now the longest
    assert preparation.window(1000.0) == (1060.0, 1060.0 + 30 + WINDOW_SLACK_S)
    assert Preparation(stop_timeout_s=None).window(0.0) == (0.0, 30 + WINDOW_SLACK_S)


def test_the_summary_says_what_was_found_and_done():
    preparation = Preparation(
        Scaling(),
        suspended=True,
        delays=((TG_A, 300), (TG_B, 300)),
        lowered=((TG_A, 5),),
        shared=(TG_B,),
        stop_timeout_s=30,
        notes=("something not read",),
    )
    assert preparation.summary(95) == (
        "auto scaling suspended; targetgroup/web/0123456789abcdef deregistration delay 300 s -> 5 s; "
        "targetgroup/web-b/fedcba9876543210 deregistration delay 300 s (shared: kept); stop timeout 30 s; "
        "drain timeout 95 s; something not read"
    )
    assert (
        Preparation(Scaling(True, True, True), stop_timeout_s=None)
        .summary(300)
        .startswith("auto scaling already suspended; stop timeout unknown; drain timeout 300 s")
    )
    assert Preparation().summary(90).startswith("no auto scaling;")


def test_a_preparation_survives_a_hand_over_and_malformed_ones_are_dropped():
    found = Preparation(Scaling(True, False, True), True, ((TG_A, 300),), ((TG_A, 0),), (TG_B,), 45)
    assert Preparation.from_wire(json.loads(json.dumps(found.to_wire()))) == found
    assert Preparation.from_wire(Preparation().to_wire()) == Preparation()
    for wire in (
        None,
        "x",
        {"Scaling": [True]},
        {"StopTimeout": -1},
        {"StopTimeout": True},
        {"Delays": [["tg", 3601]]},
        {"Delays": [["tg"]]},
        {"Lowered": "tg"},
    ):
        assert Preparation.from_wire(wire) is None, wire
    # "Suspended" without a scaling target found means nothing to restore.
    assert Preparation.from_wire({"Suspended": True}) == Preparation(stop_timeout_s=None)
    assert found.restored() == Preparation(Scaling(True, False, True), False, ((TG_A, 300),), (), (TG_B,), 45)
    assert found.changed_anything and not found.restored().changed_anything


# --- the decisions --------------------------------------------------------------------------------------------------


def test_nothing_is_written_before_the_service_is_prepared():
    for snapshot in (drained(desired=2, running=2), drained(running=1), drained()):
        action = decide(snapshot, Progress(), 0.0, AUTO)
        assert (action.kind, action.phase) == (Kind.PREPARE, Phase.PREPARING)
    always = Settings(None, ForceMode.ALWAYS, True)
    assert decide(drained(desired=2), Progress(), 0.0, always).kind is Kind.PREPARE
    # ...but what needs no write is decided at once
    assert decide(ServiceSnapshot("INACTIVE"), Progress(), 0.0, AUTO).kind is Kind.DONE
    assert decide(ServiceSnapshot("DRAINING"), Progress(), 0.0, AUTO).kind is Kind.WAIT


@pytest.mark.parametrize(
    ("snapshot", "words"),
    [
        (drained(express=True, desired=1), "DeleteExpressGatewayService"),
        (drained(controller=EXTERNAL, desired=1), "EXTERNAL deployment controller"),
    ],
)
def test_express_mode_and_external_services_are_refused_and_not_touched(snapshot, words):
    for progress in (Progress(), Progress(preparation=PREPARED)):
        action = decide(snapshot, progress, 0.0, AUTO)
        assert (action.kind, action.phase) == (Kind.FAIL, Phase.FAILED)
        assert words in action.why and action.why.endswith("; not touched")


def test_auto_drain_timeout_decides_when_tasks_have_drained_too_long():
    progress = Progress(preparation=PREPARED)  # 300 s delay + 30 s stop timeout + 60 s margin = 390 s
    tasks = drained(running=1)
    assert decide(tasks, progress, 389.9, AUTO).kind is Kind.WAIT
    forced = decide(tasks, progress, 390.0, AUTO)
    assert (forced.kind, forced.force) == (Kind.DELETE, True)
    assert "drain timeout of 390 s" in forced.why
    assert decide(tasks, progress, 390.0, NEVER).kind is Kind.FAIL


@pytest.mark.parametrize(
    ("snapshot", "progress", "blocked_s", "kind", "phase", "force", "words"),
    [
        (drained(rollout=ROLLOUT), Progress(preparation=PREPARED), 0.0, Kind.DELETE, Phase.DELETING, False, "drained"),
        (drained(rollout=ROLLOUT), Progress(preparation=PREPARED), DEPLOYMENT_WAIT_S - 0.1, Kind.DELETE, Phase.DELETING, False, "drained"),
        (drained(rollout=ROLLOUT), Progress(preparation=PREPARED), DEPLOYMENT_WAIT_S, Kind.STOP_DEPLOYMENT, Phase.STOPPING_DEPLOYMENT, False, ROLLOUT),
        (drained(rollout=ROLLOUT), Progress(preparation=PREPARED, rollout_stop_requested=True), DEPLOYMENT_WAIT_S, Kind.DELETE, Phase.DELETING, False, "trying again"),
        (drained(rollout=ROLLOUT), Progress(preparation=PREPARED, rollout_stop_requested=True), 2 * DEPLOYMENT_WAIT_S, Kind.DELETE, Phase.DELETING, True, ROLLOUT),
        (drained(), Progress(preparation=PREPARED), DEPLOYMENT_WAIT_S, Kind.DELETE, Phase.DELETING, False, "trying again"),
        (drained(), Progress(preparation=PREPARED), 2 * DEPLOYMENT_WAIT_S, Kind.DELETE, Phase.DELETING, True, "no rollout in progress"),
        (drained(controller=CODE_DEPLOY, codedeploy=("d-ABCDEF123",)), Progress(preparation=PREPARED), DEPLOYMENT_WAIT_S, Kind.FAIL, Phase.FAILED, False, "CodeDeploy deployment d-ABCDEF123 is in progress"),
    ],
)  # fmt: skip
def test_a_deployment_that_blocks_the_delete(snapshot, progress, blocked_s, kind, phase, force, words):
    action = decide(snapshot, progress, 0.0, AUTO, blocked_s)
    assert (action.kind, action.phase, action.force) == (kind, phase, force)
    assert words in action.why


def test_a_deployment_that_never_ends_fails_with_force_never():
    progress = Progress(preparation=PREPARED, rollout_stop_requested=True)
    action = decide(drained(rollout=ROLLOUT), progress, 0.0, NEVER, 2 * DEPLOYMENT_WAIT_S)
    assert action.kind is Kind.FAIL
    assert "deployments are active" in action.why and "ForceDelete is never" in action.why


def test_deployments_active_starts_the_clock_once_and_a_stop_is_asked_for_once():
    state = ServiceState(ServiceRef("prod", "web"), Progress(preparation=PREPARED))
    delete = Action(Kind.DELETE, Phase.DELETING, why="drained: no tasks left")
    busy = CallResult(CallOutcome.DEPLOYMENTS_ACTIVE, "The service cannot be stopped while deployments are active.")
    first = apply(state, delete, busy, now=100.0)
    again = apply(first, delete, busy, now=130.0)
    assert (first.progress.blocked_since, again.progress.blocked_since) == (100.0, 100.0)
    assert not again.progress.delete_accepted and "deployments are active" in again.why
    stop = Action(Kind.STOP_DEPLOYMENT, Phase.STOPPING_DEPLOYMENT, why="stopping it")
    for outcome in (CallOutcome.ACCEPTED, CallOutcome.NEEDS_FORCE):
        stopped = apply(again, stop, CallResult(outcome, "no such deployment"), now=160.0)
        assert stopped.progress.rollout_stop_requested and stopped.progress.blocked_since == 100.0
    throttled = apply(again, stop, CallResult(CallOutcome.RETRY_LATER, "Rate exceeded"), now=160.0)
    assert not throttled.progress.rollout_stop_requested  # asked again in a later round


def test_a_delay_that_could_not_be_read_counts_as_elbs_default():
    unread = Preparation(delays=((TG_B, 20),), stop_timeout_s=30, unread=(TG_A,))
    assert unread.delay_s == 300
    assert unread.auto_drain_timeout_s() == 300 + 30 + DRAIN_MARGIN_S
    assert "web/0123456789abcdef deregistration delay not read (counted as 300 s)" in unread.summary(390)
    assert Preparation.from_wire(json.loads(json.dumps(unread.to_wire()))) == unread


def test_a_drain_begun_before_the_teardown_waits_out_the_delay_as_found():
    """A service found scaled down: its targets began deregistering under the delay as found, and ELB's documentation
    does not say a lower delay shortens that wait, so `auto` and the window do not count on the lowering."""
    lowered = Preparation(delays=((TG_A, 300),), lowered=((TG_A, 5),), stop_timeout_s=30)
    assert lowered.auto_drain_timeout_s(drain_is_ours=True) == 5 + 30 + DRAIN_MARGIN_S
    assert lowered.auto_drain_timeout_s(drain_is_ours=False) == 300 + 30 + DRAIN_MARGIN_S
    assert lowered.window(0.0, drain_is_ours=False) == (300.0, 300.0 + 30 + WINDOW_SLACK_S)
    progress = Progress(preparation=lowered)
    tasks = drained(running=1)
    assert decide(tasks, progress, 100.0, AUTO, drain_is_ours=True).kind is Kind.DELETE  # past 95 s: forced
    assert decide(tasks, progress, 100.0, AUTO, drain_is_ours=False).kind is Kind.WAIT


def test_min_capacity_survives_a_hand_over():
    found = Preparation(Scaling(min_capacity=2), suspended=True, min_lowered=True)
    assert Preparation.from_wire(json.loads(json.dumps(found.to_wire()))) == found
    assert found.restored() == Preparation(Scaling(min_capacity=2))
    assert Preparation.from_wire({**found.to_wire(), "MinCapacity": -1}) is None
