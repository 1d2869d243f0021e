"""The edges of the command line: every flag has one meaning in every command, a flag that does
nothing in the mode chosen is refused the same way everywhere, and keys, bucket names and
directories that cannot work are refused in one line (exit 2) before anything is sent."""

import pytest

from function import naming
from mediactl.cli import build_parser
from mediactl_fakes import PROJECT, deploy
from test_mediactl_jobs import T0, add_job, job_names
from test_mediactl_upload import keys_in, media


def one_line(result) -> str:
    assert result.code == 2, result.err
    assert result.err.count("\n") == 1, result.err
    return result.err.removeprefix("mediactl: error: ").rstrip("\n")


@pytest.mark.parametrize(
    ("command", "message"),
    [
        (["upload", "TALK", "--stack", "dev", "--out", "got"],
         "--out does nothing without --wait (it says where --wait saves the transcripts): add --wait, or leave out --out"),
        (["upload", "TALK", "--bucket", "dev-media", "--job-prefix", "p-"],
         "--job-prefix does nothing without --wait (the start of the job names --wait looks among): add --wait, or leave out --job-prefix"),
        (["upload", "TALK", "--bucket", "dev-media", "--output-bucket", "dev-transcripts"],
         "--output-bucket does nothing without --wait (the transcripts bucket, where --wait reads the error notes): add --wait,"
         " or leave out --output-bucket"),
        (["upload", "TALK", "--stack", "dev", "--wait", "--output-bucket", "dev-transcripts"],
         "--output-bucket does nothing with --stack (the stack's outputs name the bucket and the job-name prefix): leave out --output-bucket"),
        (["upload", "TALK", "--stack", "dev", "--wait", "--job-prefix", "p-"],
         "--job-prefix does nothing with --stack (the stack's outputs name the bucket and the job-name prefix): leave out --job-prefix"),
        (["clean", "--stack", "dev", "--force"],
         "--force does nothing without --job-prefix (it lets --job-prefix name jobs that are not a stack's): add --job-prefix, or leave out --force"),
        (["redrive", "--stack", "dev", "--yes"],
         "--yes does nothing without --delete-unreadable (it deletes the unreadable messages without asking): add --delete-unreadable,"
         " or leave out --yes"),
        (["fetch", "talk.mp3", "--stack", "dev", "--unredacted", "--format", "json"],
         "--format does nothing with --unredacted (--unredacted fetches the unredacted JSON transcript): leave out --format"),
    ],
)  # fmt: skip
def test_a_flag_that_does_nothing_in_the_mode_chosen_is_refused_the_same_way_everywhere(run, pipeline, s3, tmp_path, command, message):
    talk = media(tmp_path, "talk.mp3")

    result = run(*[talk if word == "TALK" else word for word in command])

    assert one_line(result) == message
    assert keys_in(s3, pipeline.input_bucket) == []


@pytest.mark.parametrize(
    ("prefix", "problem"),
    [
        ("../x/", "has a '..' folder"),
        ("a//b/", "has an empty folder (two '/' in a row, or a leading '/')"),
        ("team/./", "has a '.' folder"),
        ("team/..", "has a '..' folder"),
    ],
)
def test_a_prefix_with_an_empty_dot_or_dot_dot_folder_is_refused_before_anything_is_uploaded(run, pipeline, s3, tmp_path, prefix, problem):
    result = run("upload", media(tmp_path, "talk.mp3"), "--stack", "dev", "--prefix", prefix, "--wait")

    assert one_line(result) == f"--prefix {prefix!r} {problem}: name every folder, as in 'team/2026/'"
    assert keys_in(s3, pipeline.input_bucket) == []


def test_the_stack_key_prefix_with_the_prefix_and_file_name_is_checked_too(run, pulumi, s3, tmp_path):
    stack = deploy(pulumi, "odd", key_prefix="media//")
    talk = media(tmp_path, "talk.mp3")

    result = run("upload", talk, "--stack", "odd", "--prefix", "team/")

    assert one_line(result) == (
        f"{talk}: its S3 key 'media//team/talk.mp3' (the stack's keyPrefix 'media//', --prefix, the file name)"
        " has an empty folder (two '/' in a row, or a leading '/')"
    )
    assert keys_in(s3, stack.input_bucket) == []


@pytest.mark.parametrize(
    ("command", "flag", "name", "rule"),
    [
        (["upload", "TALK", "--bucket"], "--bucket", "Bad_Bucket!", "an S3 bucket name has only lower-case letters, digits, '.' and '-'"),
        (["upload", "TALK", "--bucket", "dev-media", "--wait", "--output-bucket"], "--output-bucket", "ab", "an S3 bucket name has 3 to 63 characters, this one 2"),
        (["fetch", "talk.mp3", "--bucket"], "--bucket", "192.168.5.4", "an S3 bucket name is not written as an IP address"),
        (["fetch", "talk.mp3", "--bucket"], "--bucket", "media-s3alias", "S3 reserves bucket names ending with '-s3alias'"),
    ],
)
def test_a_bucket_name_s3_would_refuse_is_one_sentence(run, pipeline, s3, tmp_path, command, flag, name, rule):
    result = run(*[media(tmp_path, "talk.mp3") if word == "TALK" else word for word in command], name)

    assert one_line(result) == f"{flag} {name!r} is not a bucket name: {rule}"
    assert keys_in(s3, pipeline.input_bucket) == []


@pytest.mark.parametrize(
    "command",
    [
        ["upload", "TALK", "--stack", "dev", "--wait", "--out", "FILE"],
        ["fetch", "talk.mp3", "--stack", "dev", "--out", "FILE"],
        ["redrive", "--stack", "dev", "--export", "FILE"],
    ],
)
def test_an_out_directory_that_is_a_file_is_one_line(run, pipeline, s3, tmp_path, command):
    file = tmp_path / "notes.txt"
    file.write_text("mine")
    flag = command[command.index("FILE") - 1]

    result = run(*[media(tmp_path, "talk.mp3") if word == "TALK" else file if word == "FILE" else word for word in command])

    assert one_line(result) == f"{flag} {str(file)!r} is a file: give a directory (it is made if missing)"
    assert keys_in(s3, pipeline.input_bucket) == []
    assert file.read_text() == "mine"


def test_an_out_directory_below_a_file_is_one_line(run, pipeline, tmp_path):
    (tmp_path / "notes.txt").write_text("mine")

    result = run("fetch", "talk.mp3", "--stack", "dev", "--out", tmp_path / "notes.txt" / "sub")

    assert one_line(result) == f"--out {str(tmp_path / 'notes.txt' / 'sub')!r} is inside {str(tmp_path / 'notes.txt')!r}, a file: give a directory (it is made if missing)"


@pytest.mark.parametrize("command", ["jobs", "clean"])
def test_jobs_and_clean_say_that_prefix_is_a_key_prefix_and_job_prefix_selects_jobs(run, transcribe, command):
    add_job(transcribe, "sim-", "a.mp3", T0)

    result = run(command, "--prefix", "sim-", "--yes" if command == "clean" else "--limit=1")

    assert one_line(result) == "--prefix is a key prefix in every mediactl command: select jobs by the start of their names with --job-prefix P"
    assert job_names(transcribe) != set()


def test_clean_without_a_stack_refuses_a_prefix_that_is_not_a_stack_s(run, transcribe):
    loose = add_job(transcribe, "sim-", "a.mp3", T0)

    result = run("clean", "--job-prefix", "sim", "--yes")

    assert one_line(result) == (
        "--job-prefix 'sim' is not a stack's job-name prefix (<project>-<stack>-<6 hex digits>-, as `pulumi stack output"
        " jobNamePrefix` prints it): give the whole prefix, use --stack, or add --force"
    )
    assert loose in job_names(transcribe)


def test_clean_without_a_stack_takes_a_stack_s_prefix_and_any_prefix_with_force(run, transcribe):
    stacks = add_job(transcribe, naming.job_name_prefix(PROJECT, "gone"), "a.mp3", T0)
    loose = add_job(transcribe, "sim-", "b.mp3", T0)

    by_stack_prefix = run("clean", "--job-prefix", naming.job_name_prefix(PROJECT, "gone"), "--yes")
    forced = run("clean", "--job-prefix", "sim", "--force", "--yes")

    assert (by_stack_prefix.code, forced.code) == (0, 0)
    assert stacks not in job_names(transcribe) and loose not in job_names(transcribe)


@pytest.mark.parametrize(
    ("prefix", "is_a_stack_s"),
    [
        (naming.job_name_prefix("transcribe-pipeline", "dev"), True),
        (naming.job_name_prefix("x" * 40, "prod-eu.west"), True),
        (naming.job_name_prefix("Café project", "é"), True),
        ("sim", False),
        ("sim-", False),
        ("transcribe-pipeline-dev-", False),
        ("transcribe-pipeline-dev-5a9e2a", False),
        ("pipeline-5a9e2a-", False),
    ],
)
def test_what_looks_like_a_stack_s_job_name_prefix(prefix, is_a_stack_s):
    assert naming.is_stack_job_name_prefix(prefix) is is_a_stack_s


def visible_flags() -> dict[str, dict[str, str]]:
    """Command -> flag -> its help, for every flag `--help` shows."""
    commands = next(action for action in build_parser()._actions if action.choices and isinstance(action.choices, dict))
    return {
        name: {flag: action.help for action in parser._actions for flag in action.option_strings if action.help != "==SUPPRESS=="}
        for name, parser in commands.choices.items()
    }


def test_every_flag_means_one_thing_in_every_command():
    flags = visible_flags()

    key_prefix = [command for command, helps in flags.items() if "--prefix" in helps]
    job_prefix = {command: helps["--job-prefix"] for command, helps in flags.items() if "--job-prefix" in helps}
    assert key_prefix == ["upload", "audit", "backfill"]
    assert all("key prefix" in flags[command]["--prefix"] for command in key_prefix)
    assert set(job_prefix) == {"upload", "jobs", "clean"}
    assert all("job names" in help or "job-name prefix" in help for help in job_prefix.values())
    for flag in ("--stack", "--outputs"):
        assert len({helps[flag] for helps in flags.values() if flag in helps}) == 1, flag
