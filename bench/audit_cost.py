"""Where the CPU of an audit goes, per key, measured in this process on pages as the fake
endpoint sends them: botocore's parsing of a ListObjectsV2 page and of a Scan page (with the
parser the tool's own clients are given, and botocore's as it comes, taking turns), and the tool's matching (mediactl.accounting) of each
media object, transcript key and ledger item."""

import json
import statistics
import time

import botocore.session

from bench.audit_aws import FakeAws, Latency
from bench.audit_stack import FakeStack
from mediactl.accounting import Account
from mediactl.audit import PROJECTION
from mediactl.aws import Clients

REPEATS = 7


def best_of(work) -> float:
    """The median time of `work()` over REPEATS runs, after one unmeasured run."""
    return medians({"work": work})["work"]


def medians(works: dict) -> dict:
    """The median time of each of `works`, taking turns, REPEATS rounds after an unmeasured one."""
    times: dict = {name: [] for name in works}
    for round_number in range(REPEATS + 1):
        for name, work in works.items():
            started = time.perf_counter()
            work()
            if round_number:
                times[name].append(time.perf_counter() - started)
    return {name: statistics.median(values) for name, values in times.items()}


def measure(stack: FakeStack, at: int = 1_000_000) -> list[str]:
    """Lines for the report: the cost of one key of each kind, and what it makes at `at` objects."""
    fake = FakeAws(stack, Latency(0, 0, 0))
    now = time.time()
    core = Clients("us-east-1").session._session  # the botocore session of the tool's clients
    plain = botocore.session.get_session()  # botocore as it comes
    models = {}

    def parse(service: str, operation: str, protocol: str, body: bytes, session=core):
        model = models.setdefault(service, core.get_service_model(service)).operation_model(operation)
        response = {"body": body, "headers": {}, "status_code": 200}
        factory = session.get_component("response_parser_factory")
        return lambda: factory.create_parser(protocol).parse(response, model.output_shape)

    listing = {"list-type": "2", "encoding-type": "url"}
    out_xml = fake._list_objects(stack.output_bucket, {**listing, "prefix": stack.output_prefix})
    media_xml = fake._list_objects(stack.input_bucket, {**listing, "prefix": ""})
    scan = fake._scan({"TableName": stack.table, "ProjectionExpression": PROJECTION, "ExpressionAttributeNames": {"#state": "state"}}, now)
    parse_out = parse("s3", "ListObjectsV2", "rest-xml", out_xml)
    parse_scan = parse("dynamodb", "Scan", "json", scan)
    outputs, items = parse_out()["Contents"], parse_scan()["Items"]
    media = [obj for page_prefix in ("archive/2015/01/",) for obj in
             parse("s3", "ListObjectsV2", "rest-xml", fake._list_objects(stack.input_bucket, {**listing, "prefix": page_prefix}))()["Contents"]]
    del media_xml

    pages = medians({"list": parse_out, "plain list": parse("s3", "ListObjectsV2", "rest-xml", out_xml, plain), "scan": parse_scan})
    list_page, plain_page, scan_page = pages["list"], pages["plain list"], pages["scan"]
    per_key, per_item = list_page / len(outputs), scan_page / len(items)

    def matching():
        account = Account(now=now, selection="--outputs x", queue_empty=True)
        account.add_ledger_page(items)
        account.add_output_page(outputs)
        account.add_media_page(media, stack.input_bucket, stack.output_prefix)

    ledger_cost = best_of(lambda: Account(now=now, selection="", queue_empty=True).add_ledger_page(items)) / len(items)
    output_cost = best_of(lambda: Account(now=now, selection="", queue_empty=True).add_output_page(outputs)) / len(outputs)
    account = Account(now=now, selection="", queue_empty=True)
    media_cost = best_of(lambda: account.add_media_page(media, stack.input_bucket, stack.output_prefix)) / len(media)

    large = FakeStack(at)
    media_keys, output_keys = large.keys()
    listed = media_keys + output_keys
    parse_total = listed * per_key + large.ledger_items * per_item
    ours_total = media_keys * media_cost + output_keys * output_cost + large.ledger_items * ledger_cost
    return [
        f"botocore parses a ListObjectsV2 page of {len(outputs):,} keys in {list_page * 1000:.1f} ms"
        f" ({per_key * 1e6:.0f} µs a key) as the tool's clients are set up (mediactl.aws.read_timestamp), in"
        f" {plain_page * 1000:.1f} ms as botocore comes (its dateutil timestamps), and a 1 MB Scan page of {len(items):,} projected items in"
        f" {scan_page * 1000:.1f} ms ({per_item * 1e6:.0f} µs an item)",
        f"the tool's matching (mediactl.accounting): {media_cost * 1e6:.1f} µs a media object,"
        f" {output_cost * 1e6:.1f} µs a transcript key, {ledger_cost * 1e6:.1f} µs a ledger item",
        f"at {at:,} objects ({media_keys:,} media-bucket keys, {output_keys:,} transcript-bucket keys,"
        f" {large.ledger_items:,} ledger items): about {parse_total:,.0f} s of botocore parsing and {ours_total:,.0f} s of"
        " matching, on one core at a time (Python runs one thread's bytecode at a time, so listing threads overlap"
        " their waiting, not this work)",
    ]


if __name__ == "__main__":
    for line in measure(FakeStack(100_000)):
        print(line)
    print(json.dumps(FakeStack(1_000_000).keys()))
