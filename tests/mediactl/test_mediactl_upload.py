"""`upload`: the checks before anything is sent, the keys, the transfer itself."""

import os

import pytest

from function import naming
from mediactl_fakes import deploy


def media(tmp_path, name: str, size: int = 1024):
    path = tmp_path / name
    path.write_bytes(os.urandom(size))
    return path


def keys_in(s3, bucket: str) -> list[str]:
    return [item["Key"] for item in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]


def test_upload_sends_the_file_with_its_content_type_and_says_where_the_transcript_lands(run, pipeline, s3, tmp_path):
    talk = media(tmp_path, "talk.mp3", 2048)

    result = run("upload", talk, "--stack", "dev")

    assert result.code == 0, result.err
    stored = s3.get_object(Bucket=pipeline.input_bucket, Key="talk.mp3")
    assert stored["Body"].read() == talk.read_bytes()
    assert stored["ContentType"] == "audio/mpeg"
    assert f"s3://{pipeline.input_bucket}/talk.mp3" in result.out
    assert f"s3://{pipeline.output_bucket}/{naming.transcript_key('transcripts/', 'talk.mp3')}" in result.out


def test_upload_of_several_files_sends_each_with_the_type_of_its_extension(run, pipeline, s3, tmp_path):
    files = [media(tmp_path, name) for name in ("a.wav", "b.flac", "c.m4a", "d.webm")]

    result = run("upload", *files, "--stack", "dev")

    assert result.code == 0, result.err
    assert sorted(keys_in(s3, pipeline.input_bucket)) == ["a.wav", "b.flac", "c.m4a", "d.webm"]
    types = {key: s3.head_object(Bucket=pipeline.input_bucket, Key=key)["ContentType"] for key in ("a.wav", "c.m4a", "d.webm")}
    assert types == {"a.wav": "audio/wav", "c.m4a": "audio/mp4", "d.webm": "video/webm"}


def test_a_file_over_the_multipart_threshold_goes_up_in_parts(run, pipeline, s3, tmp_path):
    big = media(tmp_path, "long.mp4", 9 * 1024 * 1024)

    result = run("upload", big, "--stack", "dev")

    assert result.code == 0, result.err
    stored = s3.head_object(Bucket=pipeline.input_bucket, Key="long.mp4")
    # A multipart upload's ETag ends with the number of parts.
    assert stored["ETag"].strip('"').endswith("-2")
    assert stored["ContentLength"] == 9 * 1024 * 1024
    assert stored["ContentType"] == "video/mp4"


def test_the_key_has_the_extension_in_lower_case_so_the_notification_matches(run, pipeline, s3, tmp_path):
    result = run("upload", media(tmp_path, "Talk.Mp3"), media(tmp_path, "SHOUT.WAV"), "--stack", "dev")

    assert result.code == 0, result.err
    assert sorted(keys_in(s3, pipeline.input_bucket)) == ["SHOUT.wav", "Talk.mp3"]


def test_the_key_is_the_stack_key_prefix_then_the_prefix_then_the_file_name(run, pulumi, s3, tmp_path):
    stack = deploy(pulumi, "prod", key_prefix="media/")

    result = run("upload", media(tmp_path, "talk.ogg"), "--stack", "prod", "--prefix", "team/")

    assert result.code == 0, result.err
    assert keys_in(s3, stack.input_bucket) == ["media/team/talk.ogg"]
    assert naming.transcript_key("transcripts/", "media/team/talk.ogg") in result.out


def test_upload_to_a_bucket_named_on_the_command_line(run, s3, tmp_path):
    s3.create_bucket(Bucket="loose-bucket")

    result = run("upload", media(tmp_path, "talk.amr"), "--bucket", "loose-bucket")

    assert result.code == 0, result.err
    assert keys_in(s3, "loose-bucket") == ["talk.amr"]
    assert "transcripts/talk.amr.json in the output bucket" in result.out


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("missing.mp3", None, "no such file"),
        ("empty.mp3", b"", "the file is empty"),
        ("notes.txt", b"text", "unsupported file type ('.txt')"),
        ("noextension", b"data", "unsupported file type (no extension)"),
    ],
)
def test_a_file_that_fails_a_check_is_named_with_its_problem_and_nothing_is_sent(run, pipeline, s3, tmp_path, name, content, problem):
    good = media(tmp_path, "good.mp3")
    bad = tmp_path / name
    if content is not None:
        bad.write_bytes(content)

    result = run("upload", good, bad, "--stack", "dev")

    assert result.code == 2
    assert result.err.startswith(f"mediactl: error: {bad}: {problem}")
    assert result.err.count("\n") == 1
    assert keys_in(s3, pipeline.input_bucket) == []


def test_a_file_of_2_gb_or_more_is_refused(run, pipeline, s3, tmp_path):
    huge = tmp_path / "huge.wav"
    with huge.open("wb") as sparse:
        sparse.truncate(naming.MAX_MEDIA_BYTES)

    result = run("upload", huge, "--stack", "dev")

    assert result.code == 2
    assert f"{huge}: the file has {naming.MAX_MEDIA_BYTES} bytes; Transcribe takes files under 2 GB" in result.err
    assert keys_in(s3, pipeline.input_bucket) == []


def test_a_directory_is_refused(run, pipeline, tmp_path):
    folder = tmp_path / "album.mp3"
    folder.mkdir()

    result = run("upload", folder, "--stack", "dev")

    assert result.code == 2
    assert result.err.strip() == f"mediactl: error: {folder}: not a file"


def test_every_failing_file_gets_its_own_line(run, pipeline, tmp_path):
    result = run("upload", tmp_path / "a.mp3", tmp_path / "b.mp3", "--stack", "dev")

    assert result.code == 2
    assert result.err.splitlines() == [
        f"mediactl: error: {tmp_path / 'a.mp3'}: no such file",
        f"mediactl: error: {tmp_path / 'b.mp3'}: no such file",
    ]


def test_two_files_that_would_share_a_key_are_refused(run, pipeline, s3, tmp_path):
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    first, second = media(tmp_path / "one", "talk.mp3"), media(tmp_path / "two", "talk.MP3")

    result = run("upload", first, second, "--stack", "dev")

    assert result.code == 2
    assert f"{second}: same S3 key 'talk.mp3' as {first}" in result.err
    assert keys_in(s3, pipeline.input_bucket) == []


def test_upload_to_a_missing_bucket_is_one_line(run, tmp_path):
    result = run("upload", media(tmp_path, "talk.mp3"), "--bucket", "no-such-bucket")

    assert result.code == 1
    assert result.err == "mediactl: error: no such bucket: no-such-bucket\n"


def test_a_file_name_with_brackets_is_uploaded_as_it_is(run, pipeline, s3, tmp_path):
    result = run("upload", media(tmp_path, "[live] talk.mp3"), "--stack", "dev")

    assert result.code == 0, result.err
    assert keys_in(s3, pipeline.input_bucket) == ["[live] talk.mp3"]


def test_a_file_name_that_is_not_utf8_is_one_line_and_nothing_is_uploaded(run, pipeline, s3, tmp_path):
    good = media(tmp_path, "good.mp3")
    latin1 = tmp_path / os.fsdecode(b"caf\xe9.mp3")
    latin1.write_bytes(os.urandom(1024))

    result = run("upload", good, latin1, "--stack", "dev")

    assert result.code == 2
    assert result.err == (
        f"mediactl: error: {tmp_path}/caf\\xe9.mp3: the file name is not valid UTF-8, which S3 keys must be: rename the file\n"
    )
    assert keys_in(s3, pipeline.input_bucket) == []


@pytest.mark.parametrize("prefix", ["/abs/", "team*/", "x" * 513])
def test_a_prefix_that_is_not_a_key_prefix_is_refused_like_key_prefix(run, pipeline, s3, tmp_path, prefix):
    result = run("upload", media(tmp_path, "talk.mp3"), "--stack", "dev", "--prefix", prefix)

    assert result.code == 2
    assert result.err == (
        f"mediactl: error: --prefix {prefix!r} is not a key prefix: use one such as 'team/'"
        " (no leading '/', no '*', 512 characters at most)\n"
    )
    assert keys_in(s3, pipeline.input_bucket) == []


def test_a_prefix_without_a_trailing_slash_gets_one(run, pulumi, s3, tmp_path):
    stack = deploy(pulumi, "prod", key_prefix="media/")

    result = run("upload", media(tmp_path, "talk.mp3"), "--stack", "prod", "--prefix", "team")

    assert result.code == 0, result.err
    assert keys_in(s3, stack.input_bucket) == ["media/team/talk.mp3"]
    assert "--prefix 'team' becomes 'team/'" in result.err


def test_a_prefix_that_is_not_utf8_is_refused(run, pipeline, s3, tmp_path):
    result = run("upload", media(tmp_path, "talk.mp3"), "--stack", "dev", "--prefix", os.fsdecode(b"\xe9t\xe9/"))

    assert result.code == 2
    assert result.err == "mediactl: error: --prefix '\\xe9t\\xe9/' is not valid UTF-8: S3 keys are UTF-8\n"
