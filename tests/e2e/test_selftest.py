"""`mediactl selftest` against the dev stack applied to MiniStack, as a user runs it right after
`pulumi up`: from another directory, with the saved outputs instead of the Pulumi CLI. The clip
goes through the upload queue, the packaged upload function, the emulator's Transcribe and the
packaged completion function, and everything the run made is gone afterwards. MiniStack's
Transcribe writes the same canned text for every file: the words line says so, and the run
passes all the same."""

import json
import os
import re
import subprocess
import sys

from pipeline import CREDENTIALS
from program import ROOT

STAGES = ["uploaded", "job started", "job completed", "JSON transcript", "text", "subtitles", "words", "cleaned up"]


def selftest(pipeline, tmp_path) -> subprocess.CompletedProcess:
    outputs = tmp_path / "dev.json"
    outputs.write_text(json.dumps(pipeline.outputs, indent=4))
    environment = {
        "PATH": os.environ["PATH"],
        # `python -m mediactl` of this checkout, run from elsewhere.
        "PYTHONPATH": str(ROOT),
        "AWS_ENDPOINT_URL": pipeline.endpoint,
        "AWS_REGION": pipeline.outputs["region"],
        "HOME": str(tmp_path),
        "COLUMNS": "200",
        **CREDENTIALS,
    }
    return subprocess.run(
        [sys.executable, "-m", "mediactl", "selftest", "--outputs", str(outputs)],
        cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=180,
    )  # fmt: skip


def test_selftest_proves_the_applied_stack_end_to_end_and_leaves_nothing_behind(drained, tmp_path):
    pipeline = drained

    result = selftest(pipeline, tmp_path)

    assert result.returncode == 0, result.stdout + result.stderr
    stages = [match[1] for match in re.finditer(r"^  (\S.*?) +\d+\.\d s\b", result.stdout, re.M)]
    assert stages == STAGES
    assert re.search(r"^  subtitles +\d+\.\d s  srt$", result.stdout, re.M), result.stdout
    assert "(an emulator writes a canned text: not a failure)" in result.stdout
    assert result.stdout.splitlines()[-1].startswith("selftest passed: the stack of ")
    # The clip, its outputs, its job: all gone; the completion function wrote nothing after. The
    # ledger keeps only the tombstone of an erased object.
    assert pipeline.client("s3").list_objects_v2(Bucket=pipeline.outputs["inputBucket"]).get("KeyCount", 0) == 0
    assert pipeline.transcript_keys() == set()
    assert pipeline.job_names() == []
    assert "1 ledger item (erased)" in result.stdout
    items = pipeline.client("dynamodb").scan(TableName=pipeline.outputs["ledgerTableName"])["Items"]
    assert [item["state"]["S"] for item in items if not item["media"]["S"].startswith("#")] == ["deleted"]
