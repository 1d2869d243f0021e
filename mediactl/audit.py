"""`audit`: did every media file get a transcript or a stated reason? The stack's media bucket
(under keyPrefix, and --prefix), its ledger and its transcripts, read in parallel and matched
object by object; counts by state, one line per media object that needs something, and the exit
code for cron and CI: 0 when every media object is accounted for, 1 when one is not.
"""

import json
import shlex
import time

from rich.progress import Progress, SpinnerColumn, TextColumn

from mediactl import listing, stack, uploads
from mediactl.accounting import Account
from mediactl.aws import Clients
from mediactl.errors import EXIT_FAILURE
from mediactl.spend import PRICE_PER_MINUTE, PRICE_SOURCE, price_per_minute, spend_of
from mediactl.terminal import count, err, note
from transcribe_pipeline.function import common, reconcile_state

NEEDED = ("inputBucket", "outputBucket", "ledgerTableName", "keyPrefix", "outputPrefix", "uploadQueueUrl")
PROJECTION = "media, version, #state, jobName, reason, queuedAt, startedAt, due, deletedAt"
# Jobs looked up in Transcribe at most, at most this many a second (GetTranscriptionJob's quota,
# 30 a second, is shared with the completion function and the reconciler).
LOOK_UPS, LOOK_UP_RATE = 200, 10.0


def run(args) -> int:
    target = stack.target_of(args, NEEDED)
    prefix = target.key_prefix + uploads.checked_prefix(args.prefix or "")
    clients = Clients(target.region)
    account = Account(now=time.time(), selection=shlex.join(target.selection), queue_empty=upload_queue_empty(clients, target))
    read_everything(clients, target, prefix, account, quiet=args.json)
    look_up_old_jobs(clients, account)
    table = target.outputs["ledgerTableName"]
    last = reconcile_state.last_run(clients.dynamodb, table)
    spend = spend_of(clients.dynamodb, table, args.price_per_minute)
    if args.json:
        print(json.dumps({"stack": target.label, "prefix": prefix, **account.as_json(), "reconciler": reconciler_json(last),
                          "spend": spend_json(spend)}, indent=2))  # fmt: skip
    else:
        print_account(target, prefix, account, last)
        print(f"spend: today {spend.today_minutes:,.1f} min (about {spend.price(spend.today_minutes)}), this month"
              f" {spend.month_minutes:,.1f} min (about {spend.price(spend.month_minutes)}) at ${spend.price_per_minute:g}/min;"
              f" minutes up to each transcript's last word: Transcribe bills a little more")  # fmt: skip
    return 0 if account.healthy else EXIT_FAILURE


def upload_queue_empty(clients, target) -> bool:
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed"]
    attributes = clients.sqs.get_queue_attributes(QueueUrl=target.upload_queue_url, AttributeNames=names)["Attributes"]
    return not any(int(attributes.get(name, 0)) for name in names)


def read_everything(clients, target, prefix: str, account: Account, quiet: bool) -> None:
    """The ledger and the transcripts first (what each media object is matched with), then the
    media, each with a progress line on stderr."""
    output_prefix = target.output_prefix + prefix
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), console=err, transient=True, disable=quiet) as progress:

        def counted(description: str, add):
            task = progress.add_task(description, total=None)
            seen = [0]

            def on_page(page):
                add(page)
                seen[0] += len(page)
                progress.update(task, description=f"{description}: {seen[0]:,}")

            return on_page

        listing.scan_table(clients.dynamodb, target.outputs["ledgerTableName"], counted("ledger items", account.add_ledger_page),
                           PROJECTION, {"#state": "state"})  # fmt: skip
        listing.list_objects(clients.s3, target.output_bucket, output_prefix, counted("transcripts and notes", account.add_output_page))
        listing.list_objects(
            clients.s3, target.input_bucket, prefix,
            counted("media objects", lambda page: account.add_media_page(page, target.input_bucket, target.output_prefix)),
        )  # fmt: skip


def look_up_old_jobs(clients, account: Account) -> None:
    """Jobs started over an hour ago: still running, or ended without their end recorded?"""
    for key, item in account.to_look_up[:LOOK_UPS]:
        account.job_looked_up(key, item, common.get_job(clients.transcribe, item.job_name))
        time.sleep(1 / LOOK_UP_RATE)
    if len(account.to_look_up) > LOOK_UPS:
        note(f"{len(account.to_look_up) - LOOK_UPS} more jobs started over an hour ago were not looked up; the reconciler checks them")


def spend_json(spend) -> dict:
    return {
        "todayMinutes": round(spend.today_minutes, 2), "monthMinutes": round(spend.month_minutes, 2),
        "pricePerMinute": spend.price_per_minute, "priceSource": PRICE_SOURCE,
        "todayPrice": round(spend.today_minutes * spend.price_per_minute, 2),
        "monthPrice": round(spend.month_minutes * spend.price_per_minute, 2),
    }  # fmt: skip


def reconciler_json(last) -> dict | None:
    if last is None:
        return None
    when, report = last
    return {"lastRun": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(when)), **report}


def print_account(target, prefix: str, account: Account, last) -> None:
    print(f"Audit of {target.label}: {count(account.objects, 'media object')} under {prefix!r}")
    if account.counts:
        print("  " + " · ".join(f"{state} {number:,}" for state, number in account.counts.most_common()))
    for gap in account.gaps:
        print(f"  {gap.key}: {gap.problem}: {gap.action}")
    if last is None:
        print("reconciler: no run recorded yet")
    else:
        when, report = last
        minutes = max(0, int((time.time() - when) / 60))
        found = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in report.items() if isinstance(v, int) and v and k != "objects_listed")
        print(f"reconciler: last run {minutes} min ago{': ' + found if found else ', nothing to fix'}")
    if account.healthy:
        print("every media object has its transcript or a recorded reason, or is on its way")
    else:
        print(f"{count(len(account.gaps), 'media object')} {'needs' if len(account.gaps) == 1 else 'need'} attention")


def add_parser(commands) -> None:
    command = commands.add_parser(
        "audit",
        help="did every media file get a transcript or a reason? (exit 1 when one did not)",
        description="Match every media object under the stack's key prefix with its ledger item and its transcript:"
        " counts by state, and one line for each object that has neither a transcript nor a recorded reason or is"
        " stuck, with what to do. Exit code 0 when every object is accounted for, 1 otherwise: usable from cron and CI.",
    )
    stack.add_stack_options(command)
    command.add_argument("--prefix", metavar="P", help="a key prefix under the stack's keyPrefix: only the media there, e.g. 'team/'")
    command.add_argument("--json", action="store_true", help="print the account as JSON (no progress lines)")
    command.add_argument(
        "--price-per-minute", type=price_per_minute, default=PRICE_PER_MINUTE, metavar="USD",
        help=f"the price of a transcribed minute for the spend shown (default {PRICE_PER_MINUTE}: {PRICE_SOURCE})",
    )  # fmt: skip
    command.set_defaults(run=run)
