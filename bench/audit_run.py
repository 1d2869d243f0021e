"""One run of `mediactl audit --json` for `python -m bench audit`, in an interpreter of its own
(so the parent can read its peak memory), against the endpoint AWS_ENDPOINT_URL names.

`python -m bench.audit_run OUTPUTS RESULT [--sequential] [--profile FILE]` writes RESULT, a JSON
document: the exit code, the audit's own JSON, the CPU time of the process (and any
children), and the wall time of each phase (the ledger scan, the transcript listing, the media
listing). `--sequential` is the baseline: one listing and one scan segment, the same code
otherwise.
"""

import argparse
import contextlib
import cProfile
import io
import json
import os
import sys
import time
from functools import partial, wraps

from mediactl import listing
from mediactl.cli import main as mediactl

PHASES = ("ledger scan", "transcript listing", "media listing")


def timed(function, phases: list[float]):
    @wraps(function)
    def run(*args, **kwargs):
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            phases.append(time.perf_counter() - started)

    return run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.audit_run")
    parser.add_argument("outputs")
    parser.add_argument("result")
    parser.add_argument("--sequential", action="store_true")
    parser.add_argument("--profile", metavar="FILE")
    args = parser.parse_args(argv)

    list_objects, scan_table = listing.list_objects, listing.scan_table
    if args.sequential:
        list_objects, scan_table = partial(list_objects, workers=1), partial(scan_table, segments=1)
    phases: list[float] = []
    listing.list_objects, listing.scan_table = timed(list_objects, phases), timed(scan_table, phases)

    printed = io.StringIO()
    profile = cProfile.Profile() if args.profile else None
    started = time.perf_counter()
    with contextlib.redirect_stdout(printed):
        if profile:
            profile.enable()
        code = mediactl(["audit", "--outputs", args.outputs, "--json"])
        if profile:
            profile.disable()
    wall = time.perf_counter() - started
    if profile:
        profile.dump_stats(args.profile)
    usage = os.times()
    result = {
        "code": code, "account": json.loads(printed.getvalue()), "audit_seconds": wall,
        "cpu_seconds": usage.user + usage.system + usage.children_user + usage.children_system, "phases": dict(zip(PHASES, phases, strict=True)),
    }  # fmt: skip
    with open(args.result, "w", encoding="utf-8") as file:
        json.dump(result, file)
    return 0


if __name__ == "__main__":
    sys.exit(main())
