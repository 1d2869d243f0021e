"""The distribution (pyproject.toml): installed into a fresh virtual environment, `mediactl` runs from
any directory; its declared dependencies are what the tool imports, within requirements.txt's pins.

The install is the real one (pip builds the wheel with setuptools and installs it) but stays fast:
the fresh environment has no pip and no packages of its own, and sees this test environment's
site-packages through a `.pth` file instead, so nothing is downloaded and nothing but the
project is installed (`--no-deps --no-build-isolation`).
"""

import ast
import fcntl
import json
import os
import shutil
import site
import subprocess
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

import transcribe_pipeline

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
# What the distribution is built from; the rest of the repository must not be needed.
SOURCES = ("pyproject.toml", "LICENSE", "README.md", "mediactl", "function", "transcribe_pipeline")


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A fresh virtual environment with the project installed by pip; its bin directory. Built
    once for the whole run: the test processes (pytest-xdist workers) share the directory above
    their own temporary ones, and the first to hold the lock builds it."""
    run_temp = tmp_path_factory.getbasetemp()
    if "PYTEST_XDIST_WORKER" in os.environ:
        run_temp = run_temp.parent  # the run's, above each worker's own
    shared = run_temp / "distribution"
    shared.mkdir(exist_ok=True)
    with open(shared / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (shared / "built").exists():
            install(shared)
            (shared / "built").touch()
    return shared / "venv" / "bin"


def install(work: Path) -> None:
    source = work / "source"
    source.mkdir()
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(ROOT / name, source / name)
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=60)
    python = venv / "bin" / "python"
    purelib = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], capture_output=True, text=True, check=True
    ).stdout.strip()
    # This environment's packages (pip, setuptools, boto3, rich, PyYAML) seen from the fresh one.
    Path(purelib, "test-environment.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    done = subprocess.run(
        [python, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "--no-compile", "--disable-pip-version-check", str(source)],
        capture_output=True, text=True, timeout=120, env=clean_environment(),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr


def clean_environment() -> dict[str, str]:
    """No PYTHONPATH, no virtual environment of the tests: only what a user's shell would have."""
    return {"PATH": "/usr/bin:/bin", "HOME": os.environ.get("HOME", "/tmp"), "LANG": "C.UTF-8"}


def run_installed(bin_dir: Path, *command: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(bin_dir / command[0]), *command[1:]], cwd=cwd, env=clean_environment(), capture_output=True, text=True, timeout=60
    )


def test_the_installed_mediactl_prints_its_version_from_another_directory(installed, tmp_path):
    result = run_installed(installed, "mediactl", "--version", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert result.stdout == f"mediactl {transcribe_pipeline.__version__}\n"


def test_the_installed_mediactl_lists_every_command_in_its_help_from_another_directory(installed, tmp_path):
    result = run_installed(installed, "mediactl", "--help", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: mediactl ")
    for command in ("upload", "jobs", "fetch", "clean", "redrive", "status", "selftest"):
        assert f"\n    {command} " in result.stdout, command


def test_the_installed_package_holds_the_lambda_source_and_the_clip_and_reports_the_one_version(installed, tmp_path):
    script = (
        "import importlib.metadata, importlib.resources, transcribe_pipeline, transcribe_pipeline.function.naming as naming;"
        "print(importlib.metadata.version('transcribe-pipeline'), transcribe_pipeline.__version__, naming.__file__,"
        " importlib.resources.files('mediactl') / 'clip' / 'selftest.wav')"
    )
    result = run_installed(installed, "python", "-c", script, cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    metadata_version, package_version, naming_file, clip = result.stdout.split()
    assert metadata_version == package_version == transcribe_pipeline.__version__
    # The installed copies, not the checkout's function/ directory and clip.
    assert Path(naming_file).is_relative_to(installed.parent)
    assert Path(naming_file).parent.name == "function" and Path(naming_file).parent.parent.name == "transcribe_pipeline"
    assert Path(clip).is_relative_to(installed.parent)
    assert Path(clip).read_bytes() == (ROOT / "mediactl" / "clip" / "selftest.wav").read_bytes()


# A consumer's program, run under the Pulumi mocks by tests/program.py (the one thing taken from
# this checkout: it is put on the path alone, so the program finds the installed package).
RUN_UNDER_MOCKS = """
import json, pathlib, sys
import transcribe_pipeline
from program import run_program
program = run_program("dev", root=pathlib.Path(sys.argv[1]))
code = program.named("german-upload-handler-lambda").inputs["code"]
print(json.dumps({
    "package": transcribe_pipeline.__file__,
    "code": {name: asset.path for name, asset in code.assets.items()},
    "vocabulary": [r.inputs["source"].path for r in program.resources if r.type == "aws:s3/bucketObjectv2:BucketObjectv2"],
    "outputs": program.outputs,
}))
"""


def test_a_program_outside_the_project_builds_the_pipelines_from_the_installed_package(installed, tmp_path):
    consumer = tmp_path / "media-platform"
    shutil.copytree(ROOT / "examples" / "two-languages", consumer)
    elsewhere = tmp_path / "elsewhere"  # not the program's directory: vocabulary_file is relative to the program's
    elsewhere.mkdir()
    env = clean_environment() | {"PYTHONPATH": str(ROOT / "tests")}
    done = subprocess.run(
        [str(installed / "python"), "-c", RUN_UNDER_MOCKS, str(consumer)], cwd=elsewhere, env=env, capture_output=True, text=True, timeout=120
    )

    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    site = installed.parent
    assert Path(found["package"]).is_relative_to(site)
    # The same function archive as the checkout's, from the installed copy of function/.
    checkout_modules = {path.name: path.read_bytes() for path in (ROOT / "function").glob("*.py")}
    assert set(found["code"]) == set(checkout_modules)
    for name, path in found["code"].items():
        assert Path(path).is_relative_to(site) and Path(path).read_bytes() == checkout_modules[name], name
    assert found["vocabulary"] == [str(consumer / "vocabulary" / "german.tsv")]
    assert found["outputs"]["english"]["jobNamePrefix"] != found["outputs"]["german"]["jobNamePrefix"]


def test_python_m_mediactl_runs_from_the_checkout():
    result = subprocess.run([sys.executable, "-m", "mediactl", "--version"], cwd=ROOT, capture_output=True, text=True, timeout=60)

    assert result.returncode == 0, result.stderr
    assert result.stdout == f"mediactl {transcribe_pipeline.__version__}\n"


# --- what the distribution declares -----------------------------------------------------------


def third_party_imports(paths: list[Path]) -> set[str]:
    """The top-level names of the modules `paths` import that are neither the standard library's
    nor the project's own."""
    own = {"mediactl", "transcribe_pipeline", "function", "naming", "readable", "common", "metrics", "pace"}
    names = set()
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return {name for name in names if name not in sys.stdlib_module_names and name not in own}


def distributions_of(modules: set[str]) -> set[str]:
    found = packages_distributions()
    return {canonicalize_name(found[module][0]) for module in modules}


def declared(requirements: list[str]) -> dict[str, Requirement]:
    return {canonicalize_name(requirement.name): requirement for requirement in map(Requirement, requirements)}


def test_the_core_dependencies_are_what_mediactl_and_the_code_it_shares_import():
    tool = sorted((ROOT / "mediactl").glob("*.py")) + [ROOT / "transcribe_pipeline" / "__init__.py"]
    shared = [ROOT / "function" / "naming.py", ROOT / "function" / "readable.py"]

    imported = distributions_of(third_party_imports(tool + shared))

    assert imported == set(declared(PYPROJECT["project"]["dependencies"]))


def test_the_component_extra_adds_what_the_component_and_the_program_import_beyond_the_core():
    program = sorted((ROOT / "transcribe_pipeline").rglob("*.py")) + [ROOT / "__main__.py"]
    core = set(declared(PYPROJECT["project"]["dependencies"]))

    imported = distributions_of(third_party_imports(program))

    assert imported - core == set(declared(PYPROJECT["project"]["optional-dependencies"]["component"]))


def test_the_pinned_versions_of_requirements_txt_satisfy_the_declared_ranges():
    pinned = declared([line for line in (ROOT / "requirements.txt").read_text().splitlines() if line and not line.startswith("#")])
    ranges = declared(PYPROJECT["project"]["dependencies"] + PYPROJECT["project"]["optional-dependencies"]["component"])

    for name, requirement in ranges.items():
        if name in pinned:
            (version,) = [spec.version for spec in pinned[name].specifier]
            assert requirement.specifier.contains(version), f"requirements.txt pins {name} {version}, outside {requirement}"
    assert set(pinned) <= set(ranges)


def test_the_version_is_kept_in_one_place():
    assert PYPROJECT["project"]["dynamic"] == ["version"]
    assert PYPROJECT["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "transcribe_pipeline.__version__"}
    assert "version" not in PYPROJECT["project"]
