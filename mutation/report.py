"""The figures of a mutmut run, per module: mutmut prints one total for all files; this prints one line a module
(of the scope only), then every surviving mutant as a diff, less those mutation/equivalent.txt explains.

Runs in build/mutation/ (mutmut's modules read their configuration and results from the working directory).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from mutmut.mutation.data import SourceFileMutationData
from mutmut.mutation.diff_apply import get_diff_for_mutant
from mutmut.stats import status_by_exit_code

KILLED = {"killed", "timeout"}  # a timeout: the mutant made a test hang, and the run noticed


@dataclass(frozen=True)
class Equivalent:
    """One line of equivalent.txt: `module | function | the mutated line | why`."""

    module: str
    function: str
    mutated: str
    why: str
    line_number: int


@dataclass
class Mutant:
    name: str
    module: str
    function: str
    status: str
    diff: str = ""

    @property
    def mutated(self) -> str:
        """The mutated line(s) as the diff shows them (the `def` line left out), stripped and joined by ' ⏎ '."""
        added = [line[1:].strip() for line in self.diff.splitlines() if line.startswith("+") and line[1:2] != "+"]
        return " ⏎ ".join(line for line in added if not line.startswith(("def ", "async def ")))


def function_of(name: str) -> str:
    """`ecs_teardown.core.budget.xǁHandOverǁfrom_event__mutmut_3` -> `HandOver.from_event`."""
    mangled = name.rpartition(".")[2].partition("__mutmut_")[0]
    if mangled.startswith("xǁ"):
        return mangled.removeprefix("xǁ").replace("ǁ", ".")
    return mangled.removeprefix("x_")


def read_equivalents(path: Path) -> list[Equivalent]:
    entries = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        try:
            module, function, rest = line.split(" | ", 2)
            mutated, why = rest.rsplit(" | ", 1)
        except ValueError:
            raise SystemExit(f"{path.name}:{number}: expected 'module | function | mutated line | why'") from None
        entries.append(Equivalent(module.strip(), function.strip(), mutated.strip(), why.strip(), number))
    return entries


def load_mutants(modules: dict[str, str], matches: Callable[[str, str], bool]) -> list[Mutant]:
    mutants = []
    for module, pattern in modules.items():
        path = Path("src", *module.split(".")).with_suffix(".py")
        data = SourceFileMutationData(path=path)
        data.load()
        for name, code in sorted(data.exit_code_by_key.items()):
            if matches(name, pattern):
                mutant = Mutant(name, module, function_of(name), status_by_exit_code[code])
                if mutant.status not in KILLED:
                    mutant.diff = get_diff_for_mutant(name, path=path)
                mutants.append(mutant)
    return mutants


def report(
    modules: dict[str, str], equivalents_path: Path, min_score: float, matches: Callable[[str, str], bool]
) -> bool:
    """Print the figures; False when a module scores below `min_score` or equivalent.txt has a stale line."""
    mutants = load_mutants(modules, matches)
    equivalents = read_equivalents(equivalents_path)
    used: set[int] = set()
    explained: dict[str, Equivalent] = {}
    for mutant in mutants:
        if mutant.status in KILLED:
            continue
        for entry in equivalents:
            if (entry.module, entry.function, entry.mutated) == (mutant.module, mutant.function, mutant.mutated):
                explained[mutant.name] = entry
                used.add(entry.line_number)
    ok = True
    print(f"\n{'module':<34} {'mutants':>7} {'killed':>6} {'equiv.':>6} {'survived':>8} {'score':>7}")
    for module in modules:
        own = [m for m in mutants if m.module == module]
        counts = Counter(
            "killed" if m.status in KILLED else "equivalent" if m.name in explained else "survived" for m in own
        )
        counted = len(own) - counts["equivalent"]
        score = 100.0 * counts["killed"] / counted if counted else 100.0
        low = score < min_score
        ok = ok and not low
        print(
            f"{module:<34} {len(own):>7} {counts['killed']:>6} {counts['equivalent']:>6} {counts['survived']:>8} "
            f"{score:>6.1f}%{'  below ' + format(min_score, 'g') + '%' if low else ''}"
        )
    total = len(mutants)
    killed = sum(1 for m in mutants if m.status in KILLED)
    print(f"{'all':<34} {total:>7} {killed:>6} {len(explained):>6} {total - killed - len(explained):>8}")
    print("(score: killed / (mutants - equivalent ones); a timeout counts as killed)")

    survivors = [m for m in mutants if m.status not in KILLED and m.name not in explained]
    print(f"\nSurviving mutants: {len(survivors)}")
    for mutant in survivors:
        print(f"\n# {mutant.name} ({mutant.status}): {mutant.module} | {mutant.function} | {mutant.mutated}")
        print("\n".join(line for line in mutant.diff.splitlines() if not line.startswith(("---", "+++"))))
    print(f"\nEquivalent mutants ({len(explained)}, mutation/equivalent.txt):")
    for name, entry in sorted(explained.items()):
        print(f"  {name}: {entry.why}")
    run_modules = set(modules)
    stale = [e for e in equivalents if e.module in run_modules and e.line_number not in used]
    for entry in stale:
        ok = False
        print(f"equivalent.txt:{entry.line_number}: matches no surviving mutant (killed now, or the code changed)")
    return ok
