"""`--stack NAME`: reading the stack's outputs with the Pulumi CLI, and each way that fails."""

import subprocess
import sys
from pathlib import Path

import boto3
import pytest

from mediactl.stack import PROJECT_DIR

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def talk(tmp_path):
    path = tmp_path / "talk.mp3"
    path.write_bytes(b"ID3" + bytes(100))
    return path


def test_stack_outputs_come_from_pulumi_run_in_the_project_directory(run, pipeline, pulumi, talk):
    result = run("upload", talk, "--stack", "dev")

    assert result.code == 0, result.err
    assert pulumi.calls() == [{"argv": ["stack", "output", "--json", "--stack", "dev"], "cwd": str(REPO_ROOT)}]
    assert (PROJECT_DIR / "Pulumi.yaml").exists()


def test_missing_pulumi_cli_is_one_clear_line(run, monkeypatch, tmp_path, talk):
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))

    result = run("upload", talk, "--stack", "dev")

    assert result.code == 1
    assert result.err.startswith("mediactl: error: the Pulumi CLI is not on PATH")
    assert result.err.count("\n") == 1


def test_unknown_stack_is_bad_input(run, pipeline, talk):
    result = run("upload", talk, "--stack", "staging")

    assert result.code == 2
    assert result.err.startswith("mediactl: error: no stack named 'staging' in the project at ")
    assert result.err.count("\n") == 1


def test_a_missing_output_is_named(run, pulumi, talk):
    pulumi.add("half", {"inputBucket": "media", "keyPrefix": "", "outputPrefix": "transcripts/"})

    result = run("upload", talk, "--stack", "half")

    assert result.code == 1
    assert result.err.startswith("mediactl: error: stack 'half' has no output 'outputBucket' (is it deployed?")


def test_redrive_needs_the_failure_queue_output(run, pulumi):
    pulumi.add("old", {"inputBucket": "media", "outputBucket": "out"})

    result = run("redrive", "--stack", "old")

    assert result.code == 1
    assert "stack 'old' has no output 'failureQueueUrl'" in result.err


def test_pulumi_printing_something_else_than_json_is_reported(run, pulumi, talk):
    pulumi.add("odd", "Current stack outputs (0):")

    result = run("upload", talk, "--stack", "odd")

    assert result.code == 1
    assert result.err == "mediactl: error: `pulumi stack output --json --stack odd` did not print a JSON object\n"


def test_the_stack_region_is_where_the_tool_looks(run, pipeline, pulumi, monkeypatch):
    pulumi.add("dev", {**pipeline.outputs, "region": "eu-west-1"})
    boto3.client("transcribe", region_name="eu-west-1").start_transcription_job(
        TranscriptionJobName=f"{pipeline.job_name_prefix}talk-in-ireland",
        Media={"MediaFileUri": f"s3://{pipeline.input_bucket}/talk.mp3"},
        LanguageCode="en-US",
    )
    monkeypatch.setenv("AWS_REGION", "us-east-1")

    result = run("jobs", "--stack", "dev")

    assert result.code == 0, result.err
    assert f"{pipeline.job_name_prefix}talk-in-ireland" in result.out


def test_python_m_mediactl_runs_the_tool():
    result = subprocess.run(
        [sys.executable, "-m", "mediactl", "--help"], cwd=REPO_ROOT, capture_output=True, text=True
    )

    assert result.returncode == 0
    assert "upload" in result.stdout and "redrive" in result.stdout


@pytest.mark.parametrize("command", ["upload", "jobs", "fetch", "clean", "redrive", "status"])
def test_every_command_has_help(run, command):
    result = run(command, "--help")

    assert result.code == 0
    assert result.out.startswith(f"usage: mediactl {command}")


@pytest.mark.parametrize(
    ("command", "hint"),
    [
        (["jobs", "--stack", "dev"], " to use --stack, or select the jobs with --prefix\n"),
        (["clean", "--stack", "dev"], " to use --stack, or select the jobs with --prefix\n"),
        (["redrive", "--stack", "dev"], " to use --stack\n"),
        (["fetch", "talk.mp3", "--stack", "dev"], " to use --stack, or name the transcripts bucket with --bucket\n"),
        (["upload", "TALK", "--stack", "dev"], " to use --stack, or name the bucket with --bucket\n"),
    ],
)
def test_without_the_pulumi_cli_the_hint_names_what_the_command_takes_instead(run, monkeypatch, tmp_path, talk, command, hint):
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))

    result = run(*[str(talk) if word == "TALK" else word for word in command])

    assert result.code == 1
    assert result.err.startswith("mediactl: error: the Pulumi CLI is not on PATH: install it (https://www.pulumi.com/docs/install/)")
    assert result.err.endswith(hint)


def test_redrive_help_describes_both_queues_and_the_unreadable_options(run):
    result = run("redrive", "--help")

    text = " ".join(result.out.split())
    assert result.code == 0
    for words in ("dead-letter queue", "SQS message move task", "are sent to the upload queue", "--export", "--delete-unreadable", "ERROR_CODE"):
        assert words in text
