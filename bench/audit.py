"""`python -m bench audit`: how long `mediactl audit` takes on a stack of 1,000,000 media objects
(`--objects N`), in folders (`archive/<year>/<month>/`) and in a flat bucket, and on 100,000.

Each run is the real command (`mediactl audit --json`, in an interpreter of its own: see
bench/audit_run.py) with its real botocore clients and threads, against a real HTTP server on
127.0.0.1 (bench/audit_aws.py) that holds the stack of bench/audit_stack.py and answers each
request after a stated latency. The baseline is the same command with one listing thread and one
scan segment; the two take turns (interleaved rounds), medians reported. Every run's account is
checked against what the stack holds (objects, counts, gaps) before its figures count.
"""

import argparse
import contextlib
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from bench import audit_cost
from bench.audit_aws import Latency
from bench.audit_stack import FakeStack
from bench.common import ROOT, fake_aws_environ, machine, progress
from bench.results import write_section
from mediactl import listing

LATENCY = Latency(list_page=0.030, scan_page=0.010, call=0.010)
ASSUMPTIONS = (
    f"a ListObjectsV2 page (1,000 keys, about 330 KB of XML) is answered {LATENCY.list_page * 1000:.0f} ms after it is"
    " asked for — *assumed: AWS publishes no LIST latency; the S3 performance guidelines (\"Timeouts and retries for"
    " latency-sensitive applications\") put the median latency of requests under 512 KB \"in the tens of milliseconds\"*",
    f"a DynamoDB Scan page (1 MB read) {LATENCY.scan_page * 1000:.0f} ms, GetItem, Query, GetQueueAttributes and"
    f" GetTranscriptionJob {LATENCY.call * 1000:.0f} ms — *assumed: DynamoDB states single-digit millisecond"
    " latency for its requests (Developer Guide, \"What is Amazon DynamoDB?\"), nothing for a 1 MB Scan page*",
    f"no throttling and no network transfer time beyond the loopback: {listing.WORKERS} listings at a time are far below S3's"
    " 5,500 GET requests per second per prefix (S3 User Guide, \"Best practices design patterns: optimizing Amazon"
    " S3 performance\"); what the scan reads per second is in the notes",
)


@dataclass
class Run:
    wall: float
    peak_mb: float
    requests: dict
    late: float
    """Seconds the endpoint's answers were late, added up (0: every answer at its latency)."""
    result: dict


@dataclass
class Config:
    objects: int
    folders: bool
    runs: dict = field(default_factory=lambda: {name: [] for name in VARIANTS})

    @property
    def name(self) -> str:
        return f"{self.objects:,} objects, {'in folders (archive/<year>/<month>/)' if self.folders else 'flat'}"


# name: (the flags of bench.audit_run, as the table names it)
VARIANTS = {
    "ours": ([], f"ours: {listing.WORKERS} listing threads, {listing.SCAN_SEGMENTS} scan segments"),
    "baseline": (["--sequential"], "baseline: 1 thread, 1 segment"),
}


class Endpoint:
    """The fake AWS endpoint in a process of its own (its CPU is not the audit's)."""

    def __init__(self, stack: FakeStack, latency: Latency) -> None:
        command = [sys.executable, "-m", "bench.audit_aws", "--objects", str(stack.objects), "--warm",
                   "--latency", f"{latency.list_page},{latency.scan_page},{latency.call}"]  # fmt: skip
        if not stack.folders:
            command.append("--flat")
        self.process = subprocess.Popen(command, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.url = self.process.stdout.readline().strip()
        if not self.url.startswith("http://127.0.0.1:"):
            raise RuntimeError(f"the fake endpoint did not start: {self.url!r}")

    def call(self, what: str) -> dict:
        with urllib.request.urlopen(urllib.request.Request(f"{self.url}/_bench/{what}", method="POST", data=b"")) as answer:
            return json.load(answer)

    def stop(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=30)


def outputs_file(stack: FakeStack, folder: Path) -> Path:
    path = folder / f"outputs-{stack.objects}-{'folders' if stack.folders else 'flat'}.json"
    path.write_text(json.dumps({
        "inputBucket": stack.input_bucket, "outputBucket": stack.output_bucket, "ledgerTableName": stack.table,
        "keyPrefix": "", "outputPrefix": stack.output_prefix, "uploadQueueUrl": stack.queue_url, "region": "us-east-1",
    }))  # fmt: skip
    return path


def one_run(endpoint: Endpoint, outputs: Path, flags: list[str], folder: Path) -> Run:
    result_file = folder / "result.json"
    command = [sys.executable, "-m", "bench.audit_run", str(outputs), str(result_file), *flags]
    env = fake_aws_environ({"AWS_ENDPOINT_URL": endpoint.url, "AWS_REGION": "us-east-1", "PYTHONPATH": str(ROOT)})
    endpoint.call("reset")
    started = time.perf_counter()
    child = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    peak = 0.0
    while True:
        pid, status, usage = os.wait4(child.pid, os.WNOHANG)
        if pid:
            break
        peak = max(peak, memory_mb(child.pid))
        time.sleep(0.25)
    wall = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise RuntimeError(f"the audit run failed ({child.returncode}): {child.stderr.read()[-800:]}")
    stats = endpoint.call("stats")
    return Run(wall, max(peak, usage.ru_maxrss / 1024), stats["requests"], sum(stats["late"].values()), json.loads(result_file.read_text()))


def memory_mb(pid: int) -> float:
    """The memory of a process and its children (the listing processes) now: their proportional
    set sizes added up, so the pages a forked child still shares with its parent count once."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, ValueError, IndexError):
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                children.setdefault(parent, []).append(int(entry.name))
    total, pids = 0, [pid]
    while pids:
        current = pids.pop()
        pids += children.get(current, [])
        with contextlib.suppress(OSError, StopIteration):
            rollup = Path(f"/proc/{current}/smaps_rollup").read_text().splitlines()
            total += int(next(line.split()[1] for line in rollup if line.startswith("Pss:")))
    return total / 1024


def check(run: Run, stack: FakeStack) -> None:
    """The audit found what the stack holds, or the run does not count."""
    expected, account = stack.expected(), run.result["account"]
    found = {"objects": account["objects"], "counts": account["counts"], "gaps": sorted(gap["key"] for gap in account["gaps"])}
    if found != expected or run.result["code"] != 1:
        raise AssertionError(f"the audit's account is wrong: {json.dumps(found)[:600]} != {json.dumps(expected)[:600]}")


def measure(config: Config, rounds: int, folder: Path) -> None:
    stack = FakeStack(config.objects, folders=config.folders)
    progress(f"{config.name}: starting the endpoint (its pages made once)...")
    endpoint = Endpoint(stack, LATENCY)
    try:
        outputs = outputs_file(stack, folder)
        for number in range(rounds):
            order = list(VARIANTS) if number % 2 == 0 else list(reversed(VARIANTS))
            for name in order:
                run = one_run(endpoint, outputs, VARIANTS[name][0], folder)
                check(run, stack)
                config.runs[name].append(run)
                progress(f"  round {number + 1}, {name}: {run.wall:.1f} s, {run.peak_mb:,.0f} MB, endpoint late {run.late:.1f} s in all")
    finally:
        endpoint.stop()


def median(values) -> float:
    return statistics.median(list(values))


def seconds(value: float) -> str:
    return f"{value:,.1f} s" if value < 120 else f"{value:,.0f} s ({value / 60:.1f} min)"


def table(configs: list[Config]) -> str:
    lines = [
        "| stack | variant | wall time | ledger scan | transcript listing | media listing | CPU | peak memory | requests | endpoint late | ratio |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for config in configs:
        baseline = config.runs["baseline"]
        for name, (_, label) in VARIANTS.items():
            runs = config.runs[name]
            ratio = median(a.wall / b.wall for a, b in zip(runs, baseline, strict=True))
            phase = lambda label: seconds(median(r.result["phases"][label] for r in runs))  # noqa: E731
            requests = runs[0].requests
            listed = requests.get("ListObjectsV2", 0)
            lines.append(
                f"| {config.name} | {label} | **{seconds(median(r.wall for r in runs))}** | {phase('ledger scan')} |"
                f" {phase('transcript listing')} | {phase('media listing')} | {seconds(median(r.result['cpu_seconds'] for r in runs))} |"
                f" {median(r.peak_mb for r in runs):,.0f} MB | {listed:,} LIST, {requests.get('Scan', 0):,} Scan,"
                f" {sum(requests.values()) - listed - requests.get('Scan', 0)} other | {median(r.late for r in runs):.1f} s |"
                f" {'1' if name == 'baseline' else f'{ratio:.2f}×'} |"
            )
    return "\n".join(lines)


def report(configs: list[Config], rounds: int, elapsed: float, costs: list[str], argv: list[str], load: float) -> str:
    command = " ".join(["python -m bench audit", *argv])
    return "\n".join([
        f"Measured {datetime.date.today().isoformat()} on {machine()}, Python {platform.python_version()};"
        f" {rounds} interleaved round{'s' if rounds > 1 else ''} for {configs[0].objects:,} objects"
        f"{', 3 for 100,000' if configs[-1].objects != configs[0].objects and rounds < 3 else ''} (medians), {seconds(elapsed)} in all"
        f" (load average {load:.1f} at the start), `{command}`.",
        "",
        table(configs),
        "",
        "Wall time: the whole command in a fresh interpreter (start and imports included), as a user waits for it;"
        " the three phases run one after the other inside it; CPU: user + system time of the audit's process (and any children);"
        " peak memory: the most it and any child processes held at once (their proportional set sizes, sampled every"
        " quarter second, or its maximum resident set from `wait4` if larger); requests: to the fake endpoint in one run; endpoint late: how long past their latency its answers"
        " left, added up (its own CPU on a shared machine: 0 would be exact). Every run's"
        " account (objects, counts by state, the gaps' keys) matched the stack's before its figures counted.",
        "",
        "What the time goes to, measured in one process on pages as the endpoint sends them (medians of 7):",
        "",
        *(f"- {line}" for line in costs),
        "",
        "The stack (bench/audit_stack.py): per million media objects, 1,000 failed, 100 rejected, 500 queued and 200"
        " started (on their way), 20 started over an hour ago (looked up in Transcribe at 10 a second), 10 each of"
        " the gaps (dead-lettered, queued without a message, completed without transcript, unrecorded, re-uploaded"
        " after an erasure), 100 transcribed before the ledger, 50 just uploaded, the rest completed with `.json`,"
        " `.srt` and `.txt`; one object in 97 has a cover image beside it, one in 53 a key with spaces; 100 tombstones"
        " of erased objects and the reconciler's and the month's items in the table.",
        "",
        "Assumptions:",
        "",
        *(f"- {line}" for line in ASSUMPTIONS),
    ])


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench audit", description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=1_000_000, help="media objects in the large stack (default 1,000,000)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds for the large stack (default 3; 100,000: 3 at least)")
    parser.add_argument("--layout", choices=("both", "folders", "flat"), default="both", help="which bucket layouts (default both)")
    parser.add_argument("--no-100000", dest="small", action="store_false", help="leave out the 100,000-object stack measured beside a larger one")
    parser.add_argument("--quick", action="store_true", help="20,000 objects, one round, nothing written: a smoke run")
    args = parser.parse_args(argv)
    objects, rounds = (20_000, 1) if args.quick else (args.objects, args.rounds)
    layouts = [folders for folders in (True, False) if args.layout in ("both", "folders" if folders else "flat")]
    configs = [Config(objects, folders) for folders in layouts] + ([Config(100_000, True)] if objects > 100_000 and layouts[0] and args.small else [])

    started, load = time.perf_counter(), os.getloadavg()[0]
    costs = audit_cost.measure(FakeStack(100_000))
    with tempfile.TemporaryDirectory(prefix="bench-audit-") as folder:
        for config in configs:
            measure(config, rounds if config.objects == objects else max(rounds, 3), Path(folder))
    text = report(configs, rounds, time.perf_counter() - started, costs, argv, load)
    print(text)
    if not args.quick:
        write_section("audit", "Audit: `mediactl audit` on a million media objects (`python -m bench audit`)", text)
    return 0
