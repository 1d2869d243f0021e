"""The end-to-end suite's fixtures: one MiniStack server for the session, and for each test a
fresh emulator holding the dev stack as the program declares it."""

from pathlib import Path

import pytest

import applier
import ministack
from pipeline import EMPTY, Pipeline, emulator_clients
from program import run_program

E2E_DIR = Path(__file__).parent
STACK = "dev"
# MiniStack runs a Transcribe job for 2 s; the suite does not need to wait that long.
TRANSCRIPTION_SECONDS = 0

# Started as soon as the suite is collected, so that it runs beside the unit tests.
_venv_build = ministack.start_venv_build()


def pytest_collection_modifyitems(items):
    """The end-to-end tests run last, when the environment built in the background is ready, and
    all in one process (pytest-xdist's loadgroup), which starts the one emulator they share."""
    items.sort(key=lambda item: Path(item.fspath).is_relative_to(E2E_DIR))
    for item in items:
        if Path(item.fspath).is_relative_to(E2E_DIR):
            item.add_marker(pytest.mark.xdist_group("e2e"))


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    server = ministack.start_server(ministack.wait_for_venv(_venv_build), tmp_path_factory.mktemp("ministack"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def declared():
    """The dev stack's resources and outputs, as `__main__.py` declares them under the mocks."""
    return run_program(STACK)


@pytest.fixture(scope="session")
def client(server, declared):
    """`client(service)`: a boto3 client of the emulator, in the stack's region."""
    return emulator_clients(server.endpoint, declared.outputs["region"])


@pytest.fixture
def deploy(server, client):
    """`deploy(program)`: the emulator emptied, then the program's resources created on it."""

    def deploy(program) -> Pipeline:
        server.reset()
        server.set_transcription_seconds(TRANSCRIPTION_SECONDS)
        return Pipeline(stack=applier.apply(program, client), endpoint=server.endpoint, server=server)

    return deploy


@pytest.fixture
def pipeline(deploy, declared) -> Pipeline:
    return deploy(declared)


@pytest.fixture
def drained(pipeline) -> Pipeline:
    """The pipeline once the upload function has taken S3's test messages off the upload queue
    (S3 sends them when the notification is written; the function skips them)."""
    pipeline.eventually(lambda: pipeline.queue_depth("uploadQueueUrl") == EMPTY, "empty upload queue after S3's test messages")
    return pipeline
