"""The command line's gateway (ecs_teardown_tools/gate.py): after Ctrl-C no call goes through, and what was changed
around the services not yet deleted is put back."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from ecs_teardown.core.drain import Preparation, Scaling
from ecs_teardown.core.model import ACTIVE, ServiceSnapshot
from ecs_teardown.core.ports import CallOutcome, CallResult
from ecs_teardown_tools.gate import StopGate, StoppedError

CHANGED = Preparation(Scaling(), suspended=True)


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    def prepare(self, cluster: str, service: str, snapshot: Any, fast_drain: Any, may_call: Any = None) -> Preparation:
        self.calls.append(("prepare", service))
        return CHANGED if service != "plain" else Preparation()

    def delete(self, cluster: str, service: str, force: bool) -> CallResult:
        self.calls.append(("delete", service))
        return CallResult(CallOutcome.ACCEPTED)

    def restore(self, cluster: str, service: str, preparation: Preparation, may_call: Any = None) -> list[str]:
        self.calls.append(("restore", service))
        return ["left suspended"] if service == "stuck" else []


def test_after_ctrl_c_only_the_services_not_deleted_get_back_what_was_changed() -> None:
    stop, gateway = threading.Event(), Recorder()
    gate = StopGate(gateway, stop)  # type: ignore[arg-type]
    snapshot = ServiceSnapshot(ACTIVE, desired=1)
    for name in ("web", "api", "stuck", "plain"):
        gate.prepare("demo", name, snapshot, None)
    gate.delete("demo", "api", False)
    stop.set()
    with pytest.raises(StoppedError):
        gate.delete("demo", "web", False)
    with pytest.raises(StoppedError):
        gate.prepare("demo", "other", snapshot, None)

    assert gate.restore_after_stop("demo") == {"web": [], "stuck": ["left suspended"]}
    assert [call for call in gateway.calls if call[0] == "restore"] == [("restore", "web"), ("restore", "stuck")]


GROUP = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0123456789abcdef"
LOWERED = Preparation(delays=((GROUP, 300),), lowered=((GROUP, 5),))
BEHIND_GROUP = ServiceSnapshot(ACTIVE, desired=1, target_groups=(GROUP,))


class Describer(Recorder):
    def __init__(self, prepared: dict[str, Preparation]) -> None:
        super().__init__()
        self.prepared = prepared

    def describe(self, cluster: str, names: list[str]) -> dict[str, ServiceSnapshot]:
        return dict.fromkeys(names, BEHIND_GROUP)

    def prepare(self, cluster: str, service: str, snapshot: Any, fast_drain: Any, may_call: Any = None) -> Preparation:
        self.calls.append(("prepare", service))
        return self.prepared[service]

    def restore(self, cluster: str, service: str, preparation: Preparation, may_call: Any = None) -> list[str]:
        self.calls.append(("restore", service, preparation.lowered))  # type: ignore[arg-type]
        return []


@pytest.mark.parametrize("api_prepared", [True, False], ids=["api prepared", "api never prepared"])
def test_after_ctrl_c_a_group_lowered_for_the_request_is_put_back_once_for_a_service_kept(api_prepared: bool) -> None:
    """web and api share a group that web's preparation lowered (and api's, if it came, recorded); web's delete
    was accepted, then Ctrl-C: the group goes back to 300 s once, for api, which stays behind it."""
    stop = threading.Event()
    gateway = Describer({"web": LOWERED, "api": LOWERED})
    gate = StopGate(gateway, stop)  # type: ignore[arg-type]
    gate.describe("demo", ["web", "api"])
    for name in ("web", "api") if api_prepared else ("web",):
        gate.prepare("demo", name, BEHIND_GROUP, None)
    gate.delete("demo", "web", False)
    stop.set()

    assert gate.restore_after_stop("demo") == {"api": []}
    assert [call for call in gateway.calls if call[0] == "restore"] == [("restore", "api", ((GROUP, 5),))]
