"""What the function tests share beyond fixtures (kept out of conftest.py, which pytest imports
once per folder under the same module name)."""

import importlib
import sys

REGION = "us-east-1"
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
}


def fresh_import(module: str):
    """Import a function module anew, so its module-level clients bind to the active mock."""
    sys.modules.pop(module, None)
    return importlib.import_module(module)
