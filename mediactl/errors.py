"""The failures the tool reports as one line and an exit code, never as a traceback."""

EXIT_FAILURE = 1
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130


class ToolError(Exception):
    """A failure to report to the user: AWS refused, a job failed, a transcript is missing..."""

    exit_code = EXIT_FAILURE


class BadInput(ToolError):
    """What the user gave cannot be used: a missing file, an unknown stack, a missing flag..."""

    exit_code = EXIT_BAD_INPUT


class Interrupted(ToolError):
    """Ctrl-C, with a word on what goes on without us."""

    exit_code = EXIT_INTERRUPTED
