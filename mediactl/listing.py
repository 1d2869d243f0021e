"""Reading a large stack fast: a bucket listed folder by folder in parallel, in a few processes of
its own, the ledger scanned in parallel segments, each page handed to the caller as it comes (on the
calling thread, so what it does with a page needs no lock), with a count for a progress bar.

S3 lists up to 1,000 keys a call, in UTF-8 binary order (S3 API Reference, ListObjectsV2), so one
listing of a million objects is a thousand calls one after the other; the folders under a prefix
(its CommonPrefixes with Delimiter "/", and theirs) are listed side by side instead. A bucket
without folders is listed in one run. DynamoDB's Scan splits a table into segments that are read in
parallel (DynamoDB Developer Guide, "Parallel scan").

Reading a page of 1,000 keys costs botocore about 77 ms of CPU (`python -m bench audit`), and
Python runs one thread's bytecode at a time, so listing threads would overlap their waiting but
not that work. The pages are therefore asked for and read in worker processes (each with its own
S3 client, made as the tool makes its clients, in the same environment), which hand back only what
the callers use of each object: Key, ETag, Size and LastModified.
"""

import multiprocessing
import os
import queue
import signal
import sys
import threading
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, ThreadPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool

from botocore.exceptions import ClientError

from mediactl.errors import ToolError

WORKERS = 16
SCAN_SEGMENTS = 8
# Listing processes: two a CPU (each one waits for its answers part of the time), at most 8.
PROCESSES = max(2, min(8, 2 * (os.cpu_count() or 1)))
FIELDS = ("Key", "ETag", "Size", "LastModified")
_DONE = object()


def _drain(work: list, run_one, on_page, workers: int) -> None:
    """Run `run_one(item, put)` for each item on `workers` threads; hand every page they put to
    `on_page` here; re-raise the first error."""
    pages: queue.Queue = queue.Queue(maxsize=workers * 4)
    errors: list[BaseException] = []
    stop = threading.Event()

    def run(item):
        try:
            run_one(item, lambda page: stop.is_set() or pages.put(page))
        except BaseException as error:  # noqa: BLE001 - handed to the calling thread
            errors.append(error)
        finally:
            pages.put(_DONE)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        for item in work:
            pool.submit(run, item)
        finished = 0
        try:
            while finished < len(work):
                page = pages.get()
                if page is _DONE:
                    finished += 1
                elif not errors:
                    on_page(page)
        finally:
            stop.set()
            while finished < len(work):
                finished += pages.get() is _DONE
    if errors:
        raise errors[0]


def list_objects(s3, bucket: str, prefix: str, on_page, workers: int = WORKERS) -> None:
    """Every object under `prefix`, handed to `on_page` a page (a list of ListObjectsV2 entries)
    at a time. Folders are opened a level at a time (the objects right in them handed on, their
    subfolders found: `archive/`, then its years, then their months) while there are fewer of
    them than `workers`; then each folder is listed whole, side by side. With `workers=1`, the
    whole prefix is listed in this process, one page after the other."""
    if workers == 1:
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            if page.get("Contents"):
                on_page(page["Contents"])
        return
    processes = min(workers, PROCESSES)
    context = multiprocessing.get_context("fork" if sys.platform == "linux" else "spawn")
    pool = ProcessPoolExecutor(processes, mp_context=context, initializer=_start_worker, initargs=(s3.meta.region_name,))
    try:
        folders = [prefix]
        while 0 < len(folders) < workers:
            found: list[str] = []
            _list_pages(pool, bucket, folders, "/", on_page, found.extend, in_flight=2 * processes)
            folders = found
        if folders:
            _list_pages(pool, bucket, folders, "", on_page, None, in_flight=2 * processes)
    except BrokenProcessPool as error:
        raise ToolError(f"a listing process ended unexpectedly ({error}): is the machine out of memory?") from None
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _list_pages(pool, bucket: str, folders: list[str], delimiter: str, on_page, on_subfolders, in_flight: int) -> None:
    """List each folder page after page in the pool, `in_flight` pages asked for at a time."""
    waiting = folders[::-1]
    running: dict = {}
    try:
        while waiting or running:
            while waiting and len(running) < in_flight:
                folder = waiting.pop()
                running[pool.submit(_list_page, bucket, folder, delimiter, None)] = folder
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                folder = running.pop(future)
                objects, subfolders, token = future.result()
                if token:  # the next page is asked for while this one is handed on
                    running[pool.submit(_list_page, bucket, folder, delimiter, token)] = folder
                if objects:
                    on_page(objects)
                if subfolders and on_subfolders:
                    on_subfolders(subfolders)
    finally:
        for future in running:
            future.cancel()


# --- in a listing process ---------------------------------------------------------------------

_s3 = None


def _start_worker(region: str | None) -> None:
    global _s3
    # Ctrl-C is the calling process's to handle: it stops asking for pages and says so.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # A calling process killed outright (SIGTERM from cron's timeout, say) cannot stop its pool,
    # and a process waiting for work would wait forever: each one ends when its parent is gone.
    threading.Thread(target=_end_with, args=(os.getppid(),), daemon=True).start()
    from mediactl.aws import Clients

    _s3 = Clients(region).s3


def _end_with(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(1)
    os._exit(1)


def _list_page(bucket: str, folder: str, delimiter: str, token: str | None):
    """One ListObjectsV2 page: (its objects' FIELDS, its subfolders, the next page's token or None)."""
    request = {"Bucket": bucket, "Prefix": folder, **({"Delimiter": delimiter} if delimiter else {})}
    try:
        page = _s3.list_objects_v2(**request, **({"ContinuationToken": token} if token else {}))
    except ClientError as error:
        # botocore's modeled errors (NoSuchBucket...) are classes made at run time, which cannot be
        # sent back from a process; the plain ClientError says the same.
        raise ClientError(error.response, error.operation_name) from None
    objects = [{field: obj[field] for field in FIELDS} for obj in page.get("Contents", ())]
    subfolders = [common["Prefix"] for common in page.get("CommonPrefixes", ())]
    return objects, subfolders, page.get("NextContinuationToken") if page.get("IsTruncated") else None


def scan_table(dynamodb, table: str, on_page, projection: str, names: dict, segments: int = SCAN_SEGMENTS) -> None:
    """Every item of the table, `segments` parallel scans, handed to `on_page` a page at a time."""

    def scan_segment(segment: int, put) -> None:
        request = {
            "TableName": table, "Segment": segment, "TotalSegments": segments,
            "ProjectionExpression": projection, "ExpressionAttributeNames": names,
        }  # fmt: skip
        for page in dynamodb.get_paginator("scan").paginate(**request):
            put(page.get("Items", []))

    _drain(list(range(segments)), scan_segment, on_page, segments)
