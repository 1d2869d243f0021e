"""The upload function's metrics: one Embedded Metric Format line per invocation on stdout, read
as CloudWatch Logs would read it (tests/emf.py)."""

import pytest

from emf import datapoints, emf_lines, metric_values
from events import s3_event, s3_record
from test_handler import make_transcribe_fail, throttled

from function import naming

NAMESPACE = "transcribe-pipeline/test"
UPLOAD = (("Stage", "upload"),)


def invocation_metrics(capsys) -> dict:
    (line,) = emf_lines(capsys.readouterr().out)
    return {name: value for (name, dimensions), value in metric_values(line).items() if dimensions == UPLOAD}


def test_one_metrics_line_per_invocation_counts_each_outcome(pipeline, monkeypatch, capsys):
    make_transcribe_fail(monkeypatch, lambda name, n: throttled() if n == 1 else None)
    capsys.readouterr()
    event = s3_event(
        s3_record("one.mp3"), s3_record("huge.mp4", size=naming.MAX_MEDIA_BYTES), s3_record("notes.txt"), s3_record("two.wav")
    )

    assert pipeline.deliver(event) == set()

    assert invocation_metrics(capsys) == {
        "UploadsReceived": 3, "JobsStarted": 2, "RejectedMedia": 1, "BackPressureRetries": 1, "MessagesHandedBack": 0,
    }  # fmt: skip


def test_every_metric_is_a_count_in_the_stack_namespace_by_stage(pipeline, capsys):
    capsys.readouterr()
    pipeline.deliver(s3_event(s3_record("one.mp3")))
    (line,) = emf_lines(capsys.readouterr().out)
    points = datapoints(line)
    assert {p.namespace for p in points} == {NAMESPACE}
    assert {p.unit for p in points} == {"Count"}
    assert {p.dimensions for p in points} == {UPLOAD}


def test_a_repeated_delivery_counts_a_duplicate(pipeline, capsys):
    event = s3_event(s3_record("one.mp3"))
    pipeline.deliver(event)
    capsys.readouterr()

    pipeline.deliver(event)

    metrics = invocation_metrics(capsys)
    assert metrics["Duplicates"] == 1 and metrics.get("JobsStarted", 0) == 0


def test_messages_handed_back_and_dead_lettered_are_counted_and_uploads_only_at_first_receive(pipeline, monkeypatch, capsys):
    throttle = {"on": True}
    make_transcribe_fail(monkeypatch, lambda name, n: throttled() if throttle["on"] else None)
    capsys.readouterr()

    pipeline.deliver(s3_event(s3_record("a.mp3")), s3_event(s3_record("b.mp3")), "not a notification", seconds=20)

    first = invocation_metrics(capsys)
    assert first["MessagesHandedBack"] == 2 and first["MessagesDeadLettered"] == 1
    assert first["UploadsReceived"] == 2 and first["BackPressureRetries"] >= 1
    throttle["on"] = False
    pipeline.later()
    pipeline.poll()
    second = invocation_metrics(capsys)
    assert second["JobsStarted"] == 2 and second["UploadsReceived"] == 0


def test_an_event_refused_whole_counts_nothing_and_writes_no_metrics_line(pipeline, capsys):
    capsys.readouterr()
    with pytest.raises(ValueError):
        pipeline.handler.lambda_handler({"not": "sqs"}, None)
    assert emf_lines(capsys.readouterr().out) == []
