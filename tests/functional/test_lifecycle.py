"""lambda_handler fed the events/ files, against a fake ECS that plays real timelines on a fake clock."""

from __future__ import annotations

import pytest

from ecs_teardown.cfn.identity import resource_id
from ecs_teardown_tools.local import AnswerEndpoint
from support.driver import run_handler
from support.fake_ecs import FakeClock, FakeEcs, FakeService, burst, throttle_fraction

WEB_ARN = "arn:aws:ecs:us-east-1:123456789012:service/demo/web"
API_ARN = "arn:aws:ecs:us-east-1:123456789012:service/demo/api"
STACK_ID = "arn:aws:cloudformation:us-east-1:123456789012:stack/demo-app/0a1b2c3d-0000-0000-0000-000000000000"
RESOURCE_ID = resource_id(STACK_ID, "Teardown")  # what the events' resource's Create answered


@pytest.fixture
def ecs() -> FakeEcs:
    return FakeEcs(FakeClock())


def operations(ecs: FakeEcs) -> list[str]:
    return [op for _, op, _ in ecs.calls if op != "DescribeServices"]


# --- Create and Update ------------------------------------------------------------------------------------------


def test_create_answers_an_id_naming_the_resource_and_the_service_arn_in_data(monkeypatch, answers, event_for, ecs):
    ecs.add(FakeService("web"))
    run = run_handler(monkeypatch, answers, event_for("create.json"), ecs)
    assert run.answer["Status"] == "SUCCESS", run.answer["Reason"]
    assert run.answer["PhysicalResourceId"] == RESOURCE_ID == "ecs-teardown/demo-app/Teardown/b9d8f0bf1be39bf7402122a7"
    assert run.answer["Data"]["ServiceArn"] == WEB_ARN
    assert run.answer["Data"]["ServiceCount"] == "1"
    assert operations(ecs) == [], "a Create only reads"


def test_create_of_a_missing_service_fails_naming_it(monkeypatch, answers, event_for, ecs):
    run = run_handler(monkeypatch, answers, event_for("create.json"), ecs)
    assert run.answer["Status"] == "FAILED"
    assert "'web'" in run.answer["Reason"] and "'demo'" in run.answer["Reason"]
    assert run.answer["PhysicalResourceId"].startswith("ecs-teardown/failed-create/")


def test_create_in_a_missing_cluster_fails_naming_the_cluster(monkeypatch, answers, event_for, ecs):
    event = event_for("create.json", {"Cluster": "nope", "Service": "web"})
    run = run_handler(monkeypatch, answers, event, ecs)
    assert run.answer["Status"] == "FAILED"
    assert "Cluster" in run.answer["Reason"] and "'nope'" in run.answer["Reason"]


@pytest.mark.parametrize(
    ("properties", "named"),
    [
        ({"Cluster": "demo"}, "Service"),
        ({"Service": "web", "Services": ["api"]}, "Service"),
        ({"Service": "web", "DrainTimeoutSeconds": "soon"}, "DrainTimeoutSeconds"),
        ({"Service": "web", "ForceDelete": "maybe"}, "ForceDelete"),
        ({"Service": "web", "WaitForInactive": "yes"}, "WaitForInactive"),
        ({"Service": "web", "ServiceTimeout": "7200"}, "ServiceTimeout"),
        ({"Service": "web", "Servcie": "x"}, "Servcie"),
    ],
)
def test_bad_properties_fail_the_create_naming_the_property(monkeypatch, answers, event_for, ecs, properties, named):
    ecs.add(FakeService("web"))
    run = run_handler(monkeypatch, answers, event_for("create.json", properties), ecs)
    assert run.answer["Status"] == "FAILED"
    assert named in run.answer["Reason"]
    assert ecs.calls == [], "bad input touches nothing, not even a read"


def test_update_spelled_by_arn_keeps_the_physical_id(monkeypatch, answers, event_for, ecs):
    ecs.add(FakeService("web"))
    run = run_handler(monkeypatch, answers, event_for("update.json"), ecs)
    assert run.answer["Status"] == "SUCCESS"
    assert run.answer["PhysicalResourceId"] == RESOURCE_ID


@pytest.mark.parametrize("physical_id", [RESOURCE_ID, WEB_ARN], ids=["resource-id", "id-of-version-0.1"])
def test_update_to_another_service_keeps_the_id_so_it_is_no_replacement(
    monkeypatch, answers, event_for, ecs, physical_id
):
    ecs.add(FakeService("web"))
    ecs.add(FakeService("api"))
    run = run_handler(monkeypatch, answers, event_for("update-repoint.json", PhysicalResourceId=physical_id), ecs)
    assert run.answer["Status"] == "SUCCESS"
    assert run.answer["PhysicalResourceId"] == physical_id, "a new id would make CloudFormation delete web later"
    assert run.answer["Data"]["ServiceArn"] == API_ARN
    assert operations(ecs) == [], "an Update only reads"


def test_failed_update_keeps_the_old_id(monkeypatch, answers, event_for, ecs):
    event = event_for("update.json", {"Cluster": "demo", "Service": "missing"})
    run = run_handler(monkeypatch, answers, event, ecs)
    assert run.answer["Status"] == "FAILED"
    assert run.answer["PhysicalResourceId"] == RESOURCE_ID


def test_several_services_get_the_same_resource_id(monkeypatch, answers, event_for, ecs):
    for name in ("web", "api", "worker"):
        ecs.add(FakeService(name))
    first = run_handler(monkeypatch, answers, event_for("create-services.json"), ecs)
    reordered = event_for("create-services.json", {"Cluster": "demo", "Services": ["worker", WEB_ARN, "api"]})
    second = run_handler(monkeypatch, answers, reordered, ecs)
    assert first.answer["Status"] == second.answer["Status"] == "SUCCESS"
    assert first.answer["PhysicalResourceId"] == second.answer["PhysicalResourceId"] == RESOURCE_ID
    assert first.answer["PhysicalResourceId"] == event_for("delete-services.json")["PhysicalResourceId"]
    assert first.answer["Data"]["ServiceCount"] == "3"


@pytest.mark.parametrize(
    ("lambda_timeout_s", "service_timeout", "status"),
    [
        (900, "3600", "SUCCESS"),
        (120, "300", "SUCCESS"),  # (120 - 45) x 10 = 750 s of work for 270 s
        (60, "300", "FAILED"),  # (60 - 45) x 10 = 150 s of work for 270 s
        (300, "3600", "FAILED"),  # 2550 s of work for 3540 s
    ],
)
def test_create_refuses_a_service_timeout_the_function_cannot_cover(
    monkeypatch, answers, event_for, ecs, lambda_timeout_s, service_timeout, status
):
    ecs.add(FakeService("web"))
    event = event_for("create.json", {"Cluster": "demo", "Service": "web", "ServiceTimeout": service_timeout})
    run = run_handler(monkeypatch, answers, event, ecs, lambda_timeout_s=lambda_timeout_s)
    assert run.answer["Status"] == status, run.answer["Reason"]
    if status == "FAILED":
        reason = run.answer["Reason"]
        assert reason.startswith("Property ServiceTimeout: ") and f"its Timeout (about {lambda_timeout_s} s)" in reason
        assert ecs.calls == [], "refused before any ECS call"


# --- Delete -----------------------------------------------------------------------------------------------------


def test_delete_after_a_failed_create_touches_nothing(monkeypatch, answers, event_for, ecs):
    ecs.add(FakeService("no-such-service"))
    run = run_handler(monkeypatch, answers, event_for("delete-after-failed-create.json"), ecs)
    assert run.answer["Status"] == "SUCCESS"
    assert ecs.calls == []


def test_delete_scales_down_waits_for_tasks_then_deletes_and_waits_for_inactive(monkeypatch, answers, event_for, ecs):
    web = ecs.add(FakeService("web", desired=3, tasks=3, task_stop_s=45, draining_s=20))
    start = ecs.clock.now
    run = run_handler(monkeypatch, answers, event_for("delete.json"), ecs)
    assert run.answer["Status"] == "SUCCESS", run.answer["Reason"]
    assert run.answer["PhysicalResourceId"] == RESOURCE_ID
    assert operations(ecs) == ["UpdateService", "DeleteService"]
    delete_call = next(kwargs for _, op, kwargs in ecs.calls if op == "DeleteService")
    assert delete_call["force"] is False
    assert web.deleted_at is not None and web.deleted_at >= start + 45, "deleted only once the tasks were gone"
    inactive_at = web.deleted_at + web.draining_s
    assert 0 <= ecs.clock.now - inactive_at <= 2.0, "the answer follows INACTIVE within 2 s"


def test_delete_waits_through_draining_then_purge(monkeypatch, answers, event_for, ecs):
    ecs.add(FakeService("web", desired=1, tasks=1, task_stop_s=5, draining_s=90, purge_after_s=0))
    run = run_handler(monkeypatch, answers, event_for("delete.json"), ecs)
    assert run.answer["Status"] == "SUCCESS"
    assert ecs.count("DescribeServices") < 60, "polls slow down while nothing moves"


def test_delete_retries_while_deployments_are_active(monkeypatch, answers, event_for, ecs):
    ecs.add(FakeService("web", task_stop_s=2, deployments_busy_s=12))
    run = run_handler(monkeypatch, answers, event_for("delete.json"), ecs)
    assert run.answer["Status"] == "SUCCESS"
    deletes = [kwargs for _, op, kwargs in ecs.calls if op == "DeleteService"]
    assert len(deletes) >= 2, "the first DeleteService was refused and retried"
    assert all(call["force"] is False for call in deletes)


def test_daemon_is_deleted_without_a_desired_count(monkeypatch, answers, event_for, ecs):
    agent = ecs.add(FakeService("agent", scheduling="DAEMON", desired=0, tasks=4, task_stop_s=10))
    run = run_handler(monkeypatch, answers, event_for("delete-daemon.json"), ecs)
    assert run.answer["Status"] == "SUCCESS"
    assert operations(ecs) == ["DeleteService"]
    assert agent.forced is False


def test_drain_timeout_forces_the_delete_in_auto(monkeypatch, answers, event_for, ecs):
    event = event_for("delete.json", {"Cluster": "demo", "Service": "web", "DrainTimeoutSeconds": "60"})
    web = ecs.add(FakeService("web", task_stop_s=600))
    run = run_handler(monkeypatch, answers, event, ecs)
    assert run.answer["Status"] == "SUCCESS"
    assert web.forced is True
    assert 60 <= web.deleted_at - ecs.calls[0][0] <= 75


def test_drain_timeout_with_force_never_fails_without_deleting(monkeypatch, answers, event_for, ecs):
    properties = {"Cluster": "demo", "Service": "web", "DrainTimeoutSeconds": "60", "ForceDelete": "never"}
    ecs.add(FakeService("web", task_stop_s=600))
    run = run_handler(monkeypatch, answers, event_for("delete.json", properties), ecs)
    assert run.answer["Status"] == "FAILED"
    assert "web" in run.answer["Reason"] and "never" in run.answer["Reason"]
    assert "DeleteService" not in operations(ecs)


def test_force_always_deletes_at_once(monkeypatch, answers, event_for, ecs):
    properties = {"Cluster": "demo", "Service": "web", "ForceDelete": "always"}
    ecs.add(FakeService("web", task_stop_s=30))
    run = run_handler(monkeypatch, answers, event_for("delete.json", properties), ecs)
    assert run.answer["Status"] == "SUCCESS"
    assert operations(ecs) == ["DeleteService"]
    assert ecs.calls[1][2]["force"] is True


def test_wait_for_inactive_false_answers_once_the_delete_is_accepted(monkeypatch, answers, event_for, ecs):
    properties = {"Cluster": "demo", "Service": "web", "WaitForInactive": "false"}
    web = ecs.add(FakeService("web", task_stop_s=5, draining_s=600))
    run = run_handler(monkeypatch, answers, event_for("delete.json", properties), ecs)
    assert run.answer["Status"] == "SUCCESS"
    assert web.status(ecs.clock.now) == "DRAINING"
    last_call, last_time = ecs.calls[-1][1], ecs.calls[-1][0]
    assert last_call == "DeleteService" and last_time == web.deleted_at, "answered at the delete: no read after it"


def test_already_gone_cluster_or_service_succeeds(monkeypatch, answers, event_for, ecs):
    ecs.clusters.clear()
    run = run_handler(monkeypatch, answers, event_for("delete.json"), ecs)
    assert run.answer["Status"] == "SUCCESS"
    assert operations(ecs) == []


def test_already_draining_is_only_waited_for(monkeypatch, answers, event_for, ecs):
    web = ecs.add(FakeService("web", task_stop_s=0, draining_s=40))
    web.deleted_at = web.stop_started_at = web.scaled_at = ecs.clock.now
    run = run_handler(monkeypatch, answers, event_for("delete.json"), ecs)
    assert run.answer["Status"] == "SUCCESS"
    assert operations(ecs) == []


def test_throttling_burst_is_survived(monkeypatch, answers, event_for, ecs):
    ecs.add(FakeService("web", task_stop_s=10))
    ecs.fault = burst("ThrottlingException", 6)
    run = run_handler(monkeypatch, answers, event_for("delete.json"), ecs)
    assert run.answer["Status"] == "SUCCESS"


def test_throttling_storm_on_every_operation_is_survived(monkeypatch, answers, event_for, ecs):
    ecs.add(FakeService("web", task_stop_s=30, deployments_busy_s=5))
    ecs.fault = throttle_fraction(0.3)
    run = run_handler(monkeypatch, answers, event_for("delete.json"), ecs)
    assert run.answer["Status"] == "SUCCESS"


def test_server_errors_are_retried(monkeypatch, answers, event_for, ecs):
    ecs.add(FakeService("web", task_stop_s=10))
    ecs.fault = burst("ServerException", 4, status=500)
    run = run_handler(monkeypatch, answers, event_for("delete.json"), ecs)
    assert run.answer["Status"] == "SUCCESS"


def test_access_denied_fails_naming_cluster_service_and_phase(monkeypatch, answers, event_for, ecs):
    ecs.add(FakeService("web"))
    ecs.fault = burst("AccessDeniedException", 1, operation="UpdateService", message="not authorized")
    run = run_handler(monkeypatch, answers, event_for("delete.json"), ecs)
    assert run.answer["Status"] == "FAILED"
    reason = run.answer["Reason"]
    assert "UpdateService" in reason and "'web'" in reason and "'demo'" in reason


def test_long_teardown_hands_over_and_keeps_its_start_time(monkeypatch, answers, event_for, ecs):
    properties = {"Cluster": "demo", "Service": "web", "DrainTimeoutSeconds": "120"}
    web = ecs.add(FakeService("web", task_stop_s=400, draining_s=1300))
    start = ecs.clock.now
    run = run_handler(monkeypatch, answers, event_for("delete.json", properties), ecs, lambda_timeout_s=300)
    assert run.answer["Status"] == "SUCCESS"
    assert run.invocations >= 5, "a 28-minute teardown needs several 5-minute invocations"
    assert web.forced, "the drain timeout counted from the first invocation, not from each hand-over"
    assert 120 <= web.deleted_at - start <= 135
    assert run.answers == 1


def test_budget_running_out_fails_naming_each_unfinished_service(monkeypatch, answers, event_for, ecs):
    properties = {"Cluster": "demo", "Services": ["web", "api"], "ServiceTimeout": "300"}
    ecs.add(FakeService("web", task_stop_s=5, draining_s=10_000))
    ecs.add(FakeService("api", task_stop_s=5, draining_s=10))
    event = event_for("delete-services.json", properties)
    start = ecs.clock.now
    run = run_handler(monkeypatch, answers, event, ecs, lambda_timeout_s=120)
    assert run.answer["Status"] == "FAILED"
    reason = run.answer["Reason"]
    assert "web (draining" in reason and "api" not in reason.split("web (draining")[0].split(":")[-1]
    assert "time budget" in reason
    assert ecs.clock.now - start < 300, "answered before CloudFormation's own timeout"


def test_several_services_proceed_concurrently_in_batches_of_ten(monkeypatch, answers, event_for, ecs):
    names = [f"svc{i:02d}" for i in range(12)]
    for index, name in enumerate(names):
        ecs.add(FakeService(name, task_stop_s=30 + index * 5, draining_s=20))
    event = event_for("delete-services.json", {"Cluster": "demo", "Services": names})
    start = ecs.clock.now
    run = run_handler(monkeypatch, answers, event, ecs)
    assert run.answer["Status"] == "SUCCESS", run.answer["Reason"]
    slowest = 30 + 11 * 5 + 20
    assert ecs.clock.now - start <= slowest * 1.1 + 3
    assert all(len(kwargs["services"]) <= 10 for _, op, kwargs in ecs.calls if op == "DescribeServices")
    first_round = [kwargs for _, op, kwargs in ecs.calls if op == "DescribeServices"][:2]
    assert [len(k["services"]) for k in first_round] == [10, 2]


def test_allow_list_refuses_other_clusters_and_touches_nothing(monkeypatch, answers, event_for, ecs):
    ecs.add(FakeService("web"))
    run = run_handler(monkeypatch, answers, event_for("delete.json"), ecs, allowed_clusters="prod,staging")
    assert run.answer["Status"] == "FAILED"
    assert "'demo'" in run.answer["Reason"] and "web" in run.answer["Reason"]
    assert ecs.calls == []


@pytest.mark.parametrize(
    "physical_id", [WEB_ARN, WEB_ARN.replace("/web", "/other"), "ecs-teardown/demo/2-services/" + "a" * 32]
)
def test_delete_with_an_id_of_version_0_1_tears_down_what_its_properties_name(
    monkeypatch, answers, event_for, ecs, physical_id
):
    """An Update of 0.1's resources now keeps their id; the properties may have moved on (web here)."""
    ecs.add(FakeService("web", tasks=2))
    run = run_handler(monkeypatch, answers, event_for("delete-legacy-id.json", PhysicalResourceId=physical_id), ecs)
    assert run.answer["Status"] == "SUCCESS", run.answer["Reason"]
    assert run.answer["PhysicalResourceId"] == physical_id
    assert operations(ecs) == ["UpdateService", "DeleteService"]


@pytest.mark.parametrize("stack_status", ["DELETE_IN_PROGRESS", "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"])
def test_delete_with_an_id_issued_in_another_stack_follows_the_stack_it_is_in_now(
    monkeypatch, answers, event_for, ecs, stacks, stack_status
):
    """CloudFormation can move a resource to another stack (stack refactoring): the id keeps its first stack's
    digest; what the request's own stack is doing decides."""
    ecs.add(FakeService("web", tasks=1))
    stacks.shown = stack_status
    other = resource_id(STACK_ID.replace("0a1b2c3d", "ffffffff"), "OldName")
    run = run_handler(monkeypatch, answers, event_for("delete.json", PhysicalResourceId=other), ecs)
    assert run.answer["Status"] == "SUCCESS"
    assert run.answer["PhysicalResourceId"] == other
    expected = ["UpdateService", "DeleteService"] if stack_status == "DELETE_IN_PROGRESS" else []
    assert operations(ecs) == expected


# --- Delete: only when CloudFormation deletes the stack ---------------------------------------------------------


# Every status botocore's CloudFormation model knows: only two of them mean the stack is going away.
STACK_STATUSES = (
    __import__("botocore.session")
    .session.get_session()
    .get_service_model("cloudformation")
    .shape_for("StackStatus")
    .enum
)
TEARS_DOWN = {"DELETE_IN_PROGRESS", "ROLLBACK_IN_PROGRESS"}
TEARS_DOWN_ON_REMOVAL = TEARS_DOWN | {"UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"}


@pytest.mark.parametrize("on_removal", [False, True], ids=["default", "TeardownOnRemoval"])
@pytest.mark.parametrize("stack_status", STACK_STATUSES)
def test_delete_tears_down_only_while_the_stack_goes_away(
    monkeypatch, answers, event_for, ecs, stacks, stack_status, on_removal
):
    """The resource removed from the template or replaced, an update rolled back, a late delivery after the
    stack's delete: its services may well stay, so nothing is touched. TeardownOnRemoval adds the removal only."""
    ecs.add(FakeService("web", desired=3, tasks=3))
    stacks.shown = stack_status
    properties = {"Cluster": "demo", "Service": "web", "TeardownOnRemoval": str(on_removal).lower()}
    run = run_handler(monkeypatch, answers, event_for("delete.json", properties), ecs)
    assert run.answer["Status"] == "SUCCESS", run.answer["Reason"]
    tears_down = stack_status in (TEARS_DOWN_ON_REMOVAL if on_removal else TEARS_DOWN)
    assert operations(ecs) == (["UpdateService", "DeleteService"] if tears_down else [])
    assert stacks.reads == [STACK_ID], "read once, before acting"


def test_every_status_list_is_a_status_cloudformation_has():
    assert set(STACK_STATUSES) >= TEARS_DOWN_ON_REMOVAL and len(STACK_STATUSES) > 20


ROOT_ID = "arn:aws:cloudformation:us-east-1:123456789012:stack/root-app/11111111-0000-0000-0000-000000000000"


@pytest.mark.parametrize(
    ("root_status", "torn_down"),
    [
        ("DELETE_IN_PROGRESS", True),  # the root is deleted: its nested stacks go with it
        ("ROLLBACK_IN_PROGRESS", True),  # the root's creation is rolled back
        ("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", False),  # the root's update removed this nested stack
        ("UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS", False),  # the root's failed update rolls back
    ],
)
def test_a_nested_stack_going_away_follows_its_root(
    monkeypatch, answers, event_for, ecs, stacks, root_status, torn_down
):
    """A nested stack shows DELETE_IN_PROGRESS both when its root is deleted and when a root's update removes it;
    the services it names may belong to the root or a sibling, which stay in the second case."""
    ecs.add(FakeService("web", desired=3, tasks=3))
    stacks.statuses = {STACK_ID: "DELETE_IN_PROGRESS", ROOT_ID: root_status}
    stacks.roots = {STACK_ID: ROOT_ID}
    run = run_handler(monkeypatch, answers, event_for("delete.json"), ecs)
    assert run.answer["Status"] == "SUCCESS", run.answer["Reason"]
    assert operations(ecs) == (["UpdateService", "DeleteService"] if torn_down else [])
    assert stacks.reads == [STACK_ID, ROOT_ID]


def test_a_draining_service_is_not_waited_for_while_the_stack_stays(monkeypatch, answers, event_for, ecs, stacks):
    """Someone else's delete left the service DRAINING: a cleanup Delete must not hold the update up waiting."""
    web = ecs.add(FakeService("web", tasks=0, draining_s=3000))
    web.deleted_at = ecs.clock.now
    stacks.shown = "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"
    start = ecs.clock.now
    run = run_handler(monkeypatch, answers, event_for("delete.json"), ecs)
    assert run.answer["Status"] == "SUCCESS"
    assert ecs.clock.now - start < 5, "answered at once"
    assert operations(ecs) == []


def test_a_throttled_stack_read_is_waited_out(monkeypatch, answers, event_for, ecs, stacks):
    ecs.add(FakeService("web", desired=3, tasks=3))
    stacks.error, stacks.transient, stacks.failures = "Throttling: Rate exceeded", True, 3
    run = run_handler(monkeypatch, answers, event_for("delete.json"), ecs)
    assert run.answer["Status"] == "SUCCESS", run.answer["Reason"]
    assert operations(ecs) == ["UpdateService", "DeleteService"]
    assert len(stacks.reads) == 4


def test_a_stack_read_throttled_until_the_budget_ends_fails_and_touches_nothing(
    monkeypatch, answers, event_for, ecs, stacks
):
    ecs.add(FakeService("web", desired=3, tasks=3))
    stacks.error, stacks.transient = "Throttling: Rate exceeded", True
    run = run_handler(
        monkeypatch,
        answers,
        event_for("delete.json", {"Service": "web", "Cluster": "demo", "ServiceTimeout": "120"}),
        ecs,
    )
    assert run.answer["Status"] == "FAILED"
    assert "The stack's status could not be read, so nothing was done: " in run.answer["Reason"]
    assert "Throttling" in run.answer["Reason"]
    assert operations(ecs) == []


def test_delete_when_the_stack_cannot_be_read_fails_and_touches_nothing(monkeypatch, answers, event_for, ecs, stacks):
    ecs.add(FakeService("web", desired=3, tasks=3))
    stacks.error = "AccessDenied: not authorized to perform cloudformation:DescribeStacks"
    run = run_handler(monkeypatch, answers, event_for("delete.json"), ecs)
    assert run.answer["Status"] == "FAILED"
    reason = run.answer["Reason"]
    assert reason.startswith(f"cannot tell whether stack {STACK_ID!r} is being deleted, so nothing was touched")
    assert "AccessDenied" in reason
    assert operations(ecs) == []


def test_delete_with_nothing_left_to_do_needs_no_stack_read(monkeypatch, answers, event_for, ecs, stacks):
    stacks.error = "AccessDenied"
    run = run_handler(monkeypatch, answers, event_for("delete.json"), ecs)  # web does not exist
    assert run.answer["Status"] == "SUCCESS", run.answer["Reason"]
    assert stacks.reads == []


def test_malformed_event_gets_a_failed_answer(monkeypatch, answers, event_for, ecs):
    event = event_for("delete.json")
    del event["LogicalResourceId"]
    run = run_handler(monkeypatch, answers, event, ecs)
    assert run.answer["Status"] == "FAILED"
    assert "LogicalResourceId" in run.answer["Reason"]
    assert ecs.calls == []


def test_non_aws_response_url_gets_no_answer_and_nothing_is_touched(
    monkeypatch, answers: AnswerEndpoint, event_for, ecs
):
    from ecs_teardown.cfn.edges import Edges
    from ecs_teardown.cfn.protocol import CustomResource
    from ecs_teardown_tools.local import LocalContext

    ecs.add(FakeService("web"))
    monkeypatch.delenv("ECS_TEARDOWN_ALLOW_LOCAL_RESPONSE_URL")  # the function reads its environment when built
    function = CustomResource(Edges(ecs=lambda: __import__("ecs_teardown.aws.ecs").aws.ecs.EcsGateway(ecs)))
    function.handle(event_for("delete.json"), LocalContext())
    assert answers.requests == 0
    assert ecs.calls == []


def test_continuation_event_resumes_with_the_carried_start_time(monkeypatch, answers, event_for, ecs):
    event = event_for("delete-continuation.json")
    started = event["EcsTeardownContinuation"]["StartedAt"]
    ecs.clock.now = started + 600  # 10 minutes in: the 300 s drain timeout has passed
    web = ecs.add(FakeService("web", task_stop_s=1000, draining_s=10, created_at=started - 3600))
    run = run_handler(monkeypatch, answers, event, ecs)
    assert run.answer["Status"] == "SUCCESS"
    assert operations(ecs) == ["UpdateService", "DeleteService"]
    assert web.forced, "the drain timeout counted from the carried start, so the delete was forced at once"


def test_update_of_an_id_this_function_never_issued_answers_its_own_id(monkeypatch, answers, event_for, ecs):
    """The ServiceToken moved from another function to this one: the old id is not ours, so the Update answers a
    resource id (a replacement) and CloudFormation's cleanup Delete of the old id touches nothing here."""
    ecs.add(FakeService("web"))
    run = run_handler(monkeypatch, answers, event_for("update.json", PhysicalResourceId="someone-elses-id"), ecs)
    assert run.answer["Status"] == "SUCCESS", run.answer["Reason"]
    assert run.answer["PhysicalResourceId"] == RESOURCE_ID
    cleanup = run_handler(monkeypatch, answers, event_for("delete.json", PhysicalResourceId="someone-elses-id"), ecs)
    assert cleanup.answer["Status"] == "SUCCESS"
    assert operations(ecs) == []
