"""Reading a large stack fast: a bucket listed folder by folder in parallel, the ledger scanned in
parallel segments, each page handed to the caller as it comes (on the calling thread, so what it
does with a page needs no lock), with a count for a progress bar.

S3 lists up to 1,000 keys a call, in UTF-8 binary order (S3 API Reference, ListObjectsV2), so one
listing of a million objects is a thousand calls one after the other; the folders under a prefix
(its CommonPrefixes with Delimiter "/", and theirs) are listed side by side instead. A bucket
without folders is listed in one run. DynamoDB's Scan splits a table into segments that are read in parallel
(DynamoDB Developer Guide, "Parallel scan").
"""

import queue
import threading
from concurrent.futures import ThreadPoolExecutor

WORKERS = 16
SCAN_SEGMENTS = 8
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
    them than workers; then each folder is listed whole, side by side, one per thread."""
    paginator = s3.get_paginator("list_objects_v2")

    def open_folder(folder: str, put) -> None:
        subfolders = _Subfolders()
        for page in paginator.paginate(Bucket=bucket, Prefix=folder, Delimiter="/"):
            subfolders += [p["Prefix"] for p in page.get("CommonPrefixes", [])]
            if page.get("Contents"):
                put(page["Contents"])
        put(subfolders)

    def list_folder(folder: str, put) -> None:
        for page in paginator.paginate(Bucket=bucket, Prefix=folder):
            if page.get("Contents"):
                put(page["Contents"])

    folders = [prefix]
    while 0 < len(folders) < workers:
        found: list[str] = []
        _drain(folders, open_folder, lambda page: found.extend(page) if isinstance(page, _Subfolders) else on_page(page), workers)
        folders = found
    if folders:
        _drain(folders, list_folder, on_page, workers)


class _Subfolders(list):
    """The subfolders an opened folder holds (its objects were handed on)."""


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
