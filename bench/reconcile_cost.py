"""What one reconciler run takes, and costs, per 100,000 and 1,000,000 media objects under
keyPrefix: the real `function/reconcile.py` against the simulated S3, DynamoDB, SQS, CloudWatch
and Transcribe, each call taking the latency assumed below, every call counted and priced.

Two situations: the steady state (every object recorded and checked by earlier passes, a hundred
new ones uploaded and recorded in the last hour), and the first pass over an adopted bucket (no
ledger item at all; each object has its transcript, written by the stack it was adopted from, or
none yet). A first pass stops at the run's deadline and the next run goes on from there.
"""

import math
from dataclasses import dataclass, field

import naming
from ledger import Ledger
from reconcile_state import STATE_KEY

from bench.sim import EPOCH, Simulation, VirtualClock
from bench.sim_aws import LambdaFunction, LambdaQuotas, Queue, Transcribe, TranscribeQuotas
from bench.sim_dynamodb import Capacity, Table
from bench.sim_http import FakeAws
from bench.sim_reconcile import DirectClient, Scheduler, load_reconciler
from bench.sim_s3 import Buckets
from bench.sim_services import Services

DAY = 86_400
NEW_PER_HOUR = 100
MEDIA_BYTES = 50_000_000
# Per-call latency, as the reconciler in Lambda would see it (network included). Assumed: AWS
# publishes no figures but these ranges.
LATENCY = {
    "S3.ListObjectsV2": 0.20,  # a page of 1,000 keys (assumed)
    "S3.HeadObject": 0.03,  # "median latencies are often in the tens of milliseconds" for small requests
    "S3.GetObject": 0.03,  # (AWS whitepaper, "Optimizing Amazon S3 Performance", timeouts and retries)
    "DynamoDB.GetItem": 0.01,  # "single-digit millisecond" (Amazon DynamoDB Developer Guide): the top,
    "DynamoDB.PutItem": 0.01,  # network included
    "DynamoDB.UpdateItem": 0.01,
    "DynamoDB.Query": 0.03,  # a page of up to 1 MB (assumed)
    "DynamoDB.BatchGetItem": 0.03,  # 100 keys read in parallel by DynamoDB (assumed)
    "SQS.SendMessageBatch": 0.02,
    "SQS.GetQueueAttributes": 0.02,
    "CloudWatch.GetMetricStatistics": 0.05,
    "Transcribe.GetTranscriptionJob": 0.05,
    "Lambda.Invoke": 0.03,
}
# US East (N. Virginia) prices, to check against the pricing pages (they could not be read from
# here): S3 requests, DynamoDB on-demand request units, SQS requests, CloudWatch API requests,
# Lambda on arm64.
PRICES = {
    "S3 LIST, per 1,000": 0.005,
    "S3 GET/HEAD, per 1,000": 0.0004,
    "DynamoDB read request units, per million": 0.125,
    "DynamoDB write request units, per million": 0.625,
    "SQS requests, per million": 0.40,
    "CloudWatch GetMetricStatistics, per 1,000": 0.01,
    "Lambda arm64 GB-second": 0.0000133334,
    "Lambda requests, per million": 0.20,
}


@dataclass(frozen=True)
class Case:
    objects: int
    situation: str
    """"steady", "adopted" (transcripts there) or "untranscribed" (none yet)."""
    whole_pass: bool = False
    """Run until the pass completes; else the first run only, the rest extrapolated."""

    @property
    def name(self) -> str:
        what = {"steady": "steady state, 100 new in the hour", "adopted": "first pass, adopted bucket (transcripts there)",
                "untranscribed": "first pass, nothing transcribed yet"}[self.situation]  # fmt: skip
        return f"{self.objects:,} objects: {what}"


CASES = (
    Case(100_000, "steady"), Case(1_000_000, "steady"),
    Case(100_000, "adopted", whole_pass=True), Case(1_000_000, "adopted"),
    Case(100_000, "untranscribed"), Case(1_000_000, "untranscribed"),
)  # fmt: skip


@dataclass
class CostFigures:
    case: Case
    runs: list = field(default_factory=list)
    """(seconds, objects listed, adopted, sent) of each simulated run."""
    calls: dict = field(default_factory=dict)
    read_units: float = 0.0
    write_units: float = 0.0
    gb_seconds: float = 0.0
    errors: list = field(default_factory=list)

    def cost(self) -> dict[str, float]:
        """Dollars by what is billed, for the simulated runs."""
        calls, p = self.calls, PRICES
        sqs = calls.get("SQS.SendMessageBatch", 0) + calls.get("SQS.GetQueueAttributes", 0)
        return {
            "S3": calls.get("S3.ListObjectsV2", 0) * p["S3 LIST, per 1,000"] / 1000
            + (calls.get("S3.HeadObject", 0) + calls.get("S3.GetObject", 0)) * p["S3 GET/HEAD, per 1,000"] / 1000,
            "DynamoDB": self.read_units * p["DynamoDB read request units, per million"] / 1e6
            + self.write_units * p["DynamoDB write request units, per million"] / 1e6,
            "SQS and CloudWatch": sqs * p["SQS requests, per million"] / 1e6
            + calls.get("CloudWatch.GetMetricStatistics", 0) * p["CloudWatch GetMetricStatistics, per 1,000"] / 1000,
            "Lambda": self.gb_seconds * p["Lambda arm64 GB-second"] + len(self.runs) * p["Lambda requests, per million"] / 1e6,
        }  # fmt: skip

    @property
    def objects_per_run(self) -> float:
        """Objects a full run gets through (the first run's)."""
        return self.runs[0][1]

    def pass_runs(self) -> int:
        """Runs the whole pass takes: simulated, or extrapolated from the first run."""
        if self.case.situation == "steady" or self.case.whole_pass:
            return len(self.runs)
        return math.ceil(self.case.objects / self.objects_per_run)


def measure(case: Case, reconciler) -> CostFigures:
    """Run the real reconciler over the case's bucket; `reconciler` the program's ReconcilerSettings."""
    sim = Simulation()
    clock = VirtualClock(sim)
    env = reconciler.environ
    queue_name = env["UPLOAD_QUEUE_URL"].rsplit("/", 1)[1]
    buckets = Buckets(sim, [env["MEDIA_BUCKET"], env["OUTPUT_BUCKET"]])
    table = Table(env["LEDGER_TABLE"], "media", "version", {"pending": ("pending", "due")})
    services = Services(sim, Transcribe(sim, TranscribeQuotas()), [Queue(sim, queue_name, retention=14 * DAY)], lambda key: 0)
    aws = FakeAws(sim, lambda operation: LATENCY[operation])
    for handlers in (services.handlers(), table.handlers(), buckets.handlers()):
        aws.serve(handlers)
    start = 30 * DAY
    _fill(case, buckets, table, env, start)
    table.capacity = Capacity()  # the run's request units only, not the filling's
    copies = iter(range(1, 1000))
    function = LambdaFunction(sim, LambdaQuotas(), reconciler.memory_mb, reconciler.timeout,
                              lambda: load_reconciler(next(copies), clock, aws, env))  # fmt: skip
    one_run = case.situation != "steady" and not case.whole_pass
    busy = lambda: not scheduler.runs or (not one_run and not scheduler.runs[-1].report.get("pass_complete"))  # noqa: E731
    scheduler = Scheduler(sim, function, reconciler.period, start, busy, max_runs=1 if case.situation == "steady" else 60)
    sim.run()
    return CostFigures(
        case, [(r.seconds, r.report.get("objects_listed", 0), r.report.get("adopted", 0), r.report.get("unrecorded_sent", 0))
               for r in scheduler.runs],
        dict(aws.calls["reconcile"]), table.capacity.read_units,
        table.capacity.write_units + table.capacity.index_write_units, function.gb_seconds,
        [r.error for r in scheduler.runs if r.error],
    )  # fmt: skip


def _fill(case: Case, buckets: Buckets, table: Table, env: dict, now: float) -> None:
    """The bucket as the case has it at virtual time `now`, and the ledger and the reconciler's
    state as earlier runs left them."""
    media, output, prefix = env["MEDIA_BUCKET"], env["OUTPUT_BUCKET"], env.get("KEY_PREFIX", "")
    old = now - 20 * DAY
    for index in range(case.objects):
        key = f"{prefix}media/{index:07d}.mp3"
        buckets.put(media, key, MEDIA_BYTES, f"{index:032x}", written=old)
        if case.situation == "adopted":
            buckets.put(output, naming.transcript_key(env["OUTPUT_PREFIX"], key), 2_000, f"t{index:031x}", written=old + DAY)
    if case.situation != "steady":
        return
    client = DirectClient(table)
    ledger = Ledger(client, table.name, clock=lambda: EPOCH + now)
    for n in range(NEW_PER_HOUR):  # uploaded in the last hour and recorded by the upload function
        key, written = f"{prefix}media/new-{n:04d}.mp3", now - 3600 + 30 * n
        buckets.put(media, key, MEDIA_BYTES, f"{n:031x}n", written=written)
        entry, _ = ledger.record(media, key, f"{n:031x}n", MEDIA_BYTES, env["JOB_NAME_PREFIX"], origin="s3", sent_at=EPOCH + written)
        ledger.end(entry, "completed", minutes=10)
    # The previous run's pass checked everything written up to its cutoff, an hour ago.
    cutoff = EPOCH + now - 3600 - 15 * 60
    client.update_item(TableName=table.name, Key=STATE_KEY,
                       UpdateExpression="SET passCutoff = :c, verifiedUntil = :c",
                       ExpressionAttributeValues={":c": {"N": repr(cutoff)}})  # fmt: skip

