"""transcribe-pipeline: an automatic media-transcription pipeline on AWS, deployed with Pulumi.

`from transcribe_pipeline import TranscriptionPipeline, TranscriptionPipelineArgs` gives the
pipeline as one Pulumi component (the `component` extra brings Pulumi and its AWS provider). The
distribution also holds the media tool (`mediactl`) and, as `transcribe_pipeline.function`, the
Lambda functions' source, which the component packages and the tool shares. Importing this package
does not import Pulumi: the tool's users do not need it.
"""

import importlib
import importlib.util
import sys
from pathlib import Path

# The release, in this one place: pyproject.toml reads it, and `mediactl --version` prints it.
__version__ = "1.0.0"

# Installed, `function/` of the repository is this package's `function` subpackage
# (pyproject.toml's package-dir). In a checkout it stays at the repository's root, where the
# program packages it for Lambda: register that directory under the same name.
_CHECKOUT_FUNCTION = Path(__file__).resolve().parent.parent / "function"
if not (Path(__file__).resolve().parent / "function").is_dir() and _CHECKOUT_FUNCTION.is_dir():
    _spec = importlib.util.spec_from_file_location(
        f"{__name__}.function", _CHECKOUT_FUNCTION / "__init__.py", submodule_search_locations=[str(_CHECKOUT_FUNCTION)]
    )
    function = sys.modules[_spec.name] = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(function)

# What `from transcribe_pipeline import ...` finds in a module of its own, imported when first
# asked for (PEP 562), so that importing the package needs no Pulumi.
_LAZY = {
    "TranscriptionPipeline": "transcribe_pipeline.pipeline",
    "TranscriptionPipelineArgs": "transcribe_pipeline.arguments",
}
__all__ = ["TranscriptionPipeline", "TranscriptionPipelineArgs", "__version__"]


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
