"""`status`: one screen of a stack's health, for a person or for cron and CI (exit code 1 when an
alarm fires or a failure or dead-letter queue holds messages).

The queues are counted by SQS; the kinds of message in the failure and dead-letter queues come
from a look at up to 100 messages of each (`dead_letters.look_at`), made visible again at once
(nothing is deleted); the backlog's oldest age is CloudWatch's (SQS has no API for it); the jobs
are the stack's, by status; the alarms are those in ALARM that tell the stack's alarm topic.
"""

import argparse
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from rich.console import Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from mediactl import jobs, stack
from mediactl.aws import Clients
from mediactl.errors import EXIT_FAILURE, ToolError
from mediactl.dead_letters import look_at
from mediactl.redrive import failure_record, undelivered_event
from mediactl.ledger_view import LedgerView, ledger_rows, ledger_view
from mediactl.spend import PRICE_PER_MINUTE, PRICE_SOURCE, price_per_minute
from mediactl.terminal import out

NEEDED = ("uploadQueueUrl", "deadLetterQueueUrl", "failureQueueUrl", "alarmTopicArn", "dashboardUrl")
JOB_STATUSES = ("QUEUED", "IN_PROGRESS", "COMPLETED", "FAILED")
RUNNING = ("QUEUED", "IN_PROGRESS")
# SQS sends its metrics every minute; look a little further back for the latest one.
AGE_LOOKBACK = timedelta(minutes=15)
DEFAULT_WATCH_SECONDS = 10


@dataclass
class QueueHealth:
    waiting: int
    in_flight: int
    kinds: Counter = field(default_factory=Counter)
    """Message kind -> how many of those looked at."""
    oldest_seconds: float | None = None

    @property
    def total(self) -> int:
        return self.waiting + self.in_flight


@dataclass
class Health:
    # How the stack was named: "stack 'prod'", "the stack of prod.json".
    stack: str
    backlog: QueueHealth
    dead_letters: QueueHealth
    failures: QueueHealth
    jobs: Counter
    alarms: list[dict]
    dashboard_url: str
    ledger: LedgerView | None = None
    """None on a stack from before the ledger."""

    @property
    def problems(self) -> list[str]:
        found = [f"alarm {alarm['AlarmName']} fires" for alarm in self.alarms]
        if self.dead_letters.total:
            found.append(f"{self.dead_letters.total} messages in the dead-letter queue")
        if self.failures.total:
            found.append(f"{self.failures.total} messages in the failure queue")
        return found


def gather(clients: Clients, target: stack.Target, price_per_minute: float = PRICE_PER_MINUTE) -> Health:
    cloudwatch = clients.session.client("cloudwatch")
    outputs = target.outputs
    backlog = queue_health(clients.sqs, outputs["uploadQueueUrl"])
    backlog.oldest_seconds = oldest_age(cloudwatch, queue_name(outputs["uploadQueueUrl"]))
    table = outputs.get("ledgerTableName")
    return Health(
        stack=target.label,
        backlog=backlog,
        dead_letters=queue_health(clients.sqs, outputs["deadLetterQueueUrl"], dead_letter_kind),
        failures=queue_health(clients.sqs, outputs["failureQueueUrl"], failure_kind),
        jobs=job_counts(clients.transcribe, stack.job_name_prefix_of(target), ended_from_the_ledger=bool(table)),
        alarms=firing_alarms(cloudwatch, outputs["alarmTopicArn"]),
        dashboard_url=outputs["dashboardUrl"],
        ledger=ledger_view(clients.dynamodb, table, price_per_minute) if table else None,
    )


def job_counts(transcribe, prefix: str, ended_from_the_ledger: bool) -> Counter:
    """The stack's jobs by status. With the ledger, only the queued and running ones are listed:
    the ended ones of the day are the ledger's counts, and a listing of every job Transcribe keeps
    (90 days of them) would take a call per hundred."""
    if not ended_from_the_ledger:
        return Counter(job.get("TranscriptionJobStatus", "") for job in jobs.list_jobs(transcribe, prefix))
    return Counter({status: len(jobs.list_jobs(transcribe, prefix, status)) for status in RUNNING})


def queue_name(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[-1]


def queue_health(sqs, url: str, kind_of=None) -> QueueHealth:
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
    health = QueueHealth(waiting=int(attributes[names[0]]), in_flight=int(attributes[names[1]]))
    if kind_of is not None and health.waiting:
        health.kinds = Counter(map(kind_of, look_at(sqs, url)))
    return health


def dead_letter_kind(message: dict) -> str:
    """Why the upload function gave up on it (its ERROR_CODE), or SQS's own move."""
    code = message.get("MessageAttributes", {}).get("ERROR_CODE", {}).get("StringValue")
    return code or "moved by SQS (maxReceiveCount)"


def failure_kind(message: dict) -> str:
    record = failure_record(message.get("Body", ""))
    if record is not None:
        return f"function failed ({record['requestContext'].get('condition') or 'no condition'})"
    if undelivered_event(message) is not None:
        code = message.get("MessageAttributes", {}).get("ERROR_CODE", {}).get("StringValue")
        return f"undelivered event ({code or 'no error code'})"
    return "unreadable"


def oldest_age(cloudwatch, name: str) -> float | None:
    """The latest ApproximateAgeOfOldestMessage of the queue, in seconds; None without one."""
    now = datetime.now(timezone.utc)
    points = cloudwatch.get_metric_statistics(
        Namespace="AWS/SQS",
        MetricName="ApproximateAgeOfOldestMessage",
        Dimensions=[{"Name": "QueueName", "Value": name}],
        StartTime=now - AGE_LOOKBACK,
        EndTime=now + timedelta(minutes=1),  # the current minute included
        Period=60,
        Statistics=["Maximum"],
    )["Datapoints"]
    return max(points, key=lambda point: point["Timestamp"])["Maximum"] if points else None


def firing_alarms(cloudwatch, topic_arn: str) -> list[dict]:
    """The alarms in ALARM that tell the stack's alarm topic."""
    pages = cloudwatch.get_paginator("describe_alarms").paginate(StateValue="ALARM", AlarmTypes=["MetricAlarm"])
    return [alarm for page in pages for alarm in page.get("MetricAlarms", []) if topic_arn in alarm.get("AlarmActions", [])]


# --- the screen ---------------------------------------------------------------------------------


def health_view(health: Health) -> Group:
    """The table, the dashboard's URL (on one line, so that it can be clicked) and the verdict."""
    verdict = "; ".join(health.problems)
    return Group(
        health_table(health),
        Text(f"dashboard: {health.dashboard_url}", no_wrap=True, overflow="ignore"),
        Text(f"unhealthy: {verdict}" if verdict else "healthy", style="red" if verdict else "green"),
    )


def health_table(health: Health) -> Table:
    table = Table(title=f"Health of {health.stack}", title_justify="left")
    for column in ("", "now", "detail"):
        table.add_column(column, overflow="fold")
    backlog = health.backlog
    table.add_row("upload backlog", f"{backlog.waiting} waiting, {backlog.in_flight} in hand", f"oldest: {age(backlog.oldest_seconds)}")
    for label, queue in (("dead-letter queue", health.dead_letters), ("failure queue", health.failures)):
        table.add_row(label, Text(str(queue.total), style="red" if queue.total else "green"), Text(kinds(queue)))
    shown = RUNNING if health.ledger else JOB_STATUSES
    statuses = "  ".join(f"{status} {health.jobs.get(status, 0)}" for status in shown)
    table.add_row("Transcribe jobs", statuses, "ended: see today" if health.ledger else "")
    for label, now, detail in ledger_rows(health.ledger) if health.ledger else []:
        table.add_row(label, now, Text(detail))
    firing = "\n".join(f"{a['AlarmName']}: {a.get('StateReason', '')}" for a in health.alarms)
    table.add_row("alarms in ALARM", Text(str(len(health.alarms)), style="red" if health.alarms else "green"), Text(firing))
    return table


def kinds(queue: QueueHealth) -> str:
    shown = ", ".join(f"{kind}: {count}" for kind, count in queue.kinds.most_common())
    looked = sum(queue.kinds.values())
    return f"{shown} (of the {looked} looked at)" if shown and looked < queue.total else shown


def age(seconds: float | None) -> str:
    if seconds is None:
        return "unknown (no recent CloudWatch data)"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m" if hours else f"{minutes}m {secs:02d}s"


# --- the command --------------------------------------------------------------------------------


def pause(seconds: float) -> None:
    time.sleep(seconds)


def run(args) -> int:
    target = stack.target_of(args)
    if missing := [key for key in NEEDED if not target.outputs.get(key)]:
        raise ToolError(f"{target.label} has no {', '.join(missing)} output: `pulumi up` the current program first")
    clients = Clients(target.region)
    health = gather(clients, target, args.price_per_minute)
    if args.watch is None:
        out.print(health_view(health))
        return EXIT_FAILURE if health.problems else 0
    with Live(health_view(health), console=out, auto_refresh=False) as live:
        try:
            while True:
                pause(args.watch)
                health = gather(clients, target, args.price_per_minute)
                live.update(health_view(health), refresh=True)
        except KeyboardInterrupt:
            pass
    return EXIT_FAILURE if health.problems else 0


def add_parser(commands) -> None:
    command = commands.add_parser(
        "status",
        help="one screen of a stack's health; exit code 1 when it is not healthy",
        description="The upload backlog (depth, oldest age), the failure and dead-letter queues by kind of message,"
        " the stack's Transcribe jobs by status, from the ledger the uploads waiting, the day's and the month's work"
        " and spend, the daily limit and the reconciler's last run, the alarms in ALARM and the dashboard's URL. Exit code 1 when an"
        " alarm fires or the failure or dead-letter queue holds messages, 0 otherwise: usable from cron and CI.",
    )
    stack.add_stack_options(command)
    command.add_argument(
        "--watch", type=seconds, nargs="?", const=DEFAULT_WATCH_SECONDS, metavar="SECONDS",
        help=f"refresh every SECONDS (default {DEFAULT_WATCH_SECONDS}) until Ctrl-C",
    )  # fmt: skip
    command.add_argument(
        "--price-per-minute", type=price_per_minute, default=PRICE_PER_MINUTE, metavar="USD",
        help=f"the price of a transcribed minute for the spend shown (default {PRICE_PER_MINUTE}: {PRICE_SOURCE})",
    )  # fmt: skip
    command.set_defaults(run=run)


def seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds of 1 or more")
    return value
