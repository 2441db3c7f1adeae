"""The handler's outside world: ECS, CloudFormation's stack records, the clock, the hand-over, the configuration.
Defaults are the real ones (boto3, time, the environment); tests and local runs pass their own."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..aws.ecs import EcsGateway
from ..aws.ledger import DynamoDbLedger
from ..aws.stacks import CloudFormationStacks
from ..config import Config
from ..core.engine import Step
from ..core.polling import PollPolicy
from ..core.ports import Gateway, Ledger, NoLedger, StackReader

HandOverSender = Callable[[dict[str, Any]], None]


class EcsSetupError(Exception):
    """The ECS client could not be built (no region, a malformed endpoint URL)."""


@dataclass
class Edges:
    """The handler's outside world. Defaults are the real ones (boto3); tests and local runs pass their own."""

    ecs: Callable[[], Gateway] | None = None  # None: EcsGateway through boto3
    stacks: Callable[[], StackReader] | None = None  # None: CloudFormation's DescribeStacks through boto3
    clock: Callable[[], float] = time.time
    sleep: Callable[[float], None] = time.sleep
    # Sends the event to a fresh invocation; None: this function invoked asynchronously (SelfInvoke).
    hand_over: HandOverSender | None = None
    on_step: Callable[[Step], None] | None = None  # extra observer (the CLI's live view, the demo)
    poll_policy: PollPolicy | None = None  # None: the engine's default, tuned for drains of minutes
    ledger: Callable[[], Ledger] | None = None  # None: the configured DynamoDB table, or no ledger
    config: Config = field(default_factory=Config.from_environment)
    _gateway: Gateway | None = field(default=None, repr=False)
    _ledger: Ledger | None = field(default=None, repr=False)

    def gateway(self) -> Gateway:
        if self._gateway is None:
            try:
                self._gateway = (
                    self.ecs() if self.ecs else EcsGateway(retries_configured=self.config.retries_configured)
                )
            except Exception as error:  # no region, a bad endpoint URL...: say so in the Reason
                raise EcsSetupError(f"cannot set up the ECS client: {type(error).__name__}: {error}") from error
        return self._gateway

    def answer_ledger(self) -> Ledger:
        if self._ledger is None:
            table = self.config.ledger_table
            self._ledger = self.ledger() if self.ledger else DynamoDbLedger(table) if table else NoLedger()
        return self._ledger

    def stack_reader(self) -> StackReader:
        return self.stacks() if self.stacks else CloudFormationStacks(retries_configured=self.config.retries_configured)
