"""What the upload function reads from its environment, once, at start: checked, so that a bad
deployment fails at the first invocation with one sentence rather than on some upload later."""

import json
from dataclasses import dataclass

import naming
from common import SharedSettings, shared_settings

DEFAULT_LANGUAGE = "en-US"
DEFAULT_START_RATE = 10.0


@dataclass(frozen=True)
class Settings(SharedSettings):
    language_code: str = DEFAULT_LANGUAGE
    language_options: tuple[str, ...] = ()
    subtitle_formats: tuple[str, ...] = ()
    max_speakers: int = 0
    data_access_role_arn: str = ""
    job_tags: tuple[tuple[str, str], ...] = ()
    start_rate: float = DEFAULT_START_RATE
    """StartTranscriptionJob calls per second for this instance."""
    dead_letter_queue_url: str = ""
    vocabulary_names: tuple[tuple[str, str], ...] = ()
    """(language, vocabulary name) of the stack's custom vocabularies."""
    vocabulary_filter_names: tuple[tuple[str, str], ...] = ()
    vocabulary_filter_method: str = "mask"
    channel_identification: bool = False
    redact_pii: str = "off"
    pii_entity_types: tuple[str, ...] = ()
    max_jobs_per_day: int = 0
    """Jobs the stack may start in a UTC day; 0: no limit."""

    @classmethod
    def from_environ(cls, env) -> "Settings":
        settings = cls(
            **shared_settings(env),
            language_code=env.get("LANGUAGE_CODE") or DEFAULT_LANGUAGE,
            language_options=_split(env.get("LANGUAGE_OPTIONS", "")),
            subtitle_formats=_split(env.get("SUBTITLE_FORMATS", "")),
            max_speakers=_integer(env, "MAX_SPEAKERS"),
            data_access_role_arn=env.get("DATA_ACCESS_ROLE_ARN", ""),
            job_tags=_tags(env.get("JOB_TAGS") or "{}"),
            start_rate=_number(env, "START_RATE", DEFAULT_START_RATE),
            dead_letter_queue_url=env.get("DEAD_LETTER_QUEUE_URL", ""),
            vocabulary_names=_names(env, "VOCABULARY_NAMES"),
            vocabulary_filter_names=_names(env, "VOCABULARY_FILTER_NAMES"),
            vocabulary_filter_method=env.get("VOCABULARY_FILTER_METHOD") or "mask",
            channel_identification=_flag(env, "CHANNEL_IDENTIFICATION"),
            redact_pii=env.get("REDACT_PII") or "off",
            pii_entity_types=_split(env.get("PII_ENTITY_TYPES", "")),
            max_jobs_per_day=_integer(env, "MAX_JOBS_PER_DAY"),
        )
        settings.check()
        return settings

    def check(self) -> None:
        if unknown := set(self.subtitle_formats) - set(naming.SUBTITLE_FORMATS):
            raise ValueError(f"SUBTITLE_FORMATS has {sorted(unknown)}: allowed are srt and vtt")
        if self.max_speakers and not naming.MIN_SPEAKERS <= self.max_speakers <= naming.MAX_SPEAKERS:
            raise ValueError(
                f"MAX_SPEAKERS is {self.max_speakers}: use 0 (off) or {naming.MIN_SPEAKERS} to {naming.MAX_SPEAKERS}"
            )
        if self.max_jobs_per_day < 0:
            raise ValueError(f"MAX_JOBS_PER_DAY is {self.max_jobs_per_day}: use 0 (no limit) or more")
        if self.start_rate <= 0:
            raise ValueError(f"START_RATE is {self.start_rate:g}: it must be more than 0 jobs per second")
        if self.vocabulary_filter_method not in naming.VOCABULARY_FILTER_METHODS:
            raise ValueError(f"VOCABULARY_FILTER_METHOD is {self.vocabulary_filter_method!r}: allowed are mask, remove and tag")
        if self.redact_pii not in naming.REDACT_PII:
            raise ValueError(f"REDACT_PII is {self.redact_pii!r}: allowed are off, redacted and redacted_and_unredacted")


def _split(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


def _integer(env, name: str) -> int:
    value = env.get(name) or "0"
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"{name} is {value!r}: it must be a whole number") from None


def _number(env, name: str, default: float) -> float:
    value = env.get(name) or str(default)
    try:
        return float(value)
    except ValueError:
        raise ValueError(f"{name} is {value!r}: it must be a number") from None


def _names(env, name: str) -> tuple[tuple[str, str], ...]:
    value = env.get(name) or "{}"
    try:
        names = json.loads(value)
    except json.JSONDecodeError:
        names = None
    if not isinstance(names, dict) or not all(isinstance(v, str) and v for v in names.values()):
        raise ValueError(f"{name} is {value!r}: it must be a JSON object of language codes to names")
    return tuple(sorted(names.items()))


def _flag(env, name: str) -> bool:
    value = (env.get(name) or "false").lower()
    if value not in ("true", "false"):
        raise ValueError(f"{name} is {value!r}: it must be true or false")
    return value == "true"


def _tags(value: str) -> tuple[tuple[str, str], ...]:
    try:
        tags = json.loads(value)
    except json.JSONDecodeError:
        tags = None
    if not isinstance(tags, dict):
        raise ValueError(f"JOB_TAGS is {value!r}: it must be a JSON object of strings")
    return tuple((str(k), str(v)) for k, v in tags.items())
