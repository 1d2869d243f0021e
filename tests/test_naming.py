"""The shared naming rules, checked against botocore's model of StartTranscriptionJob."""

import re

import botocore.session
import pytest

from function import naming

MODEL = botocore.session.get_session().get_service_model("transcribe")
INPUT = MODEL.operation_model("StartTranscriptionJob").input_shape
JOB_NAME = INPUT.members["TranscriptionJobName"].metadata
OUTPUT_KEY = INPUT.members["OutputKey"].metadata
PREFIX = "transcribe-pipeline-dev-5a9e2a-"

AWKWARD_KEYS = [
    "talk.mp3",
    "folder/sub folder/My Talk (final).mp4",
    "Ünïcödé/café – 会议记录 🎙.m4a",
    "a" * 1000 + ".wav",
    "/".join(["deep"] * 200) + "/x.flac",
    "..mp3",
    "###.ogg",
    "日本語.webm",
]


def valid_job_name(name: str) -> bool:
    return JOB_NAME["min"] <= len(name) <= JOB_NAME["max"] and re.fullmatch(JOB_NAME["pattern"].lstrip("^"), name)


def valid_output_key(key: str) -> bool:
    return OUTPUT_KEY["min"] <= len(key) <= OUTPUT_KEY["max"] and re.fullmatch(OUTPUT_KEY["pattern"].rstrip("$"), key)


@pytest.mark.parametrize("key", AWKWARD_KEYS)
def test_job_names_are_valid_for_any_key(key):
    name = naming.job_name(PREFIX, "media-in", key, "0062E99A88DC407460")
    assert valid_job_name(name), name
    assert name.startswith(PREFIX)


@pytest.mark.parametrize("key", AWKWARD_KEYS)
def test_transcript_keys_are_valid_output_keys_for_any_key(key):
    for build in (naming.transcript_key, naming.text_key, naming.error_key):
        assert valid_output_key(build("transcripts/", key)), build("transcripts/", key)


def test_job_names_read_like_the_key():
    assert naming.job_name(PREFIX, "b", "folder/My Talk (final).mp4", "1").startswith(PREFIX + "folder-My-Talk-final-.mp4-")
    assert naming.job_name(PREFIX, "b", "café.mp3", "1").startswith(PREFIX + "cafe.mp3-")


def test_a_long_key_keeps_its_file_name_in_the_job_name():
    key = "x" * 900 + "/interview-with-ada.mp3"
    assert "interview-with-ada.mp3" in naming.job_name(PREFIX, "b", key, "1")


def test_one_upload_always_gets_the_same_job_name():
    assert naming.job_name(PREFIX, "b", "talk.mp3", "seq1") == naming.job_name(PREFIX, "b", "talk.mp3", "seq1")


def test_a_re_upload_of_the_same_key_gets_a_new_job_name():
    assert naming.job_name(PREFIX, "b", "talk.mp3", "seq1") != naming.job_name(PREFIX, "b", "talk.mp3", "seq2")


def test_keys_that_look_alike_once_cleaned_get_different_job_names():
    names = {naming.job_name(PREFIX, "b", key, "seq") for key in ("a b.mp3", "a_b.mp3", "A B.mp3", "a-b.mp3", "a+b.mp3")}
    assert len(names) == 5


def test_the_same_key_in_two_buckets_gets_two_job_names():
    assert naming.job_name(PREFIX, "b1", "talk.mp3", "s") != naming.job_name(PREFIX, "b2", "talk.mp3", "s")


def test_transcripts_mirror_the_media_key_under_the_output_prefix():
    assert naming.transcript_key("transcripts/", "team/2026/standup.mp3") == "transcripts/team/2026/standup.mp3.json"
    assert naming.text_key("transcripts/", "team/2026/standup.mp3") == "transcripts/team/2026/standup.mp3.txt"
    assert naming.error_key("transcripts/", "standup.mp3") == "transcripts/standup.mp3.error.json"
    assert naming.subtitle_key("transcripts/", "standup.mp3", "srt") == "transcripts/standup.mp3.srt"


def test_media_keys_that_differ_never_share_a_transcript():
    keys = ["a b.mp3", "a_b.mp3", "A B.mp3", "talk.mp3", "talk.wav", "x" * 1020 + "1.mp3", "x" * 1020 + "2.mp3"]
    assert len({naming.transcript_key("transcripts/", key) for key in keys}) == len(keys)


@pytest.mark.parametrize(
    "key, expected",
    [("talk.mp3", "mp3"), ("TALK.MP3", "mp3"), ("a/b.M4a", "m4a"), ("clip.webm", "webm"), ("x.tar.flac", "flac"),
     ("photo.jpg", None), ("notes.txt", None), ("mp3", None), (".mp3", None), ("folder.mp3/", None), ("movie.mov", None)],
)
def test_media_format_comes_from_the_extension_in_any_case(key, expected):
    assert naming.media_format(key) == expected


def test_supported_formats_are_the_ones_transcribe_accepts():
    assert set(naming.SUPPORTED_FORMATS) == set(INPUT.members["MediaFormat"].enum)


def test_job_name_prefixes_of_different_stacks_never_contain_one_another():
    stacks = ["dev", "dev-eu", "dev.eu", "prod", "prod-1", "Prod"]
    prefixes = [naming.job_name_prefix("transcribe-pipeline", s) for s in stacks]
    assert len(set(prefixes)) == len(stacks)
    for a in prefixes:
        assert naming.is_valid_job_name_prefix(a)
        assert [b for b in prefixes if b.startswith(a)] == [a]


def test_tag_values_keep_letters_and_replace_what_aws_refuses():
    assert naming.tag_value("talks/Ünï 1.mp3") == "talks/Ünï 1.mp3"
    assert naming.tag_value("a#b&c.mp3") == "a_b_c.mp3"
    assert len(naming.tag_value("x" * 1000)) == 256


@pytest.mark.parametrize(("prefix", "valid"), [("", True), ("media/", True), ("a" * 512, True), ("/media", False), ("me*dia/", False), ("a" * 513, False)])
def test_key_prefix_rule_shared_by_the_settings_and_the_media_tool(prefix, valid):
    assert naming.is_valid_key_prefix(prefix) is valid


@pytest.mark.parametrize(
    "uri, location",
    [
        ("s3://out/transcripts/a b.mp3.json", ("out", "transcripts/a b.mp3.json")),
        ("https://s3.us-east-1.amazonaws.com/out/transcripts/talk.mp3.json", ("out", "transcripts/talk.mp3.json")),
        ("https://out.s3.us-east-1.amazonaws.com/transcripts/talk.mp3.json", ("out", "transcripts/talk.mp3.json")),
        ("https://out.s3-eu-west-1.amazonaws.com/t/%C3%A9.json", ("out", "t/é.json")),
        ("http://127.0.0.1:4566/out/transcripts/talk.mp3.json", ("out", "transcripts/talk.mp3.json")),
        ("http://localhost:4566/out/", None),
        ("ftp://out/x", None),
        ("not a uri", None),
    ],
)
def test_s3_location_reads_every_form_transcribe_and_emulators_report(uri, location):
    assert naming.s3_location(uri) == location
