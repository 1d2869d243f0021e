"""The audit benchmark (`python -m bench audit`) on a few hundred objects: its fake endpoint answers
`mediactl audit` so that the account comes out as the stack holds it (objects, counts, gaps), in
folders and flat, with the parallel listing and with the sequential baseline. A benchmark whose
endpoint lied would measure nothing."""

import contextlib
import io
import json
from functools import partial

import pytest

from bench.audit_aws import FakeAws, Latency, serve
from bench.audit_stack import FakeStack
from mediactl import audit, listing
from mediactl.aws import Clients
from mediactl.cli import main as mediactl


@pytest.fixture
def endpoint(monkeypatch, tmp_path):
    """Serve a stack; the AWS environment pointed at it; (fake, outputs file)."""
    servers = []

    def start(stack: FakeStack) -> tuple[FakeAws, str]:
        fake = FakeAws(stack, Latency(0, 0, 0))
        servers.append(serve(fake))
        for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{servers[-1].server_address[1]}")
        for name, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing"),
                            ("AWS_REGION", "us-east-1"), ("AWS_DEFAULT_REGION", "us-east-1")):  # fmt: skip
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
        monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
        monkeypatch.setattr(audit, "LOOK_UP_RATE", 1000.0)
        outputs = tmp_path / "outputs.json"
        outputs.write_text(json.dumps({
            "inputBucket": stack.input_bucket, "outputBucket": stack.output_bucket, "ledgerTableName": stack.table,
            "keyPrefix": "", "outputPrefix": stack.output_prefix, "uploadQueueUrl": stack.queue_url,
        }))  # fmt: skip
        return fake, str(outputs)

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def audited(outputs: str) -> tuple[int, dict]:
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        code = mediactl(["audit", "--outputs", outputs, "--json"])
    return code, json.loads(printed.getvalue())


@pytest.mark.parametrize("folders, sequential", [(True, False), (False, True)], ids=["folders-parallel", "flat-baseline"])
def test_the_audit_of_the_benchmark_stack_finds_what_it_holds(endpoint, monkeypatch, folders, sequential):
    stack = FakeStack(400, folders=folders)
    if sequential:
        monkeypatch.setattr(listing, "list_objects", partial(listing.list_objects, workers=1))
        monkeypatch.setattr(listing, "scan_table", partial(listing.scan_table, segments=1))
    fake, outputs = endpoint(stack)

    code, account = audited(outputs)

    expected = stack.expected()
    assert code == 1 and account["objects"] == 400 == expected["objects"]
    assert account["counts"] == expected["counts"]
    assert sorted(gap["key"] for gap in account["gaps"]) == expected["gaps"]
    assert {gap["state"] for gap in account["gaps"]} == {
        "unrecorded", "dead-lettered", "queued", "completed", "started"}  # fmt: skip
    requests = fake.stats()["requests"]
    assert requests["Scan"] == (1 if sequential else listing.SCAN_SEGMENTS) and requests["GetTranscriptionJob"] == 3


def test_the_endpoint_pages_a_folder_by_a_thousand_keys_with_its_common_prefixes():
    stack = FakeStack(2_500)
    fake = FakeAws(stack, Latency(0, 0, 0))
    root = fake._list_objects(stack.input_bucket, {"list-type": "2", "prefix": "", "delimiter": "/"}).decode()
    assert "<CommonPrefixes><Prefix>archive/</Prefix></CommonPrefixes>" in root and "<Contents>" not in root

    keys, token = [], None
    while True:
        query = {"list-type": "2", "prefix": "archive/2015/", **({"continuation-token": token} if token else {})}
        page = fake._list_objects(stack.input_bucket, query).decode()
        keys += [part.split("</Key>")[0] for part in page.split("<Key>")[1:]]
        if "<NextContinuationToken>" not in page:
            break
        token = page.split("<NextContinuationToken>")[1].split("<")[0]
    wanted = [obj["Key"] for slot in range(2_500) for obj in stack.media_objects(slot, 0) if obj["Key"].startswith("archive/2015/")]
    assert keys == sorted(wanted) == wanted and len(keys) > 250


@pytest.mark.parametrize("folders", [True, False], ids=["folders", "flat"])
def test_a_listing_opens_folders_until_there_are_enough_for_the_workers_and_hands_each_key_once(endpoint, folders):
    stack = FakeStack(3_000, folders=folders)
    fake, _ = endpoint(stack)
    keys: list[str] = []

    listing.list_objects(Clients().s3, stack.input_bucket, "", lambda page: keys.extend(obj["Key"] for obj in page))

    assert sorted(keys) == [obj["Key"] for slot in range(3_000) for obj in stack.media_objects(slot, 0)]
    # Opened: the root, archive/, its 10 years; then the 120 months listed whole, a page each.
    assert fake.stats()["requests"]["ListObjectsV2"] == (1 + 1 + 10 + 120 if folders else 4)
