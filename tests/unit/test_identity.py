"""Physical resource ids: stable for the same targets, different for others, never mistaken for a failed Create."""

from __future__ import annotations

from typing import Any

import pytest

from ecs_teardown.identity import MAX_ID_BYTES, PREFIX, IssuedId, digest_of, failed_create_id, issue_id, parse_id
from ecs_teardown.properties import ServiceRef, TeardownRequest, parse_properties

ACCOUNT = "123456789012"
REGION = "us-east-1"


def arn(name: str, cluster: str | None = "prod", partition: str = "aws", region: str = REGION) -> str:
    path = f"{cluster}/{name}" if cluster is not None else name
    return f"arn:{partition}:ecs:{region}:{ACCOUNT}:service/{path}"


def request(**properties: Any) -> TeardownRequest:
    return parse_properties(properties)


def issued(req: TeardownRequest) -> str:
    """The id a Create would answer, with ECS's long-format ARNs."""
    return issue_id(req, [arn(ref.name, ref.cluster) for ref in req.services])


# ---------------------------------------------------------------------------------------------------------------
# Same targets, same id
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "second"),
    [
        pytest.param({"Service": "web", "Cluster": "prod"}, {"Service": arn("web")}, id="single-name-vs-arn"),
        pytest.param(
            {"Service": "web", "Cluster": "prod"},
            {"Service": arn("web", None), "Cluster": "prod"},
            id="single-name-vs-short-arn",
        ),
        pytest.param(
            {"Service": "web", "Cluster": "prod"},
            {"Service": "web", "Cluster": f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/prod"},
            id="cluster-name-vs-cluster-arn",
        ),
        pytest.param(
            {"Services": ["a", "b"], "Cluster": "prod"}, {"Services": [arn("a"), arn("b")]}, id="several-names-vs-arns"
        ),
        pytest.param({"Services": ["a", "b"], "Cluster": "prod"}, {"Services": [arn("a"), "b"]}, id="several-mixed"),
        pytest.param(
            {"Services": ["a", "b", "c"], "Cluster": "prod"},
            {"Services": ["c", "a", "b"], "Cluster": "prod"},
            id="order-does-not-matter",
        ),
        pytest.param(
            {"Services": ["a", "b"], "Cluster": "prod"},
            {"Services": ["a", "b"], "Cluster": "prod", "DrainTimeoutSeconds": "10", "ForceDelete": "never"},
            id="settings-do-not-matter",
        ),
        pytest.param(
            {"Service": "web", "Cluster": "prod"},
            {"Service": "web", "Cluster": "prod", "ServiceTimeout": "60", "WaitForInactive": "false"},
            id="single-settings-do-not-matter",
        ),
    ],
)
def test_same_targets_give_the_same_id(first: dict[str, Any], second: dict[str, Any]) -> None:
    one, two = request(**first), request(**second)
    assert issued(one) == issued(two)
    assert parse_id(issued(one)) is not None
    assert parse_id(issued(one)).matches(two)  # type: ignore[union-attr]
    assert parse_id(issued(two)).matches(one)  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("first", "second"),
    [
        pytest.param({"Service": "web", "Cluster": "prod"}, {"Service": "api", "Cluster": "prod"}, id="other-service"),
        pytest.param({"Service": "web", "Cluster": "prod"}, {"Service": "web", "Cluster": "test"}, id="other-cluster"),
        pytest.param(
            {"Services": ["a", "b"], "Cluster": "prod"}, {"Services": ["a", "c"], "Cluster": "prod"}, id="swap-one"
        ),
        pytest.param(
            {"Services": ["a", "b"], "Cluster": "prod"}, {"Services": ["a", "b", "c"], "Cluster": "prod"}, id="add-one"
        ),
        pytest.param(
            {"Services": ["a", "b", "c"], "Cluster": "prod"}, {"Services": ["a", "b"], "Cluster": "prod"}, id="drop-one"
        ),
        pytest.param(
            {"Services": ["a", "b"], "Cluster": "prod"}, {"Services": ["a", "b"], "Cluster": "test"}, id="move-cluster"
        ),
        pytest.param({"Services": ["a", "b"], "Cluster": "prod"}, {"Service": "a", "Cluster": "prod"}, id="to-single"),
        pytest.param({"Service": "a", "Cluster": "prod"}, {"Services": ["a", "b"], "Cluster": "prod"}, id="to-several"),
        pytest.param(
            {"Services": ["ab", "c"], "Cluster": "prod"},
            {"Services": ["a", "bc"], "Cluster": "prod"},
            id="concat-trick",
        ),
    ],
)
def test_other_targets_give_another_id_that_does_not_match(first: dict[str, Any], second: dict[str, Any]) -> None:
    one, two = request(**first), request(**second)
    assert issued(one) != issued(two)
    assert not parse_id(issued(one)).matches(two)  # type: ignore[union-attr]
    assert not parse_id(issued(two)).matches(one)  # type: ignore[union-attr]


def test_single_service_id_is_the_arn_ecs_returned() -> None:
    req = request(Service="web", Cluster="prod")
    assert issue_id(req, [arn("web")]) == arn("web")


def test_several_services_id_shape() -> None:
    req = request(Services=["b", "a"], Cluster="prod")
    physical_id = issued(req)
    assert physical_id.startswith(f"{PREFIX}/prod/2-services/")
    assert physical_id.rsplit("/", 1)[1] == digest_of(req.services)
    assert parse_id(physical_id) == IssuedId(cluster="prod", service="", digest=digest_of(req.services))


def test_digest_ignores_order_and_cluster_of_the_refs() -> None:
    assert digest_of([ServiceRef("x", "a"), ServiceRef("x", "b")]) == digest_of(
        (ServiceRef("y", "b"), ServiceRef("y", "a"))
    )
    assert digest_of([ServiceRef("x", "a")]) != digest_of([ServiceRef("x", "b")])
    assert len(digest_of([ServiceRef("x", "a")])) == 32


# ---------------------------------------------------------------------------------------------------------------
# Failed Create ids are never taken for issued ones
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "request_id",
    [
        "8f3a1e52-7c5f-4f7e-9d1b-0c1b2f3e4d5a",
        "",
        "unknown",
        "../../etc/passwd",
        "prod/2-services/" + "0" * 32,
        f"{PREFIX}/prod/2-services/" + "a" * 32,
        arn("web"),
        "r" * 5000,
        "ключ-😀",
        "a\nb/c?d#e",
    ],
)
def test_failed_create_id_is_never_recognized_as_issued(request_id: str) -> None:
    physical_id = failed_create_id(request_id)
    assert physical_id.startswith(f"{PREFIX}/failed-create/")
    assert physical_id != f"{PREFIX}/failed-create/"
    assert len(physical_id.encode()) <= MAX_ID_BYTES
    assert parse_id(physical_id) is None


def test_failed_create_id_keeps_a_plain_request_id() -> None:
    assert failed_create_id("8f3a1e52-7c5f") == f"{PREFIX}/failed-create/8f3a1e52-7c5f"


@pytest.mark.parametrize(
    "physical_id",
    [
        None,
        42,
        ["arn"],
        "",
        "physical",
        "MyStack-MyResource-ABC123",
        f"{PREFIX}/prod/2-services/short",
        f"{PREFIX}/prod/2-services/" + "G" * 32,
        f"{PREFIX}/prod/100-services/" + "a" * 32,
        f"{PREFIX}//2-services/" + "a" * 32,
        f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/prod",
        f"arn:aws:ecs:{REGION}:{ACCOUNT}:task/prod/abc",
        arn("w" * 2000),
        arn("web") + "\n",
        f"{PREFIX}/prod/2-services/" + "a" * 32 + "\n",
        f"arn:aws:ecs:{REGION}:١٢٣٤٥٦٧٨٩٠١٢:service/prod/web",
    ],
)
def test_ids_not_issued_here_are_not_recognized(physical_id: object) -> None:
    assert parse_id(physical_id) is None


# ---------------------------------------------------------------------------------------------------------------
# Size: <= 1 KB even at the limits
# ---------------------------------------------------------------------------------------------------------------


def test_id_of_50_services_with_255_char_names_fits_and_round_trips() -> None:
    cluster = "c" * 255
    names = [f"{i:02d}" + "n" * 253 for i in range(50)]
    req = request(Services=names, Cluster=cluster)
    physical_id = issue_id(req, [arn(name, cluster) for name in names])
    assert len(physical_id.encode()) <= MAX_ID_BYTES
    parsed = parse_id(physical_id)
    assert parsed is not None
    assert parsed.matches(req)
    assert not parsed.matches(request(Services=names[:49], Cluster=cluster))


@pytest.mark.parametrize("partition,region", [("aws", "us-east-1"), ("aws-us-gov", "us-gov-west-1")])
def test_single_service_id_at_the_limits_fits_and_round_trips(partition: str, region: str) -> None:
    cluster, name = "c" * 255, "s" * 255
    service_arn = arn(name, cluster, partition=partition, region=region)
    req = request(Service=service_arn)
    physical_id = issue_id(req, [service_arn])
    assert len(physical_id.encode()) <= MAX_ID_BYTES
    assert parse_id(physical_id) == IssuedId(cluster=cluster, service=name)
    assert parse_id(physical_id).matches(req)  # type: ignore[union-attr]


# ---------------------------------------------------------------------------------------------------------------
# Short-format service ARNs (service/NAME) do not say their cluster
# ---------------------------------------------------------------------------------------------------------------


def test_short_arn_id_parses_without_a_cluster() -> None:
    assert parse_id(arn("web", None)) == IssuedId(cluster="", service="web")


@pytest.mark.parametrize(
    ("properties", "expected"),
    [
        pytest.param({"Service": "web"}, True, id="default-cluster"),
        pytest.param({"Service": "web", "Cluster": "prod"}, True, id="named-cluster"),
        pytest.param({"Service": arn("web")}, True, id="long-arn"),
        pytest.param({"Service": arn("web", None), "Cluster": "x"}, True, id="short-arn"),
        pytest.param({"Service": "api", "Cluster": "prod"}, False, id="other-name"),
        pytest.param({"Service": "web2"}, False, id="prefix-name"),
        pytest.param({"Services": ["web", "api"]}, False, id="several"),
    ],
)
def test_short_arn_id_matches_by_service_name(properties: dict[str, Any], expected: bool) -> None:
    assert parse_id(arn("web", None)).matches(request(**properties)) is expected  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("properties", "expected"),
    [
        pytest.param({"Service": "web", "Cluster": "prod"}, True, id="same"),
        pytest.param({"Service": "web"}, False, id="default-cluster"),
        pytest.param({"Service": "web", "Cluster": "test"}, False, id="other-cluster"),
        pytest.param({"Services": ["web", "api"], "Cluster": "prod"}, False, id="several"),
    ],
)
def test_long_arn_id_matches_cluster_and_name(properties: dict[str, Any], expected: bool) -> None:
    assert parse_id(arn("web", "prod")).matches(request(**properties)) is expected  # type: ignore[union-attr]
