"""`fetch`: the transcript of a media key, where the shared naming rules put it."""

import json
import shlex
from pathlib import Path

import pytest

from function import naming
from hints import assert_run_as_printed, printed_commands
from mediactl_fakes import deploy, outputs_file, transcript_document


def put(s3, bucket: str, key: str, body) -> None:
    s3.put_object(Bucket=bucket, Key=key, Body=body if isinstance(body, bytes) else json.dumps(body).encode())


def test_fetch_downloads_the_json_transcript(run, pipeline, s3, tmp_path):
    put(s3, pipeline.output_bucket, "transcripts/team/talk.mp3.json", transcript_document("hello"))

    result = run("fetch", "team/talk.mp3", "--stack", "dev", "--out", tmp_path / "got")

    assert result.code == 0, result.err
    saved = tmp_path / "got" / "team" / "talk.mp3.json"
    assert json.loads(saved.read_text())["results"]["transcripts"][0]["transcript"] == "hello"
    assert result.out == f"saved {saved} (from s3://{pipeline.output_bucket}/transcripts/team/talk.mp3.json)\n"


@pytest.mark.parametrize("fmt", ["txt", "srt", "vtt"])
def test_fetch_downloads_the_format_asked_for(run, pipeline, s3, tmp_path, fmt):
    key = {"txt": naming.text_key, "srt": None, "vtt": None}[fmt]
    key = key("transcripts/", "talk.mp3") if key else naming.subtitle_key("transcripts/", "talk.mp3", fmt)
    put(s3, pipeline.output_bucket, key, f"the {fmt} file".encode())

    result = run("fetch", "talk.mp3", "--stack", "dev", "--format", fmt, "--out", tmp_path)

    assert result.code == 0, result.err
    assert (tmp_path / f"talk.mp3.{fmt}").read_text() == f"the {fmt} file"


def test_fetch_txt_is_made_from_the_json_when_the_bucket_has_no_text(run, pipeline, s3, tmp_path):
    put(s3, pipeline.output_bucket, "transcripts/talk.mp3.json", transcript_document("only json here"))

    result = run("fetch", "talk.mp3", "--stack", "dev", "--format", "txt", "--out", tmp_path)

    assert result.code == 0, result.err
    assert (tmp_path / "talk.mp3.txt").read_text() == "only json here\n"
    assert result.out.endswith(f"(from s3://{pipeline.output_bucket}/transcripts/talk.mp3.json)\n")


def test_fetch_uses_the_stack_output_prefix(run, pulumi, s3, tmp_path):
    stack = deploy(pulumi, "prod", output_prefix="out/text/")
    put(s3, stack.output_bucket, "out/text/talk.mp3.json", transcript_document("prefixed"))

    result = run("fetch", "talk.mp3", "--stack", "prod", "--out", tmp_path)

    assert result.code == 0, result.err
    assert (tmp_path / "talk.mp3.json").exists()


def test_fetch_from_a_bucket_uses_the_default_output_prefix(run, s3, tmp_path):
    s3.create_bucket(Bucket="some-transcripts")
    put(s3, "some-transcripts", "transcripts/talk.mp3.json", transcript_document("hi"))

    result = run("fetch", "talk.mp3", "--bucket", "some-transcripts", "--out", tmp_path)

    assert result.code == 0, result.err
    assert (tmp_path / "talk.mp3.json").exists()


def test_fetch_tells_why_there_is_no_transcript(run, pipeline, s3, tmp_path):
    note = {"media": "s3://dev-media/big.wav", "jobName": "job-1", "reason": "the file has 3 GB", "time": "2026-03-01T09:00:00+00:00"}
    put(s3, pipeline.output_bucket, naming.error_key("transcripts/", "big.wav"), note)

    result = run("fetch", "big.wav", "--stack", "dev", "--out", tmp_path / "got")

    assert result.code == 1
    assert result.err == "mediactl: error: big.wav has no transcript: the file has 3 GB (job job-1)\n"
    assert not any((tmp_path / "got").glob("*"))


@pytest.mark.parametrize("selection", [("--stack", "dev"), ("--outputs", "OUTPUTS")])
def test_fetch_of_a_transcript_not_there_yet_is_one_line_with_a_jobs_command_that_runs(run, pipeline, tmp_path, selection):
    selection = tuple(str(outputs_file(tmp_path, pipeline)) if word == "OUTPUTS" else word for word in selection)

    result = run("fetch", "later.mp3", *selection, "--out", tmp_path)

    assert result.code == 1
    assert result.err == (
        f"mediactl: error: no transcript yet at s3://{pipeline.output_bucket}/transcripts/later.mp3.json: is the job still"
        f" running (`mediactl jobs {shlex.join(selection)}` lists the stack's jobs), and is the media key right?\n"
    )
    assert assert_run_as_printed(result.err, *selection) == [["mediactl", "jobs", *selection]]


def test_fetch_by_bucket_of_a_transcript_not_there_yet_prints_no_command_it_cannot_complete(run, pipeline, tmp_path):
    result = run("fetch", "later.mp3", "--bucket", pipeline.output_bucket, "--out", tmp_path)

    assert result.code == 1
    assert result.err.endswith("is the job still running, and is the media key right?\n")
    assert printed_commands(result.err) == []


def test_fetch_from_a_missing_bucket_is_one_line(run, tmp_path):
    result = run("fetch", "talk.mp3", "--bucket", "nowhere", "--out", tmp_path)

    assert result.code == 1
    assert result.err.count("\n") == 1
    assert "Traceback" not in result.err


def test_transcripts_of_the_same_file_name_in_two_folders_do_not_overwrite_each_other(run, pipeline, s3, tmp_path):
    for folder in ("a", "b"):
        put(s3, pipeline.output_bucket, f"transcripts/{folder}/talk.mp3.txt", f"from {folder}".encode())
        assert run("fetch", f"{folder}/talk.mp3", "--stack", "dev", "--format", "txt", "--out", tmp_path).code == 0

    assert (tmp_path / "a" / "talk.mp3.txt").read_text() == "from a"
    assert (tmp_path / "b" / "talk.mp3.txt").read_text() == "from b"


def test_the_documented_fetch_sample_prints_what_the_media_tool_page_shows(run, pipeline, s3, tmp_path, monkeypatch):
    put(s3, pipeline.output_bucket, "transcripts/team/talk.mp3.txt", b"hello")
    monkeypatch.chdir(tmp_path)

    result = run("fetch", "team/talk.mp3", "--stack", "dev", "--format", "txt", "--out", ".")

    assert result.out == f"saved team/talk.mp3.txt (from s3://{pipeline.output_bucket}/transcripts/team/talk.mp3.txt)\n"
    page = (Path(__file__).resolve().parents[2] / "docs" / "media-tool.md").read_text()
    assert "saved team/talk.mp3.txt (from s3://<outputBucket>/transcripts/team/talk.mp3.txt)" in page


def test_a_key_with_a_dot_dot_folder_is_not_saved_outside_out(run, pipeline, s3, tmp_path):
    put(s3, pipeline.output_bucket, "transcripts/../escape.mp3.json", transcript_document("x"))

    result = run("fetch", "../escape.mp3", "--stack", "dev", "--out", tmp_path / "got")

    assert result.code == 1
    assert result.err == (
        f"mediactl: error: will not save 'transcripts/../escape.mp3.json' under {tmp_path / 'got'}:"
        " its key has an empty, '.' or '..' folder\n"
    )
    assert not (tmp_path / "escape.mp3.json").exists()


def test_vtt_on_a_stack_that_writes_none_says_so(run, pipeline, s3, tmp_path):
    put(s3, pipeline.output_bucket, "transcripts/talk.mp3.json", transcript_document("hello"))
    put(s3, pipeline.output_bucket, "transcripts/talk.mp3.srt", b"1\n")

    result = run("fetch", "talk.mp3", "--stack", "dev", "--format", "vtt", "--out", tmp_path)

    assert result.code == 1
    assert result.err == (
        "mediactl: error: talk.mp3 has a transcript but no vtt subtitles: this stack does not write vtt"
        " (its subtitleFormats setting); fetch another format with --format\n"
    )


def test_fetch_unredacted_downloads_the_unredacted_transcript_beside_the_redacted_one(run, pipeline, s3, tmp_path):
    key = naming.unredacted_transcript_key("transcripts/", "calls/support.mp3")
    assert key == "unredacted/transcripts/calls/support.mp3.json"
    put(s3, pipeline.output_bucket, key, transcript_document("my name is Efua"))
    put(s3, pipeline.output_bucket, "transcripts/calls/support.mp3.json", transcript_document("my name is [PII]"))

    result = run("fetch", "calls/support.mp3", "--stack", "dev", "--unredacted", "--out", tmp_path)

    assert result.code == 0, result.err
    saved = tmp_path / "calls" / "support.mp3.unredacted.json"
    assert json.loads(saved.read_text())["results"]["transcripts"][0]["transcript"] == "my name is Efua"
    assert result.out == f"saved {saved} (from s3://{pipeline.output_bucket}/{key})\n"
    assert run("fetch", "calls/support.mp3", "--stack", "dev", "--out", tmp_path).code == 0
    assert "[PII]" in (tmp_path / "calls" / "support.mp3.json").read_text()


def test_fetch_unredacted_says_when_the_stack_keeps_none(run, pipeline, s3, tmp_path):
    put(s3, pipeline.output_bucket, "transcripts/talk.mp3.json", transcript_document("redacted only"))

    result = run("fetch", "talk.mp3", "--stack", "dev", "--unredacted", "--out", tmp_path / "got")

    assert result.code == 1
    assert "no unredacted transcript at" in result.err and "redacted_and_unredacted" in result.err
    assert not (tmp_path / "got").exists() or list((tmp_path / "got").iterdir()) == []


def test_fetch_unredacted_is_json_only(run, pipeline, tmp_path):
    result = run("fetch", "talk.mp3", "--stack", "dev", "--unredacted", "--format", "txt", "--out", tmp_path)
    assert result.code == 2 and "--unredacted fetches the unredacted JSON transcript" in result.err
