"""CloudFormation's record of a stack, for in-process tests: what DescribeStacks would say while a request runs."""

from __future__ import annotations

from ecs_teardown.stacks import StackReadError


class FakeStacks:
    """Every stack shows `shown` (the status CloudFormation shows while it deletes a stack, by default), or, with
    `error` set, cannot be read. `reads` lists the stack ids read, in order."""

    def __init__(self, shown: str = "DELETE_IN_PROGRESS") -> None:
        self.shown = shown
        self.error = ""
        self.reads: list[str] = []

    def status(self, stack_id: str) -> str:
        self.reads.append(stack_id)
        if self.error:
            raise StackReadError(f"DescribeStacks of {stack_id!r} failed: {self.error}")
        return self.shown
