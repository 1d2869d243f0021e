"""Cold import: what a cold start pays for our module versus a bare Transcribe client.

Each sample is a fresh interpreter (`python -B`), run from a directory holding the unzipped
deployment package, as Lambda unpacks it into /var/task: no bytecode cache for our modules, so
they are compiled on import as they are in Lambda (boto3's own cache is used, as the runtime's
is). The time is taken inside the interpreter around the import or the client creation, so that
the interpreter's start, identical for all, does not dilute the ratio.
"""

import io
import sys
import tempfile
import zipfile
from pathlib import Path

from bench.common import (
    Row,
    fake_aws_environ,
    handler_environ,
    interleaved,
    median,
    ms,
    paired_ratio,
    ratio,
    timed_subprocess,
    verdict,
)
from bench.package import package_zip

GOAL = 1.1

_TIMED = "import time; t = time.perf_counter(); {code}; print(time.perf_counter() - t)"
VARIANTS = {
    # What Lambda does at a cold start: import the handler's module (which builds its clients).
    "ours": "import handler",
    # The baseline: a bare Transcribe client, default configuration.
    "baseline": "import boto3; boto3.client('transcribe')",
}


def measure(quick: bool) -> list[Row]:
    runs = 9 if quick else 31
    env = fake_aws_environ(handler_environ())
    with tempfile.TemporaryDirectory(prefix="bench-package-") as task_dir:
        with zipfile.ZipFile(io.BytesIO(package_zip())) as archive:
            archive.extractall(task_dir)

        def sample(code: str):
            def run() -> float:
                _, out = timed_subprocess([sys.executable, "-B", "-c", _TIMED.format(code=code)], env=env, cwd=Path(task_dir))
                return float(out.strip().splitlines()[-1])

            return run

        samples = interleaved({name: sample(code) for name, code in VARIANTS.items()}, runs=runs, warmup=2)

    ours, baseline = samples["ours"], samples["baseline"]
    cold = paired_ratio(ours, baseline)
    return [
        Row(
            figure="Cold import: `import handler` vs bare `boto3.client(\"transcribe\")`",
            ours=ms(median(ours)),
            baseline=ms(median(baseline)),
            ratio=ratio(cold),
            goal=f"≤ {GOAL}",
            met=verdict(cold <= GOAL),
            note=(
                f"Cold import: {runs} fresh interpreters per variant, interleaved, 2 warm-up rounds dropped; "
                "time taken inside the interpreter around `import handler` (the unzipped package, compiled "
                "from source as in Lambda; settings read, the Transcribe client with retry config; the S3 "
                "client, which only error notes need, is made on first use) vs "
                "`import boto3; boto3.client('transcribe')`; medians and the median of per-round ratios."
            ),
        ),
    ]
