"""Physical resource ids: a Create's id names the resource (stack and logical id), never its services; ids that
0.1 issued are still recognized; a failed Create's id is never taken for an issued one."""

from __future__ import annotations

import pytest

from ecs_teardown.cfn.identity import MAX_ID_BYTES, PREFIX, IdKind, IssuedId, failed_create_id, parse_id, resource_id

ACCOUNT = "123456789012"
REGION = "us-east-1"
STACK_ID = f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/demo-app/0a1b2c3d-0000-0000-0000-000000000000"
# The same name after the stack was deleted and created again: CloudFormation gives it a new unique id.
STACK_ID_AGAIN = f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/demo-app/9f8e7d6c-0000-0000-0000-000000000000"


def arn(name: str, cluster: str | None = "prod", partition: str = "aws", region: str = REGION) -> str:
    path = f"{cluster}/{name}" if cluster is not None else name
    return f"arn:{partition}:ecs:{region}:{ACCOUNT}:service/{path}"


# ---------------------------------------------------------------------------------------------------------------
# A Create's id: derived from the request, the same for the resource's whole life
# ---------------------------------------------------------------------------------------------------------------


def test_resource_id_shape_names_stack_and_logical_id() -> None:
    physical_id = resource_id(STACK_ID, "Teardown")
    prefix, stack, logical, digest = physical_id.split("/")
    assert (prefix, stack, logical) == (PREFIX, "demo-app", "Teardown")
    assert len(digest) == 24 and set(digest) <= set("0123456789abcdef")
    assert resource_id(STACK_ID, "Teardown") == physical_id  # stable: the same request, the same id


@pytest.mark.parametrize(
    ("stack_id", "logical_id"),
    [
        pytest.param(STACK_ID_AGAIN, "Teardown", id="stack-created-again"),
        pytest.param(STACK_ID, "Teardown2", id="other-resource"),
        pytest.param(STACK_ID.replace(REGION, "eu-west-1"), "Teardown", id="other-region"),
    ],
)
def test_other_resources_get_other_ids(stack_id: str, logical_id: str) -> None:
    mine, theirs = resource_id(STACK_ID, "Teardown"), resource_id(stack_id, logical_id)
    assert mine != theirs
    assert parse_id(theirs) == parse_id(mine) == IssuedId(IdKind.RESOURCE)


def test_resource_id_at_the_limits_fits_in_1_kb_and_round_trips() -> None:
    stack_id = f"arn:aws-us-gov:cloudformation:us-gov-west-1:{ACCOUNT}:stack/{'s' * 128}/{'0' * 36}"
    logical_id = "L" * 255
    physical_id = resource_id(stack_id, logical_id)
    assert len(physical_id.encode()) <= MAX_ID_BYTES
    assert parse_id(physical_id) == IssuedId(IdKind.RESOURCE)


@pytest.mark.parametrize(
    ("stack_id", "logical_id", "shown"),
    [
        pytest.param("not-an-arn", "Teardown", "stack/Teardown", id="stack-id-not-an-arn"),
        pytest.param("", "", "stack/resource", id="empty"),
        pytest.param(STACK_ID, "Tear-down_😀", "demo-app/Teardown", id="logical-id-sanitized"),
    ],
)
def test_resource_id_of_an_odd_request_is_still_ours(stack_id: str, logical_id: str, shown: str) -> None:
    physical_id = resource_id(stack_id, logical_id)
    assert physical_id.startswith(f"{PREFIX}/{shown}/")
    assert parse_id(physical_id) == IssuedId(IdKind.RESOURCE)


# ---------------------------------------------------------------------------------------------------------------
# Ids that 0.1 issued: still recognized
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("physical_id", "kind"),
    [
        pytest.param(arn("web"), IdKind.SERVICE_ARN, id="long-arn"),
        pytest.param(arn("web", None), IdKind.SERVICE_ARN, id="short-arn"),
        pytest.param(arn("s" * 255, "c" * 255, "aws-us-gov", "us-gov-west-1"), IdKind.SERVICE_ARN, id="long-names"),
        pytest.param(f"{PREFIX}/prod/2-services/" + "a" * 32, IdKind.SERVICES_DIGEST, id="several"),
        pytest.param(f"{PREFIX}/{'c' * 255}/50-services/" + "0" * 32, IdKind.SERVICES_DIGEST, id="several-at-limits"),
    ],
)
def test_ids_of_version_0_1_are_recognized(physical_id: str, kind: IdKind) -> None:
    assert parse_id(physical_id) == IssuedId(kind)


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
        "demo-app/Teardown/" + "a" * 24,
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


@pytest.mark.parametrize(
    ("request_id", "sanitized"),
    [
        ("8f3a1e52-7c5f", "8f3a1e52-7c5f"),
        ("../../etc/passwd", "etcpasswd"),
        ("", "unknown"),
        ("/?#", "unknown"),
        ("r" * 100, "r" * 64),
        ("ABC-def-0123", "ABC-def-0123"),  # upper case is kept
        ("a_b.c d", "abcd"),
    ],
)
def test_failed_create_id_keeps_only_safe_characters(request_id: str, sanitized: str) -> None:
    assert failed_create_id(request_id) == f"{PREFIX}/failed-create/{sanitized}"


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
        f"{PREFIX}/demo-app/Teardown/" + "a" * 23,
        f"{PREFIX}/demo-app/Teardown/" + "A" * 24,
        f"{PREFIX}/demo-app/Tear-down/" + "a" * 24,
        f"{PREFIX}/1demo/Teardown/" + "a" * 24,
        f"{PREFIX}/demo-app/Teardown/" + "a" * 24 + "\n",
        f"{PREFIX}/demo-app/x/Teardown/" + "a" * 24,
        "\ud800",  # a lone surrogate: JSON can carry one, UTF-8 cannot encode it
    ],
)
def test_ids_not_issued_here_are_not_recognized(physical_id: object) -> None:
    assert parse_id(physical_id) is None


def test_a_long_logical_id_is_cut_to_255_characters() -> None:
    physical_id = resource_id(STACK_ID, "L" * 300)
    assert physical_id.split("/")[2] == "L" * 255
    assert parse_id(physical_id) == IssuedId(IdKind.RESOURCE)


SEVERAL = f"{PREFIX}/prod/2-services/"


@pytest.mark.parametrize(
    "physical_id",
    [
        pytest.param(SEVERAL + "A" * 32, id="upper-case-digest"),
        pytest.param(SEVERAL + "aB" * 16, id="mixed-case-digest"),
        pytest.param(SEVERAL + "a" * 31, id="digest-31"),
        pytest.param(SEVERAL + "a" * 33, id="digest-33"),
        pytest.param(SEVERAL + "a" * 24, id="digest-of-a-resource-id"),
        pytest.param(SEVERAL + "a" * 64, id="digest-64"),
        pytest.param(f"{PREFIX}/prod/eu/2-services/" + "a" * 32, id="slash-in-cluster"),
        pytest.param(f"{PREFIX}/prod.eu/2-services/" + "a" * 32, id="dot-in-cluster"),
        pytest.param(f"{PREFIX}/{'c' * 256}/2-services/" + "a" * 32, id="cluster-256"),
        pytest.param(f"{PREFIX}/prod/-services/" + "a" * 32, id="no-count"),
        pytest.param(f"{PREFIX}/prod/2-Services/" + "a" * 32, id="upper-case-Services"),
        pytest.param(f"{PREFIX}/prod/2-service/" + "a" * 32, id="singular"),
        pytest.param(f"{PREFIX}/prod/٢-services/" + "a" * 32, id="non-ascii-count"),
        pytest.param("ECS-TEARDOWN/prod/2-services/" + "a" * 32, id="upper-case-prefix"),
        pytest.param(f"x{PREFIX}/prod/2-services/" + "a" * 32, id="text-before"),
    ],
)
def test_the_several_services_id_pattern_is_tight(physical_id: str) -> None:
    assert parse_id(physical_id) is None


@pytest.mark.parametrize(
    "physical_id",
    [
        SEVERAL + "0123456789abcdef" * 2,
        f"{PREFIX}/My_Cluster-1/9-services/" + "f" * 32,
        f"{PREFIX}/c/50-services/" + "0" * 32,
    ],
)
def test_the_several_services_id_pattern_accepts_what_0_1_issued(physical_id: str) -> None:
    assert parse_id(physical_id) == IssuedId(IdKind.SERVICES_DIGEST)


def service_arn_of_length(length: int) -> str:
    """A service ARN the pattern matches, `length` bytes long (its region padded: the pattern bounds no part's
    length but the names')."""
    base = arn("web", region="us-east-1")
    return arn("web", region="us-" + "e" * (length - len(base) + 4) + "-1")


def test_an_id_over_1024_bytes_is_not_read_even_when_its_pattern_matches() -> None:
    at_limit, over = service_arn_of_length(MAX_ID_BYTES), service_arn_of_length(MAX_ID_BYTES + 1)
    assert (len(at_limit.encode()), len(over.encode())) == (MAX_ID_BYTES, MAX_ID_BYTES + 1)
    assert parse_id(at_limit) == IssuedId(IdKind.SERVICE_ARN)
    assert parse_id(over) is None
