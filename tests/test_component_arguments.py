"""TranscriptionPipeline in a Python program: found in one import (without Pulumi for the media
tool's users), every argument optional, an argument that may be an Output checked once known, and
a misspelt one refused."""

import subprocess
import sys

import pytest

from program import ROOT, run_source
from transcribe_pipeline.errors import SettingsError

HEADER = "import pulumi\nfrom transcribe_pipeline import TranscriptionPipeline, TranscriptionPipelineArgs\n"


def test_the_package_imports_without_pulumi_and_gives_the_component_only_with_it():
    script = (
        "import sys; sys.modules['pulumi'] = None\n"  # as if Pulumi were not installed
        "import transcribe_pipeline, transcribe_pipeline.function.naming\n"
        "print(transcribe_pipeline.__version__)\n"
        "try:\n    from transcribe_pipeline import TranscriptionPipeline\nexcept ImportError as error:\n    print('no component:', error.name)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    version, refused = done.stdout.splitlines()
    assert version and refused == "no component: pulumi"


def test_outputs_as_arguments_are_used_once_known(tmp_path):
    program = run_source(tmp_path, HEADER + (
        "TranscriptionPipeline('media', TranscriptionPipelineArgs(memory_size=pulumi.Output.from_input(1024),"
        " timeout=pulumi.Output.from_input(120), max_speakers=pulumi.Output.from_input(5),"
        " channel_identification=pulumi.Output.from_input(True)))\n"
    ))  # fmt: skip

    upload, reconciler = program.named("media-upload-handler-lambda"), program.named("media-reconciler-handler-lambda")
    assert (upload.inputs["memorySize"], upload.inputs["timeout"], reconciler.inputs["memorySize"]) == (1024, 120, 1024)
    assert upload.inputs["environment"]["variables"]["MAX_SPEAKERS"] == "5"
    assert upload.inputs["environment"]["variables"]["CHANNEL_IDENTIFICATION"] == "true"
    assert program.named("media-upload-queue-queue").inputs["visibilityTimeoutSeconds"] == 720


def test_an_output_argument_with_a_bad_value_fails_with_the_config_s_sentence_once_known(tmp_path):
    with pytest.raises(SettingsError, match=r"^memorySize is 64: Lambda allows 128 to 10240 \(MB\)$"):
        run_source(tmp_path, HEADER + "TranscriptionPipeline('media', {'memory_size': pulumi.Output.from_input(64)})\n")


def test_a_misspelt_argument_is_refused_not_ignored(tmp_path):
    with pytest.raises(SettingsError, match="'langauge_code' is not an argument of TranscriptionPipeline: it takes language_code, "):
        run_source(tmp_path, HEADER + "TranscriptionPipeline('media', {'langauge_code': 'de-DE'})\n")


def test_a_plain_bad_argument_fails_with_the_config_s_sentence_before_anything_is_declared(tmp_path):
    with pytest.raises(SettingsError, match="^startConcurrency is 30 but startRate is 23: "):
        run_source(tmp_path, HEADER + "TranscriptionPipeline('media', {'start_concurrency': 30})\n")
