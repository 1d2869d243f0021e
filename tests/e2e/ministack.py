"""MiniStack, the local AWS emulator the end-to-end suite runs against: its own virtual
environment (built once, cached in `.e2e-venv/`), and a server on 127.0.0.1 and a free port.

MiniStack pins its own botocore, and runs the Lambda functions on its environment's Python, so
it cannot live in the project's environment. Building that environment takes a few seconds:
`start_venv_build` starts it in the background as soon as the suite is collected, so it is
ready by the time the end-to-end tests (which run last) need it.
"""

import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
REQUIREMENTS = Path(__file__).with_name("requirements.txt")
VENV = ROOT / ".e2e-venv"
STAMP = VENV / "built-from.txt"
LOCK = VENV.with_name(f"{VENV.name}.lock")
START_TIMEOUT = 30
ACCOUNT_ID = "123456789012"


def _fingerprint() -> str:
    """What the cached environment was built from: the requirements and this Python."""
    return hashlib.sha256(REQUIREMENTS.read_bytes() + sys.version.encode()).hexdigest()


def venv_python(venv: Path = VENV) -> Path:
    return venv / "bin" / "python"


def venv_is_current() -> bool:
    return STAMP.exists() and STAMP.read_text() == _fingerprint()


def start_venv_build() -> subprocess.Popen | None:
    """Build the environment in a background process unless the cached one is current.

    It is built beside its final place and renamed into it, so an interrupted build is never
    taken for a finished one. `--no-deps` is safe because requirements.txt lists every package.
    """
    if venv_is_current():
        return None
    building = VENV.with_name(f"{VENV.name}.building-{os.getpid()}")
    build = " && ".join(
        [
            f"{sys.executable} -m venv --without-pip {building}",
            f"{installer(venv_python(building))} -q --no-deps -r {REQUIREMENTS}",
            f"echo -n {_fingerprint()} > {building / STAMP.name}",
            f"rm -rf {VENV}",
            f"mv {building} {VENV}",
        ]
    )
    # Test processes running side by side (pytest-xdist workers) each start this: the lock lets
    # one build, and the others find the environment current once they hold it.
    script = f'[ "$(cat {STAMP} 2>/dev/null)" = "{_fingerprint()}" ] || {{ {build}; }}'
    return subprocess.Popen(
        ["flock", str(LOCK), "/bin/sh", "-c", script], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


def installer(python: Path) -> str:
    """The command that installs into `python`'s environment: uv's pip when the test environment
    has it (the README's test command installs it: it takes seconds where pip takes a minute),
    pip otherwise."""
    uv = Path(sys.executable).parent / "uv"
    if uv.exists():
        return f"{uv} pip install --python {python}"
    return f"{sys.executable} -m pip --python {python} install --disable-pip-version-check"


def wait_for_venv(build: subprocess.Popen | None) -> Path:
    if build is not None:
        output, _ = build.communicate()
        if build.returncode != 0 or not venv_is_current():
            lines = [line for line in output.splitlines() if not line.startswith("WARNING: Location")]
            raise RuntimeError(f"building MiniStack's environment {VENV} failed:\n" + "\n".join(lines[-20:]))
    return venv_python()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Server:
    """A MiniStack process this suite started, and how to reach it."""

    process: subprocess.Popen
    endpoint: str
    log: Path

    def admin(self, path: str, body: dict | None = None) -> dict:
        request = urllib.request.Request(
            f"{self.endpoint}/_ministack/{path}", data=json.dumps(body or {}).encode(), method="POST"
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.load(response)

    def reset(self) -> None:
        """Forget every resource and stop every function's worker process."""
        assert self.admin("reset") == {"reset": "ok"}

    def set_transcription_seconds(self, seconds: float) -> None:
        """How long a Transcribe job stays IN_PROGRESS (MiniStack's default: 2 s)."""
        applied = self.admin("config", {"transcribe._JOB_RUN_SECONDS": seconds})["applied"]
        assert applied == {"transcribe._JOB_RUN_SECONDS": seconds}, applied

    def stop(self) -> None:
        """Stop the server and the function workers it started (its whole process group)."""
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=10)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


def server_environment(port: int, workdir: Path) -> dict[str, str]:
    """Only what MiniStack needs: the functions it runs inherit this environment, so nothing of
    the test process (credentials, AWS_PROFILE, ...) may leak into them."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(workdir),
        "TMPDIR": str(workdir),
        "GATEWAY_PORT": str(port),
        "BIND_HOST": "127.0.0.1",
        "MINISTACK_ACCOUNT_ID": ACCOUNT_ID,
        "LOG_LEVEL": "WARNING",
        # Lambda waits 1 and 2 minutes between the retries of an asynchronous invocation; MiniStack
        # 1 and 2 s by default. The number of attempts is the function's own configuration.
        "LAMBDA_ASYNC_RETRY_BASE_SECONDS": "0.05",
    }


def start_server(python: Path, workdir: Path) -> Server:
    port = free_port()
    log = workdir / "ministack.log"
    process = subprocess.Popen(
        [str(python), "-m", "ministack"],
        env=server_environment(port, workdir),
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    server = Server(process=process, endpoint=f"http://127.0.0.1:{port}", log=log)
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"MiniStack exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{server.endpoint}/_ministack/health", timeout=1):
                return server
        except OSError:
            time.sleep(0.05)
    server.stop()
    raise RuntimeError(f"MiniStack did not answer on {server.endpoint} within {START_TIMEOUT} s")

