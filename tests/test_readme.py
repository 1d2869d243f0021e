"""The README stays true: its test command is the one CI runs, and it documents every setting
and every stack output the program has."""

import re

import yaml

from program import ROOT, run_program

README = (ROOT / "README.md").read_text()


def test_ci_runs_exactly_the_readme_test_command():
    readme_command = next(line for line in README.splitlines() if "pytest" in line and line.startswith("python3 -m venv"))
    ci_lines = [line for line in (ROOT / ".ci" / "run").read_text().splitlines() if line and not line.startswith(("#", "set ", "cd "))]
    assert ci_lines == [readme_command.split("#")[0].strip()]


def test_the_setup_commands_come_first():
    first_block = re.search(r"```sh\n(.*?)```", README, re.S).group(1).splitlines()
    assert first_block[0].startswith("pulumi stack select --create dev && pulumi up")
    assert "pytest" in first_block[1]


def test_every_setting_is_in_the_config_reference():
    declared = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())["config"]
    documented = set(re.findall(r"^\| `(\w+)` \|", README, re.M))
    assert set(declared) <= documented


def test_every_stack_output_is_explained():
    outputs = run_program("dev").outputs
    for name in outputs:
        assert re.search(rf"^\| `{name}` \| .+", README, re.M), name



def test_measured_figures_live_only_in_bench_results():
    performance = README.split("\n## Performance\n", 1)[1].split("\n## ", 1)[0]
    assert "bench/RESULTS.md" in performance
    assert not re.search(r"Measured \d{4}-|\| figure \||\d\s?(µs|ms)\b", performance)
