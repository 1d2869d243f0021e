"""The scale simulation's DynamoDB and S3 answer the ledger's and the reconciler's calls as AWS
documents them, through botocore's own clients: what a conditional write returns when it fails,
what DynamoDB refuses, how a Query pages, how a listing pages."""

import pytest
from botocore.exceptions import ClientError
from botocore.utils import parse_timestamp
from ledger import Ledger
from reconcile_state import STATE_KEY, PassState

from bench.sim import Simulation
from bench.sim_dynamodb import PAGE_BYTES, Table
from bench.sim_http import FakeAws, iso_timestamp
from bench.sim_s3 import Buckets

PREFIX = "transcribe-pipeline-test-abc123-"


@pytest.fixture
def aws(aws_credentials):
    sim = Simulation()
    sim.sleep = lambda seconds: None  # no process here: calls take no virtual time
    table, buckets = Table("ledger", "media", "version", {"pending": ("pending", "due")}), Buckets(sim, ["media"])
    fake = FakeAws(sim, 0.05)
    fake.serve(table.handlers())
    fake.serve(buckets.handlers())
    session = fake.session("test")
    return session.client("dynamodb"), session.client("s3"), table, buckets


def test_a_failed_condition_returns_the_item_as_it_is_when_asked_and_costs_a_write(aws):
    dynamodb, _, table, _ = aws
    ledger = Ledger(dynamodb, "ledger", clock=lambda: 1_800_000_000)
    first, created = ledger.record("media", "a.mp3", '"e1"', 10, PREFIX, origin="s3")
    again, created_again = ledger.record("media", "a.mp3", "e1", 10, PREFIX, origin="reconcile")
    assert created and not created_again
    assert again == first, "ReturnValuesOnConditionCheckFailure=ALL_OLD: the item rides back on the error"
    assert table.capacity.write_units == 2 and table.capacity.index_write_units == 1
    assert ledger.started(first) and not ledger.started(first), "queued -> started once"


@pytest.mark.parametrize("request_, code", [
    ({"UpdateExpression": "SET due = :due", "ExpressionAttributeValues": {":due": {"N": "1"}, ":spare": {"N": "2"}}}, "ValidationException"),
    ({"UpdateExpression": "SET state = :s", "ExpressionAttributeValues": {":s": {"S": "x"}}}, "ValidationException"),
    ({"UpdateExpression": "SET media = :s", "ExpressionAttributeValues": {":s": {"S": "x"}}}, "ValidationException"),
    ({"UpdateExpression": "SET due = :due", "ExpressionAttributeValues": {":due": {"N": "1"}}, "ConditionExpression": "#missing = :due"}, "ValidationException"),
    ({"UpdateExpression": "SET due = :due", "ExpressionAttributeValues": {":due": {"N": "1"}}, "ConditionExpression": "attribute_exists(due)"}, "ConditionalCheckFailedException"),
], ids=["unused value", "reserved word", "key attribute", "undefined name", "condition false"])  # fmt: skip
def test_what_dynamodb_refuses_it_refuses(aws, request_, code):
    dynamodb = aws[0]
    with pytest.raises(ClientError) as refused:
        dynamodb.update_item(TableName="ledger", Key={"media": {"S": "m"}, "version": {"S": "v"}}, **request_)
    assert refused.value.response["Error"]["Code"] == code


def test_an_expression_the_simulation_does_not_know_raises_rather_than_being_guessed(aws):
    with pytest.raises(NotImplementedError):
        aws[0].update_item(TableName="ledger", Key={"media": {"S": "m"}, "version": {"S": "v"}},
                           UpdateExpression="SET tags = list_append(tags, :t)", ExpressionAttributeValues={":t": {"L": []}})  # fmt: skip


def test_the_pending_index_answers_soonest_due_first_a_megabyte_a_page(aws):
    dynamodb, _, _, _ = aws
    ledger = Ledger(dynamodb, "ledger", clock=lambda: 1_800_000_000)
    for n in range(1_000):  # about 1.2 KB an item: 1.2 MB
        ledger.record("media", f"{'x' * 900}/{n:05d}.mp3", f"e{n}", 10, PREFIX, origin="s3", sent_at=1_700_000_000 + (n * 7919) % 1000)
    pages = list(dynamodb.get_paginator("query").paginate(
        TableName="ledger", IndexName="pending", KeyConditionExpression="pending = :s AND due <= :u",
        ExpressionAttributeValues={":s": {"S": "queued"}, ":u": {"N": "2000000000"}}))  # fmt: skip
    dues = [float(item["due"]["N"]) for page in pages for item in page["Items"]]
    assert len(pages) == 2 and len(dues) == 1_000 and dues == sorted(dues)
    assert sum(len(item["key"]["S"]) for item in pages[0]["Items"]) < PAGE_BYTES


def test_the_reconcilers_state_item_starts_a_pass_and_keeps_where_it_stands(aws):
    dynamodb = aws[0]
    state = PassState.load(dynamodb, "ledger").begin(cutoff=1_800_000_000).at("a/b.mp3")
    state.save(dynamodb, "ledger")
    assert PassState.load(dynamodb, "ledger") == state
    state.finish().save(dynamodb, "ledger")
    assert "passCursor" not in dynamodb.get_item(TableName="ledger", Key=STATE_KEY)["Item"]


def test_a_listing_pages_by_1000_keys_decoded_as_botocore_asked_them_encoded(aws):
    _, s3, _, buckets = aws
    keys = [f"in/{n:04d} a+b é.mp3" for n in range(2_500)]
    for key in keys:
        buckets.put("media", key, 10, "e")
    pages = list(s3.get_paginator("list_objects_v2").paginate(Bucket="media", Prefix="in/"))
    assert [len(page["Contents"]) for page in pages] == [1000, 1000, 500]
    assert [o["Key"] for page in pages for o in page["Contents"]] == keys
    assert s3.head_object(Bucket="media", Key=keys[7])["ETag"] == '"e"'


@pytest.mark.parametrize("stamp", ["2026-11-24T09:00:00.000Z", "2026-11-24T09:00:00Z", "Tue, 24 Nov 2026 09:00:00 GMT", 1795510800])
def test_the_short_cut_timestamp_parser_gives_what_botocores_gives(stamp):
    assert iso_timestamp(stamp) == parse_timestamp(stamp)
    assert iso_timestamp(stamp).utcoffset() == parse_timestamp(stamp).utcoffset()
