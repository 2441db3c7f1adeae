"""The services this tool refuses or cannot finish, on the embedded AWS over real HTTP on 127.0.0.1 (issue 13): an
EXTERNAL deployment controller (moto's own, with a task set made through CreateTaskSet) and an ECS Express Mode
service (`resourceManagementType: ECS`, which the emulator adds to moto) are refused by the real handler's Create and
left untouched by its Delete; a CodeDeploy blue/green deployment in progress (the emulator's `BlueGreen`: two task
sets, moto's own, each named after the CodeDeploy deployment that made it) keeps DeleteService refusing, and the
engine, through the real EcsGateway and boto3, fails after the wait, naming that deployment, with no force.

What reaches the server is read on the server's side: the TimedBackend records every UpdateService and DeleteService
that reaches moto's ECS backend (`aws.timed.writes`), whichever service it names.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from ecs_teardown.aws.ecs import EcsGateway, client_config, make_ecs_client
from ecs_teardown.cfn.edges import Edges
from ecs_teardown.cfn.protocol import CustomResource
from ecs_teardown.core.engine import Step, TeardownResult, run_teardown
from ecs_teardown.core.machine import DEPLOYMENT_WAIT_S, Kind, Outcome, Phase
from ecs_teardown.core.model import CODE_DEPLOY, ForceMode
from ecs_teardown_tools.emulator import DEPLOYMENTS_ACTIVE, BlueGreen, EmbeddedAws, Timeline
from ecs_teardown_tools.local import AnswerEndpoint, LocalContext
from ecs_teardown_tools.teardown import Options, requests_for
from support.skipping_clock import SkippingClock

pytestmark = pytest.mark.integration

CLUSTER = "controllers"  # moto's backends outlive one EmbeddedAws: this module's own cluster, a service name per test
TIMEOUT_S = 600.0  # on the skipping clock
EXPRESS_WORDS = (
    "an ECS Express Mode service: ECS manages its load balancer and scaling, so delete it with "
    "DeleteExpressGatewayService (aws ecs delete-express-gateway-service), which removes them too"
)
EXTERNAL_WORDS = (
    "it uses the EXTERNAL deployment controller: its task sets are managed outside ECS; delete them "
    "(DeleteTaskSet) with the tool that created them, then delete the service"
)
CODEDEPLOY_WHY = re.compile(
    r"DeleteService refused for (\d+) s: deployments are active; CodeDeploy deployment (\S+) is in progress: stop it "
    r"\(aws deploy stop-deployment --deployment-id ID\) or let it finish, then delete again"
)


@pytest.fixture
def clock() -> SkippingClock:
    return SkippingClock()


@pytest.fixture
def aws(clock: SkippingClock) -> Iterator[EmbeddedAws]:
    with EmbeddedAws(clock=clock) as embedded:
        ecs = embedded.client("ecs")
        ecs.create_cluster(clusterName=CLUSTER)
        ecs.register_task_definition(
            family="app", containerDefinitions=[{"name": "app", "image": "nginx", "memory": 64, "stopTimeout": 2}]
        )
        yield embedded


def described(aws: EmbeddedAws, name: str) -> dict[str, Any]:
    (found,) = aws.client("ecs").describe_services(cluster=CLUSTER, services=[name])["services"]
    return dict(found)


def writes_to(aws: EmbeddedAws, name: str) -> list[str]:
    """Every UpdateService, DeleteService and StopServiceDeployment of `name` that reached moto's ECS backend."""
    return [call for call, service, _ in aws.timed.writes if service.rsplit("/", 1)[-1] == name]


def external_service(aws: EmbeddedAws, name: str) -> str:
    """An EXTERNAL service with one task set, as a third-party deployer makes them (CreateTaskSet is documented for
    the EXTERNAL controller): moto's own, nothing played. Returns the task set's ARN."""
    ecs = aws.client("ecs")
    ecs.create_service(cluster=CLUSTER, serviceName=name, desiredCount=2, deploymentController={"type": "EXTERNAL"})
    task_set = ecs.create_task_set(cluster=CLUSTER, service=name, taskDefinition="app", externalId="my-deployer/1")
    return str(task_set["taskSet"]["taskSetArn"])


def express_service(aws: EmbeddedAws, name: str) -> None:
    aws.client("ecs").create_service(cluster=CLUSTER, serviceName=name, taskDefinition="app", desiredCount=2)
    aws.play(CLUSTER, name, Timeline(tasks=2, task_stop_s=2, draining_s=2, express=True))


def blue_green_service(aws: EmbeddedAws, name: str, blue_green: BlueGreen) -> None:
    """A CODE_DEPLOY service with 2 tasks (they stop over 2 s; DRAINING lasts 2 s), its deployment in progress."""
    aws.client("ecs").create_service(
        cluster=CLUSTER,
        serviceName=name,
        taskDefinition="app",
        desiredCount=2,
        deploymentController={"type": CODE_DEPLOY},
    )
    aws.play(CLUSTER, name, Timeline(tasks=2, task_stop_s=2, draining_s=2, blue_green=blue_green))


# --- EXTERNAL and Express Mode: the real handler over HTTP -----------------------------------------------------------


@pytest.fixture
def runtime(aws: EmbeddedAws, answers: AnswerEndpoint, monkeypatch: pytest.MonkeyPatch) -> Edges:
    """The real gateway, client and clock at the embedded AWS's endpoint (built after the answer endpoint: the
    function reads its environment when built); only the waits between polls are shortened."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_ECS", aws.url)
    return Edges(sleep=lambda seconds: time.sleep(min(seconds, 0.05)))


def invoke(event: dict[str, Any], answers: AnswerEndpoint, edges: Edges) -> dict[str, Any]:
    before = len(answers.answers)
    CustomResource(edges).handle(event, LocalContext())
    received = answers.wait_for(before + 1)
    assert len(received) == before + 1
    return received[-1].body


@pytest.mark.parametrize(("kind", "words"), [("external", EXTERNAL_WORDS), ("express", EXPRESS_WORDS)])
def test_external_and_express_services_are_refused_at_create_and_left_untouched_at_delete(
    aws, runtime, answers, event_for, kind, words
) -> None:
    name = f"refused-{kind}"
    task_set = external_service(aws, name) if kind == "external" else express_service(aws, name)
    before = described(aws, name)
    assert before["deploymentController"] == {"type": "EXTERNAL" if kind == "external" else "ECS"}
    assert before.get("resourceManagementType") == ("ECS" if kind == "express" else None)
    properties = {"Cluster": CLUSTER, "Service": name}

    created = invoke(event_for("create.json", properties), answers, runtime)

    assert created["Status"] == "FAILED"
    assert created["Reason"] == (
        f"Property Service: service '{name}' in cluster '{CLUSTER}' is not torn down by this tool: {words}"
    )

    deleted = invoke(event_for("delete.json", properties), answers, runtime)

    assert deleted["Status"] == "FAILED"
    counts = "running 0, pending 2" if kind == "external" else "running 2, pending 0"  # moto's; the played ones
    assert deleted["Reason"] == (
        f"1 of 1 service(s) failed: {name} (failed: {words}; not touched; desired 2, {counts})"
    ), deleted["Reason"]
    assert aws.timed.writes == [], "no UpdateService, DeleteService or StopServiceDeployment reached moto"
    assert set(runtime.gateway().calls) == {"describe_services"}, "nothing read or changed around it either"
    after = described(aws, name)
    assert (after["status"], after["desiredCount"]) == ("ACTIVE", 2)
    if kind == "external":
        assert [(t["taskSetArn"], t["externalId"]) for t in after["taskSets"]] == [(task_set, "my-deployer/1")]


def test_a_plain_service_next_to_them_is_torn_down_by_the_same_handler(aws, runtime, answers, event_for) -> None:
    """The control: the same Create and Delete on an ECS-controller service go through, so the refusals above are
    the controller's and Express Mode's, not the set-up's."""
    aws.client("ecs").create_service(cluster=CLUSTER, serviceName="plain", taskDefinition="app", desiredCount=2)
    aws.play(CLUSTER, "plain", Timeline(tasks=2, task_stop_s=0.2, draining_s=0.2))
    assert "resourceManagementType" not in described(aws, "plain")
    properties = {"Cluster": CLUSTER, "Service": "plain"}

    assert invoke(event_for("create.json", properties), answers, runtime)["Status"] == "SUCCESS"
    deleted = invoke(event_for("delete.json", properties), answers, runtime)

    assert deleted["Status"] == "SUCCESS", deleted.get("Reason")
    assert writes_to(aws, "plain") == ["update_service", "delete_service"]
    assert described(aws, "plain")["status"] == "INACTIVE"


# --- CodeDeploy: what the embedded AWS shows and answers ------------------------------------------------------------


def refusal(call: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        call()
    error = caught.value.response["Error"]
    return str(error["Code"]), str(error["Message"])


def test_a_codedeploy_deployment_shows_its_task_sets_and_refuses_the_delete_until_it_ends(aws, clock) -> None:
    blue_green = BlueGreen(ends_after_s=30)
    blue_green_service(aws, "shown", blue_green)
    ecs = aws.client("ecs")
    seen = described(aws, "shown")
    assert seen["deploymentController"] == {"type": "CODE_DEPLOY"} and seen["deployments"] == []
    assert [(t["status"], t["externalId"], t["taskSetArn"]) for t in seen["taskSets"]] == [
        ("PRIMARY", blue_green.original_id, blue_green.task_sets[0]),
        ("ACTIVE", blue_green.deployment_id, blue_green.task_sets[1]),
    ]
    assert all(re.fullmatch(r"d-[A-Z0-9]{9}", t["externalId"]) for t in seen["taskSets"])
    assert blue_green.original_id != blue_green.deployment_id
    assert all(t["taskDefinition"] == seen["taskDefinition"] for t in seen["taskSets"])
    gateway = EcsGateway(ecs)
    snapshot = gateway.describe(CLUSTER, ["shown"])["shown"]
    assert (snapshot.controller, snapshot.codedeploy, snapshot.rollout) == (
        CODE_DEPLOY,
        (blue_green.deployment_id,),
        "",
    )

    assert refusal(lambda: ecs.delete_service(cluster=CLUSTER, service="shown"))[1] == (
        "The service cannot be stopped while it is scaled above 0."
    ), "scaled above zero: moto's own refusal comes first"
    ecs.update_service(cluster=CLUSTER, service="shown", desiredCount=0)
    assert blue_green.started_at is not None
    clock.skipped += blue_green.started_at + 29.9 - clock()
    assert refusal(lambda: ecs.delete_service(cluster=CLUSTER, service="shown")) == (
        "InvalidParameterException",
        DEPLOYMENTS_ACTIVE,
    )
    clock.skipped += 0.2  # the deployment completed: the replacement serves, the original is gone
    done = described(aws, "shown")["taskSets"]
    assert [(t["status"], t["externalId"]) for t in done] == [("PRIMARY", blue_green.deployment_id)]
    assert ecs.delete_service(cluster=CLUSTER, service="shown")["service"]["status"] == "DRAINING"
    answers = [(c.call, c.detail, c.answer) for c in aws.timed.deployment_calls]
    assert answers == [("DeleteService", "", "InvalidParameterException"), ("DeleteService", "", "accepted")]


def test_only_a_code_deploy_service_can_play_a_codedeploy_deployment(aws) -> None:
    aws.client("ecs").create_service(cluster=CLUSTER, serviceName="rolling", taskDefinition="app", desiredCount=1)
    with pytest.raises(ValueError, match="only a service of the CODE_DEPLOY controller"):
        aws.play(CLUSTER, "rolling", Timeline(tasks=1, blue_green=BlueGreen()))
    assert described(aws, "rolling")["taskSets"] == []


# --- CodeDeploy: the engine against it ------------------------------------------------------------------------------


def teardown(aws: EmbeddedAws, clock: SkippingClock, name: str) -> tuple[TeardownResult, list[Step]]:
    """The command line's engine run for one service (its request, the real EcsGateway over boto3 at the emulator's
    endpoint), with ForceDelete auto, on the skipping clock."""
    session = boto3.session.Session(
        aws_access_key_id="emulator", aws_secret_access_key="emulator", region_name=aws.region
    )

    def siblings(service_name: str) -> Any:
        return session.client(service_name, endpoint_url=aws.url, config=client_config())  # type: ignore[call-overload]

    gateway = EcsGateway(make_ecs_client(session, aws.url, region=aws.region), clients=siblings)
    options = Options(drain_timeout_s=None, force=ForceMode.AUTO, timeout_s=TIMEOUT_S)
    (request,) = requests_for(CLUSTER, [name], options)
    steps: list[Step] = []
    started = clock()
    result = run_teardown(
        request,
        gateway,
        started_at=started,
        deadline=started + TIMEOUT_S,
        clock=clock,
        sleep=clock.sleep,
        on_step=steps.append,
    )
    return result, steps


def test_the_teardown_fails_after_the_wait_naming_the_codedeploy_deployment_without_force(aws, clock) -> None:
    blue_green = BlueGreen()  # never ends by itself
    blue_green_service(aws, "bg", blue_green)

    (result, steps) = teardown(aws, clock, "bg")

    (bg,) = result.services
    assert (bg.outcome, bg.phase, bg.forced) == (Outcome.FAILED, Phase.FAILED, False), bg.describe()
    why = CODEDEPLOY_WHY.fullmatch(bg.why)
    assert why is not None, bg.why
    assert why[2] == blue_green.deployment_id, "the deployment in progress (the ACTIVE task set's) is named"
    assert blue_green.original_id not in bg.why, "the PRIMARY task set's deployment has finished"
    assert DEPLOYMENT_WAIT_S == 60 <= int(why[1]) < 70, "failed soon after the 60 s wait (the README's)"
    deletes = [c for c in aws.timed.deployment_calls if c.call == "DeleteService"]
    assert deletes and {(c.detail, c.answer) for c in deletes} == {("", "InvalidParameterException")}
    assert deletes[-1].at - deletes[0].at < DEPLOYMENT_WAIT_S <= result.elapsed_s, "no delete after the wait"
    assert writes_to(aws, "bg") == ["update_service"] + ["delete_service"] * len(deletes), "no StopServiceDeployment"
    assert not any(s.force for s in steps) and not any(s.kind is Kind.STOP_DEPLOYMENT for s in steps)
    left = described(aws, "bg")
    assert (left["status"], left["desiredCount"], left["runningCount"]) == ("ACTIVE", 0, 0), "left as it is"
    assert [(t["status"], t["externalId"]) for t in left["taskSets"]] == [
        ("PRIMARY", blue_green.original_id),
        ("ACTIVE", blue_green.deployment_id),
    ]


def test_a_codedeploy_deployment_that_ends_before_the_wait_lets_the_teardown_through(aws, clock) -> None:
    blue_green_service(aws, "brief", BlueGreen(ends_after_s=20))

    (result, _) = teardown(aws, clock, "brief")

    (brief,) = result.services
    assert (brief.outcome, brief.phase, brief.forced) == (Outcome.DONE, Phase.GONE, False), brief.describe()
    answers = [(c.detail, c.answer) for c in aws.timed.deployment_calls if c.call == "DeleteService"]
    assert answers[0] == ("", "InvalidParameterException"), "it did block the delete at first"
    assert answers[-1] == ("", "accepted") and answers.count(("", "accepted")) == 1
    assert described(aws, "brief")["status"] == "INACTIVE"
