"""The stack's settings: every bad value stops the preview with one sentence naming it, and the
project file, the stack files and the component's arguments agree on the settings and their
defaults."""

import dataclasses
import json

import pytest

from function import naming
from program import PROJECT, ROOT, STACKS, run_program
from transcribe_pipeline.arguments import SETTINGS_FIELDS, TranscriptionPipelineArgs
from transcribe_pipeline.config import config_key
from transcribe_pipeline.settings import Settings

INVALID_SETTINGS = [
    ({"languageCode": "english"}, "languageCode is 'english'"),
    ({"languageCode": "en_us"}, "languageCode is 'en_us': use 'auto' or a Transcribe language code, such as en-US"),
    ({"languageCode": "de-AT"}, "such as de-DE or de-CH (all of them: https://docs.aws.amazon.com/transcribe/latest/dg/supported-languages.html)"),
    ({"languageCode": "auto", "languageOptions": ["en-US", "fr_FR"]}, "languageOptions has ['fr_FR']: each must be a Transcribe language code, such as fr-FR"),
    ({"languageCode": "auto", "languageOptions": ["en-US", "xx-XX"]}, "languageOptions has ['xx-XX']"),
    ({"languageOptions": ["en-US", "fr-FR"]}, "languageOptions is set but languageCode is not 'auto'"),
    ({"languageCode": "auto", "languageOptions": ["en-US"]}, "languageOptions has one language"),
    ({"logRetentionDays": 10}, "logRetentionDays is 10: CloudWatch accepts 1, 3, 5"),
    ({"memorySize": 64}, "memorySize is 64: Lambda allows 128 to 10240"),
    ({"memorySize": 20000}, "memorySize is 20000"),
    ({"timeout": 5}, "timeout is 5: use 10 to 900"),
    ({"timeout": 901}, "timeout is 901"),
    ({"subtitleFormats": ["srt", "txt"]}, "subtitleFormats has ['txt']: allowed are srt and vtt"),
    ({"maxSpeakers": 1}, "maxSpeakers is 1: use 0 to turn speaker labels off, or 2 to 30"),
    ({"maxSpeakers": 31}, "maxSpeakers is 31"),
    ({"keyPrefix": "/media"}, "keyPrefix is '/media'"),
    ({"outputPrefix": "my transcripts/"}, "outputPrefix is 'my transcripts/'"),
    ({"onDestroy": "keep"}, "onDestroy is 'keep': use 'retain'"),
    ({"inputBucketName": "Media_Bucket"}, "inputBucketName is 'Media_Bucket': an S3 bucket name has only lower-case letters, digits, '.' and '-'"),
    ({"inputBucketName": "ab"}, "inputBucketName is 'ab': an S3 bucket name has 3 to 63 characters, this one 2"),
    ({"outputBucketName": "a" * 64}, "an S3 bucket name has 3 to 63 characters, this one 64"),
    ({"inputBucketName": "-media"}, "an S3 bucket name begins and ends with a letter or digit"),
    ({"inputBucketName": "media."}, "an S3 bucket name begins and ends with a letter or digit"),
    ({"inputBucketName": "my..media"}, "an S3 bucket name has no two adjacent periods"),
    ({"inputBucketName": "192.168.5.4"}, "inputBucketName is '192.168.5.4': an S3 bucket name is not written as an IP address"),
    ({"inputBucketName": "xn--bucket"}, "S3 reserves bucket names starting with 'xn--'"),
    ({"inputBucketName": "sthree-media"}, "S3 reserves bucket names starting with 'sthree-'"),
    ({"inputBucketName": "amzn-s3-demo-media"}, "S3 reserves bucket names starting with 'amzn-s3-demo-'"),
    ({"inputBucketName": "media-s3alias"}, "S3 reserves bucket names ending with '-s3alias'"),
    ({"inputBucketName": "media--ol-s3"}, "S3 reserves bucket names ending with '--ol-s3'"),
    ({"inputBucketName": "media.mrap"}, "S3 reserves bucket names ending with '.mrap'"),
    ({"inputBucketName": "media--use1-az4--x-s3"}, "S3 reserves bucket names ending with '--x-s3'"),
    ({"outputBucketName": "text--table-s3"}, "outputBucketName is 'text--table-s3': S3 reserves bucket names ending with '--table-s3'"),
    ({"inputBucketName": "same-name", "outputBucketName": "same-name"}, "inputBucketName and outputBucketName are the same"),
    ({"notifyEmail": "not-an-address"}, "notifyEmail is 'not-an-address'"),
    ({"tags": {"aws:owner": "me"}}, "tags has the key 'aws:owner'"),
    ({"tags": {"team": "a<b"}}, "tags.team is 'a<b'"),
    ({"tags": {"stack": "other"}}, "tags sets 'stack'"),
    ({"tags": ["a", "b"]}, "tags is [\"a\", \"b\"]: it must be a map"),
    ({"tags": {f"team-{i}": "x" * 200 for i in range(10)}}, "tags take 2"),
    ({"tags": {f"t{i}": "x" for i in range(48)}}, "tags has 48 entries: 47 are yours to set"),
    ({"startConcurrency": 1}, "startConcurrency is 1: the upload queue's event source mapping allows 2 to 1000"),
    ({"startConcurrency": 1001}, "startConcurrency is 1001"),
    ({"startRate": 0}, "startRate is 0: use 1 to 1000 jobs per second"),
    ({"startConcurrency": 30}, "startConcurrency is 30 but startRate is 23"),
    ({"alarmEmail": "ops at example"}, "alarmEmail is 'ops at example'"),
    ({"alarmPeriodMinutes": 0}, "alarmPeriodMinutes is 0: use 1 to 1440"),
    ({"backlogAlarmMinutes": 30000}, "backlogAlarmMinutes is 30000: use 1 to 20160"),
    ({"failedJobsPerHour": -1}, "failedJobsPerHour is -1: use 0"),
]


@pytest.mark.parametrize("overrides, message", INVALID_SETTINGS, ids=[next(iter(o)) + "-" + m.split(":")[0][-12:] for o, m in INVALID_SETTINGS])
def test_invalid_setting_stops_the_preview_with_one_sentence(overrides, message):
    from transcribe_pipeline.errors import SettingsError

    with pytest.raises(SettingsError) as raised:
        run_program("dev", overrides)
    text = str(raised.value)
    assert message in text
    assert "\n" not in text


def test_a_bad_setting_is_a_pulumi_run_error_so_the_cli_prints_only_its_sentence():
    import pulumi

    from transcribe_pipeline.errors import SettingsError

    assert issubclass(SettingsError, pulumi.RunError)
    with pytest.raises(pulumi.RunError) as raised:
        run_program("dev", {"memorySize": 64})
    assert type(raised.value) is SettingsError


@pytest.mark.parametrize("name", ["media-in", "my.media.bucket", "a1b", "x" * 63, "192.168.5", "xn-bucket", "media-s3"])
def test_valid_bucket_names_pass(name):
    assert naming.bucket_name_problem(name) is None


def test_47_extra_tags_fit_on_every_resource_and_job():
    tags = {f"t{i}": "x" for i in range(47)}
    tagged = run_program("dev", {"tags": tags})
    job_tags = json.loads(tagged.named("upload-handler-lambda").inputs["environment"]["variables"]["JOB_TAGS"])
    assert len(job_tags) + 1 == 50  # the function adds media-key to each job


def test_project_file_declares_every_setting_the_program_reads_with_a_default_and_description():
    import yaml

    declared = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())["config"]
    for key, declaration in declared.items():
        assert "default" in declaration and declaration.get("description"), key
    assert {config_key(argument) for argument in TranscriptionPipelineArgs.__annotations__} == set(declared)


def test_the_component_s_defaults_are_the_project_file_s():
    import yaml

    declared = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())["config"]
    defaults = {f.name: f.default for f in dataclasses.fields(Settings)}
    for argument, field in SETTINGS_FIELDS.items():
        default = declared[config_key(argument)]["default"]
        expected = tuple(default.items()) if isinstance(default, dict) else tuple(default) if isinstance(default, list) else default
        assert defaults[field] == expected, argument


def test_stack_files_hold_only_settings_the_project_declares():
    import yaml

    declared = set(yaml.safe_load((ROOT / "Pulumi.yaml").read_text())["config"])
    for stack in STACKS:
        config = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())["config"]
        for key in config:
            namespace, _, name = key.partition(":")
            assert namespace == "aws" or (namespace == PROJECT and name in declared), key


def test_the_project_default_output_prefix_is_the_functions_default():
    import yaml

    declared = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())["config"]
    assert declared["outputPrefix"]["default"] == naming.DEFAULT_OUTPUT_PREFIX
