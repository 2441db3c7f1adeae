"""CloudFormation's record of a stack, for in-process tests: what DescribeStacks would say while a request runs."""

from __future__ import annotations

from ecs_teardown.core.ports import StackReadError, StackRecord


class FakeStacks:
    """Every stack shows `shown` (the status CloudFormation shows while it deletes a stack, by default), or, with
    `error` set, cannot be read (`transient` errors fail `failures` reads, then pass). `roots` maps a nested stack's
    id to its root's id, and `statuses` gives a stack its own status. `reads` lists the stack ids read, in order."""

    def __init__(self, shown: str = "DELETE_IN_PROGRESS") -> None:
        self.shown = shown
        self.statuses: dict[str, str] = {}
        self.roots: dict[str, str] = {}
        self.error = ""
        self.transient = False
        self.failures = 1_000_000
        self.reads: list[str] = []

    def describe(self, stack_id: str) -> StackRecord:
        self.reads.append(stack_id)
        if self.error and self.failures > 0:
            self.failures -= 1
            raise StackReadError(f"DescribeStacks of {stack_id!r} failed: {self.error}", transient=self.transient)
        return StackRecord(self.statuses.get(stack_id, self.shown), self.roots.get(stack_id, ""))


class ScriptedStacks:
    """DescribeStacks: each stack's answers in turn (a StackReadError is raised), the last one repeated."""

    def __init__(self, answers: dict[str, list[StackRecord | StackReadError]]) -> None:
        self.answers = answers
        self.reads: list[str] = []

    def describe(self, stack_id: str) -> StackRecord:
        self.reads.append(stack_id)
        queue = self.answers[stack_id]
        answer = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(answer, StackReadError):
            raise answer
        return answer
