"""What the stack alarms on, and what each alarm says: the table the observability component
turns into CloudWatch alarms."""

from dataclasses import dataclass

import pulumi

from transcribe_pipeline.components.dashboard import HOUR
from transcribe_pipeline.settings import Settings

RUNBOOK = "see docs/operating.md, Alarms"


@dataclass
class Alarm:
    role: str
    """The alarm's resource is named '<component>-<role>'."""
    description: str
    namespace: str
    metric: str
    dimensions: dict[str, pulumi.Input[str]]
    statistic: str
    threshold: float
    period: int
    periods: int = 1
    """Consecutive periods in breach before the alarm fires."""


def alarms(
    s: Settings,
    upload_queue: pulumi.Input[str],
    dead_letter_queue: pulumi.Input[str],
    failure_queue: pulumi.Input[str],
    functions: dict[str, pulumi.Input[str]],
) -> list[Alarm]:
    """What the stack alarms on, given the names of its queues and functions (by stage): each
    alarm fires when its metric is above the threshold for one period."""
    period = s.alarm_period_minutes * 60

    def queue_holds(role: str, queue: pulumi.Input[str], what: str) -> Alarm:
        description = f"The {what} holds messages: {RUNBOOK}."
        return Alarm(role, description, "AWS/SQS", "ApproximateNumberOfMessagesVisible", {"QueueName": queue}, "Maximum", 0, period)

    found = [
        queue_holds("dead-letters", dead_letter_queue, "upload dead-letter queue (uploads that will never start)"),
        queue_holds("failures", failure_queue, "failure queue (job ends the completion function could not record)"),
        Alarm(
            "backlog-age",
            f"An upload has waited in the upload queue over {s.backlog_alarm_minutes} minutes: {RUNBOOK}.",
            "AWS/SQS", "ApproximateAgeOfOldestMessage", {"QueueName": upload_queue}, "Maximum",
            s.backlog_alarm_minutes * 60, period,
        ),  # fmt: skip
        Alarm(
            "failed-jobs",
            f"More than {s.failed_jobs_per_hour} Transcribe jobs failed within an hour: {RUNBOOK}.",
            s.metrics_namespace, "JobsFailed", {"Stage": "completion"}, "Sum", s.failed_jobs_per_hour, HOUR,
        ),  # fmt: skip
        reconcile_problems(s),
    ]
    if s.max_jobs_per_day:
        found.append(
            Alarm(
                "daily-limit",
                f"The stack started its maxJobsPerDay ({s.max_jobs_per_day}) jobs today: uploads wait until 00:00 UTC: {RUNBOOK}.",
                s.metrics_namespace, "DailyLimitReached", {"Stage": "upload"}, "Sum", 0, period,
            )  # fmt: skip
        )
    for stage, function in functions.items():
        for metric, what in (("Errors", "failed"), ("Throttles", "was throttled by Lambda")):
            found.append(
                Alarm(
                    f"{stage}-{metric.lower()}", f"The {stage} function {what}: {RUNBOOK}.",
                    "AWS/Lambda", metric, {"FunctionName": function}, "Sum", 0, period,
                )  # fmt: skip
            )
    return found


# CloudWatch takes evaluation periods times the period up to a day.
DAY = 24 * HOUR


def reconcile_problems(s: Settings) -> Alarm:
    """Missed notifications or job ends found by three runs of the reconciler in a row (or as many
    as fit in a day): one such find is what the reconciler is for, a steady stream is a fault."""
    period = (s.reconcile_minutes or 60) * 60
    runs = max(1, min(3, DAY // period))
    return Alarm(
        "reconcile-problems",
        f"The reconciler found lost uploads or lost job ends in {runs} runs in a row: {RUNBOOK}.",
        s.metrics_namespace, "ProblemsFound", {"Stage": "reconcile"}, "Sum", 0, period, runs,
    )  # fmt: skip
