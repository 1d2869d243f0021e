"""Evaluating the Pulumi program under mocks, and the unit suite's wall time.

The program runs through `tests/program.py`'s `evaluate_program` (`run_program` without its
cache), the very harness of the program's tests. The baseline is an empty Pulumi program run by
the same harness, from a directory holding an empty `__main__.py` and the same project and stack
files.
"""

import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.common import (
    ORIGINAL_ENVIRON,
    ROOT,
    STACK,
    TESTS_DIR,
    Row,
    fake_aws_environ,
    interleaved,
    median,
    ms,
    paired_ratio,
    ratio,
    timed_subprocess,
    verdict,
)

SUITE_GOAL_SECONDS = 45
SUITE_FIGURE = "Unit suite wall time (`python -m pytest -q --ignore=tests/e2e`)"
EMPTY_PROGRAM = '"""An empty Pulumi program: what the mocks and the harness cost by themselves."""\n'

# A fresh interpreter that evaluates the stack once, for the program in argv[1].
_COLD = """
import sys, time
from pathlib import Path
started = time.perf_counter()
sys.path[:0] = [{tests!r}, {function!r}, {root!r}]
import program
program.evaluate_program({stack!r}, root=Path(sys.argv[1]))
print(time.perf_counter() - started)
"""


@contextmanager
def empty_program() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="bench-empty-program-") as directory:
        (Path(directory) / "__main__.py").write_text(EMPTY_PROGRAM)
        shutil.copy(ROOT / "Pulumi.yaml", directory)
        shutil.copy(ROOT / f"Pulumi.{STACK}.yaml", directory)
        yield Path(directory)


def measure_program(quick: bool) -> list[Row]:
    import program

    warm_runs, cold_runs = (5, 3) if quick else (15, 7)
    with empty_program() as empty:

        def warm(root: Path):
            def run() -> float:
                started = time.perf_counter()
                program.evaluate_program(STACK, root=root)
                return time.perf_counter() - started

            return run

        resources = len(program.run_program(STACK).resources)
        warm_samples = interleaved({"ours": warm(ROOT), "baseline": warm(empty)}, runs=warm_runs)

        code = _COLD.format(tests=str(TESTS_DIR), function=str(ROOT / "function"), root=str(ROOT), stack=STACK)
        env = fake_aws_environ()

        def cold(root: Path):
            def run() -> float:
                _, out = timed_subprocess([sys.executable, "-c", code, str(root)], env=env, cwd=ROOT)
                return float(out.strip().splitlines()[-1])

            return run

        cold_samples = interleaved({"ours": cold(ROOT), "baseline": cold(empty)}, runs=cold_runs)

    return [
        Row(
            figure=f"Program evaluation under mocks, `{STACK}` stack ({resources} resources), warm",
            ours=ms(median(warm_samples["ours"])),
            baseline=ms(median(warm_samples["baseline"])),
            ratio=ratio(paired_ratio(warm_samples["ours"], warm_samples["baseline"])),
            note=(
                f"Program evaluation: `evaluate_program('{STACK}')` from tests/program.py (config loaded, "
                "`__main__.py` run under the recording mocks, outputs awaited) vs the same harness on an "
                f"empty `__main__.py`; warm: {warm_runs} interleaved runs in this process after one "
                f"unmeasured run; first evaluation: {cold_runs} interleaved fresh interpreters, timed from "
                "start to the end of the evaluation (imports of pulumi and pulumi_aws included)."
            ),
        ),
        Row(
            figure="… first evaluation in a fresh interpreter (imports included)",
            ours=ms(median(cold_samples["ours"])),
            baseline=ms(median(cold_samples["baseline"])),
            ratio=ratio(paired_ratio(cold_samples["ours"], cold_samples["baseline"])),
        ),
    ]


def measure_suite(quick: bool) -> list[Row]:
    """The whole unit suite, once, as it stands: whatever fails is reported, not hidden."""
    # The end-to-end suite (tests/e2e, on the MiniStack emulator) is not the unit suite.
    command = [sys.executable, "-m", "pytest", "-q", "-rf", "-p", "no:cacheprovider", "--ignore=tests/e2e"]
    started = time.perf_counter()
    try:
        done = subprocess.run(command, cwd=ROOT, env=ORIGINAL_ENVIRON, capture_output=True, text=True, timeout=900)
        elapsed = time.perf_counter() - started
        summary = (done.stdout.strip().splitlines() or ["(no output)"])[-1].strip("= ")
        failed = done.returncode != 0
        for line in done.stdout.splitlines():
            if line.startswith(("FAILED ", "ERROR ")):
                print(f"[bench] unit suite: {line}", file=sys.stderr)
        interrupted = "Interrupted" in done.stdout or done.returncode not in (0, 1)
    except subprocess.TimeoutExpired:
        elapsed, summary, failed, interrupted = time.perf_counter() - started, "timed out after 900 s", True, True
    counts = {kind: int(n) for n, kind in re.findall(r"(\d+) (passed|failed|errors?|skipped)", summary)}
    fast = elapsed < SUITE_GOAL_SECONDS
    outcome = summary if not counts else ", ".join(f"{n} {kind}" for kind, n in counts.items())
    if interrupted:
        outcome = f"interrupted: {outcome}"
    if not failed:
        met = verdict(fast)
    elif interrupted:
        met = "**no**: the suite did not run to its end"
    else:
        met = f"time {'yes' if fast else '**no**'}; **tests failed**"
    return [
        Row(
            figure=SUITE_FIGURE,
            ours=f"{elapsed:.1f} s ({outcome})",
            baseline=f"{SUITE_GOAL_SECONDS} s (the goal)",
            ratio=f"{elapsed / SUITE_GOAL_SECONDS:.2f}× of goal",
            goal=f"< {SUITE_GOAL_SECONDS} s",
            met=met,
            note=(
                "Unit suite: `python -m pytest -q -p no:cacheprovider --ignore=tests/e2e` from the repository root,"
                " once, in a subprocess of the same interpreter and the environment the bench started in, nothing"
                " else excluded; "
                "wall time including pytest's start."
            ),
        )
    ]


def suite_not_run(reason: str) -> Row:
    return Row(
        figure=SUITE_FIGURE,
        ours=f"not run ({reason})",
        baseline=f"{SUITE_GOAL_SECONDS} s (the goal)",
        goal=f"< {SUITE_GOAL_SECONDS} s",
    )
