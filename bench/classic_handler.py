"""The baseline for the per-record figure: an upload handler written the way the classic
"S3 upload triggers Amazon Transcribe" tutorial writes it. Written by us, for the comparison only.

It does the least work a handler can: a client with boto3's default retries, the first record
only, the key lower-cased with every non-word character replaced by '_' as the job name. That is
also why it is not what we deploy: every record but the first is lost, a re-upload of a key
fails (the job name is taken), two keys that differ only in case or punctuation collide, the job
name may hold characters Transcribe refuses, and nothing is tagged, logged or retried.
"""

import os
import re
import urllib.parse

import boto3

OUTPUT_BUCKET = os.environ["OUTPUT_BUCKET"]
transcribe = boto3.client("transcribe")


def lambda_handler(event, context):
    record = event["Records"][0]
    bucket = record["s3"]["bucket"]["name"]
    key = urllib.parse.unquote_plus(record["s3"]["object"]["key"])
    job_name = re.sub(r"\W", "_", key.lower())
    transcribe.start_transcription_job(
        TranscriptionJobName=job_name,
        Media={"MediaFileUri": f"s3://{bucket}/{key}"},
        MediaFormat=key.rsplit(".", 1)[-1].lower(),
        LanguageCode="en-US",
        OutputBucketName=OUTPUT_BUCKET,
    )
    return {"statusCode": 200, "body": job_name}
