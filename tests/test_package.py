"""The Lambda package the program declares, unpacked as Lambda unpacks it, imports on its own:
with nothing of this repository on the path but the package (boto3 comes with the runtime)."""

import io
import os
import subprocess
import sys
import zipfile

import pytest

from lambda_env import FAKE_CREDENTIALS
from program import package_zip, run_program


@pytest.fixture(scope="module")
def task_dir(tmp_path_factory):
    """The package of the dev stack's upload function, unzipped like /var/task."""
    code = run_program("dev").named("upload-handler-lambda").inputs["code"]
    directory = tmp_path_factory.mktemp("task")
    with zipfile.ZipFile(io.BytesIO(package_zip(code))) as package:
        package.extractall(directory)
    return directory


@pytest.mark.parametrize("module", ["handler", "completion"])
def test_each_function_module_imports_from_the_package_alone(task_dir, module):
    env = {"PATH": os.environ.get("PATH", ""), "OUTPUT_BUCKET": "transcripts-out", "LEDGER_TABLE": "ledger", **FAKE_CREDENTIALS}
    # -I: no PYTHONPATH, no current directory on the path; only the package is added.
    script = f"import sys; sys.path.insert(0, {str(task_dir)!r}); import {module}; print({module}.lambda_handler.__name__)"
    done = subprocess.run([sys.executable, "-I", "-c", script], cwd=task_dir, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "lambda_handler"
