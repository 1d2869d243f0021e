"""Fixtures for the media tool's tests.

Everything talks HTTP to one moto server (ThreadedMotoServer, reset before each test) through
AWS_ENDPOINT_URL, as the tool would to LocalStack. `pulumi` is a stand-in script on PATH that
prints the outputs of the stacks a test declares. Moto cannot run Lambda code, so invocations
(the tool's own `invoke`, and S3's notification of an upload) reach a Python stand-in instead.
"""

import os
import stat
import sys
import urllib.request
from dataclasses import dataclass

import boto3
import pytest
from botocore.client import BaseClient
from moto.awslambda.models import LambdaFunction
from moto.server import ThreadedMotoServer

from aws_model import assert_valid_request
from mediactl import jobs, redrive, terminal
from mediactl.cli import main
from mediactl_fakes import FAKE_PULUMI, REGION, FunctionStandIn, Pipeline, PulumiStandIn, deploy, start_job, uploads_of
from sqs_move_tasks import MessageMoveTasks, UnsupportedMoveTasks


@pytest.fixture(scope="session")
def moto_url():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture(autouse=True)
def aws(moto_url, monkeypatch, tmp_path):
    """Fake credentials, the moto server as the endpoint, a fresh moto, quick polling."""
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_url)
    # Wide enough that table rows stay on one line each. The consoles read COLUMNS when mediactl
    # is imported, which may be before this fixture runs (in a pytest-xdist worker, say).
    monkeypatch.setenv("COLUMNS", "300")
    for console in (terminal.out, terminal.err):
        monkeypatch.setattr(console, "width", 300)
    urllib.request.urlopen(urllib.request.Request(f"{moto_url}/moto-api/reset", method="POST")).close()
    monkeypatch.setattr(redrive, "RECEIVE_WAIT", 0)


@pytest.fixture
def checked_requests(monkeypatch) -> list[tuple[str, dict]]:
    """Every request sent in this process, checked against botocore's model of the API."""
    sent = []
    make_api_call = BaseClient._make_api_call

    def check(client, operation_name, params):
        assert_valid_request(client.meta.service_model.service_name, operation_name, params)
        sent.append((operation_name, params))
        return make_api_call(client, operation_name, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", check)
    return sent


@pytest.fixture
def pauses(monkeypatch) -> list[float]:
    """The tool's waits between polls, recorded instead of slept."""
    recorded: list[float] = []
    monkeypatch.setattr(jobs, "pause", recorded.append)
    return recorded


@dataclass
class Result:
    code: int
    out: str
    err: str


@pytest.fixture
def run(capsys):
    """Run `python -m mediactl ARGS...` in this process (so moto and the stand-ins are shared)."""

    def run(*args: str) -> Result:
        capsys.readouterr()
        code = main([str(arg) for arg in args])
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


@pytest.fixture
def pulumi(tmp_path, monkeypatch) -> PulumiStandIn:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "pulumi"
    script.write_text(f"#!{sys.executable}\n{FAKE_PULUMI}")
    script.chmod(script.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    stand_in = PulumiStandIn(tmp_path)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    monkeypatch.setenv("FAKE_PULUMI_STACKS", str(stand_in.stacks_file))
    monkeypatch.setenv("FAKE_PULUMI_LOG", str(stand_in.log_file))
    return stand_in


@pytest.fixture
def s3():
    return boto3.client("s3")


@pytest.fixture
def transcribe():
    return boto3.client("transcribe")


@pytest.fixture
def sqs():
    return boto3.client("sqs")


@pytest.fixture
def move_tasks(monkeypatch) -> MessageMoveTasks:
    """The moto server runs SQS message move tasks, as AWS does."""
    return MessageMoveTasks().install(monkeypatch)


@pytest.fixture
def no_move_tasks(monkeypatch) -> UnsupportedMoveTasks:
    """The moto server answers UnsupportedOperation to message move tasks, as an emulator may."""
    return UnsupportedMoveTasks().install(monkeypatch)


@pytest.fixture
def functions(monkeypatch) -> FunctionStandIn:
    stand_in = FunctionStandIn()
    monkeypatch.setattr(LambdaFunction, "invoke", lambda function, *args: stand_in.invoke(function, *args))
    return stand_in


@pytest.fixture
def pipeline(pulumi) -> Pipeline:
    return deploy(pulumi, "dev")


@pytest.fixture
def uploads_start_jobs(pipeline, functions, s3):
    """The bucket notifies the function of uploads; the function stand-in starts their jobs."""
    s3.put_bucket_notification_configuration(
        Bucket=pipeline.input_bucket,
        NotificationConfiguration={
            "LambdaFunctionConfigurations": [{"LambdaFunctionArn": pipeline.function_arn, "Events": ["s3:ObjectCreated:*"]}]
        },
    )
    started: list[str] = []

    def start_jobs(function_name, event):
        started.extend(start_job(pipeline, key, etag) for key, etag in uploads_of(event))
        return {"started": len(event["Records"])}

    functions.behaviour = start_jobs
    return started
