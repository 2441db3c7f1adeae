"""A clock for running the engine against the embedded AWS over real HTTP without waiting: real time, with every
sleep skipped (the emulator reads the same clock, so it sees the time pass at once)."""

from __future__ import annotations

import time

MAX_SLEEPS = 400  # the engine sleeps at least a fraction of a second each round: far more rounds is a runaway loop


class SkippingClock:
    """Real time, with every sleep skipped: the engine sleeps, and the emulator sees the time pass at once."""

    def __init__(self) -> None:
        self.skipped = 0.0
        self.sleeps = 0

    def __call__(self) -> float:
        return time.time() + self.skipped

    def sleep(self, seconds: float) -> None:
        self.sleeps += 1
        assert self.sleeps <= MAX_SLEEPS, "the teardown loop runs away"
        self.skipped += max(0.0, seconds)
