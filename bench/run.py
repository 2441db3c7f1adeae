"""ecs-teardown's benchmarks, printed side by side as plain-text tables: figures first, then each target and
whether this run met it. Run from the repository root: `.venv/bin/python bench/run.py` (under half a minute).

1 and 2 play seeded ECS timelines on a fake clock (tests/support/fake_ecs.py, see timelines.py) for ecs-teardown's
engine and for the baselines (strategies.py); 3 runs 50 services against the same fake with token-bucket rate
limits; 4 starts fresh processes against moto's server and a local HTTPS endpoint, all on 127.0.0.1.
"""

from __future__ import annotations

import math
import platform
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# bench/ itself is on sys.path as the script's directory; the handler and the tests' fake ECS are imported too.
sys.path[1:1] = [str(ROOT / "handler"), str(ROOT / "tests")]

import coldstart  # noqa: E402
from strategies import OPERATIONS, Run, run_crhelper, run_engine, run_fixed_poll, run_waiter  # noqa: E402
from timelines import (  # noqa: E402
    FIVE_MINUTES,
    TWENTY_MINUTES,
    RateLimits,
    Timeline,
    TimelineSpec,
    TokenBucket,
    draw,
    new_ecs,
    percentile,
)

from ecs_teardown.core.polling import PollPolicy  # noqa: E402
from support.fake_ecs import FakeEcs  # noqa: E402

SEEDS = 20
SCALE_SERVICES = 50  # the most one request may name
COLD_START_REPEATS = 7
LATENCY_TARGET_S = 2.0
SCALE_TARGET = 1.1
COLD_START_TARGET = 1.3
LAYER_TARGET_BYTES = 2_000_000

# For comparison, not shipped: the engine's first policy (1 s after any change, 1.5x up to 15 s, 2 s near the end),
# which this benchmark showed to spend more calls than the baselines. The shipped one is PollPolicy's default.
EARLIER = PollPolicy(fast_s=1.0, settle_s=1.0, imminent_cap_s=2.0, slow_cap_s=15.0, growth=1.5)

# ECS throttles with a token bucket per action (burst, sustained per second). These numbers are assumptions, not
# ECS's published table: reads plentiful, writes scarce (1/s is harsh on purpose: 50 scale-downs take 40 s).
RATE_LIMITS = {"DescribeServices": (50, 20.0), "UpdateService": (10, 1.0), "DeleteService": (10, 1.0)}


@dataclass(frozen=True)
class Strategy:
    label: str
    run: Callable[[FakeEcs, Timeline], Run]


STRATEGIES = (
    Strategy("ecs-teardown engine (shipped policy)", lambda ecs, tl: run_engine(ecs, [tl.name])),
    Strategy("ecs-teardown engine (earlier policy)", lambda ecs, tl: run_engine(ecs, [tl.name], EARLIER)),
    Strategy("botocore services_inactive waiter, 15 s", lambda ecs, tl: run_waiter(ecs, tl.name)),
    Strategy("fixed 10 s poll", lambda ecs, tl: run_fixed_poll(ecs, tl.name, 10.0)),
    Strategy("crhelper defaults (2-min rule, 120 s sleep)", lambda ecs, tl: run_crhelper(ecs, tl.name)),
)
SHIPPED, EARLIER_LABEL, WAITER, FIXED = (s.label for s in STRATEGIES[:4])


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """Plain text: the first column left-aligned, the others right-aligned, two spaces apart."""
    cells = [[str(h) for h in headers], *[[_cell(value) for value in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = []
    for index, row in enumerate(cells):
        parts = [row[0].ljust(widths[0])] + [
            value.rjust(width) for value, width in zip(row[1:], widths[1:], strict=True)
        ]
        lines.append("  ".join(parts).rstrip())
        if index == 0:
            lines.append("  ".join("-" * width for width in widths))
    return "\n".join(lines)


def _cell(value: object) -> str:
    if isinstance(value, float):
        return "-" if math.isnan(value) else f"{value:.1f}"
    return str(value)


def verdict(met: bool) -> str:
    return "MET" if met else "NOT MET"


@dataclass
class Sample:
    """One strategy on one timeline: its run and the moment ECS first reported INACTIVE."""

    run: Run
    inactive_at: float

    @property
    def latency_s(self) -> float:
        return self.run.answered_at - self.inactive_at

    @property
    def elapsed_s(self) -> float:
        return self.run.answered_at - self.run.started_at


def play(spec: TimelineSpec) -> dict[str, list[Sample]]:
    """Every strategy on the same SEEDS timelines, each on a fresh fake ECS and clock."""
    samples: dict[str, list[Sample]] = {s.label: [] for s in STRATEGIES}
    for seed in range(SEEDS):
        timeline = draw(spec, seed)
        for strategy in STRATEGIES:
            service = timeline.service()
            run = strategy.run(new_ecs([service]), timeline)
            inactive_at = service.inactive_at()
            samples[strategy.label].append(Sample(run, inactive_at if inactive_at is not None else math.nan))
    return samples


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else math.nan


def latencies(samples: list[Sample]) -> list[float]:
    return [s.latency_s for s in samples if s.run.ok]


def calls(samples: list[Sample]) -> list[float]:
    return [float(s.run.ecs_calls) for s in samples]


def target_line(policy: str, text: str) -> str:
    """The shipped policy's line is the target; the earlier policy's follows it in parentheses."""
    return f"   target: {text}" if policy == SHIPPED else f"   (earlier policy: {text})"


def section_latency(results: dict[str, dict[str, list[Sample]]]) -> None:
    print("1. Answer latency: seconds from ECS first reporting INACTIVE to the answer (median and p90 over")
    print(f"   {SEEDS} timelines each; the answer's own PUT, the same for all, is left out), and when the answer came,")
    print("   counted from the start of the teardown (median)")
    headers = ["strategy"]
    for label in results:
        headers += [f"{label} median", "p90", "answered at"]
    headers.append("failed")
    rows: list[list[object]] = []
    for strategy in STRATEGIES:
        row: list[object] = [strategy.label]
        failed = 0
        for label in results:
            samples = results[label][strategy.label]
            failed += sum(1 for s in samples if not s.run.ok)
            answered = median([s.elapsed_s for s in samples if s.run.ok])
            row += [percentile(latencies(samples), 50), percentile(latencies(samples), 90), answered]
        rows.append([*row, failed])
    print(table(headers, rows))
    for policy in (SHIPPED, EARLIER_LABEL):
        for label in results:
            value = percentile(latencies(results[label][policy]), 50)
            met = verdict(value <= LATENCY_TARGET_S)
            print(
                target_line(
                    policy, f"ecs-teardown median <= {LATENCY_TARGET_S:g} s behind ECS, {label}: {value:.1f} s, {met}"
                )
            )
    print()


def section_calls(results: dict[str, dict[str, list[Sample]]]) -> None:
    print("2. ECS API calls per service teardown: DescribeServices + UpdateService + DeleteService, throttled or not")
    print("   (median total, and the mean per operation), on the same timelines as 1")
    headers = ["strategy"]
    for label in results:
        headers += [f"{label} calls", "Describe", "Update", "Delete"]
    rows: list[list[object]] = []
    for strategy in STRATEGIES:
        row: list[object] = [strategy.label]
        for label in results:
            runs = [s.run for s in results[label][strategy.label]]
            row.append(median([float(r.ecs_calls) for r in runs]))
            row += [statistics.fmean(r.calls[op] for r in runs) for op in OPERATIONS]
        rows.append(row)
    print(table(headers, rows))
    invocations = ", ".join(
        f"{label} {median([float(s.run.invocations) for s in samples[SHIPPED]]):g}"
        for label, samples in results.items()
    )
    print(f"   ecs-teardown's Lambda invocations per teardown (median; 900 s each, then a hand-over): {invocations}")
    print(
        "   crhelper's own EventBridge and Lambda calls (rule, target, permission, and their removal) are not counted"
    )
    for policy in (SHIPPED, EARLIER_LABEL):
        for label, samples in results.items():
            count = median(calls(samples[policy]))
            fixed, waiter = median(calls(samples[FIXED])), median(calls(samples[WAITER]))
            latency = percentile(latencies(samples[policy]), 50)
            met = verdict(count < fixed and count < waiter and latency <= LATENCY_TARGET_S)
            text = (
                f"fewer calls than the 10 s poll ({fixed:g}) and the 15 s waiter ({waiter:g}), latency target kept, "
                f"{label}: {count:g} calls, median {latency:.1f} s, {met}"
            )
            print(target_line(policy, text))
    print()


def describes_per_round(run_calls: list[tuple[float, str, dict[str, object]]]) -> list[int]:
    """DescribeServices calls grouped by round: a round's calls share one instant of the fake clock."""
    per_instant = Counter(at for at, operation, _ in run_calls if operation == "DescribeServices")
    return [per_instant[at] for at in sorted(per_instant)]


def section_scale() -> None:
    limits = ", ".join(f"{op} burst {burst} at {rate:g}/s" for op, (burst, rate) in RATE_LIMITS.items())
    print(f"3. Scale: {SCALE_SERVICES} services in one request, 5-min timelines, ECS rate-limited per operation")
    print(f"   (token buckets: {limits}; a throttled call raises ThrottlingException, which EcsGateway translates)")
    timelines = [draw(FIVE_MINUTES, seed, name=f"svc-{seed:02d}") for seed in range(SCALE_SERVICES)]
    slowest_ecs = max(max(t.drain_s, t.deployments_busy_s) + t.draining_s for t in timelines)
    headers = ["strategy", "deleted", "total s", "slowest alone s", "ratio", "calls", "throttled", "Describe/round"]
    rows: list[list[object]] = []
    verdicts: list[tuple[str, float, bool, int, int]] = []
    for name, policy in ((SHIPPED, None), (EARLIER_LABEL, EARLIER)):
        alone = []
        for timeline in timelines:
            solo = run_engine(new_ecs([timeline.service()]), [timeline.name], policy)
            alone.append(solo.answered_at - solo.started_at)
        services = [t.service() for t in timelines]
        ecs = new_ecs(services)
        buckets = RateLimits(ecs.clock, {op: TokenBucket(rate, burst) for op, (burst, rate) in RATE_LIMITS.items()})
        ecs.fault = buckets
        run = run_engine(ecs, [t.name for t in timelines], policy)
        total = run.answered_at - run.started_at
        ratio = total / max(alone)
        deleted = sum(1 for s in services if s.inactive_at() is not None)
        per_round = describes_per_round(ecs.calls)
        throttled = ", ".join(f"{op} {count}" for op, count in sorted(buckets.throttled.items())) or "0"
        rows.append(
            [
                name,
                f"{deleted}/{SCALE_SERVICES}",
                total,
                max(alone),
                f"{ratio:.3f}",
                run.ecs_calls,
                throttled,
                f"{per_round[0]} first, {max(per_round)} max, {len(per_round)} rounds",
            ]
        )
        verdicts.append((name, ratio, run.ok and deleted == SCALE_SERVICES, per_round[0], max(per_round)))
    print(table(headers, rows))
    print(f"   the slowest timeline alone needs {slowest_ecs:.0f} s of ECS's own time (drain, then DRAINING)")
    expected = math.ceil(SCALE_SERVICES / 10)
    for label, ratio, ok, first, most in verdicts:
        batching = verdict(first == expected and most <= expected)
        text = (
            f"total <= {SCALE_TARGET:g}x the slowest alone: {ratio:.3f}x, {verdict(ratio <= SCALE_TARGET)}; "
            f"no failure from throttling: {verdict(ok)}; DescribeServices per round = ceil({SCALE_SERVICES}/10) = "
            f"{expected}: first {first}, max {most}, {batching}"
        )
        print(target_line(label, text))
    print()


def section_cold_start() -> None:
    print(f"4. Cold start: fresh processes ({COLD_START_REPEATS} each, median), from before the first import to the")
    print("   answer delivered: the handler (import app.py, then a Delete of a missing service: one DescribeServices")
    print("   to moto on 127.0.0.1, one HTTPS PUT to a local endpoint) against the least a program can do for the")
    print("   same answer (import boto3, an ECS client, one DescribeServices, one PUT with http.client)")
    comparisons = coldstart.run_cold_starts(COLD_START_REPEATS)
    headers = ["interpreter", "handler import s", "handler answer s", "minimal import s", "minimal answer s", "ratio"]
    rows: list[list[object]] = []
    for row in comparisons:
        if row.error:
            rows.append([row.interpreter, row.error, "", "", "", "-"])
            continue
        handler, minimal = row.handler, row.minimal
        rows.append(
            [
                row.interpreter,
                f"{handler.median_import:.3f}",
                f"{handler.median_total:.3f}",
                f"{minimal.median_import:.3f}",
                f"{minimal.median_total:.3f}",
                f"{row.ratio:.2f}",
            ]
        )
    print(table(headers, rows))
    first = comparisons[0]
    target = f"   target: handler <= {COLD_START_TARGET:g}x the minimal program, same interpreter (.venv python):"
    if first.error:
        print(f"{target} NOT MEASURED")
    else:
        print(f"{target} {first.ratio:.2f}x, {verdict(first.ratio <= COLD_START_TARGET)}")
    size = coldstart.layer_size()
    if isinstance(size, str):
        print(f"   layer: {size}")
        print(f"   target: layer zipped <= {LAYER_TARGET_BYTES / 1e6:g} MB: NOT MEASURED")
    else:
        print(
            f"   layer ({size.source}): {size.files} files, {size.unzipped_bytes / 1e6:.2f} MB unzipped, "
            f"{size.zipped_bytes / 1e6:.2f} MB zipped"
        )
        met = size.zipped_bytes <= LAYER_TARGET_BYTES
        print(
            f"   target: layer zipped <= {LAYER_TARGET_BYTES / 1e6:g} MB: {size.zipped_bytes / 1e6:.2f} MB, {verdict(met)}"
        )
    print()


def describe_spec(spec: TimelineSpec) -> str:
    return (
        f"{spec.label}: {spec.tasks[0]}-{spec.tasks[1]} tasks stop {spec.dereg_delay[0]:g}-{spec.dereg_delay[1]:g} s "
        f"after the scale-down (deregistration delay) plus {spec.stop_spread[0]:g}-{spec.stop_spread[1]:g} s each; "
        f"DRAINING {spec.draining[0]:g}-{spec.draining[1]:g} s once deleted and drained"
    )


def main() -> None:
    started = time.perf_counter()
    print(f"ecs-teardown benchmarks (python {platform.python_version()}, {platform.machine()})")
    print("Simulated ECS on a fake clock for 1-3, seeded: every strategy plays the same timelines.")
    for spec in (FIVE_MINUTES, TWENTY_MINUTES):
        print(f"  {describe_spec(spec)}")
    print()
    results = {spec.label: play(spec) for spec in (FIVE_MINUTES, TWENTY_MINUTES)}
    section_latency(results)
    section_calls(results)
    section_scale()
    section_cold_start()
    print(f"bench run took {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
