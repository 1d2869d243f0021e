"""The completion function's metrics: jobs completed, transcript minutes, jobs failed by class,
one Embedded Metric Format line per invocation, read as CloudWatch Logs would (tests/emf.py)."""

import pytest

from emf import datapoints, emf_lines
from job_events import job_state_change
from transcribe_output import output, spoken

TALK = "talks/keynote.mp3"
COMPLETION = ("Stage", "completion")


def completion_points(text: str):
    (line,) = [line for line in emf_lines(text) if COMPLETION in datapoints(line)[0].dimensions]
    return datapoints(line)


def test_a_completed_job_counts_one_job_and_its_minutes(stack, capsys):
    job_name = stack.upload(TALK)
    words = spoken("One. Two. Three. Four. Five. Six.", start=84.0, pace=1.0)
    stack.complete(job_name, output(job_name, words))
    capsys.readouterr()

    stack.run(job_state_change(job_name, "COMPLETED"))

    points = {p.name: p for p in completion_points(capsys.readouterr().out)}
    assert set(points) == {"JobsCompleted", "TranscriptMinutes"}
    assert points["JobsCompleted"].value == 1 and points["JobsCompleted"].unit == "Count"
    assert points["TranscriptMinutes"].value == pytest.approx(1.5, abs=0.01)
    assert points["TranscriptMinutes"].unit == "None"
    assert {p.namespace for p in points.values()} == {"transcribe-pipeline/test"}


def test_a_failed_job_is_counted_in_total_and_by_the_class_of_its_reason(stack, capsys):
    job_name = stack.upload(TALK)
    stack.fail(job_name, "The media format provided does not match the detected media format.")
    capsys.readouterr()

    stack.run(job_state_change(job_name, "FAILED"))

    points = completion_points(capsys.readouterr().out)
    assert {(p.name, p.dimensions, p.value) for p in points} == {
        ("JobsFailed", (COMPLETION,), 1),
        ("JobsFailed", (COMPLETION, ("FailureClass", "media")), 1),
    }


FAILURE_REASONS = {
    "The media format provided does not match the detected media format.": "media",
    "Unsupported audio codec.": "media",
    "Amazon Transcribe can't assume the data access role. Check the role and try again.": "access",
    "Language identification failed: the language of the media could not be identified.": "language",
    "Internal failure.": "internal",
    "Something nobody foresaw.": "other",
}


def test_failure_reasons_fall_into_classes(stack):
    failure_class = stack.completion().failure_class
    assert {reason: failure_class(reason) for reason in FAILURE_REASONS} == FAILURE_REASONS


def test_the_metrics_document_splits_when_a_second_class_comes_in_one_invocation():
    from metrics import Metrics

    lines = []
    metrics = Metrics("ns", "completion", write=lines.append)
    metrics.add("JobsFailed", by=("FailureClass", "media"))
    metrics.add("JobsFailed", by=("FailureClass", "media"))
    metrics.add("JobsFailed", by=("FailureClass", "access"))
    metrics.flush()

    by_class = [
        {(p.name, p.dimensions[-1][1]): p.value for p in datapoints(line) if len(p.dimensions) == 2} for line in lines
    ]
    assert by_class == [{("JobsFailed", "media"): 2}, {("JobsFailed", "access"): 1}]
