"""S3 notification events shaped like the ones S3 sends to Lambda."""

import urllib.parse

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
    """One record, its key URL-encoded the way S3 does (spaces as '+', the rest %-escaped)."""
    obj = {"key": urllib.parse.quote_plus(key, safe="/" if keep_slashes else ""), "size": size}
    for name, value in (("eTag", etag), ("versionId", version_id), ("sequencer", sequencer)):
        if value is not None:
            obj[name] = value
    return {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": "us-east-1",
        "eventTime": "2026-11-24T09:00:00.000Z",
        "eventName": event_name,
        "userIdentity": {"principalId": "AWS:AIDAEXAMPLE"},
        "requestParameters": {"sourceIPAddress": "203.0.113.9"},
        "responseElements": {"x-amz-request-id": "C3D13FE58DE4C810", "x-amz-id-2": "FMyUVURIY8/IgAtTv8xRjskZQpcIZ9KG4V5Wp6S7S/JRWeUWerMUE5JgHvANOjpD"},
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": "upload-notification",
            "bucket": {"name": bucket, "ownerIdentity": {"principalId": "A3NL1KOZZKExample"}, "arn": f"arn:aws:s3:::{bucket}"},
            "object": obj,
        },
    }


def s3_event(*records: dict) -> dict:
    return {"Records": list(records)}


def s3_test_event(bucket: str = MEDIA_BUCKET) -> dict:
    return {"Service": "Amazon S3", "Event": "s3:TestEvent", "Time": "2026-11-24T09:00:00.000Z", "Bucket": bucket, "RequestId": "5582815E1AEA5ADF", "HostId": "8cLeGAmw098X5cv4Zkwcmo8vvZa3eH3eKxsPzbB9wrR+YstdA6Knx4Ip8EXAMPLE"}
