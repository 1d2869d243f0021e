"""Transcribe's accuracy and privacy options as part of the stack: the custom vocabulary and the
vocabulary filter every job uses, made in the languages the jobs are in, and the job settings the
upload function passes on (channel identification, PII redaction).

A vocabulary made by hand and named in a setting drifts from the stack ("vocabulary not found",
or in the wrong language); here it is a resource of the same stack as the jobs that use it.
"""

import hashlib
import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from transcribe_pipeline.checks import derived
from transcribe_pipeline.function import naming
from transcribe_pipeline.settings import Settings

# Where a vocabulary table file is uploaded in the transcripts bucket: outside the transcripts'
# prefix, so that nothing that reads transcripts can read it.
VOCABULARY_FILE_PREFIX = "transcribe-options/"


@dataclass
class TranscribeOptionsArgs:
    settings: Settings
    bucket_name: pulumi.Input[str]
    """The bucket a vocabulary table file is uploaded to, for Transcribe to read it from."""


class TranscribeOptions(pulumi.ComponentResource):
    """One vocabulary and one vocabulary filter per language the jobs may be in (the stack's
    language, or each of languageOptions with 'auto'), as the settings ask."""

    environment: dict[str, pulumi.Input[str]]
    """The upload function's variables that tell it what to put in each job."""

    def __init__(self, name: str, args: TranscribeOptionsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("transcribe:options:TranscribeOptions", name, None, opts)
        s = args.settings
        vocabularies = {}
        filters = {}
        if s.vocabulary or s.vocabulary_file:
            source = self._vocabulary_source(name, s, args.bucket_name)
            for language in s.vocabulary_languages:
                vocabularies[language] = self._vocabulary(name, s, language, source)
        if s.vocabulary_filter_words:
            words = "\n".join(s.vocabulary_filter_words).encode("utf-8")
            for language in s.vocabulary_languages:
                filters[language] = aws.transcribe.VocabularyFilter(
                    f"{name}-filter-{language}",
                    vocabulary_filter_name=naming.vocabulary_name(s.job_name_prefix, "filter", language, words),
                    language_code=language,
                    words=list(s.vocabulary_filter_words),
                    tags=s.tags,
                    opts=self._replaced("languageCode", "words"),
                )

        self.vocabulary_names = pulumi.Output.json_dumps({lang: v.vocabulary_name for lang, v in vocabularies.items()})
        self.filter_names = pulumi.Output.json_dumps({lang: f.vocabulary_filter_name for lang, f in filters.items()})
        self.environment = {
            "VOCABULARY_NAMES": self.vocabulary_names,
            "VOCABULARY_FILTER_NAMES": self.filter_names,
            "VOCABULARY_FILTER_METHOD": s.vocabulary_filter_method,
            "CHANNEL_IDENTIFICATION": derived(s.channel_identification, json.dumps),
            "REDACT_PII": s.redact_pii,
            "PII_ENTITY_TYPES": ",".join(s.pii_entity_types),
        }
        self.register_outputs({"vocabulary_names": self.vocabulary_names, "filter_names": self.filter_names})

    def _replaced(self, *properties: str) -> pulumi.ResourceOptions:
        """A change to these properties replaces the resource rather than updating it in place
        (an updated vocabulary is unusable until Transcribe has processed it again). The new one
        has a new name: it is created, the function switches to it, and only then is the old one
        deleted (create-before-delete), so no job names a vocabulary that is not there."""
        return pulumi.ResourceOptions(parent=self, delete_before_replace=False, replace_on_changes=list(properties))

    def _vocabulary_source(self, name: str, s: Settings, bucket_name: pulumi.Input[str]) -> tuple[bytes, dict]:
        """(content, the Vocabulary's phrases or file URI): a table file is uploaded first."""
        if not s.vocabulary_file:
            return "\n".join(s.vocabulary).encode("utf-8"), {"phrases": list(s.vocabulary)}
        content = s.vocabulary_path.read_bytes()
        table = aws.s3.BucketObjectv2(
            f"{name}-vocabulary-file",
            bucket=bucket_name,
            key=f"{VOCABULARY_FILE_PREFIX}vocabulary-{hashlib.sha256(content).hexdigest()[:16]}.txt",
            source=pulumi.FileAsset(str(s.vocabulary_path)),
            content_type="text/plain; charset=utf-8",
            tags=s.tags,
            opts=self._replaced("key"),
        )
        return content, {"vocabulary_file_uri": pulumi.Output.concat("s3://", table.bucket, "/", table.key)}

    def _vocabulary(self, name: str, s: Settings, language: str, source: tuple[bytes, dict]) -> aws.transcribe.Vocabulary:
        content, entries = source
        return aws.transcribe.Vocabulary(
            f"{name}-vocabulary-{language}",
            vocabulary_name=naming.vocabulary_name(s.job_name_prefix, "vocabulary", language, content),
            language_code=language,
            tags=s.tags,
            opts=self._replaced("languageCode", "phrases", "vocabularyFileUri"),
            **entries,
        )
