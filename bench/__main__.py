"""`python -m bench [--quick] [--skip-suite]`: measure, then print the markdown table;
`python -m bench scale`: the bulk-upload simulation (bench/scale.py);
`python -m bench audit`: `mediactl audit` on a million objects (bench/audit.py).

Run it from the repository root with the test environment (`.venv/bin/python -m bench`). The
table goes to stdout and, for a full run, to its section of `bench/RESULTS.md`; progress goes to
stderr.
"""

import argparse
import datetime
import platform
import sys
import time

from bench.common import Row, machine, progress, use_fake_aws, use_repository
from bench.results import write_section


def table(rows: list[Row]) -> str:
    lines = ["| figure | ours | baseline | ratio | goal | met? |", "| --- | --- | --- | --- | --- | --- |"]
    lines += [f"| {r.figure} | {r.ours} | {r.baseline} | {r.ratio} | {r.goal} | {r.met} |" for r in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["scale"]:
        use_repository()
        use_fake_aws()
        from bench import scale

        return scale.main(argv[1:])
    if argv[:1] == ["audit"]:
        use_fake_aws()
        from bench import audit

        return audit.main(argv[1:])
    return pipeline(argv)


def pipeline(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="fewer runs and uploads, no stress burst, no unit suite: a smoke run"
    )
    parser.add_argument("--skip-suite", action="store_true", help="do not run the unit suite")
    args = parser.parse_args(argv)

    use_repository()
    use_fake_aws()
    # Imported once the paths are set: they reach into infra/, function/ and tests/.
    from bench import cold_import, package, program_eval, uploads, warm

    figures = [
        ("function package", package.measure),
        ("cold import", cold_import.measure),
        ("warm per-record overhead", warm.measure),
        ("queue messages", uploads.measure_invocations),
        ("program evaluation", program_eval.measure_program),
    ]
    if args.quick or args.skip_suite:
        figures.append(("unit suite", lambda quick: [program_eval.suite_not_run("--quick" if quick else "--skip-suite")]))
    else:
        figures.append(("unit suite", program_eval.measure_suite))

    started = time.perf_counter()
    rows: list[Row] = []
    for name, measure in figures:
        progress(f"{name}...")
        figure_started = time.perf_counter()
        rows += measure(args.quick)
        progress(f"{name}: {time.perf_counter() - figure_started:.1f} s")
    elapsed = time.perf_counter() - started

    today = datetime.date.today().isoformat()
    mode = "quick run (`--quick`)" if args.quick else "full run"
    report = "\n".join([
        f"Measured {today} on {machine()}, Python {platform.python_version()}; {mode}, {elapsed:.0f} s, `python -m bench`.",
        "",
        table(rows),
        "",
        *(f"- {row.note}" for row in rows if row.note),
    ])
    print(report)
    if not args.quick:
        write_section("pipeline", "Pipeline: the function, the program and the tests (`python -m bench`)", report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
