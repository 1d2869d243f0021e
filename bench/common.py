"""What every figure shares: the repository's paths, a fake AWS environment, the handler's
environment as the program declares it, timing helpers and the table's row."""

import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FUNCTION_DIR = ROOT / "function"
TESTS_DIR = ROOT / "tests"
REGION = "us-east-1"
STACK = "dev"

# Fake credentials, so nothing here can ever reach a real AWS account (as the tests' conftest).
FAKE_AWS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
}
# The environment the bench started with: the unit suite runs in it, as a user would run it.
ORIGINAL_ENVIRON = dict(os.environ)
NOT_INHERITED = ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "PYTHONPATH")


def machine() -> str:
    model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.lower().startswith(("model name", "cpu model", "hardware")):
                model = line.split(":", 1)[1].strip()
                break
    return f"{platform.machine()}{f' ({model})' if model else ''}, {os.cpu_count()} CPUs, {platform.system()}"


def use_repository() -> None:
    """Import as the tests do: the repository root (infra/, `function.naming`), function/ (the
    Lambda package's root, where `import handler` and `import naming` work) and tests/ (the
    Pulumi mocks of `program.py`, the event builders)."""
    for path in (TESTS_DIR, FUNCTION_DIR, ROOT):
        if str(path) not in sys.path:
            sys.path.insert(0, str(path))


def fake_aws_environ(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The starting environment with fake credentials, no profile or endpoint, and `extra`."""
    env = {k: v for k, v in ORIGINAL_ENVIRON.items() if k not in NOT_INHERITED}
    env.update(FAKE_AWS)
    env.update(extra or {})
    return env


def use_fake_aws(extra: dict[str, str] | None = None) -> None:
    """Make this process's environment `fake_aws_environ(extra)`, for good."""
    env = fake_aws_environ(extra)
    for name in [k for k in os.environ if k not in env]:
        del os.environ[name]
    os.environ.update(env)


_DECLARED: dict = {}


def declared_upload_function() -> dict:
    """The upload function's inputs as the program declares them for the stack (environment,
    runtime, handler, code), and the notification rules and bucket names; evaluated once."""
    if not _DECLARED:
        from program import run_program

        program = run_program(STACK)
        _DECLARED.update(
            program=program,
            function=program.named("upload-handler-lambda").inputs,
            notification=program.named("upload-queue-notification").inputs["queues"],
            media_bucket=program.outputs["inputBucket"],
            transcript_bucket=program.outputs["outputBucket"],
        )
    return _DECLARED


def handler_environ() -> dict[str, str]:
    return dict(declared_upload_function()["function"]["environment"]["variables"])


@contextmanager
def patched(owner, name: str, value) -> Iterator[None]:
    """`owner.name = value` for the duration of the block."""
    saved = getattr(owner, name)
    setattr(owner, name, value)
    try:
        yield
    finally:
        setattr(owner, name, saved)


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def timed_subprocess(args: list[str], *, env: dict[str, str], cwd: Path, timeout: float = 600) -> tuple[float, str]:
    """Run a command to its end; its wall time in seconds and its stdout. Fails loudly."""
    started = time.perf_counter()
    done = subprocess.run(args, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:3])}... failed ({done.returncode}): {done.stderr.strip()[-500:]}")
    return elapsed, done.stdout


def interleaved(variants: dict[str, Callable[[], float]], runs: int, warmup: int = 1) -> dict[str, list[float]]:
    """Measure each variant `runs` times, taking turns (the order rotates each round) so that
    the machine's ups and downs fall on all of them alike; the warm-up rounds are dropped."""
    names = list(variants)
    samples: dict[str, list[float]] = {name: [] for name in names}
    for round_number in range(warmup + runs):
        shift = round_number % len(names)
        for name in names[shift:] + names[:shift]:
            value = variants[name]()
            if round_number >= warmup:
                samples[name].append(value)
    return samples


def paired_ratio(ours: list[float], baseline: list[float]) -> float:
    """The median of the per-round ratios (each round's two runs saw the same machine)."""
    return median([a / b for a, b in zip(ours, baseline, strict=True)])


def progress(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


@dataclass
class Row:
    """One line of the table."""

    figure: str
    ours: str
    baseline: str
    ratio: str = "—"
    goal: str = "—"
    met: str = "—"
    note: str = ""
    """How it was measured, printed under the table."""


def verdict(met: bool | None) -> str:
    return "—" if met is None else ("yes" if met else "**no**")


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f} ms"


def ratio(value: float) -> str:
    return f"{value:.2f}×"
