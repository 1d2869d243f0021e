"""Checks of the flags, made before anything is sent: each failure is one line naming the flag and
what it takes, and exit code 2."""

from pathlib import Path

from mediactl.errors import BadInput
from transcribe_pipeline.function import naming


def bucket_name(flag: str, name: str | None) -> str | None:
    """A bucket name given with `flag`, checked against S3's naming rules (None: not given)."""
    if name is not None and (problem := naming.bucket_name_problem(name)):
        raise BadInput(f"{flag} {name!r} is not a bucket name: {problem}")
    return name


def out_dir(flag: str, path: str) -> Path:
    """A directory to save into, made if missing: refused if it, or a folder above it, is a file."""
    directory = Path(path)
    existing = next((p for p in (directory, *directory.parents) if p.exists()), None)
    if existing is not None and not existing.is_dir():
        where = "is a file" if existing == directory else f"is inside {str(existing)!r}, a file"
        raise BadInput(f"{flag} {path!r} {where}: give a directory (it is made if missing)")
    return directory


def does_nothing(flag: str, why: str, *, without: str = "", given: str = "") -> BadInput:
    """The one line for a flag that does nothing in the mode the other flags chose: `without` the
    flag it needs, or `given` a flag that makes it useless. `why` says what it is for."""
    if without:
        return BadInput(f"{flag} does nothing without {without} ({why}): add {without}, or leave out {flag}")
    return BadInput(f"{flag} does nothing with {given} ({why}): leave out {flag}")
