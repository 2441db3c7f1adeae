"""`make mutate`: mutation testing (mutmut) of the core, the physical ids, the properties and the ResponseURL check,
against the fast suites (tests/unit, tests/functional); then the score per module and every surviving mutant.

    python mutation/run.py                    # stage, run every mutant in SCOPE, report
    python mutation/run.py core/machine.py    # only the modules named (paths under handler/ecs_teardown/)
    python mutation/run.py --report           # report on the last run again, without running anything

It works on a copy (build/mutation/): mutmut rewrites the sources it mutates, and the work tree is shared. There
handler/ is staged as src/ (mutmut names a module by its path, less a leading src/, and the tests import
ecs_teardown.core.machine); the original handler/, events/ and README.md go along for the tests that read files.
Each run starts afresh: mutmut's cache of earlier results could outlive the tests that decided them.

A surviving mutant that cannot change behaviour is listed in mutation/equivalent.txt, by its module, its function
and the mutated line (not by mutmut's numbered name, which moves whenever the code above it changes). The score of a
module is killed / (mutants - equivalent ones); below MIN_SCORE for any module, or an entry of equivalent.txt that
matches no survivor (stale), the run fails.
"""

from __future__ import annotations

import argparse
import fnmatch
import io
import os
import re
import shutil
import subprocess
import sys
import tarfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HERE = ROOT / "mutation"
STAGE = ROOT / "build" / "mutation"
MIN_SCORE = 95.0

# Mutant-name patterns of the scope, by module (as the tests import it). answer.py: the ResponseURL check only.
SCOPE = {
    "ecs_teardown/core/*.py": "*",
    "ecs_teardown/cfn/identity.py": "*",
    "ecs_teardown/cfn/properties.py": "*",
    "ecs_teardown/cfn/allow_list.py": "*",
    "ecs_teardown/cfn/partitions.py": "*",
    "ecs_teardown/cfn/answer.py": "x_check_response_url__mutmut_*",
}
PROGRESS = re.compile(r"\d+/\d+ +🎉 \d+ 🫥 \d+ +⏰ \d+ +🤔 \d+ +🙁 \d+")  # mutmut's status line
SPINNER = re.compile(r"[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏][^\n⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]*")


def modules_in_scope(only: list[str]) -> dict[str, str]:
    """Module name -> the pattern of its mutants' names, for every module in SCOPE (or only those in `only`)."""
    found: dict[str, str] = {}
    package = (STAGE / "src") if (STAGE / "src").is_dir() else ROOT / "handler"  # the staged copy, once staged
    for glob, function_pattern in SCOPE.items():
        for path in sorted(package.glob(glob)):
            relative = path.relative_to(package).as_posix()
            if path.name == "__init__.py" or (only and not any(relative.endswith(o) for o in only)):
                continue
            module = relative.removesuffix(".py").replace("/", ".")
            found[module] = f"{module}.{function_pattern}"
    return found


def stage(ref: str | None) -> None:
    """A fresh copy of what the fast suites need, with handler/ also as src/ (the copy mutmut mutates); handler/
    from the git commit `ref` when given (the tests still from the work tree), say while a change is half made."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".hypothesis", ".pytest_cache")
    if STAGE.exists():
        shutil.rmtree(STAGE)
    STAGE.mkdir(parents=True)
    if ref:
        archive = subprocess.run(["git", "archive", ref, "handler"], cwd=ROOT, check=True, capture_output=True).stdout
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(STAGE, filter="data")
    else:
        shutil.copytree(ROOT / "handler", STAGE / "handler", ignore=ignore)
    shutil.copytree(STAGE / "handler", STAGE / "src")
    shutil.copytree(ROOT / "tests", STAGE / "tests", ignore=ignore)
    shutil.copytree(ROOT / "events", STAGE / "events", ignore=ignore)
    for name in ("README.md", "pyproject.toml"):
        shutil.copy2(ROOT / name, STAGE / name)
    shutil.copy2(HERE / "setup.cfg", STAGE / "setup.cfg")


def run_mutmut(patterns: list[str], children: int) -> None:
    """mutmut's own output (a spinner) goes to build/mutation/mutmut.log; its progress is printed every half minute."""
    command = [str(Path(sys.executable).parent / "mutmut"), "run", "--max-children", str(children), *patterns]
    log_path = STAGE / "mutmut.log"
    print(f"$ cd build/mutation && mutmut {' '.join(command[1:])}   (output: build/mutation/mutmut.log)", flush=True)
    started = time.monotonic()
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, cwd=STAGE, stdout=log, stderr=subprocess.STDOUT)
        while True:
            try:
                code = process.wait(timeout=30)
                break
            except subprocess.TimeoutExpired:
                progress = PROGRESS.findall(log_path.read_bytes()[-600:].decode(errors="replace"))
                shown = progress[-1] if progress else "preparing (mutants, then the test suite's coverage)"
                print(f"  {time.monotonic() - started:5.0f} s  {shown}", flush=True)
    if code != 0:
        tail = log_path.read_bytes()[-4000:].decode(errors="replace")
        print(SPINNER.sub("", tail))
        raise SystemExit(f"mutmut run failed (exit {code}); its output is in build/mutation/mutmut.log")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", help="paths under handler/ecs_teardown/, e.g. core/machine.py")
    parser.add_argument("--report", action="store_true", help="report on the last run; run nothing")
    parser.add_argument("--ref", help="stage handler/ from this git commit, not the work tree")
    parser.add_argument("--max-children", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args()
    started = time.monotonic()
    if not args.report:
        stage(args.ref)
    modules = modules_in_scope(args.modules)
    if not modules:
        parser.error(f"no module of the scope matches {args.modules}")
    if not args.report:
        run_mutmut(list(modules.values()), args.max_children)
    os.chdir(STAGE)
    sys.path.insert(0, str(HERE))
    from report import report

    ok = report(modules, HERE / "equivalent.txt", MIN_SCORE, fnmatch.fnmatch)
    if not args.report:
        print(f"\nmake mutate took {time.monotonic() - started:.0f} s")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
