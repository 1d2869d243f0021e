"""The README and the pages of docs/ stay true: the README's test command is the one CI runs, the
configuration reference documents every setting and every stack output the program has, every
`mediactl` command and `pulumi config set` they show parses, and every link between pages
resolves, anchors included."""

import re
import shlex
from pathlib import Path

import pytest
import yaml

from program import ROOT, run_program

README = (ROOT / "README.md").read_text()
DOCS = ROOT / "docs"
PAGES = [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]
CONFIGURATION = (DOCS / "configuration.md").read_text()
DECLARED = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())["config"]


def test_ci_runs_exactly_the_readme_test_command():
    readme_command = next(line for line in README.splitlines() if "pytest" in line and line.startswith("python3 -m venv"))
    ci_lines = [line for line in (ROOT / ".ci" / "run").read_text().splitlines() if line and not line.startswith(("#", "set ", "cd "))]
    assert ci_lines == [readme_command.split("#")[0].strip()]


def test_the_setup_commands_come_first():
    first_block = re.search(r"```sh\n(.*?)```", README, re.S).group(1).splitlines()
    assert first_block[0].startswith("pulumi stack select --create dev && pulumi up")
    assert "pytest" in first_block[1]


def test_the_readme_is_a_front_page_with_every_page_of_docs_in_its_table_of_contents():
    assert len(README.splitlines()) <= 200
    linked = set(re.findall(r"\]\(docs/([\w-]+\.md)\)", README))
    assert linked == {page.name for page in DOCS.glob("*.md")}


def test_every_setting_is_in_the_configuration_reference():
    documented = set(re.findall(r"^\| `(\w+)` \|", CONFIGURATION, re.M))
    assert set(DECLARED) <= documented


def test_every_stack_output_is_explained_in_the_configuration_reference():
    outputs = run_program("dev", {"notifyEmail": "someone@example.com"}).outputs
    for name in outputs:
        assert re.search(rf"^\| `{name}` \| .+", CONFIGURATION, re.M), name


def test_measured_figures_live_only_in_bench_results():
    development = (DOCS / "development.md").read_text()
    performance = development.split("\n## Performance\n", 1)[1].split("\n## ", 1)[0]
    assert "bench/RESULTS.md" in performance
    assert not re.search(r"Measured \d{4}-|\| figure \||\d\s?(µs|ms)\b", performance)


# --- the commands the pages show ----------------------------------------------------------------


def shown_commands(program: str) -> list[tuple[str, str]]:
    """(page, command line) for each line of a shell or console block that runs `program`."""
    found = []
    for page in PAGES:
        for block in re.findall(r"```(?:sh|console)\n(.*?)```", page.read_text(), re.S):
            for line in block.splitlines():
                line = line.removeprefix("$ ")
                if line.startswith(f"{program} "):
                    found.append((page.name, line))
    return found


MEDIACTL_COMMANDS = shown_commands("mediactl")
CONFIG_SETS = [(page, line) for page, line in shown_commands("pulumi") if line.startswith("pulumi config set")]


def test_the_pages_show_the_media_tool_s_commands():
    assert len(MEDIACTL_COMMANDS) >= 15 and len(CONFIG_SETS) >= 8


@pytest.mark.parametrize("page, line", MEDIACTL_COMMANDS, ids=[f"{page}:{line[:60]}" for page, line in MEDIACTL_COMMANDS])
def test_every_mediactl_command_shown_parses_with_the_tool_s_own_parser(page, line):
    from mediactl.cli import build_parser

    words = shlex.split(line, comments=True)
    try:
        build_parser().parse_args(words[1:])
    except SystemExit as refused:
        pytest.fail(f"{page}: `{line}` does not parse (exit {refused.code})")


@pytest.mark.parametrize("page, line", CONFIG_SETS, ids=[f"{page}:{line[:60]}" for page, line in CONFIG_SETS])
def test_every_config_set_shown_names_a_setting_the_project_declares(page, line):
    words = [word for word in shlex.split(line, comments=True)[3:] if not word.startswith("--")]
    key = re.split(r"[\[.]", words[0])[0] if words[0] != "--path" else None
    assert key.startswith("aws:") or key in DECLARED, (page, line)


# --- links --------------------------------------------------------------------------------------


def anchors(page: Path) -> set[str]:
    """The anchors GitHub gives a page's headings: lower case, punctuation dropped, spaces as '-'."""
    text = re.sub(r"```.*?```", "", page.read_text(), flags=re.S)
    headings = re.findall(r"^#+ (.+)$", text, re.M)
    return {re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-") for heading in headings}


LINKS = [
    (page, target)
    for page in PAGES
    for target in re.findall(r"\]\(([^)\s]+)\)", re.sub(r"```.*?```", "", page.read_text(), flags=re.S))
    if not target.startswith(("http://", "https://", "mailto:"))
]


def test_the_pages_link_to_each_other():
    assert len(LINKS) >= 40


@pytest.mark.parametrize("page, target", LINKS, ids=[f"{page.name}->{target}" for page, target in LINKS])
def test_every_link_between_pages_resolves(page, target):
    path, _, anchor = target.partition("#")
    destination = (page.parent / path).resolve() if path else page
    assert destination.exists(), f"{page.name} links to {path}, which does not exist"
    if anchor:
        assert anchor in anchors(destination), f"{page.name} links to #{anchor}, which {destination.name} has no heading for"
