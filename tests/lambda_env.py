"""What the function tests share beyond fixtures (kept out of conftest.py, which pytest imports
once per folder under the same module name)."""

import importlib
import sys

REGION = "us-east-1"
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
}


def fresh_import(module: str):
    """Import a function module anew, so its module-level clients bind to the active mock."""
    sys.modules.pop(module, None)
    return importlib.import_module(module)


class VirtualClock:
    """Time for a function under test (`handler.clock`): sleeps are recorded and pass at once."""

    def __init__(self, start: float):
        self.now = start
        self.sleeps: list[float] = []

    def time(self) -> float:
        return self.now

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class LambdaContext:
    """The part of Lambda's context object the functions use, on a given clock."""

    def __init__(self, clock, seconds: float):
        self.clock = clock
        self.ends = clock.monotonic() + seconds

    def get_remaining_time_in_millis(self) -> int:
        return int((self.ends - self.clock.monotonic()) * 1000)
