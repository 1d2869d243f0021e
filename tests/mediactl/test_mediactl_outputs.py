"""`--outputs FILE`: the JSON `pulumi stack output --json` printed, saved once, used exactly as the
CLI's outputs are, by every command that takes `--stack`, on a machine without the Pulumi CLI.
Without either flag, a command that needs the stack says in one line which flag to give."""

import json

import pytest

from mediactl_fakes import outputs_file, transcript_document
from test_mediactl_jobs import T0, add_job
from test_mediactl_redrive import failed_uploads
from test_mediactl_status import DASHBOARD

NO_STACK = "mediactl: error: give the stack with --stack NAME (read with the Pulumi CLI) or --outputs FILE (the JSON `pulumi stack output --json` printed)"


@pytest.fixture
def no_pulumi_cli(monkeypatch, tmp_path):
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))


@pytest.fixture
def talk(tmp_path):
    path = tmp_path / "talk.mp3"
    path.write_bytes(b"ID3" + bytes(100))
    return path


def trimmed(text: str) -> str:
    """Without the spaces that pad a table's title to the table's width."""
    return "\n".join(line.rstrip() for line in text.splitlines())


def without_cli(run, monkeypatch, tmp_path, *args):
    with monkeypatch.context() as patch:
        empty = tmp_path / "empty-bin"
        empty.mkdir(exist_ok=True)
        patch.setenv("PATH", str(empty))
        return run(*args)


def test_every_command_does_with_the_outputs_file_what_it_does_with_the_stack(run, pipeline, pulumi, functions, sqs, s3, transcribe, monkeypatch, tmp_path, talk):
    outputs = {**pipeline.outputs, "alarmTopicArn": "arn:aws:sns:us-east-1:123456789012:dev-alarms", "dashboardUrl": DASHBOARD}
    pulumi.add("dev", outputs)
    # A path relative to where the user is, as typed.
    monkeypatch.chdir(tmp_path)
    saved = "dev.json"
    (tmp_path / saved).write_text(json.dumps(outputs, indent=4))
    add_job(transcribe, pipeline.job_name_prefix, "a.mp3", T0)
    s3.put_object(Bucket=pipeline.output_bucket, Key="transcripts/talk.mp3.json", Body=json.dumps(transcript_document("hi")).encode())
    commands = [
        ["jobs"],
        ["fetch", "talk.mp3", "--format", "txt", "--out", tmp_path / "got"],
        ["status"],
        ["upload", talk],
    ]

    for command in commands:
        with_stack = run(*command, "--stack", "dev")
        with_file = without_cli(run, monkeypatch, tmp_path, *command, "--outputs", saved)

        as_with_stack = trimmed(with_file.out.replace(f"the stack of {saved}", "stack 'dev'"))
        assert (with_file.code, as_with_stack) == (with_stack.code, trimmed(with_stack.out)), command
    assert len(pulumi.calls()) == len(commands)


def test_redrive_and_clean_with_the_outputs_file_act_on_the_stack_without_the_pulumi_cli(run, pipeline, functions, sqs, transcribe, no_pulumi_cli, tmp_path):
    failed_uploads(sqs, pipeline)
    add_job(transcribe, pipeline.job_name_prefix, "a.mp3", T0)
    saved = outputs_file(tmp_path, pipeline)

    redriven = run("redrive", "--outputs", saved)
    cleaned = run("clean", "--outputs", saved, "--yes")

    assert redriven.code == 0, redriven.err
    assert "failure queue: redriven: 2 (2 sent to the upload queue)" in redriven.out
    assert cleaned.code == 0, cleaned.err
    assert cleaned.out == "deleted 1 transcription job (their transcripts stay in the output bucket)\n"


@pytest.mark.parametrize(
    ("command", "instead"),
    [
        (["upload", "TALK"], ", or name the media bucket with --bucket NAME"),
        (["fetch", "talk.mp3"], ", or name the transcripts bucket with --bucket NAME"),
        (["jobs"], ", or select the jobs with --job-prefix P"),
        (["clean", "--yes"], ", or select the jobs with --job-prefix P"),
        (["redrive"], ""),
        (["status"], ""),
    ],
)
def test_without_stack_or_outputs_a_command_names_the_flags_to_give_in_one_line(run, pipeline, talk, command, instead):
    result = run(*[str(talk) if word == "TALK" else word for word in command])

    assert result.code == 2
    assert result.err == f"{NO_STACK}{instead}\n"


def test_stack_and_outputs_together_are_refused(run, pipeline, tmp_path):
    result = run("jobs", "--stack", "dev", "--outputs", outputs_file(tmp_path, pipeline))

    assert result.code == 2
    assert "argument --outputs: not allowed with argument --stack" in result.err


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (None, "no such file (save it with `pulumi stack output --json --stack NAME > {path}`)"),
        ("Current stack outputs (2):", "is not the JSON object `pulumi stack output --json` prints"),
        ("[1, 2]", "is not the JSON object `pulumi stack output --json` prints"),
    ],
)
def test_an_outputs_file_that_cannot_be_used_is_one_line_and_bad_input(run, tmp_path, content, problem):
    path = tmp_path / "outputs.json"
    if content is not None:
        path.write_text(content)

    result = run("jobs", "--outputs", path)

    assert result.code == 2
    assert result.err.startswith(f"mediactl: error: --outputs {str(path)!r}")
    assert result.err.rstrip("\n").endswith(problem.format(path=path))
    assert result.err.count("\n") == 1


def test_an_outputs_file_without_an_output_the_command_needs_names_it(run, pipeline, tmp_path):
    path = tmp_path / "half.json"
    path.write_text(json.dumps({"inputBucket": pipeline.input_bucket}))

    result = run("redrive", "--outputs", path)

    assert result.code == 2
    assert result.err == (
        f"mediactl: error: the stack of {path} has no output 'failureQueueUrl' (save the outputs of a deployed stack:"
        " `pulumi stack output --json --stack NAME > FILE`)\n"
    )


def test_wait_with_the_outputs_file_follows_the_upload_through_the_stack_queues(run, pipeline, uploads_start_jobs, pauses, no_pulumi_cli, talk, tmp_path):
    result = run("upload", talk, "--outputs", outputs_file(tmp_path, pipeline), "--wait", "--out", tmp_path / "out")

    assert result.code == 0, result.err
    assert (tmp_path / "out" / "talk.mp3.txt").read_text() == "hello from talk.mp3\n"
