"""`bench/RESULTS.md` holds the latest measured figures, one section per command; each command
rewrites only its own section."""

import re

from bench.common import ROOT

RESULTS = ROOT / "bench" / "RESULTS.md"
TITLE = "# Benchmark results\n\nWritten by `python -m bench`, `python -m bench scale` and `python -m bench audit`; docs/development.md states the goals.\n"


def write_section(name: str, heading: str, text: str) -> None:
    """Replace (or add) the section `name` of RESULTS.md with `heading` and `text`."""
    start, end = f"<!-- {name}: start -->", f"<!-- {name}: end -->"
    block = f"{start}\n## {heading}\n\n{text.strip()}\n{end}\n"
    current = RESULTS.read_text() if RESULTS.exists() else TITLE
    if start in current:
        pattern = re.compile(re.escape(start) + ".*?" + re.escape(end) + "\n?", re.S)
        RESULTS.write_text(pattern.sub(lambda _: block, current))
    else:
        RESULTS.write_text(current.rstrip("\n") + "\n\n" + block)
