"""A fake AWS endpoint for `python -m bench audit`: a real HTTP server on 127.0.0.1 (a thread per
connection, so parallel requests overlap as they would against AWS) that answers the calls
`mediactl audit` makes, for the stack of bench/audit_stack.py, with a stated latency per request.

- S3 ListObjectsV2 (path-style, as botocore addresses an IP endpoint): prefix, delimiter and
  common prefixes, continuation tokens, MaxKeys 1,000, url-encoded keys as botocore asks for them
  (EncodingType=url); the XML S3 sends (S3 API Reference, ListObjectsV2), ChecksumAlgorithm and
  ChecksumType included (S3 adds a CRC64NVME checksum to uploads by default since 2025).
- DynamoDB Scan: Segment/TotalSegments, ProjectionExpression with ExpressionAttributeNames,
  ExclusiveStartKey; a page stops once the items it read reach 1 MB, counted on whole items
  before the projection (DynamoDB Developer Guide, "Scanning tables": the 1 MB applies to the data
  read; item sizes as in "Item sizes and formats": names plus values).
- DynamoDB GetItem (the reconciler's state) and Query (the month's daily counts), SQS
  GetQueueAttributes (an empty queue), Transcribe GetTranscriptionJob.

Pages are made when asked for; each answer leaves `latency` after its request arrived (the time
spent making it counted in); an answer that took longer to make is late, and how late is counted.
"""

import argparse
import json
import sys
import threading
import time
import urllib.parse
from bisect import bisect_left, bisect_right
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from xml.sax.saxutils import escape

from bench.audit_stack import FakeStack
from transcribe_pipeline.function import daily, reconcile_state

MB = 1024 * 1024
MAX_KEYS = 1000
JOB_GONE = "The requested job couldn't be found. Check the job name and try again."


@dataclass(frozen=True)
class Latency:
    """Seconds from a request's arrival to its answer (assumptions: see bench/audit.py)."""

    list_page: float = 0.030
    scan_page: float = 0.010
    call: float = 0.010


def _encoded(value: str, url: bool) -> str:
    """A key as S3 writes it in XML: url-encoded (spaces as '+') when the request asked for it."""
    return escape(urllib.parse.quote_plus(value, safe="/") if url else value)


class FakeAws:
    """What the endpoint answers, and how many requests of each kind it answered."""

    def __init__(self, stack: FakeStack, latency: Latency = Latency()) -> None:
        self.stack, self.latency = stack, latency
        self.requests: Counter = Counter()
        self.late: Counter = Counter()
        """Seconds past their latency that the answers of each operation left, added up."""
        self._lock = threading.Lock()
        self._cursors: dict[tuple, int] = {}
        # What does not depend on the time, made once: listing entries by (bucket, encoded) and
        # slot, ledger items by projection and index.
        self._pages: dict[tuple, dict] = {}
        self._items: dict[frozenset, dict] = {}

    def stats(self) -> dict:
        with self._lock:
            return {"requests": dict(self.requests), "late": dict(self.late)}

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self.late.clear()
            self._cursors.clear()

    def warm(self, projection: str, names: dict) -> None:
        """Make every page entry and ledger item that does not depend on the time now, as the
        audit will ask for them (url-encoded keys, its projection), so no measured run waits for
        the endpoint to make them."""
        now = time.time()
        for slot in range(self.stack.objects):
            for bucket in (self.stack.input_bucket, self.stack.output_bucket):
                self._slot_entries(bucket, slot, now, True)
        internal = self._internal_items(now)
        wanted = self._projected(projection, names)
        self._items.setdefault(wanted, {})
        for index in range(len(internal) + self.stack.ledger_items):
            self._table_item(index, now, internal, wanted)

    @staticmethod
    def _projected(projection: str, names: dict) -> frozenset:
        return frozenset(names.get(name.strip(), name.strip()) for name in projection.split(","))

    def answer(self, method: str, path: str, headers, body: bytes) -> tuple[str, int, str, bytes]:
        """(operation, status, content type, body) for one request."""
        target = headers.get("X-Amz-Target", "")
        if target:
            operation = target.split(".", 1)[1]
            status, document = self._json_call(operation, json.loads(body or b"{}"))
            kind = "application/x-amz-json-1.1" if target.startswith("Transcribe") else "application/x-amz-json-1.0"
            data = document if isinstance(document, bytes) else json.dumps(document, separators=(",", ":")).encode()
            return operation, status, kind, data
        url = urllib.parse.urlsplit(path)
        query = dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
        bucket = urllib.parse.unquote(url.path.strip("/"))
        if method == "GET" and query.get("list-type") == "2" and "/" not in bucket:
            return "ListObjectsV2", 200, "application/xml", self._list_objects(bucket, query)
        return "Unsupported", 501, "text/plain", f"not modelled: {method} {path}".encode()

    def record(self, operation: str, late: float) -> None:
        with self._lock:
            self.requests[operation] += 1
            if late > 0:
                self.late[operation] += late

    def latency_of(self, operation: str) -> float:
        return {"ListObjectsV2": self.latency.list_page, "Scan": self.latency.scan_page}.get(operation, self.latency.call)

    # --- S3 ------------------------------------------------------------------------------------

    def _objects(self, bucket: str, slot: int, now: float) -> list[dict]:
        if bucket == self.stack.input_bucket:
            return self.stack.media_objects(slot, now)
        return self.stack.output_objects(slot, now)

    def _head(self, bucket: str, slot: int) -> str:
        """What every key of the slot in `bucket` starts with."""
        return ("" if bucket == self.stack.input_bucket else self.stack.output_prefix) + self.stack.stem(slot)

    def _first_slot(self, bucket: str, prefix: str) -> int:
        return bisect_left(range(self.stack.objects), prefix, key=lambda slot: self._head(bucket, slot) + "\U0010ffff")

    def _end_slot(self, bucket: str, prefix: str) -> int:
        """The first slot none of whose keys starts with `prefix`, past the ones that may."""
        return bisect_right(range(self.stack.objects), prefix, key=lambda slot: self._head(bucket, slot)[: len(prefix)])

    def _slot_entries(self, bucket: str, slot: int, now: float, encode: bool) -> list[tuple[str, str]]:
        """(key, its <Contents> element) of each object of the slot; kept for the slots that do
        not depend on the time (all but a few), so that a page costs the endpoint next to nothing."""
        cache = self._pages.setdefault((bucket, encode), {})
        if (entries := cache.get(slot)) is not None:
            return entries
        entries = []
        for obj in self._objects(bucket, slot, now):
            written = datetime.fromtimestamp(obj["written"], timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")
            entries.append((obj["Key"],
                f"<Contents><Key>{_encoded(obj['Key'], encode)}</Key><LastModified>{written}</LastModified>"
                f"<ETag>&quot;{obj['ETag']}&quot;</ETag><ChecksumAlgorithm>CRC64NVME</ChecksumAlgorithm>"
                f"<ChecksumType>FULL_OBJECT</ChecksumType><Size>{obj['Size']}</Size>"
                "<StorageClass>STANDARD</StorageClass></Contents>"))  # fmt: skip
        if self.stack.category(slot) == "completed":
            cache[slot] = entries
        return entries

    def _entries(self, bucket: str, prefix: str, delimiter: str, slot: int, sub: int, now: float, encode: bool):
        """((slot, index), key, <Contents> element or None for a common prefix) in key order from
        a position."""
        end = self._end_slot(bucket, prefix)
        while slot < end:
            entries, next_slot = self._slot_entries(bucket, slot, now, encode), slot + 1
            for index in range(sub, len(entries)):
                key, element = entries[index]
                if not key.startswith(prefix):
                    continue
                cut = key.find(delimiter, len(prefix)) if delimiter else -1
                if cut >= 0:
                    common = key[: cut + len(delimiter)]
                    yield (slot, index), common, None
                    next_slot = self._end_slot(bucket, common)
                    break
                yield (slot, index), key, element
            slot, sub = next_slot, 0

    def _list_objects(self, bucket: str, query: dict) -> bytes:
        if bucket not in (self.stack.input_bucket, self.stack.output_bucket):
            raise LookupError(bucket)
        prefix, delimiter = query.get("prefix", ""), query.get("delimiter", "")
        max_keys = min(int(query.get("max-keys", MAX_KEYS)), MAX_KEYS)
        encode = query.get("encoding-type") == "url"
        now = time.time()
        if token := query.get("continuation-token"):
            slot, sub = map(int, token.split("."))
        else:
            slot, sub = self._first_slot(bucket, prefix), 0
        page, following = [], None
        for position, key, element in self._entries(bucket, prefix, delimiter, slot, sub, now, encode):
            if len(page) == max_keys:
                following = position
                break
            page.append(element or f"<CommonPrefixes><Prefix>{_encoded(key, encode)}</Prefix></CommonPrefixes>")
        head = ['<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">',
                f"<Name>{bucket}</Name><Prefix>{_encoded(prefix, encode)}</Prefix>"]  # fmt: skip
        if token:
            head.append(f"<ContinuationToken>{token}</ContinuationToken>")
        if following:
            head.append(f"<NextContinuationToken>{following[0]}.{following[1]}</NextContinuationToken>")
        head.append(f"<KeyCount>{len(page)}</KeyCount><MaxKeys>{max_keys}</MaxKeys>")
        if delimiter:
            head.append(f"<Delimiter>{_encoded(delimiter, encode)}</Delimiter>")
        if encode:
            head.append("<EncodingType>url</EncodingType>")
        head.append(f"<IsTruncated>{'true' if following else 'false'}</IsTruncated>")
        parts = head + page
        parts.append("</ListBucketResult>")
        return "".join(parts).encode()

    # --- DynamoDB, SQS, Transcribe ----------------------------------------------------------------

    def _json_call(self, operation: str, request: dict) -> tuple[int, dict | bytes]:
        now = time.time()
        if operation == "Scan":
            return 200, self._scan(request, now)
        if operation == "GetItem":
            return 200, self._reconciler_state(request, now)
        if operation == "Query":
            return 200, self._days(request, now)
        if operation == "GetQueueAttributes":
            return 200, {"Attributes": {name: "0" for name in request.get("AttributeNames", [])}}
        if operation == "GetTranscriptionJob":
            name = request["TranscriptionJobName"]
            status = self.stack.job_status(name)
            if status is None:
                return 400, {"__type": "BadRequestException", "Message": JOB_GONE}
            return 200, {"TranscriptionJob": {"TranscriptionJobName": name, "TranscriptionJobStatus": status}}
        return 400, {"__type": "UnknownOperationException", "Message": f"not modelled: {operation}"}

    def _internal_items(self, now: float) -> list[dict]:
        return [self._reconciler_item(now), *self._day_items(now)]

    def _table_item(self, index: int, now: float, internal: list[dict], wanted: frozenset) -> tuple[str, int, dict] | None:
        """(the item projected, as JSON; its size as DynamoDB counts it; its key) of item `index`
        of the table; None where an object has no item. Kept for the items that do not depend on
        the time."""
        if index < len(internal):
            item = internal[index]
        else:
            cache = self._items[wanted]
            if (found := cache.get(index)) is not None:
                return found
            item = self.stack.ledger_item(index - len(internal), now)
            if item is None:
                return None
        size = sum(len(name) + len(next(iter(value.values()))) for name, value in item.items())
        projected = json.dumps({name: value for name, value in item.items() if name in wanted}, separators=(",", ":"))
        found = projected, size, {"media": item["media"], "version": item["version"]}
        ledger_index = index - len(internal)
        if ledger_index >= self.stack.objects or (ledger_index >= 0 and self.stack.category(ledger_index) == "completed"):
            cache[index] = found
        return found

    def _scan(self, request: dict, now: float) -> bytes:
        total, segment = request.get("TotalSegments", 1), request.get("Segment", 0)
        wanted = self._projected(request["ProjectionExpression"], request.get("ExpressionAttributeNames", {}))
        self._items.setdefault(wanted, {})
        internal = self._internal_items(now)
        count = len(internal) + self.stack.ledger_items
        start = request.get("ExclusiveStartKey")
        with self._lock:
            position = self._cursors.pop((total, segment, start["media"]["S"], start["version"]["S"]), None) if start else 0
        if position is None:
            raise LookupError("ExclusiveStartKey this endpoint did not hand out")
        items, read, last = [], 0, None
        while read < MB and segment + position * total < count:
            found = self._table_item(segment + position * total, now, internal, wanted)
            position += 1
            if found is not None:
                items.append(found[0])
                read += found[1]
                last = found[2]
        answer = f'{{"Items":[{",".join(items)}],"Count":{len(items)},"ScannedCount":{len(items)}'
        if segment + position * total < count and last is not None:
            answer += f',"LastEvaluatedKey":{json.dumps(last, separators=(",", ":"))}'
            with self._lock:
                self._cursors[(total, segment, last["media"]["S"], last["version"]["S"])] = position
        return (answer + "}").encode()

    def _reconciler_item(self, now: float) -> dict:
        report = {"unrecorded_sent": 0, "adopted": 0, "completions_recovered": 0, "jobs_lost": 0, "resent": 0,
                  "objects_listed": self.stack.objects, "pass_complete": True}  # fmt: skip
        return {**reconcile_state.STATE_KEY, "leaseUntil": {"N": "0"}, "lastRunAt": {"N": str(int(now - 14 * 60))},
                "lastReport": {"S": json.dumps(report)}}  # fmt: skip

    def _day_items(self, now: float) -> list[dict]:
        today = daily.day_of(now)
        return [
            {"media": {"S": daily.DAY_KEY}, "version": {"S": f"{today[:8]}{day:02d}"}, "started": {"N": "3210"},
             "completed": {"N": "3190"}, "failed": {"N": "20"}, "minutes": {"N": "41230.5"}}
            for day in range(1, int(today[8:]) + 1)
        ]  # fmt: skip

    def _reconciler_state(self, request: dict, now: float) -> dict:
        if request["Key"] == reconcile_state.STATE_KEY:
            return {"Item": self._reconciler_item(now)}
        return {}

    def _days(self, request: dict, now: float) -> dict:
        values = request.get("ExpressionAttributeValues", {})
        first, last = values.get(":first", {}).get("S", ""), values.get(":last", {}).get("S", "")
        if values.get(":day", {}).get("S") != daily.DAY_KEY:
            return {"Items": [], "Count": 0, "ScannedCount": 0}
        items = [item for item in self._day_items(now) if first <= item["version"]["S"] <= last]
        return {"Items": items, "Count": len(items), "ScannedCount": len(items)}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    fake: FakeAws

    def _serve(self) -> None:
        arrived = time.perf_counter()
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path.startswith("/_bench/"):
            if self.path == "/_bench/reset":
                self.fake.reset()
            operation, status, kind, data = "_bench", 200, "application/json", json.dumps(self.fake.stats()).encode()
        else:
            try:
                operation, status, kind, data = self.fake.answer(self.command, self.path, self.headers, body)
            except Exception as error:  # noqa: BLE001 - a bug of the fake: answered, and loud
                operation, status, kind, data = "Error", 500, "text/plain", f"{type(error).__name__}: {error}".encode()
                print(f"[fake aws] {self.command} {self.path}: {error!r}", file=sys.stderr, flush=True)
            wait = self.fake.latency_of(operation) - (time.perf_counter() - arrived)
            self.fake.record(operation, late=-wait if self.fake.latency_of(operation) > 0 else 0.0)
            if wait > 0:
                time.sleep(wait)
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-amz-request-id", "bench")
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_HEAD = _serve

    def log_message(self, format, *args) -> None:  # noqa: A002 - the base class's name
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128


def serve(fake: FakeAws, port: int = 0) -> ThreadingHTTPServer:
    """An HTTP server for `fake` on 127.0.0.1, serving on a daemon thread; its URL is
    `f"http://127.0.0.1:{server.server_address[1]}"`; stop it with `server.shutdown()`."""
    handler = type("Handler", (_Handler,), {"fake": fake})
    server = _Server(("127.0.0.1", port), handler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-aws", daemon=True).start()
    return server


def main(argv: list[str] | None = None) -> int:
    """Serve a stack until stdin closes: `python -m bench.audit_aws --objects N [--flat]`; prints
    the endpoint's URL on the first line."""
    parser = argparse.ArgumentParser(prog="python -m bench.audit_aws")
    parser.add_argument("--objects", type=int, required=True)
    parser.add_argument("--flat", action="store_true")
    parser.add_argument("--latency", default="0.030,0.010,0.010", help="list page, scan page, other call (seconds)")
    parser.add_argument("--warm", action="store_true", help="make the pages the audit asks for before serving")
    args = parser.parse_args(argv)
    latency = Latency(*map(float, args.latency.split(",")))
    fake = FakeAws(FakeStack(args.objects, folders=not args.flat), latency)
    if args.warm:
        from mediactl.audit import PROJECTION

        fake.warm(PROJECTION, {"#state": "state"})
    server = serve(fake)
    print(f"http://127.0.0.1:{server.server_address[1]}", flush=True)
    sys.stdin.read()
    server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
