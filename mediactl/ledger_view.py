"""What `status` shows from the ledger table: how many uploads wait (queued) and how many jobs run
(started), the day's and the month's work and spend, the daily limit, and the reconciler's last
run. A few requests, whatever the size of the stack: the counts of the pending index stop after
a couple of pages ("5,000+"), the spend comes from one item a day."""

import time
from dataclasses import dataclass

from mediactl.spend import Spend, spend_of
from transcribe_pipeline.function import ledger, reconcile_state

# Pages of the pending index read to count (about 3,000 items a page).
COUNT_PAGES = 2


@dataclass
class LedgerView:
    queued: str
    started: str
    spend: Spend
    reconciler: tuple[float, dict] | None


def count_pending(dynamodb, table: str, state: str) -> str:
    """How many items wait in `state`, as '12' or, past COUNT_PAGES pages, '6,214+'."""
    pages = dynamodb.get_paginator("query").paginate(
        TableName=table, IndexName=ledger.PENDING_INDEX, KeyConditionExpression="pending = :state",
        ExpressionAttributeValues={":state": {"S": state}}, Select="COUNT",
    )  # fmt: skip
    counted = 0
    for number, page in enumerate(pages, 1):
        counted += page.get("Count", 0)
        if number == COUNT_PAGES and page.get("LastEvaluatedKey"):
            return f"{counted:,}+"
    return f"{counted:,}"


def ledger_view(dynamodb, table: str, price_per_minute: float) -> LedgerView:
    return LedgerView(
        queued=count_pending(dynamodb, table, ledger.QUEUED),
        started=count_pending(dynamodb, table, ledger.STARTED),
        spend=spend_of(dynamodb, table, price_per_minute),
        reconciler=reconcile_state.last_run(dynamodb, table),
    )


def ledger_rows(view: LedgerView) -> list[tuple[str, str, str]]:
    """(label, now, detail) rows for the status table."""
    spend = view.spend
    today = spend.today
    rows = [
        ("uploads (ledger)", f"{view.queued} queued, {view.started} started", "queued: waiting for a job; started: job running"),
        ("today (UTC)", f"{int(today.get('started', 0)):,} started, {int(today.get('completed', 0)):,} completed,"
                        f" {int(today.get('failed', 0)):,} failed",
         f"{spend.today_minutes:,.1f} min transcribed, about {spend.price(spend.today_minutes)}"),  # fmt: skip
        ("this month", f"{spend.month_minutes:,.1f} min transcribed",
         f"about {spend.price(spend.month_minutes)} at ${spend.price_per_minute:g}/min"),  # fmt: skip
    ]
    if limit := spend.limit_line:
        rows.append(("daily limit", "reached", limit))
    rows.append(("reconciler", *reconciler_cells(view.reconciler)))
    return rows


def reconciler_cells(last: tuple[float, dict] | None) -> tuple[str, str]:
    if last is None:
        return "no run yet", ""
    when, report = last
    minutes = max(0, int((time.time() - when) / 60))
    found = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in report.items() if isinstance(v, int) and v and k != "objects_listed")
    return f"last run {minutes} min ago", found or "nothing to fix"
