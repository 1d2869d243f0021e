"""S3 notification events, made from the example AWS publishes of what S3 sends."""

import copy
import json
import urllib.parse
from pathlib import Path

_AWS_PUT_EVENT = json.loads((Path(__file__).parent / "samples" / "awsdocs-s3.put-event.json").read_text())
MEDIA_BUCKET = "media-in"
TRANSCRIPT_BUCKET = "transcripts-out"


def s3_record(
    key: str,
    *,
    bucket: str = MEDIA_BUCKET,
    event_name: str = "ObjectCreated:Put",
    size: int = 48_000,
    sequencer: str | None = "0062E99A88DC407460",
    etag: str | None = "b1946ac92492d2347c6235b4d2611184",
    version_id: str | None = None,
    keep_slashes: bool = False,
) -> dict:
    """One record: AWS's own `ObjectCreated:Put` example (tests/samples/), with this upload's
    bucket, key, size and identity put in, the key URL-encoded the way S3 does (spaces as '+', the
    rest %-escaped). An identity given as None is left out."""
    (record,) = copy.deepcopy(_AWS_PUT_EVENT["Records"])
    record["eventName"] = event_name
    record["s3"]["bucket"].update(name=bucket, arn=f"arn:aws:s3:::{bucket}")
    obj = record["s3"]["object"]
    obj.update(key=urllib.parse.quote_plus(key, safe="/" if keep_slashes else ""), size=size)
    for name, value in (("eTag", etag), ("versionId", version_id), ("sequencer", sequencer)):
        if value is None:
            obj.pop(name, None)
        else:
            obj[name] = value
    return record


def s3_event(*records: dict) -> dict:
    return {"Records": list(records)}


def s3_test_event(bucket: str = MEDIA_BUCKET) -> dict:
    return {"Service": "Amazon S3", "Event": "s3:TestEvent", "Time": "2026-11-24T09:00:00.000Z", "Bucket": bucket, "RequestId": "5582815E1AEA5ADF", "HostId": "8cLeGAmw098X5cv4Zkwcmo8vvZa3eH3eKxsPzbB9wrR+YstdA6Knx4Ip8EXAMPLE"}
