"""`jobs` and `clean`: a stack's Transcribe jobs, listed as a table or deleted once they ended."""

import argparse
from datetime import datetime, timedelta

from rich.progress import Progress
from rich.table import Table
from rich.text import Text

from mediactl import checks, jobs, stack
from mediactl.aws import Clients
from mediactl.errors import EXIT_FAILURE, BadInput
from mediactl.terminal import confirmed, count, err, note, out
from transcribe_pipeline.function import naming

STATUS_STYLES = {"COMPLETED": "green", "FAILED": "red", "IN_PROGRESS": "yellow", "QUEUED": "cyan"}


def run_jobs(args) -> int:
    prefix, region = job_prefix_and_region(args)
    clients = Clients(region)
    summaries = jobs.list_jobs(clients.transcribe, prefix)
    if not summaries:
        print(f"no transcription jobs whose names start with {prefix!r}")
        return 0
    shown = jobs.describe_jobs(clients.transcribe, summaries[: args.limit])
    out.print(jobs_table(shown, prefix))
    if len(summaries) > len(shown):
        note(f"the newest {len(shown)} of {count(len(summaries), 'job')}; --limit shows more")
    return 0


def job_prefix_and_region(args) -> tuple[str, str | None]:
    if args.prefix is not None:
        raise BadInput("--prefix is a key prefix in every mediactl command: select jobs by the start of their names with --job-prefix P")
    if args.job_prefix is not None:
        if not naming.is_valid_job_name_prefix(args.job_prefix):
            raise BadInput(f"--job-prefix {args.job_prefix!r} is not the start of a Transcribe job name")
        return args.job_prefix, None
    target = stack.target_of(args, instead="or select the jobs with --job-prefix P")
    prefix = stack.job_name_prefix_of(target)
    if "jobNamePrefix" not in target.outputs:
        note(f"{target.label} has no jobNamePrefix output (destroyed?): using {prefix!r}, from the project and stack names")
    return prefix, target.region


def jobs_table(described: list[dict], prefix: str) -> Table:
    table = Table(title=f"Transcription jobs {prefix}*")
    for column in ("Name", "Status", "Media", "Created", "Duration"):
        table.add_column(column, overflow="fold")
    for job in described:
        status = job.get("TranscriptionJobStatus", "")
        shown = f"{status}: {job['FailureReason']}" if status == "FAILED" and job.get("FailureReason") else status
        # Text, not markup: names and reasons may hold brackets.
        table.add_row(
            Text(job["TranscriptionJobName"]),
            Text(shown, style=STATUS_STYLES.get(status, "")),
            Text(job.get("Media", {}).get("MediaFileUri", "")),
            local_time(job["CreationTime"]),
            readable_duration(jobs.job_duration(job)),
        )
    return table


def local_time(moment: datetime) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def readable_duration(duration: timedelta | None) -> str:
    if duration is None:
        return "-"
    minutes, seconds = divmod(int(duration.total_seconds()), 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours}h {minutes:02d}m {seconds:02d}s"
    return f"{minutes}m {seconds:02d}s" if minutes else f"{seconds}s"


def run_clean(args) -> int:
    if args.force and args.job_prefix is None:
        raise checks.does_nothing("--force", "it lets --job-prefix name jobs that are not a stack's", without="--job-prefix")
    prefix, region = job_prefix_and_region(args)
    if args.job_prefix is not None and not args.force and not naming.is_stack_job_name_prefix(prefix):
        # Without a stack, a loose prefix ('sim') would delete every matching job in the account.
        raise BadInput(
            f"--job-prefix {prefix!r} is not a stack's job-name prefix (<project>-<stack>-<6 hex digits>-, as"
            " `pulumi stack output jobNamePrefix` prints it): give the whole prefix, use --stack, or add --force"
        )
    clients = Clients(region)
    found = jobs.list_jobs(clients.transcribe, prefix)
    ended = [job["TranscriptionJobName"] for job in found if job.get("TranscriptionJobStatus") in jobs.DONE]
    running = len(found) - len(ended)
    if running:
        note(f"{count(running, 'job')} still queued or running {'is' if running == 1 else 'are'} left alone: clean again once they end")
    if not ended:
        print(f"no ended transcription jobs whose names start with {prefix!r}: nothing to delete")
        return 0
    if not args.yes and not confirmed(f"Delete {count(len(ended), 'transcription job')} whose names start with {prefix!r}?"):
        print("nothing deleted")
        return EXIT_FAILURE
    deleted = 0
    with Progress(console=err) as progress:
        for name in progress.track(ended, description="deleting jobs"):
            deleted += jobs.delete_job(clients.transcribe, name)
    print(f"deleted {count(deleted, 'transcription job')} (their transcripts stay in the output bucket)")
    return 0


def add_parsers(commands) -> None:
    jobs_command = commands.add_parser(
        "jobs",
        help="list a stack's transcription jobs, newest first",
        description="A table of the transcription jobs whose names start with the stack's job-name prefix: name,"
        " status (with the reason of a failure), media, creation time, and how long the job ran.",
    )
    add_job_selection(jobs_command)
    jobs_command.add_argument("--limit", type=positive, default=50, metavar="N", help="show the newest N jobs (default: 50)")
    jobs_command.set_defaults(run=run_jobs)

    clean = commands.add_parser(
        "clean",
        help="delete a stack's ended transcription jobs",
        description="Delete the COMPLETED and FAILED transcription jobs of a stack. Transcribe keeps job records"
        " for 90 days and `pulumi destroy` does not remove them; the transcripts in the bucket stay. Queued and"
        " running jobs are left alone. After `pulumi destroy` the prefix comes from the project and stack names.",
    )
    add_job_selection(clean)
    clean.add_argument("--yes", action="store_true", help="delete without asking")
    clean.add_argument("--force", action="store_true", help="with --job-prefix: take a prefix that is not a stack's")
    clean.set_defaults(run=run_clean)


def add_job_selection(command: argparse.ArgumentParser) -> None:
    which = stack.add_stack_options(command)
    which.add_argument("--job-prefix", metavar="P", help="the jobs whose names start with this job-name prefix")
    # `--prefix` is a key prefix in mediactl: here it only says so (it named the job-name prefix once).
    command.add_argument("--prefix", help=argparse.SUPPRESS)


def positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number above 0")
    return value
