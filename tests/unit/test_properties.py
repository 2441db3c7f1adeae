"""parse_properties: ResourceProperties (strings, as CloudFormation sends them) -> a validated TeardownRequest."""

from __future__ import annotations

from typing import Any

import pytest

from ecs_teardown.cfn.properties import ArnScope, PropertyError, parse_properties
from ecs_teardown.core.model import (
    DEFAULT_CLUSTER,
    MAX_SERVICE_TIMEOUT_S,
    ForceMode,
    ServiceRef,
    TeardownRequest,
)

ACCOUNT = "123456789012"
REGION = "us-east-1"
SCOPE = ArnScope(partition="aws", region=REGION, account=ACCOUNT)
MAX_MESSAGE = 400


def service_arn(
    name: str, cluster: str | None = "prod", partition: str = "aws", region: str = REGION, account: str = ACCOUNT
) -> str:
    """A long-format service ARN (service/CLUSTER/NAME), or the short one (service/NAME) when cluster is None."""
    path = f"{cluster}/{name}" if cluster is not None else name
    return f"arn:{partition}:ecs:{region}:{account}:service/{path}"


def cluster_arn(name: str, partition: str = "aws", region: str = REGION, account: str = ACCOUNT) -> str:
    return f"arn:{partition}:ecs:{region}:{account}:cluster/{name}"


def refs(cluster: str, *names: str) -> tuple[ServiceRef, ...]:
    return tuple(ServiceRef(cluster, name) for name in names)


# ---------------------------------------------------------------------------------------------------------------
# Defaults and valid forms
# ---------------------------------------------------------------------------------------------------------------


def test_defaults_for_a_single_service_name() -> None:
    request = parse_properties({"ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:f", "Service": "web"})

    assert request == TeardownRequest(
        cluster=DEFAULT_CLUSTER,
        services=refs(DEFAULT_CLUSTER, "web"),
        drain_timeout_s=None,  # `auto`: from the service's target groups and stop timeout
        force=ForceMode.AUTO,
        wait_for_inactive=True,
        service_timeout_s=MAX_SERVICE_TIMEOUT_S,
        deregistration_delay_s=None,  # the target groups' delay is left alone
    )
    assert request.cluster == "default"
    assert request.drain_timeout_s is None
    assert request.service_timeout_s == 3600


def test_request_is_frozen() -> None:
    request = parse_properties({"Service": "web"})
    with pytest.raises(AttributeError):
        request.cluster = "other"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("key", "value", "attribute", "expected"),
    [
        # numbers arrive as strings
        ("DrainTimeoutSeconds", "300", "drain_timeout_s", 300),
        ("DrainTimeoutSeconds", "0", "drain_timeout_s", 0),
        ("DrainTimeoutSeconds", "3600", "drain_timeout_s", 3600),
        ("DrainTimeoutSeconds", " 45 ", "drain_timeout_s", 45),
        ("DrainTimeoutSeconds", "007", "drain_timeout_s", 7),
        ("DrainTimeoutSeconds", 120, "drain_timeout_s", 120),
        ("ServiceTimeout", "1", "service_timeout_s", 1),
        ("ServiceTimeout", "900", "service_timeout_s", 900),
        ("ServiceTimeout", "3600", "service_timeout_s", 3600),
        ("ServiceTimeout", 600, "service_timeout_s", 600),
        # booleans arrive as strings
        ("WaitForInactive", "true", "wait_for_inactive", True),
        ("WaitForInactive", "True", "wait_for_inactive", True),
        ("WaitForInactive", "TRUE", "wait_for_inactive", True),
        ("WaitForInactive", "false", "wait_for_inactive", False),
        ("WaitForInactive", "False", "wait_for_inactive", False),
        ("WaitForInactive", " false ", "wait_for_inactive", False),
        ("WaitForInactive", True, "wait_for_inactive", True),
        ("WaitForInactive", False, "wait_for_inactive", False),
        # ForceDelete, any case
        ("ForceDelete", "auto", "force", ForceMode.AUTO),
        ("ForceDelete", "Auto", "force", ForceMode.AUTO),
        ("ForceDelete", "always", "force", ForceMode.ALWAYS),
        ("ForceDelete", "Always", "force", ForceMode.ALWAYS),
        ("ForceDelete", "never", "force", ForceMode.NEVER),
        ("ForceDelete", "NEVER", "force", ForceMode.NEVER),
        ("ForceDelete", " never ", "force", ForceMode.NEVER),
        # None means "not given"
        ("DrainTimeoutSeconds", None, "drain_timeout_s", None),
        ("DrainTimeoutSeconds", "auto", "drain_timeout_s", None),
        ("DrainTimeoutSeconds", " AUTO ", "drain_timeout_s", None),
        ("DeregistrationDelaySeconds", None, "deregistration_delay_s", None),
        ("DeregistrationDelaySeconds", "0", "deregistration_delay_s", 0),
        ("DeregistrationDelaySeconds", "3600", "deregistration_delay_s", 3600),
        ("ServiceTimeout", None, "service_timeout_s", MAX_SERVICE_TIMEOUT_S),
        ("WaitForInactive", None, "wait_for_inactive", True),
        ("ForceDelete", None, "force", ForceMode.AUTO),
    ],
)
def test_valid_forms_of_each_setting(key: str, value: Any, attribute: str, expected: Any) -> None:
    request = parse_properties({"Service": "web", key: value})
    assert getattr(request, attribute) == expected


@pytest.mark.parametrize(
    ("properties", "cluster", "services"),
    [
        pytest.param({"Service": "web"}, "default", ("web",), id="name-default-cluster"),
        pytest.param({"Service": "web", "Cluster": "prod"}, "prod", ("web",), id="name-and-cluster"),
        pytest.param({"Service": "a" * 255}, "default", ("a" * 255,), id="255-char-name"),
        pytest.param({"Service": "My_Service-01"}, "default", ("My_Service-01",), id="underscore-dash-digits"),
        pytest.param({"Service": "web", "Cluster": cluster_arn("prod")}, "prod", ("web",), id="cluster-arn"),
        pytest.param({"Service": service_arn("web", "prod")}, "prod", ("web",), id="long-arn-infers-cluster"),
        pytest.param(
            {"Service": service_arn("web", "prod"), "Cluster": "prod"}, "prod", ("web",), id="long-arn-same-cluster"
        ),
        pytest.param(
            {"Service": service_arn("web", "prod"), "Cluster": cluster_arn("prod")},
            "prod",
            ("web",),
            id="long-arn-and-cluster-arn",
        ),
        pytest.param({"Service": service_arn("web", None)}, "default", ("web",), id="short-arn-default-cluster"),
        pytest.param(
            {"Service": service_arn("web", None), "Cluster": "prod"}, "prod", ("web",), id="short-arn-with-cluster"
        ),
        pytest.param({"Services": ["a"]}, "default", ("a",), id="list-of-one"),
        pytest.param({"Services": ["a", "b", "c"], "Cluster": "prod"}, "prod", ("a", "b", "c"), id="list-names"),
        pytest.param(
            {"Services": [service_arn("a", "prod"), "b"]}, "prod", ("a", "b"), id="cluster-inferred-from-first-arn"
        ),
        pytest.param(
            {"Services": ["b", service_arn("a", "prod")]}, "prod", ("b", "a"), id="cluster-inferred-from-later-arn"
        ),
        pytest.param(
            {"Services": [service_arn("a", None), service_arn("b", "prod")]},
            "prod",
            ("a", "b"),
            id="short-and-long-arn",
        ),
        pytest.param(
            {"Services": [service_arn("a", "prod"), service_arn("b", "prod")], "Cluster": "prod"},
            "prod",
            ("a", "b"),
            id="arns-agree-with-cluster",
        ),
        pytest.param(
            {"Services": [f"svc-{i}" for i in range(50)]},
            "default",
            tuple(f"svc-{i}" for i in range(50)),
            id="fifty-services",
        ),
    ],
)
def test_valid_service_and_cluster_forms(properties: dict[str, Any], cluster: str, services: tuple[str, ...]) -> None:
    request = parse_properties(properties)
    assert request.cluster == cluster
    assert request.services == refs(cluster, *services)


@pytest.mark.parametrize(
    ("properties", "scope"),
    [
        pytest.param({"Service": service_arn("web")}, SCOPE, id="same-scope"),
        pytest.param({"Service": "web", "Cluster": cluster_arn("prod")}, SCOPE, id="cluster-arn-same-scope"),
        pytest.param(
            {"Service": "web", "Cluster": "prod"}, ArnScope("aws-cn", "cn-north-1", "999999999999"), id="names"
        ),
        pytest.param(
            {"Service": service_arn("web", partition="aws-cn", region="cn-north-1")},
            ArnScope("aws-cn", "cn-north-1", ACCOUNT),
            id="china",
        ),
        pytest.param(
            {"Service": service_arn("web", partition="aws-us-gov", region="us-gov-west-1")},
            ArnScope("aws-us-gov", "us-gov-west-1", ACCOUNT),
            id="govcloud",
        ),
        pytest.param({"Service": service_arn("web", region="eu-west-3", account="000000000000")}, None, id="no-scope"),
    ],
)
def test_arns_accepted_within_scope(properties: dict[str, Any], scope: ArnScope | None) -> None:
    request = parse_properties(properties, scope)
    assert [ref.name for ref in request.services] == ["web"]
    assert request.cluster == "prod"


@pytest.mark.parametrize(
    ("arn", "expected"),
    [
        ("arn:aws:lambda:us-east-1:123456789012:function:f", ArnScope("aws", "us-east-1", "123456789012")),
        (
            "arn:aws-cn:cloudformation:cn-north-1:123456789012:stack/s/1",
            ArnScope("aws-cn", "cn-north-1", "123456789012"),
        ),
        ("not-an-arn", None),
        ("arn:aws:s3:::bucket", None),
        ("", None),
    ],
)
def test_arn_scope_from_arn(arn: str, expected: ArnScope | None) -> None:
    assert ArnScope.from_arn(arn) == expected


# ---------------------------------------------------------------------------------------------------------------
# Errors: each names the property (it becomes the Reason the stack's owner reads)
# ---------------------------------------------------------------------------------------------------------------

ERROR_CASES = [
    # unknown properties, with a did-you-mean where one is close
    pytest.param({"Servce": "web"}, None, ["Servce", "did you mean Service?"], id="typo-Service"),
    pytest.param({"Service": "web", "cluster": "c"}, None, ["'cluster'", "did you mean Cluster?"], id="lowercase"),
    pytest.param({"Service": "web", "DrainTimeout": "3"}, None, ["did you mean DrainTimeoutSeconds?"], id="typo-drain"),
    pytest.param({"Service": "web", "ForceDelet": "x"}, None, ["did you mean ForceDelete?"], id="typo-force"),
    pytest.param({"Service": "web", "Sérvice": "x"}, None, ["Unknown property", "did you mean"], id="unicode-key"),
    pytest.param({"Service": "web", "Zzzzzz": "1"}, None, ["Unknown property", "'Zzzzzz'"], id="unknown-no-hint"),
    pytest.param({"Service": "web", 7: "1"}, None, ["Unknown property", "7"], id="non-string-key"),
    # the object itself
    pytest.param(["Service", "web"], None, ["ResourceProperties", "list"], id="not-an-object"),
    pytest.param("Service=web", None, ["ResourceProperties", "str"], id="string-properties"),
    pytest.param(None, None, ["Service", "Services", "neither"], id="none-properties"),
    # Service / Services
    pytest.param({}, None, ["Service", "Services", "neither"], id="neither"),
    pytest.param({"Cluster": "prod"}, None, ["Service", "neither"], id="neither-with-cluster"),
    pytest.param({"Service": "a", "Services": ["b"]}, None, ["Service", "Services", "not both"], id="both"),
    pytest.param({"Service": 5}, None, ["Property Service", "int"], id="service-int"),
    pytest.param({"Service": ["web"]}, None, ["Property Service", "list"], id="service-list"),
    pytest.param({"Service": None}, None, ["Property Service"], id="service-none"),
    pytest.param({"Service": ""}, None, ["Property Service", "''"], id="service-empty"),
    pytest.param({"Service": "my web"}, None, ["Property Service", "'my web'"], id="service-space"),
    pytest.param({"Service": "web!"}, None, ["Property Service", "neither a service name"], id="service-bang"),
    pytest.param({"Service": "a" * 256}, None, ["Property Service", "1-255"], id="service-256"),
    pytest.param({"Service": "wéb"}, None, ["Property Service"], id="service-unicode"),
    pytest.param({"Service": "web\n"}, None, ["Property Service"], id="service-trailing-newline"),
    pytest.param({"Service": "web/x"}, None, ["Property Service"], id="service-slash"),
    pytest.param({"Services": "a,b"}, None, ["Property Services", "list"], id="services-string"),
    pytest.param({"Services": {"a": 1}}, None, ["Property Services", "list"], id="services-dict"),
    pytest.param({"Services": []}, None, ["Property Services", "empty"], id="services-empty"),
    pytest.param({"Services": [f"s{i}" for i in range(51)]}, None, ["Property Services", "51", "50"], id="services-51"),
    pytest.param({"Services": ["a", 5]}, None, ["Property Services[1]", "int"], id="services-non-string"),
    pytest.param({"Services": ["a", ""]}, None, ["Property Services[1]"], id="services-empty-string"),
    pytest.param({"Services": ["a", "b!"]}, None, ["Property Services[1]", "'b!'"], id="services-bad-name"),
    pytest.param({"Services": ["a", "b", "a"]}, None, ["Property Services[2]", "'a'", "more than once"], id="dup"),
    pytest.param(
        {"Services": ["web", service_arn("web", "default")]},
        None,
        ["Property Services[1]", "'web'", "more than once"],
        id="dup-name-and-arn",
    ),
    pytest.param(
        {"Services": [service_arn("web", None), "web"], "Cluster": "prod"},
        None,
        ["Property Services[1]", "more than once"],
        id="dup-short-arn-and-name",
    ),
    pytest.param(
        {"Services": [service_arn("web", "prod"), service_arn("web", None)]},
        None,
        ["Property Services[1]", "more than once"],
        id="dup-long-and-short-arn",
    ),
    # Cluster
    pytest.param({"Service": "web", "Cluster": 5}, None, ["Property Cluster", "int"], id="cluster-int"),
    pytest.param({"Service": "web", "Cluster": ""}, None, ["Property Cluster"], id="cluster-empty"),
    pytest.param({"Service": "web", "Cluster": "my cluster"}, None, ["Property Cluster"], id="cluster-space"),
    pytest.param({"Service": "web", "Cluster": "prod\n"}, None, ["Property Cluster"], id="cluster-trailing-newline"),
    pytest.param(
        {"Service": "web", "Cluster": service_arn("web")},
        None,
        ["Property Cluster", "cluster ARN"],
        id="cluster-svc-arn",
    ),
    # ARN cluster vs Cluster
    pytest.param(
        {"Service": service_arn("web", "other"), "Cluster": "prod"},
        None,
        ["Property Service", "'other'", "'prod'", "Cluster"],
        id="arn-cluster-conflicts-with-Cluster",
    ),
    pytest.param(
        {"Service": service_arn("web", "other"), "Cluster": cluster_arn("prod")},
        None,
        ["Property Service", "'other'", "'prod'"],
        id="arn-cluster-conflicts-with-Cluster-arn",
    ),
    pytest.param(
        {"Services": [service_arn("a", "prod"), service_arn("b", "other")]},
        None,
        ["Property Services[1]", "'other'", "'prod'"],
        id="arns-of-two-clusters",
    ),
    pytest.param(
        {"Services": ["x", service_arn("a", "prod"), service_arn("b", "other")], "Cluster": "prod"},
        None,
        ["Property Services[2]", "'other'", "'prod'"],
        id="third-arn-conflicts",
    ),
    # scope: ARNs of another partition / region / account
    pytest.param(
        {"Service": service_arn("web", region="eu-west-1")},
        SCOPE,
        ["Property Service", "region", "'eu-west-1'", "'us-east-1'"],
        id="service-other-region",
    ),
    pytest.param(
        {"Service": service_arn("web", account="210987654321")},
        SCOPE,
        ["Property Service", "account", "'210987654321'", ACCOUNT],
        id="service-other-account",
    ),
    pytest.param(
        {"Service": service_arn("web", partition="aws-cn", region="cn-north-1")},
        SCOPE,
        ["Property Service", "partition", "'aws-cn'"],
        id="service-other-partition",
    ),
    pytest.param(
        {"Services": ["a", service_arn("b", region="us-west-2")]},
        SCOPE,
        ["Property Services[1]", "region", "'us-west-2'"],
        id="services-other-region",
    ),
    pytest.param(
        {"Service": service_arn("web", None, account="210987654321")},
        SCOPE,
        ["Property Service", "account"],
        id="short-arn-other-account",
    ),
    pytest.param(
        {"Service": "web", "Cluster": cluster_arn("prod", account="210987654321")},
        SCOPE,
        ["Property Cluster", "account", "'210987654321'"],
        id="cluster-other-account",
    ),
    pytest.param(
        {"Service": "web", "Cluster": cluster_arn("prod", region="ap-south-1")},
        SCOPE,
        ["Property Cluster", "region", "'ap-south-1'"],
        id="cluster-other-region",
    ),
    # malformed ARNs
    pytest.param({"Service": "arn:aws:ecs:us-east-1:12345:service/c/web"}, None, ["Property Service"], id="account-5"),
    pytest.param(
        {"Service": "arn:aws:ecs:us-east-1:1234567890123:service/c/web"}, None, ["Property Service"], id="account-13"
    ),
    pytest.param(
        {"Service": "arn:aws:ecs:us-east-1:١٢٣٤٥٦٧٨٩٠١٢:service/c/web"},
        None,
        ["Property Service"],
        id="account-non-ascii-digits",
    ),
    pytest.param({"Service": "arn:aws:ec2:us-east-1:123456789012:service/c/web"}, None, ["Property Service"], id="ec2"),
    pytest.param({"Service": "arn:aws:ecs:us-east-1:123456789012:task/c/web"}, None, ["Property Service"], id="task"),
    pytest.param({"Service": "arn:aws:ecs::123456789012:service/c/web"}, None, ["Property Service"], id="no-region"),
    pytest.param({"Service": "arn:aws:ecs:US-EAST-1:123456789012:service/c/web"}, None, ["Property Service"], id="UC"),
    pytest.param({"Service": "arn:aws:ecs:us-east-1:123456789012:service/"}, None, ["Property Service"], id="no-name"),
    pytest.param(
        {"Service": "arn:aws:ecs:us-east-1:123456789012:service/a/b/c"}, None, ["Property Service"], id="three-parts"
    ),
    pytest.param(
        {"Service": "arn:aws:ecs:us-east-1:123456789012:service/c/"}, None, ["Property Service"], id="c-slash"
    ),
    pytest.param({"Service": "arn:ecs:us-east-1:123456789012:service/c/w"}, None, ["Property Service"], id="no-part"),
    pytest.param(
        {"Service": "web", "Cluster": "arn:aws:ecs:us-east-1:123456789012:cluster/"},
        None,
        ["Property Cluster", "cluster ARN"],
        id="cluster-arn-no-name",
    ),
    # numbers
    pytest.param({"Service": "w", "DrainTimeoutSeconds": "300.5"}, None, ["DrainTimeoutSeconds", "'300.5'"], id="f"),
    pytest.param({"Service": "w", "DrainTimeoutSeconds": "-1"}, None, ["DrainTimeoutSeconds", "'-1'"], id="negative"),
    pytest.param({"Service": "w", "DrainTimeoutSeconds": -1}, None, ["DrainTimeoutSeconds", "0 to 3600"], id="neg-int"),
    pytest.param({"Service": "w", "DrainTimeoutSeconds": "3601"}, None, ["DrainTimeoutSeconds", "3601"], id="3601"),
    pytest.param({"Service": "w", "DrainTimeoutSeconds": ""}, None, ["DrainTimeoutSeconds"], id="drain-empty"),
    pytest.param({"Service": "w", "DrainTimeoutSeconds": "abc"}, None, ["DrainTimeoutSeconds"], id="drain-word"),
    pytest.param({"Service": "w", "DrainTimeoutSeconds": "1e3"}, None, ["DrainTimeoutSeconds"], id="drain-exp"),
    pytest.param({"Service": "w", "DrainTimeoutSeconds": "0x10"}, None, ["DrainTimeoutSeconds"], id="drain-hex"),
    pytest.param({"Service": "w", "DrainTimeoutSeconds": "+5"}, None, ["DrainTimeoutSeconds"], id="drain-plus"),
    pytest.param({"Service": "w", "DrainTimeoutSeconds": "٣٠٠"}, None, ["DrainTimeoutSeconds"], id="drain-arabic"),
    pytest.param({"Service": "w", "DrainTimeoutSeconds": "³"}, None, ["DrainTimeoutSeconds"], id="superscript"),
    pytest.param({"Service": "w", "DrainTimeoutSeconds": 300.0}, None, ["DrainTimeoutSeconds"], id="drain-float"),
    pytest.param({"Service": "w", "DrainTimeoutSeconds": True}, None, ["DrainTimeoutSeconds"], id="drain-bool"),
    pytest.param({"Service": "w", "DrainTimeoutSeconds": ["3"]}, None, ["DrainTimeoutSeconds"], id="drain-list"),
    pytest.param({"Service": "w", "ServiceTimeout": "0"}, None, ["ServiceTimeout", "1 to 3600"], id="timeout-0"),
    pytest.param({"Service": "w", "ServiceTimeout": "3601"}, None, ["ServiceTimeout", "'3601'"], id="timeout-3601"),
    pytest.param({"Service": "w", "ServiceTimeout": "60.0"}, None, ["ServiceTimeout"], id="timeout-decimal"),
    pytest.param({"Service": "w", "ServiceTimeout": "-60"}, None, ["ServiceTimeout"], id="timeout-negative"),
    # booleans
    pytest.param({"Service": "w", "WaitForInactive": "yes"}, None, ["WaitForInactive", "'yes'"], id="wait-yes"),
    pytest.param({"Service": "w", "WaitForInactive": "1"}, None, ["WaitForInactive"], id="wait-1"),
    pytest.param({"Service": "w", "WaitForInactive": 1}, None, ["WaitForInactive"], id="wait-int"),
    pytest.param({"Service": "w", "WaitForInactive": ""}, None, ["WaitForInactive"], id="wait-empty"),
    pytest.param({"Service": "w", "WaitForInactive": "truee"}, None, ["WaitForInactive"], id="wait-typo"),
    # ForceDelete
    pytest.param({"Service": "w", "ForceDelete": "force"}, None, ["ForceDelete", "'force'"], id="force-word"),
    pytest.param({"Service": "w", "ForceDelete": "true"}, None, ["ForceDelete", "'auto', 'always'"], id="force-true"),
    pytest.param({"Service": "w", "ForceDelete": True}, None, ["ForceDelete"], id="force-bool"),
    pytest.param({"Service": "w", "ForceDelete": ""}, None, ["ForceDelete"], id="force-empty"),
]


@pytest.mark.parametrize(("properties", "scope", "fragments"), ERROR_CASES)
def test_errors_name_the_property(properties: Any, scope: ArnScope | None, fragments: list[str]) -> None:
    with pytest.raises(PropertyError) as caught:
        parse_properties(properties, scope)
    message = str(caught.value)
    for fragment in fragments:
        assert fragment in message, message
    assert len(message) < MAX_MESSAGE, message


def test_property_error_is_a_value_error() -> None:
    assert issubclass(PropertyError, ValueError)


# ---------------------------------------------------------------------------------------------------------------
# Huge strings and unicode: the message names the property and stays short
# ---------------------------------------------------------------------------------------------------------------

HUGE = 1_000_000

HUGE_CASES = [
    pytest.param({"Service": "x" * HUGE}, "Property Service", id="huge-name"),
    pytest.param({"Service": "é" * HUGE}, "Property Service", id="huge-unicode-name"),
    pytest.param({"Service": "😀" * (HUGE // 4)}, "Property Service", id="huge-emoji-name"),
    pytest.param({"Service": service_arn("w" * HUGE)}, "Property Service", id="huge-arn"),
    pytest.param({"Service": "arn:aws:ecs:" + "us-" * (HUGE // 3) + "1"}, "Property Service", id="huge-region"),
    pytest.param({"Services": ["a", "b" * HUGE]}, "Property Services[1]", id="huge-list-item"),
    pytest.param({"Services": ["a"] * 10_000}, "Property Services", id="huge-list"),
    pytest.param({"Service": "web", "Cluster": "c" * HUGE}, "Property Cluster", id="huge-cluster"),
    pytest.param({"Service": "web", "Cluster": "ñ" * HUGE}, "Property Cluster", id="huge-unicode-cluster"),
    pytest.param({"Service": "web", "Servic" + "e" * HUGE: "x"}, "Unknown property", id="huge-key"),
    pytest.param({"Service": "web", "ключ" * HUGE: "x"}, "Unknown property", id="huge-unicode-key"),
    pytest.param({"Service": "web", "ForceDelete": "a" * HUGE}, "Property ForceDelete", id="huge-force"),
    pytest.param({"Service": "web", "WaitForInactive": "t" * HUGE}, "Property WaitForInactive", id="huge-bool"),
    pytest.param({"Service": "web", "DrainTimeoutSeconds": "1.5" * HUGE}, "Property DrainTimeoutSeconds", id="num"),
    pytest.param({"Service": "web", "DrainTimeoutSeconds": "9" * 5000}, "Property DrainTimeoutSeconds", id="digits"),
    pytest.param({"Service": "web", "ServiceTimeout": "0" * 5000 + "60"}, "Property ServiceTimeout", id="zeros"),
    pytest.param({"Service": "web", "ServiceTimeout": "9" * HUGE}, "Property ServiceTimeout", id="huge-digits"),
]


@pytest.mark.parametrize(("properties", "label"), HUGE_CASES)
def test_huge_values_give_short_messages_naming_the_property(properties: dict[str, Any], label: str) -> None:
    with pytest.raises(PropertyError) as caught:
        parse_properties(properties, SCOPE)
    message = str(caught.value)
    assert label in message, message[:500]
    assert len(message) < MAX_MESSAGE, message[:500]


def test_huge_unicode_value_is_shown_cut_short() -> None:
    with pytest.raises(PropertyError) as caught:
        parse_properties({"Service": "web", "ForceDelete": "€" * 10_000})
    message = str(caught.value)
    assert "€€€" in message  # the start of the value is shown...
    assert message.count("€") < 100  # ...but not all of it
    assert "..." in message


def test_did_you_mean_is_absent_when_nothing_is_close() -> None:
    with pytest.raises(PropertyError) as caught:
        parse_properties({"Service": "web", "Qqqqqqqqqq": "1"})
    assert "did you mean" not in str(caught.value)
    assert "Known properties:" in str(caught.value)
    assert "ServiceToken" not in str(caught.value).split("Known properties:")[1]
