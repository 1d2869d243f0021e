"""CloudWatch metrics on the log: what an invocation counted, written once at its end as one
Embedded Metric Format (EMF) document, from which CloudWatch Logs makes the metrics. No
PutMetricData call, no extra permission, no extra request.

The document goes to stdout as one JSON line: Lambda passes what is printed to the log as it is,
whatever the function's log format, and CloudWatch Logs reads EMF from any event that is such a
document. Standard library only: it ships inside the Lambda package.
"""

import json
import sys
import time

COUNT = "Count"
# CloudWatch has no unit for minutes.
NO_UNIT = "None"
# Every metric carries the stage that counted it ("upload", "completion"); the namespace is the
# stack's.
STAGE = "Stage"
DEFAULT_NAMESPACE = "transcribe-pipeline"


class Metrics:
    """Counts of one invocation, by metric name. A metric may also be counted by one more
    dimension (e.g. a failure's class): it is then published both in total and by that value."""

    def __init__(self, namespace: str, stage: str, write=None):
        self.namespace = namespace or DEFAULT_NAMESPACE
        self.stage = stage
        self.write = write
        """Where the lines go; None: `emit`, looked up at each flush (a benchmark silences it)."""
        self._values: dict[str, float] = {}
        self._units: dict[str, str] = {}
        self._split: dict[str, tuple[str, str]] = {}
        """Metric name -> (dimension, value) it is also counted by."""

    def add(self, name: str, value: float = 1, unit: str = COUNT, by: tuple[str, str] | None = None) -> None:
        if by is not None and name in self._split and self._split[name] != by:
            # One document holds one value per dimension: a second value starts a new document.
            self.flush()
        self._values[name] = self._values.get(name, 0) + value
        self._units[name] = unit
        if by is not None:
            self._split[name] = by

    def document(self, timestamp_ms: int) -> dict | None:
        """The EMF document of what was counted since the last flush; None when nothing was."""
        if not self._values:
            return None
        definitions = [{"Name": name, "Unit": self._units[name]} for name in self._values]
        directives = [{"Namespace": self.namespace, "Dimensions": [[STAGE]], "Metrics": definitions}]
        for name, (dimension, _) in self._split.items():
            directives.append(
                {"Namespace": self.namespace, "Dimensions": [[STAGE, dimension]], "Metrics": [{"Name": name, "Unit": self._units[name]}]}
            )
        return {
            "_aws": {"Timestamp": timestamp_ms, "CloudWatchMetrics": directives},
            STAGE: self.stage,
            **{dimension: value for dimension, value in self._split.values()},
            **self._values,
        }

    def flush(self) -> None:
        """Write what was counted, if anything, as one line, and start again from nothing."""
        document = self.document(int(time.time() * 1000))
        self._values, self._units, self._split = {}, {}, {}
        if document is not None:
            (self.write or emit)(json.dumps(document, separators=(",", ":")))


def emit(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()
