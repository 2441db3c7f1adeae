"""The answer ledger in memory, shared by the invocations of one test (as the DynamoDB table is by Lambda's)."""

from __future__ import annotations

import threading

from ecs_teardown.core.ports import LedgerError


class FakeLedger:
    def __init__(self) -> None:
        self.answers: dict[str, str] = {}
        self.broken = False
        self._lock = threading.Lock()

    def answer_of(self, request_id: str) -> str:
        if self.broken:
            raise LedgerError("GetItem on answers: ServiceUnavailable")
        return self.answers.get(request_id, "")

    def record_answer(self, request_id: str, status: str, expires_at: int) -> bool:
        if self.broken:
            raise LedgerError("PutItem on answers: ServiceUnavailable")
        with self._lock:
            if request_id in self.answers:
                return False
            self.answers[request_id] = status
            return True
