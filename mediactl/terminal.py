"""What every command prints with: results on stdout, notes, progress bars and spinners on
stderr, an error as one line on stderr."""

import sys

from rich.console import Console
from rich.prompt import Confirm

# The console script's name, which every command the tool tells the user to run starts with.
PROGRAM = "mediactl"
out = Console(highlight=False)
err = Console(stderr=True, highlight=False)


def report_error(message: str) -> None:
    for line in message.splitlines():
        print(f"mediactl: error: {line}", file=sys.stderr)


def note(message: str) -> None:
    err.print(message, markup=False, soft_wrap=True)


def count(number: int, noun: str) -> str:
    """`1 job`, `2 jobs`."""
    return f"{number:,} {noun}" if number == 1 else f"{number:,} {noun}s"


def confirmed(question: str) -> bool:
    try:
        return Confirm.ask(question, console=err, default=False)
    except EOFError:
        note("no answer (use --yes to delete without asking)")
        return False
