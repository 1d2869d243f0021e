"""The reconciler's figures as `python -m bench scale` prints them: how long a run takes and what
it costs per 100,000 and 1,000,000 media objects, with the latencies and prices assumed, and what
a user with more objects should do."""

import math

from bench.reconcile_cost import LATENCY, NEW_PER_HOUR, PRICES, CostFigures
from bench.scale_report import clock_time

HOURS_A_MONTH = 730
# The share of a run function/reconcile.py gives to checking started jobs (COMPLETIONS_SHARE).
COMPLETIONS_SHARE = 1 / 3


def _per_run(figures: CostFigures, operation: str) -> str:
    return f"{figures.calls.get(operation, 0) / len(figures.runs):,.0f}"


def table(results: list[CostFigures]) -> str:
    lines = [
        "| media objects under keyPrefix | situation | runs for a pass | a run takes | objects settled a run | "
        "calls a run: LIST / HEAD / BatchGetItem / PutItem + UpdateItem / SendMessageBatch | cost of a run | "
        "cost of the pass, or a month of hourly runs |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for f in results:
        cost = sum(f.cost().values())
        per_run = cost / len(f.runs)
        seconds = max(run[0] for run in f.runs)
        writes = f.calls.get("DynamoDB.PutItem", 0) + f.calls.get("DynamoDB.UpdateItem", 0)
        calls = " / ".join([_per_run(f, "S3.ListObjectsV2"), _per_run(f, "S3.HeadObject"), _per_run(f, "DynamoDB.BatchGetItem"),
                            f"{writes / len(f.runs):,.0f}", _per_run(f, "SQS.SendMessageBatch")])  # fmt: skip
        if f.case.situation == "steady":
            runs, settled, total = "1 (each run lists the whole prefix)", f"{NEW_PER_HOUR} new", f"${per_run * HOURS_A_MONTH:,.2f} a month"
        elif f.case.whole_pass:
            runs, settled, total = f"{len(f.runs)} (simulated)", f"{f.objects_per_run:,}", f"${cost:,.2f}"
        elif f.case.situation == "untranscribed":
            # While the jobs it sent run, a third of each later run checks them (COMPLETIONS_SHARE in
            # function/reconcile.py): those runs settle up to a third fewer objects.
            slowest = math.ceil(f.case.objects / (f.objects_per_run * (1 - COMPLETIONS_SHARE)))
            runs = f"{f.pass_runs()} to {slowest} (first run simulated, the rest extrapolated)"
            settled, total = f"{f.objects_per_run:,}", f"${cost * f.case.objects / f.objects_per_run:,.2f} (extrapolated)"
        else:
            runs = f"{f.pass_runs()} (first run simulated, the rest extrapolated)"
            settled, total = f"{f.objects_per_run:,}", f"${cost * f.case.objects / f.objects_per_run:,.2f} (extrapolated)"
        lines.append(f"| {f.case.objects:,} | {f.case.name.split(': ', 1)[1]} | {runs} | {clock_time(seconds)} | {settled} | "
                     f"{calls} | ${per_run:,.4f} | {total} |")  # fmt: skip
    return "\n".join(lines)


def render(results: list[CostFigures]) -> str:
    errors = [error for f in results for error in f.errors]
    largest = max((f for f in results if f.case.situation == "steady"), key=lambda f: f.case.objects)
    listing = LATENCY["S3.ListObjectsV2"]
    most_listed = int(870 / listing) * 1000
    return "\n".join([
        "### The reconciler per 100,000 and 1,000,000 media objects",
        "",
        "The real `function/reconcile.py`, invoked as its schedule does, against the simulated services with the "
        "latencies below (`bench/reconcile_cost.py`); each call counted and priced. *Steady state*: every object "
        f"recorded and checked by earlier passes, {NEW_PER_HOUR} uploaded (and recorded) in the last hour. *First "
        "pass*: an adopted bucket, no ledger item at all; its objects either have their transcripts (written by the "
        "stack they come from: each is recorded as done) or none yet (each is recorded and sent to the upload queue). "
        "A run stops near its 900 s timeout and the next, an hour later, goes on where it stopped. When nothing was "
        "transcribed yet, the later runs of the pass also check the jobs the first ones caused, and settle up to a "
        "third fewer objects: the runs are given as a range.",
        "",
        table(results),
        "",
        f"Runs that ended in an error or a timeout: {len(errors)}{': ' + '; '.join(errors[:3]) if errors else ''}.",
        "",
        "Cost = S3 requests + DynamoDB request units (the index's writes included) + SQS and CloudWatch requests + "
        "Lambda GB-seconds and requests; Transcribe's GetTranscriptionJob and the completion function are left out.",
        "",
        "Latencies assumed (per call, as the function sees them; AWS publishes only ranges): "
        + "; ".join(f"{operation} {seconds * 1000:g} ms" for operation, seconds in LATENCY.items()) + ".",
        "",
        "Prices assumed, US East (N. Virginia), to check against the pricing pages (not readable from here): "
        + "; ".join(f"{what} ${price:g}" for what, price in PRICES.items()) + ".",
        "",
        f"**More objects.** A run's fixed cost is the listing: a page of 1,000 keys per {listing * 1000:g} ms, so "
        f"{largest.calls.get('S3.ListObjectsV2', 0):,} LIST requests and about "
        f"{clock_time(max(r[0] for r in largest.runs))} a run at {largest.case.objects:,} objects, and beyond about "
        f"{most_listed / 1e6:.1f} million objects one run cannot list them all (the pass then spans runs, and a "
        "missed upload waits that many hours). A user with several million objects should give the reconciler an "
        "Amazon S3 Inventory report as its listing: daily or weekly, CSV, ORC or Parquet, the first within 48 hours "
        '(Amazon S3 User Guide, "Amazon S3 Inventory"), with no List requests; the reconciler does not read one '
        "yet (the listing is `find_unrecorded` in function/reconcile.py), and `reconcileMinutes` can be raised "
        "meanwhile (a daily run lists the bucket once a day).",
    ])  # fmt: skip
