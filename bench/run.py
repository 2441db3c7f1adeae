"""ecs-teardown's benchmarks, printed side by side as plain-text tables: figures first, then each target and
whether this run met it. Run from the repository root: `.venv/bin/python bench/run.py` (well under a minute).

1-3 play seeded timelines on a fake clock against the tests' fake ECS, Application Auto Scaling and ELBv2
(tests/support/fake_aws.py, see timelines.py), for ecs-teardown's engine run as the Lambda runs it (its preparation
reads each service's target groups and task definition) and for the baselines (strategies.py); 3 runs 50 services
against the same fakes with token-bucket rate limits; 4 starts fresh processes against moto's server and a local
HTTPS endpoint, all on 127.0.0.1.
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
# bench/ itself is on sys.path as the script's directory; the handler and the tests' fakes are imported too.
sys.path[1:1] = [str(ROOT / "handler"), str(ROOT / "tests")]

import coldstart  # noqa: E402
from strategies import OPERATIONS, Run, run_crhelper, run_engine, run_fixed_poll, run_waiter  # noqa: E402
from timelines import (  # noqa: E402
    ALB_DEFAULT,
    FAMILIES,
    FIVE_MINUTES,
    FIVE_UNKNOWN,
    RateLimits,
    Timeline,
    TimelineSpec,
    TokenBucket,
    draw,
    new_aws,
    percentile,
)

from ecs_teardown.core.polling import PollPolicy  # noqa: E402
from support.fake_ecs import FakeEcs, FakeService  # noqa: E402

SEEDS = 20
SCALE_SERVICES = 50  # the most one request may name
COLD_START_REPEATS = 7
DELETE_TARGET_S = 3.0  # a drained service's DeleteService, p90
OVER_ECS_TARGET_S = 5.0  # the whole teardown over ECS's own time, p90
CALLS_TARGET = 2.0  # ECS calls per service, against the waiter's
FAST_DRAIN_S = 5  # DeregistrationDelaySeconds for the fast drain
FAST_DRAIN_TARGET_S = 60.0  # an ALB-backed service at the default 300 s delay, with fast drain (median and p90)
SCALE_TARGET = 1.1
COLD_START_TARGET = 1.15
LAYER_TARGET_BYTES = 2_000_000

# For comparison, not shipped: the engine's first policy (1 s after any change, 1.5x up to 15 s, 2 s near the end).
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
FAST = f"ecs-teardown engine, DeregistrationDelaySeconds {FAST_DRAIN_S}"
FAST_NO_WAIT = "  and WaitForInactive false"


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
    """One strategy on one timeline: its run, and what the fake ECS recorded of the service."""

    run: Run
    timeline: Timeline
    service: FakeService
    calls: list[tuple[float, str, dict[str, object]]]  # every ECS call, with its clock time

    @property
    def drained_at(self) -> float:
        """When the service's last task stopped (the fake's exact moment)."""
        gone = self.service.timeline.tasks_gone_at()
        return math.nan if gone is None else gone

    @property
    def refused_until(self) -> float:
        """Until when DeleteService said "deployments are active" after the scale-down."""
        scaled = self.service.scaled_at
        return math.nan if scaled is None else scaled + self.service.deployments_busy_s

    @property
    def delete_s(self) -> float:
        """From the last task stopped to DeleteService accepted (the fake records the acceptance's clock time)."""
        deleted = self.service.deleted_at
        return math.nan if deleted is None else deleted - self.drained_at

    @property
    def delete_at_s(self) -> float:
        deleted = self.service.deleted_at
        return math.nan if deleted is None else deleted - self.run.started_at

    @property
    def ecs_time_s(self) -> float:
        """ECS's own time: the same calls at the ideal moments, for the delay in force at the scale-down."""
        rounds = self.service.stop_rounds
        return self.timeline.ecs_time_s(rounds[0][1] if rounds else None)

    @property
    def elapsed_s(self) -> float:
        return self.run.answered_at - self.run.started_at

    @property
    def over_ecs_s(self) -> float:
        return self.elapsed_s - self.ecs_time_s

    @property
    def after_inactive_s(self) -> float:
        inactive = self.service.inactive_at()
        return math.nan if inactive is None else self.run.answered_at - inactive

    @property
    def forced(self) -> bool:
        return any(op == "DeleteService" and kwargs.get("force") for _, op, kwargs in self.calls)


def play_one(timeline: Timeline, run: Callable[[FakeEcs, Timeline], Run]) -> Sample:
    aws, (service,) = new_aws([timeline])
    sample = Sample(run(aws.ecs, timeline), timeline, service, list(aws.ecs.calls))
    if service.scaled_at is not None and service.scaled_at != sample.run.started_at:
        raise AssertionError(f"{timeline.spec.label}/{timeline.seed}: scaled down late, ECS's own time would be off")
    return sample


def play(spec: TimelineSpec) -> dict[str, list[Sample]]:
    """Every strategy on the same SEEDS timelines, each on fresh fakes and a fresh clock."""
    samples: dict[str, list[Sample]] = {s.label: [] for s in STRATEGIES}
    for seed in range(SEEDS):
        timeline = draw(spec, seed)
        for strategy in STRATEGIES:
            samples[strategy.label].append(play_one(timeline, strategy.run))
    return samples


def median(values: Sequence[float]) -> float:
    values = [v for v in values if not math.isnan(v)]
    return statistics.median(values) if values else math.nan


def p90(values: Sequence[float]) -> float:
    return percentile([v for v in values if not math.isnan(v)], 90)


def ok(samples: list[Sample]) -> list[Sample]:
    return [s for s in samples if s.run.ok]


def calls_median(samples: list[Sample]) -> float:
    return median([float(s.run.ecs_calls) for s in samples])


def target_line(text: str) -> str:
    return f"   target: {text}"


def section_speed(results: dict[str, dict[str, list[Sample]]]) -> None:
    print("1. Speed, per family of timelines (median and p90 over the same 20 timelines each, seconds):")
    print("   delete: from the service's last task stopped to its DeleteService accepted; after INACTIVE: from ECS")
    print("   first reporting INACTIVE to the answer (the answer's own PUT, the same for all, left out); teardown:")
    print("   from the start to the answer; ECS's own: the same calls at the ideal moments; over ECS: the teardown")
    print("   minus ECS's own time; failed/forced: runs that failed, deletes sent with force")
    headers = [
        "family / strategy",
        "delete",
        "p90",
        "after INACTIVE p90",
        "teardown",
        "ECS's own",
        "over ECS",
        "p90",
        "failed/forced",
    ]
    rows: list[list[object]] = []
    for label, by_strategy in results.items():
        rows.append([label, "", "", "", "", "", "", "", ""])
        for strategy in STRATEGIES:
            samples = by_strategy[strategy.label]
            good = ok(samples)
            failed, forced = len(samples) - len(good), sum(1 for s in samples if s.forced)
            rows.append(
                [
                    f"  {strategy.label}",
                    median([s.delete_s for s in good]),
                    p90([s.delete_s for s in good]),
                    p90([s.after_inactive_s for s in good]),
                    median([s.elapsed_s for s in good]),
                    median([s.ecs_time_s for s in good]),
                    median([s.over_ecs_s for s in good]),
                    p90([s.over_ecs_s for s in good]),
                    f"{failed}/{forced}",
                ]
            )
    print(table(headers, rows))
    late = sum(
        1 for by in results.values() for samples in by.values() for s in samples if s.refused_until > s.drained_at
    )
    print(f'   runs where ECS still said "deployments are active" once the last task had stopped: {late}')
    for label, by_strategy in results.items():
        samples = by_strategy[SHIPPED]
        good = ok(samples)
        delete, over = p90([s.delete_s for s in good]), p90([s.over_ecs_s for s in good])
        clean = len(good) == len(samples) and not any(s.forced for s in samples)
        unread = " (nothing to read: PollPolicy's patient intervals alone)" if label == FIVE_UNKNOWN.label else ""
        print(
            target_line(
                f"{label}{unread}: DeleteService p90 <= {DELETE_TARGET_S:g} s after drained: {delete:.1f} s, "
                f"{verdict(clean and delete <= DELETE_TARGET_S)}; teardown p90 <= ECS's own + "
                f"{OVER_ECS_TARGET_S:g} s: +{over:.1f} s, {verdict(clean and over <= OVER_ECS_TARGET_S)}"
            )
        )
    print()


def section_fast_drain() -> None:
    spec = ALB_DEFAULT
    print(
        f"   Fast drain: the {spec.label} timelines above (tasks stop after the delay in force at the scale-down plus"
    )
    print(
        f"   their exit within the stopTimeout); ecs-teardown lowers the delay to {FAST_DRAIN_S} s first, the baselines"
    )
    print("   wait it out. Seconds from the start:")
    runs: list[tuple[str, Callable[[FakeEcs, Timeline], Run]]] = [
        (FAST, lambda ecs, tl: run_engine(ecs, [tl.name], deregistration_delay_s=FAST_DRAIN_S)),
        (
            FAST_NO_WAIT,
            lambda ecs, tl: run_engine(ecs, [tl.name], deregistration_delay_s=FAST_DRAIN_S, wait_for_inactive=False),
        ),
        (SHIPPED, STRATEGIES[0].run),
        (WAITER, STRATEGIES[2].run),
        (FIXED, STRATEGIES[3].run),
    ]
    headers = [
        "strategy",
        "DeleteService",
        "p90",
        "teardown",
        "p90",
        "ECS's own",
        "p90",
        "over ECS p90",
        "ECS calls",
        "failed/forced",
    ]
    rows: list[list[object]] = []
    played: dict[str, list[Sample]] = {}
    for label, run in runs:
        samples = played[label] = [play_one(draw(spec, seed), run) for seed in range(SEEDS)]
        good = ok(samples)
        rows.append(
            [
                label,
                median([s.delete_at_s for s in good]),
                p90([s.delete_at_s for s in good]),
                median([s.elapsed_s for s in good]),
                p90([s.elapsed_s for s in good]),
                median([s.ecs_time_s for s in good]),
                p90([s.ecs_time_s for s in good]),
                "-" if label == FAST_NO_WAIT else p90([s.over_ecs_s for s in good]),  # answered before INACTIVE
                calls_median(samples),
                f"{len(samples) - len(good)}/{sum(1 for s in samples if s.forced)}",
            ]
        )
    print(table(headers, rows))
    fast = played[FAST]
    good = ok(fast)
    took = [s.elapsed_s for s in good]
    own = [s.ecs_time_s for s in good]
    clean = len(good) == len(fast) and not any(s.forced for s in fast)
    lowered = all(s.service.stop_rounds and s.service.stop_rounds[0][1] == FAST_DRAIN_S for s in fast)
    fits = clean and lowered
    print(
        target_line(
            f"with fast drain, an ALB-backed service at the default 300 s delay torn down (answered after INACTIVE) "
            f"in under {FAST_DRAIN_TARGET_S:g} s: median {median(took):.1f} s, "
            f"{verdict(fits and median(took) < FAST_DRAIN_TARGET_S)}; p90 {p90(took):.1f} s, "
            f"{verdict(fits and p90(took) < FAST_DRAIN_TARGET_S)}"
        )
    )
    print(
        f"   (ECS's own time alone: median {median(own):.1f} s, p90 {p90(own):.1f} s: the {FAST_DRAIN_S} s delay, "
        f"the exits, then DRAINING {spec.draining[0]:g}-{spec.draining[1]:g} s once the last task is gone)"
    )
    unwaited = ok(played[FAST_NO_WAIT])
    answered = [s.elapsed_s for s in unwaited]
    print(
        f"   With WaitForInactive false the answer comes once DeleteService is accepted (the service DRAINING, no task"
        f"\n   left): median {median(answered):.1f} s, p90 {p90(answered):.1f} s, "
        f"{len(played[FAST_NO_WAIT]) - len(unwaited)} failed"
    )
    print()


def section_calls(results: dict[str, dict[str, list[Sample]]]) -> None:
    print("2. ECS calls per service teardown: every ECS operation (DescribeTaskDefinition and ListServices too),")
    print("   throttled or not (median per family), on the same timelines as 1; for ecs-teardown, the mean per")
    print("   operation (Describe = DescribeServices, other = DescribeTaskDefinition, ListServices, ...) and the")
    print("   Application Auto Scaling and ELBv2 calls of its preparation (not ECS's, counted apart)")
    labels = list(results)
    rows: list[list[object]] = []
    for strategy in STRATEGIES:
        rows.append([strategy.label, *(calls_median(results[label][strategy.label]) for label in labels)])
    print(table(["strategy", *labels], rows))
    print()
    headers = ["ecs-teardown (shipped)", "Describe", "Update", "Delete", "other", "not ECS", "x waiter"]
    rows = []
    for label in labels:
        runs = [s.run for s in results[label][SHIPPED]]
        ratio = calls_median(results[label][SHIPPED]) / calls_median(results[label][WAITER])
        rows.append(
            [
                label,
                *(statistics.fmean(r.calls.get(op, 0) for r in runs) for op in OPERATIONS),
                statistics.fmean(r.other_ecs_calls for r in runs),
                statistics.fmean(r.other_calls for r in runs),
                f"{ratio:.2f}",
            ]
        )
    print(table(headers, rows))
    invocations = ", ".join(
        f"{label} {median([float(s.run.invocations) for s in samples[SHIPPED]]):g}"
        for label, samples in results.items()
    )
    print(f"   ecs-teardown's Lambda invocations per teardown (median; 900 s each, then a hand-over): {invocations}")
    print(
        "   crhelper's own EventBridge and Lambda calls (rule, target, permission, and their removal) are not counted"
    )
    for label, samples in results.items():
        count, waiter = calls_median(samples[SHIPPED]), calls_median(samples[WAITER])
        met = verdict(within_calls_target(samples))
        text = f"{label}: ECS calls <= {CALLS_TARGET:g}x the waiter's ({waiter:g}): {count:g} = {count / waiter:.2f}x, {met}"
        print(target_line(text))
    print()


TRADE_OFF_QUICK_S = (2.5, 3.0, 3.5, 4.0, 5.0, 7.5)  # PollPolicy's quick interval (fast_s = imminent_cap_s)


def section_trade_off(results: dict[str, dict[str, list[Sample]]]) -> None:
    """Where the calls target is not met: would any quick interval meet all three targets on those timelines?"""
    short = [label for label, samples in results.items() if not within_calls_target(samples)]
    if not short:
        return
    print("   Calls against time where the calls target is not met: the same timelines, the quick interval swept")
    print("   (ecs-teardown's polls inside a drain window and while only DRAINING is left; 2.5 s is shipped)")
    specs = {spec.label: spec for spec in FAMILIES}
    headers = ["family / quick interval", "delete p90", "over ECS p90", "x waiter", "all three targets"]
    rows: list[list[object]] = []
    for label in short:
        waiter = calls_median(results[label][WAITER])
        rows.append([label, "", "", "", ""])
        for quick in TRADE_OFF_QUICK_S:
            policy = PollPolicy(fast_s=quick, imminent_cap_s=quick)
            samples = [play_one(draw(specs[label], seed), engine_with(policy)) for seed in range(SEEDS)]
            delete, over = p90([s.delete_s for s in samples]), p90([s.over_ecs_s for s in samples])
            ratio = calls_median(samples) / waiter
            met = delete <= DELETE_TARGET_S and over <= OVER_ECS_TARGET_S and ratio <= CALLS_TARGET
            rows.append([f"  {quick:g} s", delete, over, f"{ratio:.2f}", "met" if met else "not met"])
    print(table(headers, rows))
    print()


def within_calls_target(samples: dict[str, list[Sample]]) -> bool:
    return calls_median(samples[SHIPPED]) <= CALLS_TARGET * calls_median(samples[WAITER])


def engine_with(policy: PollPolicy | None) -> Callable[[FakeEcs, Timeline], Run]:
    return lambda ecs, timeline: run_engine(ecs, [timeline.name], policy)


def describes_per_round(run_calls: list[tuple[float, str, dict[str, object]]]) -> list[int]:
    """DescribeServices calls grouped by round: a round's calls share one instant of the fake clock."""
    per_instant = Counter(at for at, operation, _ in run_calls if operation == "DescribeServices")
    return [per_instant[at] for at in sorted(per_instant)]


def section_scale() -> None:
    limits = ", ".join(f"{op} burst {burst} at {rate:g}/s" for op, (burst, rate) in RATE_LIMITS.items())
    print(f"3. Scale: {SCALE_SERVICES} services in one request, {FIVE_MINUTES.label} timelines, ECS rate-limited per")
    print(f"   operation (token buckets: {limits};")
    print("   other operations unlimited; a throttled call raises ThrottlingException, which EcsGateway translates);")
    print("   ECS calls per service against the waiter's on the same timelines, one service at a time")
    timelines = [draw(FIVE_MINUTES, seed, name=f"svc-{seed:02d}") for seed in range(SCALE_SERVICES)]
    slowest_ecs = max(t.ecs_time_s() for t in timelines)
    waiter_calls = statistics.fmean(play_one(t, STRATEGIES[2].run).run.ecs_calls for t in timelines)
    headers = [
        "strategy",
        "deleted",
        "forced",
        "total s",
        "slowest alone s",
        "ratio",
        "calls",
        "per service",
        "x waiter",
        "throttled",
        "Describe/round",
    ]
    rows: list[list[object]] = []
    verdicts: list[tuple[str, float, bool, float, int, int]] = []
    for name, policy in ((SHIPPED, None), (EARLIER_LABEL, EARLIER)):
        alone = [play_one(t, engine_with(policy)).elapsed_s for t in timelines]
        aws, services = new_aws(timelines)
        buckets = RateLimits(aws.clock, {op: TokenBucket(rate, burst) for op, (burst, rate) in RATE_LIMITS.items()})
        aws.ecs.fault = buckets
        run = run_engine(aws.ecs, [t.name for t in timelines], policy)
        total = run.answered_at - run.started_at
        ratio = total / max(alone)
        deleted = sum(1 for s in services if s.inactive_at() is not None)
        forced = sum(1 for _, op, kwargs in aws.ecs.calls if op == "DeleteService" and kwargs.get("force"))
        per_round = describes_per_round(aws.ecs.calls)
        throttled = ", ".join(f"{op} {count}" for op, count in sorted(buckets.throttled.items())) or "0"
        per_service = run.ecs_calls / SCALE_SERVICES
        rows.append(
            [
                name,
                f"{deleted}/{SCALE_SERVICES}",
                forced,
                total,
                max(alone),
                f"{ratio:.3f}",
                run.ecs_calls,
                per_service,
                f"{per_service / waiter_calls:.2f}",
                throttled,
                f"{per_round[0]} first, {max(per_round)} max, {len(per_round)} rounds",
            ]
        )
        clean = run.ok and deleted == SCALE_SERVICES and not forced
        verdicts.append((name, ratio, clean, per_service, per_round[0], max(per_round)))
    print(table(headers, rows))
    print(
        f"   the slowest timeline alone needs {slowest_ecs:.0f} s of ECS's own time (drain, then DRAINING); the "
        f"waiter makes {waiter_calls:.1f} ECS calls per service"
    )
    expected = math.ceil(SCALE_SERVICES / 10)
    for label, ratio, clean, per_service, first, most in verdicts:
        batching = verdict(first == expected and most <= expected)
        text = (
            f"total <= {SCALE_TARGET:g}x the slowest alone: {ratio:.3f}x, {verdict(ratio <= SCALE_TARGET)}; "
            f"no failure from throttling: {verdict(clean)}; ECS calls per service <= {CALLS_TARGET:g}x the "
            f"waiter's: {per_service / waiter_calls:.2f}x, {verdict(per_service <= CALLS_TARGET * waiter_calls)}; "
            f"DescribeServices per round = ceil({SCALE_SERVICES}/10) = {expected}: first {first}, max {most}, "
            f"{batching}"
        )
        print(f"   target: {text}" if label == SHIPPED else f"   (earlier policy: {text})")
    print()


def section_cold_start() -> None:
    print(f"4. Cold start: fresh processes ({COLD_START_REPEATS} each, median), from before the first import to the")
    print("   answer delivered: the handler (import app.py, then a Delete of a missing service: one DescribeServices")
    print("   to moto on 127.0.0.1, one HTTPS PUT to a local endpoint) against the least a program can do for the")
    print("   same answer (import boto3, an ECS client, one DescribeServices, one PUT with http.client)")
    comparisons = coldstart.run_cold_starts(COLD_START_REPEATS)
    headers = ["interpreter", "handler import s", "handler answer s", "minimal import s", "minimal answer s", "ratio"]
    headers.append("CPU ratio")
    rows: list[list[object]] = []
    for row in comparisons:
        if row.error:
            rows.append([row.interpreter, row.error, "", "", "", "-", "-"])
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
                f"{row.cpu_ratio:.2f}",
            ]
        )
    print(table(headers, rows))
    # The target: the Lambda's own interpreter with the built layer and the built function (row 2).
    lambda_row = comparisons[1] if len(comparisons) > 1 else None
    target = (
        f"   target: handler <= {COLD_START_TARGET:g}x the minimal program on python3.13, built layer and function:"
    )
    if lambda_row is None or lambda_row.error:
        print(f"{target} NOT MEASURED")
    else:
        ratio, cpu = lambda_row.ratio, lambda_row.cpu_ratio
        print(f"{target} {ratio:.2f}x wall, {cpu:.2f}x CPU, {verdict(max(ratio, cpu) <= COLD_START_TARGET)}")
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


def main() -> None:
    started = time.perf_counter()
    print(f"ecs-teardown benchmarks (python {platform.python_version()}, {platform.machine()})")
    print("Simulated ECS, Application Auto Scaling and ELBv2 on a fake clock for 1-3, seeded: every strategy plays")
    print("the same timelines; ecs-teardown runs as the Lambda does (DrainTimeoutSeconds auto, its preparation reads")
    print("the target groups' deregistration delay and the task definition's stopTimeout).")
    for spec in FAMILIES:
        print(f"  {spec.describe()}")
    print()
    results = {spec.label: play(spec) for spec in FAMILIES}
    section_speed(results)
    section_fast_drain()
    section_calls(results)
    section_trade_off(results)
    section_scale()
    section_cold_start()
    print(f"bench run took {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
