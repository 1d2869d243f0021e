"""The arguments of TranscriptionPipeline: the stack settings of the project's program, in snake
case, each with the default the program's config has. Its docstrings are the schema's
descriptions for other languages (where the keys are camelCase, as in the config).

Plain values (not Inputs) are the arguments that decide which resources exist, go into names, alarm
texts or other arguments' checks, all of which a preview must know; an Input is used by one
resource property alone, and checked once it is known.
"""

import json
from pathlib import Path
from typing import NotRequired, TypedDict

import pulumi

from transcribe_pipeline.checks import validate, with_value_checks
from transcribe_pipeline.errors import SettingsError
from transcribe_pipeline.instance import InstanceNames
from transcribe_pipeline.settings import Settings


class TranscriptionPipelineArgs(TypedDict):
    """Every argument is optional; each has the default of the project's config."""

    language_code: NotRequired[str]
    """Language of the media, as a Transcribe language code (en-US, fr-FR, ...), or "auto" to let Transcribe identify it. Default: en-US."""
    language_options: NotRequired[list[str]]
    """With languageCode "auto", the two or more languages to choose from (empty means any)."""
    subtitle_formats: NotRequired[list[str]]
    """Subtitle files written beside each transcript, any of "srt" and "vtt". Default: none."""
    max_speakers: NotRequired[pulumi.Input[int]]
    """Label speakers, up to this many (2 to 30); 0 (the default) turns speaker labels off."""
    key_prefix: NotRequired[str]
    """Only uploads under this key prefix of the media bucket (e.g. "media/") start a transcription; empty (the default) means the whole bucket."""
    output_prefix: NotRequired[str]
    """Key prefix of the transcripts in the transcripts bucket. Default: transcripts/."""
    job_queueing: NotRequired[bool]
    """Queue jobs beyond Transcribe's concurrent-job quota (up to 10,000) instead of failing them; uses a data-access role for Transcribe. Default: true."""
    start_concurrency: NotRequired[int]
    """How many upload-function instances start Transcribe jobs at once (2 to 1000, at most startRate); they share startRate. Default: 2."""
    start_rate: NotRequired[int]
    """StartTranscriptionJob calls per second for the whole pipeline (1 to 1000). Transcribe's default quota is 25 per second per account and region; the default, 23, leaves room for other callers."""
    memory_size: NotRequired[pulumi.Input[int]]
    """Memory of the functions, in MB (128 to 10240). Default: 128."""
    timeout: NotRequired[pulumi.Input[int]]
    """Timeout of the functions, in seconds (10 to 900). Default: 60."""
    log_retention_days: NotRequired[pulumi.Input[int]]
    """Days the functions' logs are kept; one of the values CloudWatch accepts (1, 3, 5, 7, 14, 30, 60, 90, ... 3653). Default: 30."""
    on_destroy: NotRequired[str]
    """What destroying the pipeline does to what holds data - the media, transcripts and access-log buckets, the ledger table, and the upload queue, its dead-letter queue and the failure queue: "retain" (the default) keeps them and their contents in AWS, "delete" empties and deletes them."""
    access_log_days: NotRequired[pulumi.Input[int]]
    """Days the S3 server access logs of the media and transcripts buckets are kept (1 or more). Default: 90."""
    input_bucket_name: NotRequired[str]
    """Name of the media bucket; empty (the default) lets Pulumi generate a unique one."""
    output_bucket_name: NotRequired[str]
    """Name of the transcripts bucket; empty (the default) lets Pulumi generate a unique one."""
    notify_email: NotRequired[str]
    """Email address told when a transcription completes or fails (SNS; confirm the subscription mail); empty (the default) turns notifications off."""
    tags: NotRequired[dict[str, str]]
    """Extra tags for every resource and every job, names to values (project and stack tags are always set). Default: none."""
    vocabulary: NotRequired[list[str]]
    """Custom-vocabulary phrases Transcribe should recognise, words of a phrase joined by hyphens (Los-Angeles, A.W.S.); made into a Transcribe vocabulary in the pipeline's language. Default: none."""
    vocabulary_file: NotRequired[str]
    """Instead of vocabulary, a vocabulary table file (tab-separated Phrase, SoundsLike, IPA, DisplayAs columns with a header row), as a path relative to the program's directory; uploaded to the transcripts bucket and made into the vocabulary. Default: none."""
    vocabulary_filter_words: NotRequired[list[str]]
    """Words to filter out of every transcript (a Transcribe vocabulary filter in the pipeline's language). Default: none."""
    vocabulary_filter_method: NotRequired[str]
    """What a filtered word becomes: "mask" (***, the default), "remove" or "tag" (kept and marked in the JSON)."""
    channel_identification: NotRequired[pulumi.Input[bool]]
    """Transcribe each audio channel separately (a call recording's two sides); combines with maxSpeakers. Default: false."""
    redact_pii: NotRequired[str]
    """Personal data in transcripts: "off" (the default), "redacted" (only a redacted transcript) or "redacted_and_unredacted" (both). Batch redaction works in en-US, es-US, fr-FR, fr-CA, de-DE, de-CH, it-IT, pt-PT and pt-BR only, not with "auto"."""
    pii_entity_types: NotRequired[list[str]]
    """With redactPii, the PII types to redact (NAME, SSN, EMAIL, ... as Transcribe names them); empty (the default) means all."""
    alarm_email: NotRequired[str]
    """Email address told when an alarm of the pipeline fires and when it recovers (SNS; confirm the subscription mail); empty (the default) leaves the alarm topic without a subscription."""
    alarm_period_minutes: NotRequired[int]
    """Period, in minutes (1 to 1440), over which the queue and function alarms look at their metric. Default: 5."""
    backlog_alarm_minutes: NotRequired[int]
    """Alarm when the oldest upload waiting in the upload queue is older than this many minutes (1 to 20160). Default: 60."""
    failed_jobs_per_hour: NotRequired[int]
    """Alarm when more Transcribe jobs than this fail within an hour (0 alarms on any failed job). Default: 5."""
    reconcile_minutes: NotRequired[int]
    """Minutes between the reconciler's runs (15 to 1440), which find uploads and job ends the pipeline missed; 0 turns the schedule off. Default: 60."""
    point_in_time_recovery: NotRequired[bool]
    """Continuous backups of the ledger table, restorable to any second of the last 35 days. Default: false."""
    max_jobs_per_day: NotRequired[int]
    """Transcribe jobs the pipeline may start in a UTC day; beyond it uploads wait in the upload queue until the next day, and an alarm fires. 0 (the default) means no limit."""
    monthly_budget: NotRequired[int]
    """A monthly AWS Budgets cost budget, in US dollars, of the resources tagged with the project and stack, telling the alarm topic at 80 % and 100 % spent and 100 % forecast. 0 (the default) means no budget; one pipeline of a stack may have one."""
    cost_allocation_tags: NotRequired[bool]
    """Activate the project and stack tags as cost allocation tags (account-wide; only the account that pays the bill can), which the budget needs. Default: false."""


# The argument `tags` is the settings' extra_tags; every other argument has its field's name.
SETTINGS_FIELDS = {key: "extra_tags" if key == "tags" else key for key in TranscriptionPipelineArgs.__annotations__}


def settings_of(arguments: dict, *, project: str, stack: str, names: InstanceNames, program_directory: Path) -> Settings:
    """The settings the arguments give (defaults for those left out or None), or SettingsError
    naming the first that cannot be used. Arguments that may be Outputs are checked once known."""
    if unknown := sorted(set(arguments) - set(SETTINGS_FIELDS)):
        raise SettingsError(f"{unknown[0]!r} is not an argument of TranscriptionPipeline: it takes {', '.join(SETTINGS_FIELDS)}")
    values = {SETTINGS_FIELDS[key]: _frozen(key, value) for key, value in arguments.items() if value is not None}
    settings = Settings(project=project, stack=stack, names=names, program_directory=program_directory, **values)
    validate(settings)
    return with_value_checks(settings)


def _frozen(key: str, value):
    """Lists as tuples, the tags as (name, value) pairs: values a frozen dataclass holds."""
    if key == "tags":
        if not isinstance(value, dict):
            raise SettingsError(f"tags is {json.dumps(value)}: it must be a map of tag names to values")
        return tuple((str(name), str(tag)) for name, tag in value.items())
    return tuple(value) if isinstance(value, list) else value
