"""The command line: `mediactl upload|jobs|fetch|clean|redrive|status|audit|backfill|delete|selftest ...` (the console script the
distribution installs, or `python -m mediactl` in a checkout).

Each command lives in a module of its own, which adds its parser (`add_parser(commands)`) and
runs it (`args.run(args)`). Results go to stdout; progress bars, spinners and notes to stderr; an
error is one line on stderr and an exit code: 1 when AWS or a job failed, 2 for bad input, 130
after Ctrl-C.
"""

import argparse
import sys

import transcribe_pipeline
from mediactl import audit, backfill, erase, fetch_command, jobs_command, redrive_command, selftest, status, upload_command
from mediactl.aws import describe_aws_error, is_aws_error
from mediactl.errors import EXIT_FAILURE, EXIT_INTERRUPTED, ToolError
from mediactl.terminal import PROGRAM, report_error

# Each adds its commands to the parser, in the order `--help` lists them.
COMMANDS = (
    upload_command.add_parser, jobs_command.add_parsers, fetch_command.add_parser, redrive_command.add_parser,
    status.add_parser, audit.add_parser, backfill.add_parser, erase.add_parser, selftest.add_parser,
)  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit:
        return exit.code
    if not hasattr(args, "run"):
        parser.print_help(sys.stderr)
        return 2
    try:
        return args.run(args) or 0
    except ToolError as error:
        report_error(str(error))
        return error.exit_code
    except KeyboardInterrupt:
        report_error("interrupted")
        return EXIT_INTERRUPTED
    except OSError as error:
        report_error(str(error))
        return EXIT_FAILURE
    except Exception as error:
        if not is_aws_error(error):
            raise
        report_error(describe_aws_error(error))
        return EXIT_FAILURE


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROGRAM,
        description="Upload media to the transcription pipeline, follow its jobs, fetch the transcripts.",
        epilog="The AWS environment applies as usual (AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL); with --stack,"
        " the stack's region. Exit codes: 0 done, 1 AWS or a job failed, 2 bad input, 130 interrupted.",
    )
    parser.add_argument("--version", action="version", version=f"{PROGRAM} {transcribe_pipeline.__version__}")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")
    for add in COMMANDS:
        add(commands)
    return parser
