"""What a teardown puts back around the services it leaves in place: auto scaling it suspended (and a MinCapacity it
lowered), deregistration delays it lowered. The engine never restores; the Lambda's FAILED answer and the command
line's exit do, after it, with this."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from .drain import Preparation
from .machine import Outcome, Phase
from .model import ServiceRef
from .ports import Gateway
from .results import TeardownResult


def kept_and_changed(result: TeardownResult) -> list[tuple[ServiceRef, Preparation]]:
    """The services the teardown leaves in place (not done, and no delete accepted; or a newer service that took a
    requested name) around which it changed something: what a restore puts back. A target group lowered by any
    service of the request is put back once, for the first kept service that uses it, whether or not that one was
    prepared itself (a preparation put off for lack of time may leave a service sharing a group a sibling lowered)."""
    found_before = _lowered_groups(result)
    kept, covered = [], set()
    for service in result.services:
        on_its_way = service.phase in (Phase.DRAINING, Phase.DELETE_ACCEPTED)
        # A newer service that took a requested name (REPLACED) is done for the teardown but live: a group lowered
        # under it (its name was the request's own when the group was lowered) is put back; nothing else, since any
        # preparation under that name was the earlier service's.
        replaced = service.phase is Phase.REPLACED
        if (service.outcome is Outcome.DONE and not replaced) or on_its_way:
            continue
        prepared = None if replaced else result.preparations.get(service.service.name)
        own = prepared or Preparation(stop_timeout_s=None)
        uses = service.snapshot.target_groups if service.snapshot is not None else ()
        candidates = dict.fromkeys([*(arn for arn, _ in own.lowered), *uses])
        groups = [arn for arn in candidates if arn in found_before and arn not in covered]
        covered.update(groups)
        if not (own.suspended or groups):
            continue
        delays = tuple((arn, found_before[arn][0]) for arn in groups)
        lowered = tuple((arn, found_before[arn][1]) for arn in groups)
        kept.append((service.service, replace(own, delays=delays, lowered=lowered)))
    return kept


def _lowered_groups(result: TeardownResult) -> dict[str, tuple[int, int]]:
    """Every target group the request's preparations lowered: (the delay found before, the delay set)."""
    groups: dict[str, tuple[int, int]] = {}
    for preparation in result.preparations.values():
        for arn, before, seconds in preparation.lowered_from():
            groups.setdefault(arn, (before, seconds))
    return groups


def restore_each(
    result: TeardownResult, gateway: Gateway, fits: Callable[[], bool] = lambda: True
) -> list[tuple[ServiceRef, list[str]]]:
    """Undo what the teardown changed around each service it leaves in place (auto scaling suspended, MinCapacity
    and deregistration delays lowered): a kept service goes back to how it was found. `fits`: may another call
    start? Returns, for each service restored, what could not be undone."""
    return [
        (ref, gateway.restore(ref.cluster, ref.name, preparation, may_call=fits))
        for ref, preparation in kept_and_changed(result)
    ]


def restore_kept(result: TeardownResult, gateway: Gateway, fits: Callable[[], bool] = lambda: True) -> list[str]:
    """restore_each, with what could not be undone for all the services in one list."""
    return [problem for _, problems in restore_each(result, gateway, fits) for problem in problems]
