"""`--stack NAME`: reading the stack's outputs with the Pulumi CLI, where it runs, and each way
that fails."""

from pathlib import Path

import boto3
import pytest

from function import naming
from mediactl import stack
from mediactl_fakes import PROJECT
from test_mediactl_jobs import T0, add_job, job_names

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
    assert (stack.CHECKOUT / "Pulumi.yaml").exists()


@pytest.fixture
def installed(monkeypatch, tmp_path):
    """mediactl as installed: the package's parent directory (site-packages) holds no Pulumi.yaml."""
    site_packages = tmp_path / "site-packages"
    site_packages.mkdir()
    monkeypatch.setattr(stack, "CHECKOUT", site_packages)


def a_project(directory: Path, name: str = PROJECT) -> Path:
    directory.mkdir(parents=True)
    (directory / "Pulumi.yaml").write_text(f"name: {name}\nruntime: python\n")
    return directory


def test_installed_pulumi_runs_where_the_user_is_and_finds_the_project_upwards_as_the_cli_does(run, pipeline, pulumi, installed, monkeypatch, tmp_path, talk):
    project = a_project(tmp_path / "project")
    (project / "infra").mkdir()
    monkeypatch.chdir(project / "infra")

    result = run("upload", talk, "--stack", "dev")

    assert result.code == 0, result.err
    assert [call["cwd"] for call in pulumi.calls()] == [str(project)]


def test_installed_outside_any_project_pulumi_runs_in_the_current_directory(run, pipeline, pulumi, installed, monkeypatch, tmp_path, talk):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)

    result = run("upload", talk, "--stack", "org/transcribe-pipeline/dev")

    assert [call["cwd"] for call in pulumi.calls()] == [str(elsewhere)]


def test_after_destroy_the_job_name_prefix_comes_from_the_project_file_where_the_user_is(run, pulumi, transcribe, installed, monkeypatch, tmp_path):
    pulumi.add("gone", {})
    name = add_job(transcribe, naming.job_name_prefix("my-project", "gone"), "a.mp3", T0)
    monkeypatch.chdir(a_project(tmp_path / "project", "my-project"))

    result = run("clean", "--stack", "gone", "--yes")

    assert result.code == 0, result.err
    assert name not in job_names(transcribe)


def test_after_destroy_a_fully_qualified_stack_name_gives_the_project_anywhere(run, pulumi, transcribe, installed, monkeypatch, tmp_path):
    pulumi.add("acme/my-project/gone", {})
    name = add_job(transcribe, naming.job_name_prefix("my-project", "gone"), "a.mp3", T0)
    monkeypatch.chdir(tmp_path)

    result = run("clean", "--stack", "acme/my-project/gone", "--yes")

    assert result.code == 0, result.err
    assert name not in job_names(transcribe)


def test_after_destroy_outside_the_project_says_what_to_do_in_one_line(run, pulumi, transcribe, installed, monkeypatch, tmp_path):
    pulumi.add("gone", {})
    name = add_job(transcribe, naming.job_name_prefix(PROJECT, "gone"), "a.mp3", T0)
    monkeypatch.chdir(tmp_path)

    result = run("clean", "--stack", "gone", "--yes")

    assert result.code == 2
    assert result.err == (
        "mediactl: error: stack 'gone' has no jobNamePrefix output (destroyed?), and mediactl finds no Pulumi.yaml here"
        " to work it out from the project's name: run it in the project's directory, name the stack ORG/PROJECT/gone,"
        " or select the jobs with --job-prefix\n"
    )
    assert name in job_names(transcribe)


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
    assert result.err.startswith(f"mediactl: error: no stack named 'staging' in the project at {REPO_ROOT} ")
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


@pytest.mark.parametrize("command", ["upload", "jobs", "fetch", "clean", "redrive", "status"])
def test_every_command_has_help(run, command):
    result = run(command, "--help")

    assert result.code == 0
    assert result.out.startswith(f"usage: mediactl {command}")


@pytest.mark.parametrize(
    ("command", "hint"),
    [
        (["jobs", "--stack", "dev"], ", or select the jobs with --job-prefix P\n"),
        (["clean", "--stack", "dev"], ", or select the jobs with --job-prefix P\n"),
        (["redrive", "--stack", "dev"], "saved where the CLI is\n"),
        (["status", "--stack", "dev"], "saved where the CLI is\n"),
        (["fetch", "talk.mp3", "--stack", "dev"], ", or name the transcripts bucket with --bucket NAME\n"),
        (["upload", "TALK", "--stack", "dev"], ", or name the media bucket with --bucket NAME\n"),
    ],
)
def test_without_the_pulumi_cli_the_hint_names_what_the_command_takes_instead(run, monkeypatch, tmp_path, talk, command, hint):
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))

    result = run(*[str(talk) if word == "TALK" else word for word in command])

    assert result.code == 1
    assert result.err.startswith(
        "mediactl: error: the Pulumi CLI is not on PATH: install it (https://www.pulumi.com/docs/install/) to use --stack,"
        " or give --outputs FILE, saved where the CLI is"
    )
    assert result.err.endswith(hint)
    assert result.err.count("\n") == 1


def test_redrive_help_describes_both_queues_and_the_unreadable_options(run):
    result = run("redrive", "--help")

    text = " ".join(result.out.split())
    assert result.code == 0
    for words in ("dead-letter queue", "SQS message move task", "are sent to the upload queue", "--export", "--delete-unreadable", "ERROR_CODE"):
        assert words in text
