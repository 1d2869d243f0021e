"""Read log lines the way CloudWatch Logs reads Embedded Metric Format documents (the EMF
specification in CloudWatch's user guide): a line that is a JSON object with `_aws` gives the
metrics its directives name, and anything that breaks the specification fails the test."""

import json
from dataclasses import dataclass

import botocore.session

# The units PutMetricData takes, from botocore's model of CloudWatch: EMF takes the same.
UNITS = frozenset(botocore.session.get_session().get_service_model("cloudwatch").shape_for("StandardUnit").enum)


@dataclass(frozen=True)
class Datapoint:
    namespace: str
    name: str
    dimensions: tuple[tuple[str, str], ...]
    unit: str
    value: float


def datapoints(line: str) -> list[Datapoint]:
    """The metrics CloudWatch would make of one log line; [] for a line that is not EMF."""
    try:
        root = json.loads(line)
    except json.JSONDecodeError:
        return []
    if not isinstance(root, dict) or "_aws" not in root:
        return []
    metadata = root["_aws"]
    assert isinstance(metadata.get("Timestamp"), int), "_aws.Timestamp is milliseconds since the epoch"
    directives = metadata["CloudWatchMetrics"]
    assert isinstance(directives, list) and directives
    found = []
    for directive in directives:
        namespace = directive["Namespace"]
        assert isinstance(namespace, str) and 1 <= len(namespace) <= 255
        assert set(directive) <= {"Namespace", "Dimensions", "Metrics"}, directive
        for dimension_set in directive["Dimensions"]:
            assert len(dimension_set) <= 30
            for key in dimension_set:
                assert isinstance(root.get(key), str), f"dimension {key} must be a string member of the root"
        assert 1 <= len(directive["Metrics"]) <= 100
        for definition in directive["Metrics"]:
            assert set(definition) <= {"Name", "Unit", "StorageResolution"}, definition
            name, unit = definition["Name"], definition.get("Unit", "None")
            assert unit in UNITS, unit
            values = root[name] if isinstance(root[name], list) else [root[name]]
            assert values and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values), name
            for dimension_set in directive["Dimensions"]:
                dimensions = tuple((key, root[key]) for key in dimension_set)
                found += [Datapoint(namespace, name, dimensions, unit, value) for value in values]
    return found


def emf_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if datapoints(line)]


def metric_values(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """(name, dimensions) -> the sum of its values over every EMF line of `text`."""
    totals: dict = {}
    for line in text.splitlines():
        for point in datapoints(line):
            key = (point.name, point.dimensions)
            totals[key] = totals.get(key, 0) + point.value
    return totals
