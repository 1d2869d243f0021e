"""The body of the stack's CloudWatch dashboard, built from the names of the resources it shows
(Outputs, resolved by `pulumi.Output.json_dumps`), never from names written here."""

from dataclasses import dataclass

import pulumi

WIDTH, HEIGHT = 12, 6
HOUR = 3600


@dataclass
class DashboardSources:
    region: pulumi.Input[str]
    namespace: str
    """The namespace of the functions' own metrics (EMF)."""
    upload_queue: pulumi.Input[str]
    dead_letter_queue: pulumi.Input[str]
    failure_queue: pulumi.Input[str]
    functions: dict[str, pulumi.Input[str]]
    """Stage ('upload', 'completion') -> function name."""
    period: int
    """Seconds per point on the graphs."""
    reconcile_period: int = HOUR
    """Seconds between the reconciler's runs."""


def dashboard_body(s: DashboardSources) -> dict:
    """The dashboard: what comes in, what Transcribe does with it, what waits, what fails."""
    ns = s.namespace
    upload, completion, reconcile = ("Stage", "upload"), ("Stage", "completion"), ("Stage", "reconcile")
    sqs = lambda metric, queue, label, **options: ["AWS/SQS", metric, "QueueName", queue, {"label": label, **options}]  # noqa: E731
    widgets = [
        graph("Uploads received", [[ns, "UploadsReceived", *upload, {"label": "uploads"}]], s),
        graph("Jobs started / completed / failed", [
            [ns, "JobsStarted", *upload, {"label": "started"}],
            [ns, "JobsCompleted", *completion, {"label": "completed"}],
            [ns, "JobsFailed", *completion, {"label": "failed", "color": "#d62728"}],
            [ns, "Duplicates", *upload, {"label": "duplicates"}],
            [ns, "RejectedMedia", *upload, {"label": "rejected media"}],
        ], s),  # fmt: skip
        graph("Upload backlog: depth and oldest age", [
            sqs("ApproximateNumberOfMessagesVisible", s.upload_queue, "waiting messages"),
            sqs("ApproximateNumberOfMessagesNotVisible", s.upload_queue, "in hand"),
            sqs("ApproximateAgeOfOldestMessage", s.upload_queue, "oldest (s)", yAxis="right"),
        ], s, stat="Maximum"),  # fmt: skip
        graph("Failure and dead-letter queues: depth", [
            sqs("ApproximateNumberOfMessagesVisible", s.dead_letter_queue, "dead-letter queue"),
            sqs("ApproximateNumberOfMessagesVisible", s.failure_queue, "failure queue"),
        ], s, stat="Maximum"),  # fmt: skip
        graph("Back-pressure", [
            [ns, "BackPressureRetries", *upload, {"label": "waits on Transcribe"}],
            [ns, "MessagesHandedBack", *upload, {"label": "handed back"}],
            [ns, "MessagesDeadLettered", *upload, {"label": "dead-lettered"}],
        ], s),  # fmt: skip
        graph("Function errors and throttles", [
            ["AWS/Lambda", metric, "FunctionName", function, {"label": f"{stage} {metric.lower()}"}]
            for stage, function in s.functions.items() for metric in ("Errors", "Throttles")
        ], s),  # fmt: skip
        graph("Function duration p50 / p99 (ms)", [
            ["AWS/Lambda", "Duration", "FunctionName", function, {"stat": stat, "label": f"{stage} {stat}"}]
            for stage, function in s.functions.items() for stat in ("p50", "p99")
        ], s, stat="Average"),  # fmt: skip
        graph("Transcript minutes (the cost driver), per hour", [
            [ns, "TranscriptMinutes", *completion, {"label": "minutes transcribed"}],
        ], s, period=HOUR),  # fmt: skip
        graph("Reconciler: what it found and fixed", [
            [ns, "UnrecordedSent", *reconcile, {"label": "uploads S3 never reported"}],
            [ns, "CompletionsRecovered", *reconcile, {"label": "job ends never recorded"}],
            [ns, "JobsLost", *reconcile, {"label": "jobs gone from Transcribe"}],
            [ns, "Resent", *reconcile, {"label": "waiting uploads sent again"}],
            [ns, "Adopted", *reconcile, {"label": "already transcribed, recorded"}],
        ], s, period=s.reconcile_period),  # fmt: skip
        graph("Failed jobs by class, per hour", [
            [{"expression": f"SEARCH('{{\"{ns}\",FailureClass,Stage}} MetricName=\"JobsFailed\"', 'Sum', {HOUR})", "id": "byclass"}],
        ], s, period=HOUR),  # fmt: skip
    ]
    for index, widget in enumerate(widgets):
        widget.update(x=(index % 2) * WIDTH, y=(index // 2) * HEIGHT, width=WIDTH, height=HEIGHT)
    return {"widgets": widgets}


def graph(title: str, metrics: list, s: DashboardSources, stat: str = "Sum", period: int | None = None) -> dict:
    return {
        "type": "metric",
        "properties": {
            "title": title,
            "view": "timeSeries",
            "region": s.region,
            "stat": stat,
            "period": period or s.period,
            "metrics": metrics,
        },
    }
