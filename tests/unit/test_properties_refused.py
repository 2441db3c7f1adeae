"""parse_properties refusals, word for word: which property (so `Property Service` is never `Property Services[0]`),
the value as written, and why. The message becomes the Reason the stack's owner reads; tests/unit/test_properties.py
checks the fragments of many more cases."""

from __future__ import annotations

from typing import Any

import pytest

from ecs_teardown.cfn.properties import ArnScope, PropertyError, parse_properties

ACCOUNT = "123456789012"
REGION = "us-east-1"
SCOPE = ArnScope(partition="aws", region=REGION, account=ACCOUNT)
SERVICE_FORMS = "is neither a service name (1-255 letters, digits, '-' or '_') nor a service ARN (arn:PARTITION:ecs:REGION:ACCOUNT:service/CLUSTER/NAME)"
CLUSTER_FORMS = "is neither a cluster name (1-255 letters, digits, '-' or '_') nor a cluster ARN (arn:PARTITION:ecs:REGION:ACCOUNT:cluster/NAME)"


def shown(value: object) -> str:
    """A value as a message shows it: its repr, cut to 57 characters and '...' when over 60."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def not_a_service(label: str, value: str) -> str:
    return f"Property {label}: {shown(value)} {SERVICE_FORMS}"


def not_a_cluster(value: str) -> str:
    return f"Property Cluster: {shown(value)} {CLUSTER_FORMS}"


def service_arn(name: str = "web", cluster: str | None = "prod", region: str = REGION, account: str = ACCOUNT) -> str:
    path = f"{cluster}/{name}" if cluster is not None else name
    return f"arn:aws:ecs:{region}:{account}:service/{path}"


def cluster_arn(name: str = "prod", region: str = REGION, account: str = ACCOUNT, partition: str = "aws") -> str:
    return f"arn:{partition}:ecs:{region}:{account}:cluster/{name}"


def refused(properties: Any, scope: ArnScope | None = SCOPE) -> str:
    with pytest.raises(PropertyError) as caught:
        parse_properties(properties, scope)
    return str(caught.value)


MALFORMED_SERVICES = [
    pytest.param("web.v2", id="dot-in-name"),
    pytest.param(service_arn("web.v2"), id="dot-in-arn-name"),
    pytest.param(service_arn("web", "prod.eu"), id="dot-in-arn-cluster"),
    pytest.param(service_arn(region="us-east-100"), id="region-number-3-digits"),
    pytest.param(service_arn(region="us-east-"), id="region-number-missing"),
    pytest.param(service_arn(region="us-east-\u0661"), id="region-non-ascii-digit"),
    pytest.param(service_arn(region="useast-1"), id="region-one-word"),
    pytest.param(service_arn(region="u-east-1"), id="region-one-letter"),
    pytest.param(service_arn(account="12345678901"), id="account-11-digits"),
    pytest.param(service_arn(account="1234567890123"), id="account-13-digits"),
    pytest.param(service_arn(account="١٢٣٤٥٦٧٨٩٠١٢"), id="account-non-ascii-digits"),
    pytest.param(service_arn(account="12345678901a"), id="account-letter"),
    pytest.param("arn:aws", id="truncated-arn-aws"),
    pytest.param("arn:aws:ecs", id="truncated-arn-ecs"),
    pytest.param(f"arn:aws:ecs:{REGION}:{ACCOUNT}", id="truncated-arn-account"),
    pytest.param(f"arn:aws:ecs:{REGION}:{ACCOUNT}:service", id="truncated-arn-service"),
    pytest.param(f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/", id="truncated-arn-no-name"),
    pytest.param("arn:", id="truncated-arn"),
    pytest.param("arn:AWS:ecs:us-east-1:123456789012:service/prod/web", id="partition-upper-case"),
    pytest.param("arn:aws-:ecs:us-east-1:123456789012:service/prod/web", id="partition-dash"),
    pytest.param(service_arn() + "\n", id="trailing-newline"),
    pytest.param(" " + service_arn(), id="leading-space"),
    pytest.param(service_arn("w" * 256), id="name-256"),
    pytest.param(service_arn("web", "c" * 256), id="cluster-256"),
]


@pytest.mark.parametrize("value", MALFORMED_SERVICES)
def test_a_malformed_service_is_refused_naming_property_and_value(value: str) -> None:
    assert refused({"Service": value}) == not_a_service("Service", value)
    assert refused({"Services": ["api", value]}) == not_a_service("Services[1]", value)


@pytest.mark.parametrize(
    "value",
    [
        "prod.eu",
        cluster_arn("prod.eu"),
        cluster_arn(region="us-east-100"),
        cluster_arn(region="us-east-\u0661"),
        cluster_arn(account="12345678901"),
        cluster_arn(account="١٢٣٤٥٦٧٨٩٠١٢"),
        cluster_arn(account="1٢3456789012"),
        "arn:aws",
        f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster",
        f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/",
        cluster_arn("prod/web"),
        service_arn(),
        "c" * 256,
    ],
)
def test_a_malformed_cluster_is_refused_naming_the_value(value: str) -> None:
    assert refused({"Service": "web", "Cluster": value}) == not_a_cluster(value)


@pytest.mark.parametrize(
    ("properties", "message"),
    [
        (
            {"Service": service_arn(region="eu-west-1")},
            f"Property Service: {service_arn(region='eu-west-1')!r} is in region 'eu-west-1', "
            "but this function tears down services in region 'us-east-1' only",
        ),
        (
            {"Services": ["api", service_arn(account="210987654321")]},
            f"Property Services[1]: {service_arn(account='210987654321')!r} is in account '210987654321', "
            "but this function tears down services in account '123456789012' only",
        ),
        (
            {"Service": "web", "Cluster": cluster_arn(partition="aws-cn", region="cn-north-1")},
            f"Property Cluster: {cluster_arn(partition='aws-cn', region='cn-north-1')!r} is in partition 'aws-cn', "
            "but this function tears down services in partition 'aws' only",
        ),
        (
            {"Service": "web", "Cluster": cluster_arn(region="us-west-2")},
            f"Property Cluster: {cluster_arn(region='us-west-2')!r} is in region 'us-west-2', "
            "but this function tears down services in region 'us-east-1' only",
        ),
    ],
)
def test_an_arn_outside_the_function_s_scope_is_refused_naming_the_part(properties: Any, message: str) -> None:
    assert refused(properties) == message


def test_without_a_scope_any_region_and_account_is_accepted() -> None:
    request = parse_properties({"Service": service_arn(region="eu-west-1", account="210987654321")}, None)
    assert [(ref.cluster, ref.name) for ref in request.services] == [("prod", "web")]


@pytest.mark.parametrize(
    ("properties", "message"),
    [
        (
            {"Service": service_arn(cluster="other"), "Cluster": "prod"},
            f"Property Service: {service_arn(cluster='other')!r} is in cluster 'other', but Cluster is 'prod'; "
            "one resource tears down the services of one cluster",
        ),
        (
            {"Services": [service_arn("a"), service_arn("b", "other")]},
            f"Property Services[1]: {service_arn('b', 'other')!r} is in cluster 'other', but the other services are "
            "in cluster 'prod'; one resource tears down the services of one cluster",
        ),
        (
            {"Services": ["a", "b", "a"]},
            "Property Services[2]: service 'a' is listed more than once",
        ),
        (
            {"Services": [service_arn("web", None), "web"], "Cluster": "prod"},
            "Property Services[1]: service 'web' is listed more than once",
        ),
        ({"Services": []}, "Property Services: the list is empty; give 1 to 50 service names or ARNs"),
        ({"Services": "a,b"}, "Property Services: expected a list of service names or ARNs, got 'a,b'"),
        ({"Services": ["a", 5]}, "Property Services[1]: expected a service name or ARN, got int"),
        ({"Services": [f"s{i}" for i in range(51)]}, "Property Services: 51 services given; at most 50 are allowed"),
        ({"Service": ["web"]}, "Property Service: expected a service name or ARN, got list"),
        ({"Service": "web", "Cluster": 5}, "Property Cluster: expected a cluster name or ARN, got int"),
        ({"Service": "a", "Services": ["b"]}, "Properties Service and Services: give exactly one of the two, not both"),
        ({}, "Property Service (or Services): one of the two is required; neither was given"),
        (None, "Property Service (or Services): one of the two is required; neither was given"),
        (["Service"], "ResourceProperties: expected an object, got list"),
        (
            {"Service": "web", "WaitForInactive": "yes"},
            "Property WaitForInactive: expected 'true' or 'false', got 'yes'",
        ),
        (
            {"Service": "web", "TeardownOnRemoval": 1},
            "Property TeardownOnRemoval: expected 'true' or 'false', got 1",
        ),
        (
            {"Service": "web", "ForceDelete": "force"},
            "Property ForceDelete: expected 'auto', 'always' or 'never', got 'force'",
        ),
        (
            {"Service": "web", "ServiceTimeout": "0"},
            "Property ServiceTimeout: expected a whole number of seconds from 1 to 3600, got '0'",
        ),
        (
            {"Service": "web", "ServiceTimeout": True},
            "Property ServiceTimeout: expected a whole number of seconds from 1 to 3600, got True",
        ),
        (
            {"Service": "web", "ServiceTimeout": "1234567890"},
            "Property ServiceTimeout: expected a whole number of seconds from 1 to 3600, got '1234567890'",
        ),
        (
            {"Service": "web", "Servce": "x"},
            "Unknown property 'Servce' (did you mean Service?). Known properties: ServiceTimeout, Cluster, Service, "
            "Services, DrainTimeoutSeconds, ForceDelete, WaitForInactive, TeardownOnRemoval",
        ),
    ],
)
def test_refusals_word_for_word(properties: Any, message: str) -> None:
    text = refused(properties)
    if message.startswith("Unknown property"):  # the list of known properties grows with new features
        assert text.startswith(message.split(". Known properties:")[0] + ". Known properties: ServiceTimeout, ")
    else:
        assert text == message


@pytest.mark.parametrize(("key", "low", "high"), [("ServiceTimeout", 1, 3600)])
@pytest.mark.parametrize("value", [" 60 ", "060", 60])
def test_whole_numbers_in_range_are_read(key: str, low: int, high: int, value: Any) -> None:
    assert parse_properties({"Service": "web", key: value}).service_timeout_s == 60
    assert parse_properties({"Service": "web", key: str(low)}).service_timeout_s == low
    assert parse_properties({"Service": "web", key: str(high)}).service_timeout_s == high


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("x" * 58, repr("x" * 58)),  # a repr of 60 characters: shown whole
        ("x" * 59, repr("x" * 59)[:57] + "..."),  # 61: cut to 57 and "..."
        ("x" * 5000, repr("x" * 5000)[:57] + "..."),
    ],
)
def test_a_value_is_shown_cut_to_60_characters(value: str, shown: str) -> None:
    assert refused({"Service": "web", "ForceDelete": value}) == (
        f"Property ForceDelete: expected 'auto', 'always' or 'never', got {shown}"
    )


@pytest.mark.parametrize(
    ("value", "expected"), [("TRUE", True), (" false ", False), ("False", False), (True, True), (False, False)]
)
def test_booleans(value: Any, expected: bool) -> None:
    request = parse_properties({"Service": "web", "WaitForInactive": value, "TeardownOnRemoval": value})
    assert (request.wait_for_inactive, request.teardown_on_removal) == (expected, expected)


def test_boolean_defaults() -> None:
    request = parse_properties({"Service": "web"})
    assert (request.wait_for_inactive, request.teardown_on_removal) == (True, False)


@pytest.mark.parametrize(
    ("arn", "scope"),
    [
        ("arn:aws:ecs:us-east-1:123456789012:cluster/x", ArnScope("aws", "us-east-1", "123456789012")),
        ("arn:aws:iam::123456789012:role/x", None),  # no region (a global service's ARN)
        ("arn:aws:ecs:us-east-1::cluster/x", None),  # no account
        ("arn::ecs:us-east-1:123456789012:cluster/x", None),  # no partition
        ("xrn:aws:ecs:us-east-1:123456789012:cluster/x", None),
        ("arn:aws:ecs:us-east-1:123456789012", None),  # five parts
    ],
)
def test_arn_scope_needs_six_parts_and_each_of_partition_region_and_account(arn: str, scope: ArnScope | None) -> None:
    assert ArnScope.from_arn(arn) == scope


def test_an_unknown_property_with_nothing_close_gets_no_suggestion() -> None:
    assert refused({"Service": "web", "Qqqqqqqqqq": "1"}).startswith(
        "Unknown property 'Qqqqqqqqqq'. Known properties: ServiceTimeout, Cluster, Service, Services, "
    )
