"""The errors the edges hand the core: their messages (they become Reasons) and what they carry."""

from __future__ import annotations

from ecs_teardown.core.ports import EcsCallError, NoLedger, StackReadError


def test_an_ecs_call_error_names_the_call_the_service_and_the_cluster() -> None:
    error = EcsCallError("prod", "web", "UpdateService", "AccessDeniedException: not authorized")
    assert (
        str(error) == "UpdateService of service 'web' in cluster 'prod' failed: AccessDeniedException: not authorized"
    )
    assert (error.cluster, error.service, error.phase, error.detail) == (
        "prod",
        "web",
        "UpdateService",
        "AccessDeniedException: not authorized",
    )


def test_an_ecs_call_error_without_a_service_names_the_cluster() -> None:
    error = EcsCallError("prod", "", "DescribeServices", "ClusterNotFoundException")
    assert str(error) == "DescribeServices of cluster 'prod' failed: ClusterNotFoundException"


def test_a_stack_read_error_is_lasting_unless_said_otherwise() -> None:
    assert StackReadError("AccessDenied").transient is False
    transient = StackReadError("Rate exceeded", transient=True)
    assert (str(transient), transient.transient) == ("Rate exceeded", True)


def test_without_a_ledger_this_process_s_own_answer_is_the_only_one() -> None:
    ledger = NoLedger()
    assert ledger.answer_of("request-1") == ""
    assert ledger.record_answer("request-1", "SUCCESS", 1_800_000_000) is True
