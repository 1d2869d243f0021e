"""One pipeline's settings: the component's arguments with their defaults, checked once, frozen.

The defaults here are the ones the project's `Pulumi.yaml` declares for its config (a test keeps
the two equal). A bad value stops the preview with one sentence: the setting, as the config and the
schema spell it, the value, what is allowed.
"""

import json
from dataclasses import dataclass
from pathlib import Path

import pulumi

from transcribe_pipeline.function import naming
from transcribe_pipeline.instance import InstanceNames


@dataclass(frozen=True)
class Settings:
    project: str
    stack: str
    names: InstanceNames
    """The names the pipeline chooses itself: job-name prefix, log groups, dashboard, metrics."""
    program_directory: Path
    """What a relative vocabulary_file is read from."""
    language_code: str = "en-US"
    """A Transcribe language code, or 'auto' to let Transcribe identify the language."""
    language_options: tuple[str, ...] = ()
    """With 'auto': the languages to choose from (empty: any)."""
    subtitle_formats: tuple[str, ...] = ()
    """Subtitle files written beside each transcript: srt, vtt."""
    max_speakers: pulumi.Input[int] = 0
    """Speaker labels for up to this many speakers; 0 turns them off."""
    key_prefix: str = ""
    """Only uploads under this key prefix start a job."""
    output_prefix: str = naming.DEFAULT_OUTPUT_PREFIX
    """Transcripts are written under this prefix of the output bucket."""
    job_queueing: bool = True
    """Queue jobs beyond Transcribe's concurrent-job quota instead of failing them."""
    start_concurrency: int = 2
    """Upload-function instances that start jobs at once (the event source mapping's maximum)."""
    start_rate: int = 23
    """StartTranscriptionJob calls per second for the whole pipeline, shared by those instances."""
    memory_size: pulumi.Input[int] = 128
    timeout: pulumi.Input[int] = 60
    log_retention_days: pulumi.Input[int] = 30
    on_destroy: str = "retain"
    """What `pulumi destroy` does to what holds data: the media, transcripts and access-log
    buckets, the ledger table, and the upload queue, its dead-letter queue and the failure queue.
    'retain' keeps them, with their contents, in AWS; 'delete' empties and removes them."""
    access_log_days: pulumi.Input[int] = 90
    """Days the buckets' S3 server access logs are kept."""
    input_bucket_name: str = ""
    output_bucket_name: str = ""
    notify_email: str = ""
    extra_tags: tuple[tuple[str, str], ...] = ()
    vocabulary: tuple[str, ...] = ()
    """Custom-vocabulary phrases (hyphens between words); empty: no vocabulary from a list."""
    vocabulary_file: str = ""
    """A vocabulary table file, as a path relative to program_directory; empty: none."""
    vocabulary_filter_words: tuple[str, ...] = ()
    vocabulary_filter_method: str = "mask"
    """What a filtered word becomes: 'mask' (***), 'remove' or 'tag'."""
    channel_identification: pulumi.Input[bool] = False
    redact_pii: str = "off"
    """'off', 'redacted' or 'redacted_and_unredacted'."""
    pii_entity_types: tuple[str, ...] = ()
    """The PII types to redact; empty: all."""
    alarm_email: str = ""
    """Where the alarms are sent (an SNS email subscription); empty: no subscription."""
    alarm_period_minutes: int = 5
    """The period over which the queue and function alarms look at their metric."""
    backlog_alarm_minutes: int = 60
    """Alarm when the oldest upload waiting in the upload queue is older than this."""
    failed_jobs_per_hour: int = 5
    """Alarm when more Transcribe jobs than this fail within an hour."""
    reconcile_minutes: int = 60
    """Minutes between the reconciler's scheduled runs; 0: no schedule (it can still be run by hand)."""
    point_in_time_recovery: bool = False
    """Continuous backups of the ledger table (35 days)."""
    max_jobs_per_day: int = 0
    """Jobs the pipeline may start in a UTC day; 0: no limit."""
    monthly_budget: int = 0
    """US dollars a month for the budget; 0: no budget."""
    cost_allocation_tags: bool = False
    """Activate project and stack as cost allocation tags."""

    @property
    def vocabulary_languages(self) -> tuple[str, ...]:
        """The languages vocabularies and filters are made in: the pipeline's language, or each
        language identification may choose."""
        return self.language_options if self.language_code == "auto" else (self.language_code,)

    @property
    def unredacted_prefix(self) -> str:
        """Where jobs that keep an unredacted transcript write (both transcripts; the completion
        function copies the redacted one under output_prefix); empty when none do."""
        return naming.UNREDACTED_PREFIX + self.output_prefix if self.redact_pii == "redacted_and_unredacted" else ""

    @property
    def vocabulary_path(self) -> Path | None:
        return self.program_directory / self.vocabulary_file if self.vocabulary_file else None

    @property
    def tags(self) -> dict[str, str]:
        """The tags every taggable resource carries."""
        return {"project": self.project, "stack": self.stack, **dict(self.extra_tags)}

    @property
    def job_tags(self) -> str:
        """The tags the upload function puts on each job, as its JOB_TAGS variable holds them."""
        return json.dumps(self.tags, sort_keys=True)

    @property
    def job_name_prefix(self) -> str:
        return self.names.job_name_prefix

    @property
    def metrics_namespace(self) -> str:
        """The CloudWatch namespace of the functions' own metrics: one per pipeline."""
        return self.names.metrics_namespace

    @property
    def start_rate_per_instance(self) -> float:
        """The pace of one upload-function instance, so that all of them together keep to
        start_rate."""
        return self.start_rate / self.start_concurrency

    @property
    def retain_data(self) -> bool:
        return self.on_destroy == "retain"
