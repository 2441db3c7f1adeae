"""Every partition's answer host: the table matches botocore's partitions.json (the SDKs' endpoint data), the
ResponseURL check accepts each partition's S3 hosts, and a partition the table lacks is refused at Create."""

from __future__ import annotations

import json
from pathlib import Path

import botocore
import pytest

from ecs_teardown.cfn import partitions
from ecs_teardown.cfn.answer import ResponseUrlError, check_response_url
from ecs_teardown.cfn.properties import ArnScope, PropertyError, parse_properties

BOTOCORE_PARTITIONS = json.loads((Path(botocore.__file__).parent / "data" / "partitions.json").read_text())


def test_table_matches_botocore_partitions() -> None:
    shipped = {p["id"]: p["outputs"]["dnsSuffix"] for p in BOTOCORE_PARTITIONS["partitions"]}
    assert shipped == partitions.DNS_SUFFIXES


@pytest.mark.parametrize(
    ("partition", "host"),
    [
        ("aws", "cloudformation-custom-resource-response-useast1.s3.amazonaws.com"),
        ("aws-cn", "cloudformation-custom-resource-response-cnnorth1.s3.cn-north-1.amazonaws.com.cn"),
        ("aws-us-gov", "cloudformation-custom-resource-response-usgovwest1.s3.us-gov-west-1.amazonaws.com"),
        ("aws-eusc", "cloudformation-custom-resource-response-euscdeeast1.s3.eusc-de-east-1.amazonaws.eu"),
        ("aws-iso", "cloudformation-custom-resource-response-usisoeast1.s3.us-iso-east-1.c2s.ic.gov"),
        ("aws-iso-b", "cloudformation-custom-resource-response-usisobeast1.s3.us-isob-east-1.sc2s.sgov.gov"),
        ("aws-iso-e", "cloudformation-custom-resource-response-euisoewest1.s3.eu-isoe-west-1.cloud.adc-e.uk"),
        ("aws-iso-f", "cloudformation-custom-resource-response-usisofsouth1.s3.us-isof-south-1.csp.hci.ic.gov"),
    ],
)
def test_each_partition_s_answer_host_is_accepted(partition: str, host: str) -> None:
    assert host.endswith("." + partitions.DNS_SUFFIXES[partition])
    assert check_response_url(f"https://{host}/path?X-Amz-Signature=x", allow_local=False).hostname == host


BOTOCORE_REGIONS = [  # every real region of every partition (the "-global" entries are endpoints, not regions)
    (p["id"], region)
    for p in BOTOCORE_PARTITIONS["partitions"]
    for region in p["regions"]
    if not region.endswith("-global")
]


@pytest.mark.parametrize(("partition", "region"), BOTOCORE_REGIONS)
def test_every_region_s_arns_are_read(partition: str, region: str) -> None:
    """`!Ref` of an AWS::ECS::Service is its ARN: one from any region botocore knows must be read, as must its
    cluster's (a region of the European Sovereign Cloud, eusc-de-east-1, once was not)."""
    service = f"arn:{partition}:ecs:{region}:123456789012:service/prod/web"
    cluster = f"arn:{partition}:ecs:{region}:123456789012:cluster/prod"
    (ref,) = parse_properties({"Service": service, "Cluster": cluster}).services
    assert (ref.cluster, ref.name) == ("prod", "web")


@pytest.mark.parametrize("host", ["s3.amazonaws.eu.example.com", "amazonaws.eu", "x.ic.gov", "x.adc-e.uk"])
def test_look_alikes_of_the_new_suffixes_are_refused(host: str) -> None:
    with pytest.raises(ResponseUrlError, match=f"refusing to answer to host '{host}': not an AWS host"):
        check_response_url(f"https://{host}/path", allow_local=False)


def test_a_partition_the_table_lacks_is_refused_naming_it() -> None:
    arn = "arn:aws-future:ecs:xx-future-1:123456789012:service/prod/web"
    with pytest.raises(PropertyError) as raised:
        parse_properties({"Service": arn})
    assert str(raised.value).startswith(
        "Property Service: partition 'aws-future' is not one this function can answer CloudFormation in (known: aws, "
    )


def test_the_function_s_own_unknown_partition_is_refused_at_create() -> None:
    from ecs_teardown.cfn.edges import Edges
    from ecs_teardown.cfn.requests import request_of

    context = type("Context", (), {"invoked_function_arn": "arn:aws-future:lambda:xx-future-1:123456789012:function:f"})
    with pytest.raises(PropertyError, match=r"^This function's ARN: partition 'aws-future' is not one"):
        request_of({"ResourceProperties": {"Service": "web"}}, context(), Edges())
    assert ArnScope.from_arn(context.invoked_function_arn) is not None


def test_answer_host_suffixes_are_every_partition_s_with_its_dot_longest_first() -> None:
    suffixes = partitions.answer_host_suffixes()
    assert isinstance(suffixes, tuple)
    assert set(suffixes) == {f".{suffix}" for suffix in partitions.DNS_SUFFIXES.values()}
    assert len(suffixes) == len(set(partitions.DNS_SUFFIXES.values()))  # aws and aws-us-gov share one: once
    assert [len(s) for s in suffixes] == sorted((len(s) for s in suffixes), reverse=True)
    assert suffixes[0] == ".amazonaws.com.cn"


@pytest.mark.parametrize(
    ("partition", "known"), [("aws", True), ("aws-iso-f", True), ("aws-future", False), ("", False), ("AWS", False)]
)
def test_is_known(partition: str, known: bool) -> None:
    assert partitions.is_known(partition) is known
