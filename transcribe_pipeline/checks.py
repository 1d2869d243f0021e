"""The checks of a pipeline's settings: each raises SettingsError with one sentence naming the
setting (as the config and the schema spell it), its value and what is allowed.

Settings that may be Outputs (memorySize, timeout, logRetentionDays, accessLogDays, maxSpeakers)
are checked here when they are plain values, and by `with_value_checks` once an Output is known.
"""

import dataclasses
import inspect
import re
from collections.abc import Callable

import pulumi

from transcribe_pipeline.errors import SettingsError
from transcribe_pipeline.function import naming
from transcribe_pipeline.settings import Settings
from transcribe_pipeline.transcribe_checks import TRANSCRIBE_CHECKS

# The values CloudWatch Logs accepts for a log group's retention, in days.
LOG_RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731,
    1096, 1827, 2192, 2557, 2922, 3288, 3653,
)  # fmt: skip
ON_DESTROY = ("retain", "delete")
# Every resource and every job takes 50 tags; the pipeline sets project and stack on all of them,
# and media-key on each job.
TAGS_MAX = 50
USER_TAGS_MAX = TAGS_MAX - 3
# Lambda's limits for an SQS event source mapping's maximum concurrency.
START_CONCURRENCY_RANGE = (2, 1000)
START_RATE_MAX = 1000
# Lambda allows 4 KB for all of a function's environment variables; the others take ~600 bytes.
JOB_TAGS_MAX = 2048
# An alarm's period times its evaluation periods may not exceed a day.
ALARM_PERIOD_MINUTES_MAX = 1440
BACKLOG_ALARM_MINUTES_MAX = 14 * 24 * 60
# The reconciler's schedule: a run takes up to 15 minutes (its timeout) on a large bucket, and
# it runs at least daily, well within the 12 days after which it sends a waiting upload again.
RECONCILE_MINUTES_RANGE = (15, 1440)
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_TAG_TEXT = re.compile(r"[\w\s.:/=+\-@]*")


def validate(settings: Settings) -> None:
    """Raise SettingsError naming the first setting that cannot be used."""
    for check in _CHECKS:
        check(settings)
    for field, check in VALUE_CHECKS.items():
        value = getattr(settings, field)
        if not _is_output(value):
            check(value)


def with_value_checks(settings: Settings) -> Settings:
    """The settings with each Output among the values VALUE_CHECKS checks replaced by one that
    raises the check's SettingsError when its value is known."""
    checked = {
        field: pulumi.Output.from_input(value).apply(_passing(check))
        for field, check in VALUE_CHECKS.items()
        if _is_output(value := getattr(settings, field))
    }
    return dataclasses.replace(settings, **checked)


def derived(value: pulumi.Input, compute: Callable):
    """`compute(value)`, for a plain value now, for an Output once it is known."""
    return pulumi.Output.from_input(value).apply(compute) if _is_output(value) else compute(value)


def _is_output(value) -> bool:
    return isinstance(value, pulumi.Output) or inspect.isawaitable(value)


def _passing(check: Callable) -> Callable:
    def checked(value):
        check(value)
        return value

    return checked


def _check_memory_size(memory_size: int) -> None:
    if not 128 <= memory_size <= 10240:
        raise SettingsError(f"memorySize is {memory_size}: Lambda allows 128 to 10240 (MB)")


def _check_timeout(timeout: int) -> None:
    if not 10 <= timeout <= 900:
        raise SettingsError(f"timeout is {timeout}: use 10 to 900 (seconds); the function retries throttled calls for several seconds")


def _check_log_retention_days(days: int) -> None:
    if days not in LOG_RETENTION_DAYS:
        allowed = ", ".join(map(str, LOG_RETENTION_DAYS))
        raise SettingsError(f"logRetentionDays is {days}: CloudWatch accepts {allowed}")


def _check_access_log_days(days: int) -> None:
    if days < 1:
        raise SettingsError(f"accessLogDays is {days}: keep the access logs 1 day or more")


def _check_max_speakers(max_speakers: int) -> None:
    low, high = naming.MIN_SPEAKERS, naming.MAX_SPEAKERS
    if max_speakers != 0 and not low <= max_speakers <= high:
        raise SettingsError(f"maxSpeakers is {max_speakers}: use 0 to turn speaker labels off, or {low} to {high}")


# The settings that may be Outputs, each with its check.
VALUE_CHECKS = {
    "memory_size": _check_memory_size,
    "timeout": _check_timeout,
    "log_retention_days": _check_log_retention_days,
    "access_log_days": _check_access_log_days,
    "max_speakers": _check_max_speakers,
}


def _check_subtitles(s: Settings) -> None:
    if unknown := [f for f in s.subtitle_formats if f not in naming.SUBTITLE_FORMATS]:
        raise SettingsError(f"subtitleFormats has {unknown}: allowed are srt and vtt")


def _check_prefixes(s: Settings) -> None:
    if not naming.is_valid_key_prefix(s.key_prefix):
        raise SettingsError(
            f"keyPrefix is {s.key_prefix!r}: use an S3 key prefix such as 'media/' (no leading '/', no '*', 512 characters at most)"
        )
    if not naming.is_valid_output_prefix(s.output_prefix):
        raise SettingsError(
            f"outputPrefix is {s.output_prefix!r}: use letters, digits and -_.!*'()/ (no leading '/'), such as 'transcripts/'"
        )
    if not naming.is_valid_job_name_prefix(s.job_name_prefix):
        raise SettingsError(f"the project and stack names give the job-name prefix {s.job_name_prefix!r}, which Transcribe refuses")


def _check_start_pace(s: Settings) -> None:
    low, high = START_CONCURRENCY_RANGE
    if not low <= s.start_concurrency <= high:
        raise SettingsError(
            f"startConcurrency is {s.start_concurrency}: the upload queue's event source mapping allows {low} to {high} instances"
        )
    if not 1 <= s.start_rate <= START_RATE_MAX:
        raise SettingsError(
            f"startRate is {s.start_rate}: use 1 to {START_RATE_MAX} jobs per second (Transcribe's default quota is 25)"
        )
    if s.start_concurrency > s.start_rate:
        raise SettingsError(
            f"startConcurrency is {s.start_concurrency} but startRate is {s.start_rate}: each instance would start"
            " less than one job a second; use a startConcurrency of at most startRate"
        )


def _check_data(s: Settings) -> None:
    if s.on_destroy not in ON_DESTROY:
        raise SettingsError(f"onDestroy is {s.on_destroy!r}: use 'retain' (keep the buckets, the queues and what they hold) or 'delete'")
    for key, name in (("inputBucketName", s.input_bucket_name), ("outputBucketName", s.output_bucket_name)):
        if name and (problem := naming.bucket_name_problem(name)):
            raise SettingsError(f"{key} is {name!r}: {problem}, or leave it empty for a generated name")
    if s.input_bucket_name and s.input_bucket_name == s.output_bucket_name:
        raise SettingsError("inputBucketName and outputBucketName are the same: the transcripts need a bucket of their own")
    if s.notify_email and not _EMAIL.fullmatch(s.notify_email):
        raise SettingsError(f"notifyEmail is {s.notify_email!r}: give one email address, or leave it empty")


def _check_tags(s: Settings) -> None:
    if len(s.extra_tags) > USER_TAGS_MAX:
        raise SettingsError(
            f"tags has {len(s.extra_tags)} entries: {USER_TAGS_MAX} are yours to set (AWS takes {TAGS_MAX} per resource;"
            " the program sets project and stack everywhere, and media-key on each job)"
        )
    if len(s.job_tags) > JOB_TAGS_MAX:
        raise SettingsError(
            f"tags take {len(s.job_tags)} characters in the upload function's environment: Lambda allows 4 KB"
            f" for all its variables, so keep them under {JOB_TAGS_MAX}"
        )
    for key, value in s.extra_tags:
        if key in ("project", "stack"):
            raise SettingsError(f"tags sets {key!r}: the program sets that tag itself")
        if not (1 <= len(key) <= 128 and _TAG_TEXT.fullmatch(key)) or key.lower().startswith("aws:"):
            raise SettingsError(
                f"tags has the key {key!r}: 1 to 128 letters, digits, spaces or _.:/=+-@, not starting with 'aws:'"
            )
        if not (len(value) <= 256 and _TAG_TEXT.fullmatch(value)):
            raise SettingsError(f"tags.{key} is {value!r}: up to 256 letters, digits, spaces or _.:/=+-@")


def _check_alarms(s: Settings) -> None:
    if s.alarm_email and not _EMAIL.fullmatch(s.alarm_email):
        raise SettingsError(f"alarmEmail is {s.alarm_email!r}: give one email address, or leave it empty")
    if not 1 <= s.alarm_period_minutes <= ALARM_PERIOD_MINUTES_MAX:
        raise SettingsError(
            f"alarmPeriodMinutes is {s.alarm_period_minutes}: use 1 to {ALARM_PERIOD_MINUTES_MAX} (minutes)"
        )
    if not 1 <= s.backlog_alarm_minutes <= BACKLOG_ALARM_MINUTES_MAX:
        raise SettingsError(
            f"backlogAlarmMinutes is {s.backlog_alarm_minutes}: use 1 to {BACKLOG_ALARM_MINUTES_MAX}"
            " (minutes; the upload queue keeps a message 14 days)"
        )
    if s.failed_jobs_per_hour < 0:
        raise SettingsError(
            f"failedJobsPerHour is {s.failed_jobs_per_hour}: use 0 (alarm on any failed job) or more"
        )


def _check_spend(s: Settings) -> None:
    if s.max_jobs_per_day < 0:
        raise SettingsError(f"maxJobsPerDay is {s.max_jobs_per_day}: use 0 (no limit) or the number of jobs a UTC day may start")
    if s.monthly_budget < 0:
        raise SettingsError(f"monthlyBudget is {s.monthly_budget}: use 0 (no budget) or US dollars a month, such as 100")
    if s.cost_allocation_tags and not s.monthly_budget:
        raise SettingsError("costAllocationTags is true but monthlyBudget is 0: the tags are activated for the budget; set monthlyBudget")


def _check_reconciler(s: Settings) -> None:
    low, high = RECONCILE_MINUTES_RANGE
    if s.reconcile_minutes != 0 and not low <= s.reconcile_minutes <= high:
        raise SettingsError(
            f"reconcileMinutes is {s.reconcile_minutes}: use 0 (no schedule) or {low} to {high} minutes"
            f" (a run may take up to {low} minutes on a large bucket)"
        )


_CHECKS = (
    TRANSCRIBE_CHECKS[0], _check_subtitles, _check_prefixes, _check_start_pace, _check_data, _check_tags,
    *TRANSCRIBE_CHECKS[1:], _check_alarms, _check_reconciler, _check_spend,
)  # fmt: skip
