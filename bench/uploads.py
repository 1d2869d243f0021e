"""Uploads through moto: how many messages the program's notification rules send to the upload
queue, against a catch-all rule.

The program's own declarations (bucket name, queues, notification rules, evaluated under Pulumi
mocks) are applied to moto as `tests/test_upload_end_to_end.py` does; moto matches the rules and
sends each S3 event to the queue. What a burst of uploads becomes under Transcribe's quotas is
`python -m bench scale`'s to show.
"""

import json
import logging
import random
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import unquote_plus

from bench.common import REGION, Row, declared_upload_function, handler_environ, patched, use_fake_aws, verdict

SEED = 7
THROTTLED_SHARE = 0.30

_FOLDERS = ["", "team/", "team/2026/", "Ünïcödé/", "podcasts/season 2/", "a+b/"]
_STEMS = ["talk", "stand up (final)", "interview", "会议", "episode", "Q&A session", "100% live"]
_OTHER = ["jpg", "png", "txt", "pdf", "mov", "avi", "docx", "csv", "mp3.zip", "wav.part", "JPG", "MOV"]


def media_keys(count: int, rng: random.Random) -> list[str]:
    """Media keys in every supported format, in lower and UPPER case (the cases the rules cover:
    S3 suffix filters are case-sensitive, a mixed-case `.Mp3` is documented not to trigger)."""
    from naming import SUPPORTED_FORMATS

    keys = []
    for i in range(count):
        extension = SUPPORTED_FORMATS[i % len(SUPPORTED_FORMATS)]
        extension = extension.upper() if (i // len(SUPPORTED_FORMATS)) % 2 else extension
        keys.append(f"{rng.choice(_FOLDERS)}{rng.choice(_STEMS)} {i}.{extension}")
    return keys


def other_keys(count: int, rng: random.Random) -> list[str]:
    """Uploads that are not media: images, documents, .mov, look-alikes, folder markers."""
    keys = []
    for i in range(count):
        folder, stem = rng.choice(_FOLDERS), rng.choice(_STEMS)
        kind = i % (len(_OTHER) + 2)
        if kind == len(_OTHER):
            keys.append(f"{folder}{stem} {i}.mp3/")  # a folder marker named like media
        elif kind == len(_OTHER) + 1:
            keys.append(f"{folder}{stem} {i}")  # no extension
        else:
            keys.append(f"{folder}{stem} {i}.{_OTHER[kind]}")
    return keys


def queued_keys(sqs, queue_url: str) -> list[str]:
    """The keys of the S3 records every message in the queue reports (S3's test event has none)."""
    keys = []
    while messages := sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages"):
        for message in messages:
            keys += [unquote_plus(r["s3"]["object"]["key"]) for r in json.loads(message["Body"]).get("Records", [])]
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return keys


def measure_invocations(quick: bool) -> list[Row]:
    half = 100 if quick else 500
    rng = random.Random(SEED)
    media, other = media_keys(half, rng), other_keys(half, rng)
    uploads = media + other
    rng.shuffle(uploads)

    import boto3
    from moto import mock_aws

    from program import stand_up_in_moto

    declared = declared_upload_function()
    with mock_aws():
        s3, sqs = boto3.client("s3", region_name=REGION), boto3.client("sqs", region_name=REGION)
        path = stand_up_in_moto(declared["program"], REGION)
        ours_bucket = declared["media_bucket"]
        catch_all_bucket = f"{ours_bucket}-catch-all"
        catch_all_queue = sqs.create_queue(QueueName="catch-all")["QueueUrl"]
        catch_all_arn = sqs.get_queue_attributes(QueueUrl=catch_all_queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        s3.create_bucket(Bucket=catch_all_bucket)
        s3.put_bucket_notification_configuration(
            Bucket=catch_all_bucket,
            NotificationConfiguration={"QueueConfigurations": [{"QueueArn": catch_all_arn, "Events": ["s3:ObjectCreated:*"]}]},
        )
        for key in uploads:
            for bucket in (ours_bucket, catch_all_bucket):
                s3.put_object(Bucket=bucket, Key=key, Body=b"\x00" * 64)
        ours = queued_keys(sqs, path.queue_url)
        catch_all = queued_keys(sqs, catch_all_queue)

    missed_media = len(set(media) - set(ours))
    needless = len(set(ours) - set(media))
    met = len(ours) == len(media) and missed_media == 0 and len(catch_all) == len(uploads)
    n = len(uploads)
    return [
        Row(
            figure=f"S3→SQS messages for {n:,} uploads ({len(media):,} media): program's rules vs catch-all",
            ours=f"{len(ours):,}",
            baseline=f"{len(catch_all):,}",
            ratio=f"{len(ours) / len(catch_all):.2f}×",
            goal=f"{len(media):,} vs {n:,}",
            met=verdict(met),
            note=(
                f"Messages: {n:,} `put_object`s in moto, shuffled, to a bucket with the program's "
                f"{len(declared['notification'])} notification rules (dev stack) and to one with a "
                f"single `s3:ObjectCreated:*` rule; {len(media):,} media keys (8 formats, lower and UPPER case, "
                f"folders, spaces, Unicode), {len(other):,} others (.jpg .png .txt .pdf .mov .avi .docx .csv "
                f".JPG .MOV, `.mp3.zip`, `.wav.part`, `x.mp3/` folder markers, no extension); the S3 records "
                f"in each queue counted. Our rules missed {missed_media} media uploads and sent {needless} others."
            ),
        )
    ]


