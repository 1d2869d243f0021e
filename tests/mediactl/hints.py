"""The commands mediactl tells its user to run, checked as printed: every one between backquotes in
its output starts with the console script, parses with the tool's own parser, and names the stack
with the flags the user gave."""

import re
import shlex

from mediactl.cli import build_parser

PRINTED = re.compile(r"`(mediactl [^`]*)`")


def printed_commands(text: str) -> list[list[str]]:
    return [shlex.split(command) for command in PRINTED.findall(text)]


def assert_run_as_printed(text: str, *selection: str) -> list[list[str]]:
    """Every printed command, as its words; fails unless there is one and each parses and ends
    with `selection` (e.g. "--stack", "dev")."""
    commands = printed_commands(text)
    assert commands, f"no mediactl command printed in {text!r}"
    assert "python -m" not in text
    for words in commands:
        try:
            build_parser().parse_args(words[1:])
        except SystemExit as exit:
            raise AssertionError(f"`{shlex.join(words)}` does not parse (exit {exit.code})") from None
        assert words[len(words) - len(selection) :] == list(selection), f"`{shlex.join(words)}` does not end with {selection}"
    return commands
