"""Continuing a long teardown in a fresh invocation of this function (core/budget.py says what is carried)."""

from __future__ import annotations

import logging
from typing import Any

from ..aws.lambda_invoke import SelfInvoke
from ..core.budget import HANDOVER_KEY, HandOver
from .edges import Edges
from .requests import TeardownError

log = logging.getLogger(__name__)


def hand_over(event: dict[str, Any], context: Any, edges: Edges, carried: HandOver) -> None:
    """Continue in a fresh invocation, carrying only what ECS cannot tell it (core/budget.py HandOver): when the
    teardown and each service's drain started, what was changed around each service, since when a rollout has
    blocked a service's delete and whether its stop was asked for."""
    follow_up = dict(event)
    follow_up[HANDOVER_KEY] = carried.to_event()
    try:
        send = edges.hand_over or SelfInvoke(getattr(context, "invoked_function_arn", ""))
        send(follow_up)
    except Exception as error:  # any failure to hand over must still end in an answer
        raise TeardownError(f"the teardown needed a fresh invocation and could not start one: {error}") from error
    log.info("handed over to a fresh invocation", extra={"invocation": carried.invocation + 1})
