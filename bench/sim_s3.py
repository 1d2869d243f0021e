"""Simulated S3 buckets: the objects' keys, sizes, ETags and write times, and the answers to
ListObjectsV2, HeadObject and GetObject as the Amazon S3 API Reference gives them (XML for the
listing, headers for HEAD; keys in a listing URL-encoded when the request asks for
encoding-type=url, as botocore does)."""

import base64
import bisect
import urllib.parse
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import formatdate
from xml.sax.saxutils import escape

from bench.sim import EPOCH, Simulation
from bench.sim_http import AwsError, Raw, Request

MAX_KEYS = 1000


@dataclass(slots=True)
class S3Object:
    size: int
    etag: str
    """Quoted, as S3 gives it in listings and headers."""
    written: float
    """Virtual time of the write."""
    body: bytes = b""


def _iso(written: float) -> str:
    """S3 keeps write times to the second: listings show them as ...T09:00:00.000Z."""
    return datetime.fromtimestamp(int(EPOCH + written), timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


class Buckets:
    def __init__(self, sim: Simulation, names: list[str]) -> None:
        self._sim = sim
        self._objects: dict[str, dict[str, S3Object]] = {name: {} for name in names}
        self._keys: dict[str, list[str]] = {name: [] for name in names}
        self._pages: dict[str, dict[tuple, bytes]] = {name: {} for name in names}
        """Listing pages already written, until the bucket changes (a reconciler lists the same
        bucket every run)."""

    def handlers(self) -> dict:
        return {"S3.ListObjectsV2": self._list, "S3.HeadObject": self._head, "S3.GetObject": self._get}

    def put(self, bucket: str, key: str, size: int, etag: str, body: bytes = b"", written: float | None = None) -> None:
        """Write an object (at `written`, default now), as an upload or a job's output would."""
        objects, keys = self._objects[bucket], self._keys[bucket]
        self._pages[bucket] = {}
        if key not in objects:
            if keys and key > keys[-1]:
                keys.append(key)
            else:
                bisect.insort(keys, key)
        objects[key] = S3Object(size, f'"{etag.strip(chr(34))}"', self._sim.now if written is None else written, body)

    def get(self, bucket: str, key: str) -> S3Object | None:
        return self._objects[bucket].get(key)

    def count(self, bucket: str) -> int:
        return len(self._keys[bucket])

    def _where(self, request: Request) -> tuple[str, str]:
        """(bucket, key) of a virtual-hosted or path-style request."""
        host, path = request.host, request.path.lstrip("/")
        if host.startswith("s3.") or host.startswith("s3-"):
            bucket, _, key = path.partition("/")
        else:
            bucket, key = host.split(".s3", 1)[0], path
        if bucket not in self._objects:
            raise AwsError("NoSuchBucket", "The specified bucket does not exist", 404)
        return bucket, key

    def _list(self, request: Request) -> Raw:
        bucket, _ = self._where(request)
        query = {name: str(value) for name, value in request.query.items()}
        pages, where = self._pages[bucket], tuple(sorted(query.items()))
        if where not in pages:
            pages[where] = self._page(bucket, query)
        return Raw(200, {"Content-Type": "application/xml"}, pages[where])

    def _page(self, bucket: str, query: dict) -> bytes:
        if unknown := set(query) - {"list-type", "prefix", "max-keys", "start-after", "continuation-token", "encoding-type"}:
            raise NotImplementedError(f"the simulated S3 does not list with {sorted(unknown)}")
        prefix, encode = query.get("prefix", ""), query.get("encoding-type") == "url"
        limit = min(int(query.get("max-keys", MAX_KEYS)), MAX_KEYS)
        after = query.get("start-after", "")
        if "continuation-token" in query:
            after = max(after, base64.urlsafe_b64decode(query["continuation-token"]).decode())
        keys = self._keys[bucket]
        first = max(bisect.bisect_right(keys, after), bisect.bisect_left(keys, prefix))
        page = [key for key in keys[first : first + limit + 1] if key.startswith(prefix)]
        truncated = len(page) > limit
        page = page[:limit]
        text = (lambda k: urllib.parse.quote(k, safe="/")) if encode else escape
        objects = self._objects[bucket]
        contents = "".join(
            f"<Contents><Key>{text(key)}</Key><LastModified>{_iso(objects[key].written)}</LastModified>"
            f"<ETag>{escape(objects[key].etag)}</ETag><Size>{objects[key].size}</Size><StorageClass>STANDARD</StorageClass></Contents>"
            for key in page
        )  # fmt: skip
        echoes = "".join(
            f"<{tag}>{escape(query[name])}</{tag}>"
            for name, tag in (("continuation-token", "ContinuationToken"), ("start-after", "StartAfter"))
            if name in query
        )  # fmt: skip
        token = f"<NextContinuationToken>{base64.urlsafe_b64encode(page[-1].encode()).decode()}</NextContinuationToken>" if truncated else ""
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
            f"<Name>{bucket}</Name><Prefix>{text(prefix)}</Prefix><KeyCount>{len(page)}</KeyCount><MaxKeys>{limit}</MaxKeys>"
            f"{'<EncodingType>url</EncodingType>' if encode else ''}<IsTruncated>{str(truncated).lower()}</IsTruncated>"
            f"{echoes}{contents}{token}</ListBucketResult>"
        )  # fmt: skip
        return body.encode()

    def _object(self, request: Request) -> S3Object:
        bucket, key = self._where(request)
        found = self._objects[bucket].get(key)
        if found is None:
            raise AwsError("NoSuchKey", "The specified key does not exist.", 404)
        return found

    def _headers(self, found: S3Object) -> dict:
        return {"ETag": found.etag, "Content-Length": str(found.size), "Content-Type": "binary/octet-stream",
                "Last-Modified": formatdate(int(EPOCH + found.written), usegmt=True)}  # fmt: skip

    def _head(self, request: Request) -> Raw:
        return Raw(200, self._headers(self._object(request)))

    def _get(self, request: Request) -> Raw:
        found = self._object(request)
        return Raw(200, {**self._headers(found), "Content-Length": str(len(found.body))}, found.body)
