"""The stack's settings: read from Pulumi config once, validated once, frozen.

Defaults and descriptions live in the `config:` block of Pulumi.yaml (the CLI merges them into
every stack's config), so this module requires every key instead of repeating a default.
A bad value stops the preview with one sentence: the key, the value, what is allowed.
"""

import difflib
import json
import re
from dataclasses import dataclass
from pathlib import Path

import botocore.session
import pulumi

from function import naming
from infra import vocabulary_rules

# The values CloudWatch Logs accepts for a log group's retention, in days.
LOG_RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731,
    1096, 1827, 2192, 2557, 2922, 3288, 3653,
)  # fmt: skip
ON_DESTROY = ("retain", "delete")
# Every resource and every job takes 50 tags; the program sets project and stack on all of them,
# and media-key on each job.
TAGS_MAX = 50
USER_TAGS_MAX = TAGS_MAX - 3
SUPPORTED_LANGUAGES_URL = "https://docs.aws.amazon.com/transcribe/latest/dg/supported-languages.html"
# Lambda's limits for an SQS event source mapping's maximum concurrency.
START_CONCURRENCY_RANGE = (2, 1000)
START_RATE_MAX = 1000
# Lambda allows 4 KB for all of a function's environment variables; the others take ~600 bytes.
JOB_TAGS_MAX = 2048
# An alarm's period times its evaluation periods may not exceed a day.
ALARM_PERIOD_MINUTES_MAX = 1440
BACKLOG_ALARM_MINUTES_MAX = 14 * 24 * 60
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_TAG_TEXT = re.compile(r"[\w\s.:/=+\-@]*")
# Transcribe's batch PII redaction: US English and US Spanish, and since 2026-05-01 (the
# developer guide's document history) French, Canadian French, German, Swiss German, Italian,
# Portuguese and Brazilian Portuguese. botocore's model does not list them. Redaction does not
# work with language identification.
REDACTION_LANGUAGES = ("en-US", "es-US", "fr-FR", "fr-CA", "de-DE", "de-CH", "it-IT", "pt-PT", "pt-BR")
# The reconciler's schedule: a run takes up to 15 minutes (its timeout) on a large bucket, and
# it runs at least daily, well within the 12 days after which it sends a waiting upload again.
RECONCILE_MINUTES_RANGE = (15, 1440)
# With language identification, LanguageIdSettings takes two to five languages.
LANGUAGE_ID_SETTINGS_MAX = 5
PROJECT_ROOT = Path(__file__).resolve().parent.parent


class SettingsError(pulumi.RunError):
    """A configured value the program cannot use. A RunError, so that the Pulumi CLI prints its
    one sentence instead of a Python traceback."""


def pii_entity_types() -> tuple[str, ...]:
    """The PII types batch redaction takes, from botocore's model of the API."""
    model = botocore.session.get_session().get_service_model("transcribe")
    return tuple(model.shape_for("PiiEntityType").enum)


def transcribe_language_codes() -> tuple[str, ...]:
    """The language codes StartTranscriptionJob accepts, from botocore's model of the API."""
    model = botocore.session.get_session().get_service_model("transcribe")
    return tuple(model.shape_for("LanguageCode").enum)


@dataclass(frozen=True)
class Settings:
    project: str
    stack: str
    language_code: str
    """A Transcribe language code, or 'auto' to let Transcribe identify the language."""
    language_options: tuple[str, ...]
    """With 'auto': the languages to choose from (empty: any)."""
    subtitle_formats: tuple[str, ...]
    """Subtitle files written beside each transcript: srt, vtt."""
    max_speakers: int
    """Speaker labels for up to this many speakers; 0 turns them off."""
    key_prefix: str
    """Only uploads under this key prefix start a job."""
    output_prefix: str
    """Transcripts are written under this prefix of the output bucket."""
    job_queueing: bool
    """Queue jobs beyond Transcribe's concurrent-job quota instead of failing them."""
    start_concurrency: int
    """Upload-function instances that start jobs at once (the event source mapping's maximum)."""
    start_rate: int
    """StartTranscriptionJob calls per second for the whole stack, shared by those instances."""
    memory_size: int
    timeout: int
    log_retention_days: int
    on_destroy: str
    """What `pulumi destroy` does to what holds data: the media, transcripts and access-log
    buckets, and the upload queue, its dead-letter queue and the failure queue. 'retain' keeps
    them, with their contents, in AWS; 'delete' empties and removes them."""
    access_log_days: int
    """Days the buckets' S3 server access logs are kept."""
    input_bucket_name: str
    output_bucket_name: str
    notify_email: str
    extra_tags: tuple[tuple[str, str], ...]
    vocabulary: tuple[str, ...]
    """Custom-vocabulary phrases (hyphens between words); empty: no vocabulary from a list."""
    vocabulary_file: str
    """A vocabulary table file, as a path in the repository; empty: none."""
    vocabulary_filter_words: tuple[str, ...]
    vocabulary_filter_method: str
    """What a filtered word becomes: 'mask' (***), 'remove' or 'tag'."""
    channel_identification: bool
    redact_pii: str
    """'off', 'redacted' or 'redacted_and_unredacted'."""
    pii_entity_types: tuple[str, ...]
    """The PII types to redact; empty: all."""
    alarm_email: str
    """Where the alarms are sent (an SNS email subscription); empty: no subscription."""
    alarm_period_minutes: int
    """The period over which the queue and function alarms look at their metric."""
    backlog_alarm_minutes: int
    """Alarm when the oldest upload waiting in the upload queue is older than this."""
    failed_jobs_per_hour: int
    """Alarm when more Transcribe jobs than this fail within an hour."""
    reconcile_minutes: int
    """Minutes between the reconciler's scheduled runs; 0: no schedule (it can still be run by hand)."""
    point_in_time_recovery: bool
    """Continuous backups of the ledger table (35 days)."""
    max_jobs_per_day: int
    """Jobs the stack may start in a UTC day; 0: no limit."""
    monthly_budget: int
    """US dollars a month for the budget; 0: no budget."""
    cost_allocation_tags: bool
    """Activate project and stack as cost allocation tags."""

    @property
    def vocabulary_languages(self) -> tuple[str, ...]:
        """The languages vocabularies and filters are made in: the stack's language, or each
        language identification may choose."""
        return self.language_options if self.language_code == "auto" else (self.language_code,)

    @property
    def unredacted_prefix(self) -> str:
        """Where jobs that keep an unredacted transcript write (both transcripts; the completion
        function copies the redacted one under output_prefix); empty when none do."""
        return naming.UNREDACTED_PREFIX + self.output_prefix if self.redact_pii == "redacted_and_unredacted" else ""

    @property
    def vocabulary_path(self) -> Path | None:
        return PROJECT_ROOT / self.vocabulary_file if self.vocabulary_file else None

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
        return naming.job_name_prefix(self.project, self.stack)

    @property
    def metrics_namespace(self) -> str:
        """The CloudWatch namespace of the functions' own metrics: one per stack."""
        return f"{self.project}/{self.stack}"

    @property
    def start_rate_per_instance(self) -> float:
        """The pace of one upload-function instance, so that all of them together keep to
        start_rate."""
        return self.start_rate / self.start_concurrency

    @property
    def retain_data(self) -> bool:
        return self.on_destroy == "retain"


def load_settings(config: pulumi.Config | None = None) -> Settings:
    config = config or pulumi.Config()
    settings = Settings(
        project=pulumi.get_project(),
        stack=pulumi.get_stack(),
        language_code=config.require("languageCode"),
        language_options=tuple(config.require_object("languageOptions")),
        subtitle_formats=tuple(config.require_object("subtitleFormats")),
        max_speakers=config.require_int("maxSpeakers"),
        key_prefix=config.require("keyPrefix"),
        output_prefix=config.require("outputPrefix"),
        job_queueing=config.require_bool("jobQueueing"),
        start_concurrency=config.require_int("startConcurrency"),
        start_rate=config.require_int("startRate"),
        memory_size=config.require_int("memorySize"),
        timeout=config.require_int("timeout"),
        log_retention_days=config.require_int("logRetentionDays"),
        on_destroy=config.require("onDestroy"),
        access_log_days=config.require_int("accessLogDays"),
        input_bucket_name=config.require("inputBucketName"),
        output_bucket_name=config.require("outputBucketName"),
        notify_email=config.require("notifyEmail"),
        extra_tags=_tag_pairs(config.require_object("tags")),
        vocabulary=tuple(config.require_object("vocabulary")),
        vocabulary_file=config.require("vocabularyFile"),
        vocabulary_filter_words=tuple(config.require_object("vocabularyFilterWords")),
        vocabulary_filter_method=config.require("vocabularyFilterMethod"),
        channel_identification=config.require_bool("channelIdentification"),
        redact_pii=config.require("redactPii"),
        pii_entity_types=tuple(config.require_object("piiEntityTypes")),
        alarm_email=config.require("alarmEmail"),
        alarm_period_minutes=config.require_int("alarmPeriodMinutes"),
        backlog_alarm_minutes=config.require_int("backlogAlarmMinutes"),
        failed_jobs_per_hour=config.require_int("failedJobsPerHour"),
        reconcile_minutes=config.require_int("reconcileMinutes"),
        point_in_time_recovery=config.require_bool("pointInTimeRecovery"),
        max_jobs_per_day=config.require_int("maxJobsPerDay"),
        monthly_budget=config.require_int("monthlyBudget"),
        cost_allocation_tags=config.require_bool("costAllocationTags"),
    )
    validate(settings)
    return settings


def _tag_pairs(tags) -> tuple[tuple[str, str], ...]:
    if not isinstance(tags, dict):
        raise SettingsError(f"tags is {json.dumps(tags)}: it must be a map of tag names to values")
    return tuple((str(key), str(value)) for key, value in tags.items())


def validate(settings: Settings) -> None:
    """Raise SettingsError naming the first setting that cannot be used."""
    for check in _CHECKS:
        check(settings)


def _check_language(s: Settings) -> None:
    codes = transcribe_language_codes()
    if s.language_code != "auto" and s.language_code not in codes:
        raise SettingsError(
            f"languageCode is {s.language_code!r}: use 'auto' or a Transcribe language code"
            f"{_did_you_mean(s.language_code, codes)} (all of them: {SUPPORTED_LANGUAGES_URL})"
        )
    if unknown := [code for code in s.language_options if code not in codes]:
        raise SettingsError(
            f"languageOptions has {unknown}: each must be a Transcribe language code"
            f"{_did_you_mean(unknown[0], codes)} (all of them: {SUPPORTED_LANGUAGES_URL})"
        )
    if s.language_options and s.language_code != "auto":
        raise SettingsError("languageOptions is set but languageCode is not 'auto': options apply to language identification only")
    if len(s.language_options) == 1:
        raise SettingsError("languageOptions has one language: give two or more, or set languageCode to it instead")


def _did_you_mean(code: str, codes: tuple[str, ...]) -> str:
    """', such as de-DE or de-CH' for 'de-AT': the codes most like the one written, those of the
    same language first."""
    folded = code.casefold().replace("_", "-")
    by_folded = {c.casefold(): c for c in codes}
    same_language = [c for c in by_folded if c.split("-")[0] == folded.split("-")[0]]
    if same_language:
        close = difflib.get_close_matches(folded, same_language, n=3, cutoff=0)
    else:
        close = difflib.get_close_matches(folded, by_folded, n=3, cutoff=0.75)
    if not close:
        return ", such as en-US, es-ES or fr-FR"
    *first, last = [by_folded[c] for c in close[:3]]
    return f", such as {', '.join(first)} or {last}" if first else f", such as {last}"


def _check_subtitles(s: Settings) -> None:
    if unknown := [f for f in s.subtitle_formats if f not in naming.SUBTITLE_FORMATS]:
        raise SettingsError(f"subtitleFormats has {unknown}: allowed are srt and vtt")


def _check_speakers(s: Settings) -> None:
    low, high = naming.MIN_SPEAKERS, naming.MAX_SPEAKERS
    if s.max_speakers != 0 and not low <= s.max_speakers <= high:
        raise SettingsError(f"maxSpeakers is {s.max_speakers}: use 0 to turn speaker labels off, or {low} to {high}")


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


def _check_function(s: Settings) -> None:
    if not 128 <= s.memory_size <= 10240:
        raise SettingsError(f"memorySize is {s.memory_size}: Lambda allows 128 to 10240 (MB)")
    if not 10 <= s.timeout <= 900:
        raise SettingsError(
            f"timeout is {s.timeout}: use 10 to 900 (seconds); the function retries throttled calls for several seconds"
        )
    if s.log_retention_days not in LOG_RETENTION_DAYS:
        allowed = ", ".join(map(str, LOG_RETENTION_DAYS))
        raise SettingsError(f"logRetentionDays is {s.log_retention_days}: CloudWatch accepts {allowed}")


def _check_data(s: Settings) -> None:
    if s.on_destroy not in ON_DESTROY:
        raise SettingsError(f"onDestroy is {s.on_destroy!r}: use 'retain' (keep the buckets, the queues and what they hold) or 'delete'")
    if s.access_log_days < 1:
        raise SettingsError(f"accessLogDays is {s.access_log_days}: keep the access logs 1 day or more")
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


def _check_vocabulary(s: Settings) -> None:
    if s.vocabulary and s.vocabulary_file:
        raise SettingsError("vocabulary and vocabularyFile are both set: give the phrases in one of them")
    if not (s.vocabulary or s.vocabulary_file or s.vocabulary_filter_words):
        return
    if s.language_code == "auto" and not 2 <= len(s.language_options) <= LANGUAGE_ID_SETTINGS_MAX:
        raise SettingsError(
            f"languageCode is 'auto' with a vocabulary or filter: list the 2 to {LANGUAGE_ID_SETTINGS_MAX}"
            " languages to make them in as languageOptions"
        )
    entries = [("vocabulary", phrase, "") for phrase in s.vocabulary]
    if s.vocabulary_file:
        entries += [("vocabularyFile", phrase, f" (line {line})") for line, phrase in _table_phrases(s)]
    for key, phrase, where in entries:
        for language in s.vocabulary_languages:
            if problem := vocabulary_rules.phrase_problem(phrase, language):
                raise SettingsError(f"{key} has the phrase {phrase!r}{where}: {problem}")
    size = vocabulary_rules.entries_size([phrase for _, phrase, _ in entries])
    if size > vocabulary_rules.VOCABULARY_MAX_BYTES:
        raise SettingsError(f"vocabulary takes {size} bytes: Transcribe allows 50 KB (50,000 bytes) per vocabulary")


def _table_phrases(s: Settings) -> list[tuple[int, str]]:
    path = s.vocabulary_path
    if Path(s.vocabulary_file).is_absolute() or PROJECT_ROOT not in path.resolve().parents or not path.is_file():
        raise SettingsError(
            f"vocabularyFile is {s.vocabulary_file!r}: give the path of a table file inside this repository, such as vocabulary/terms.txt"
        )
    if path.stat().st_size > vocabulary_rules.VOCABULARY_MAX_BYTES:
        raise SettingsError(f"vocabularyFile {s.vocabulary_file!r} has {path.stat().st_size} bytes: Transcribe allows 50 KB")
    try:
        return vocabulary_rules.table_phrases(path)
    except (ValueError, UnicodeDecodeError) as error:
        raise SettingsError(f"vocabularyFile {s.vocabulary_file!r} is not a vocabulary table: {error}") from None


def _check_vocabulary_filter(s: Settings) -> None:
    if s.vocabulary_filter_method not in naming.VOCABULARY_FILTER_METHODS:
        raise SettingsError(f"vocabularyFilterMethod is {s.vocabulary_filter_method!r}: use 'mask', 'remove' or 'tag'")
    for word in s.vocabulary_filter_words:
        for language in s.vocabulary_languages:
            if problem := vocabulary_rules.phrase_problem(word, language):
                raise SettingsError(f"vocabularyFilterWords has the word {word!r}: {problem}")
    size = vocabulary_rules.entries_size(list(s.vocabulary_filter_words))
    if size > vocabulary_rules.VOCABULARY_MAX_BYTES:
        raise SettingsError(f"vocabularyFilterWords take {size} bytes: Transcribe allows 50 KB (50,000 bytes) per filter")


def _check_redaction(s: Settings) -> None:
    if s.redact_pii not in naming.REDACT_PII:
        raise SettingsError(f"redactPii is {s.redact_pii!r}: use 'off', 'redacted' or 'redacted_and_unredacted'")
    if s.redact_pii == "off":
        if s.pii_entity_types:
            raise SettingsError("piiEntityTypes is set but redactPii is 'off': set redactPii to choose what to redact")
        return
    if s.language_code not in REDACTION_LANGUAGES:
        allowed = ", ".join(REDACTION_LANGUAGES)
        raise SettingsError(
            f"redactPii is {s.redact_pii!r} but languageCode is {s.language_code!r}: Transcribe redacts batch"
            f" transcripts in {allowed} only, and not with language identification"
        )
    if s.unredacted_prefix.startswith(s.output_prefix):
        raise SettingsError(
            f"redactPii is 'redacted_and_unredacted' but outputPrefix is {s.output_prefix!r}: the unredacted transcripts"
            f" go under {s.unredacted_prefix!r}, which must not be inside outputPrefix; use a prefix such as 'transcripts/'"
        )
    if unknown := [t for t in s.pii_entity_types if t not in pii_entity_types()]:
        raise SettingsError(f"piiEntityTypes has {unknown}: use types Transcribe knows, such as NAME, SSN, EMAIL, or ALL")


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
    _check_language, _check_subtitles, _check_speakers, _check_prefixes, _check_start_pace, _check_function,
    _check_data, _check_tags, _check_vocabulary, _check_vocabulary_filter, _check_redaction, _check_alarms,
    _check_reconciler, _check_spend,
)  # fmt: skip
