"""The deployed pipeline as a user sees it on the emulator: the stack outputs, the buckets, the
queues and the Transcribe jobs, and a way to wait for what happens asynchronously."""

import json
import time
from dataclasses import dataclass
from functools import cache

import boto3
from botocore.config import Config

from applier import Emulated
from ministack import ACCOUNT_ID, Server

CREDENTIALS = {"AWS_ACCESS_KEY_ID": ACCOUNT_ID, "AWS_SECRET_ACCESS_KEY": "test"}
# Long enough for the slowest path here (a function's first start and its retries, then a job).
WAIT_SECONDS = 30
EMPTY = {"waiting": 0, "in flight": 0}


def emulator_clients(endpoint: str, region: str):
    session = boto3.session.Session(
        aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        region_name=region,
    )
    config = Config(s3={"addressing_style": "path"}, retries={"mode": "standard"})

    @cache
    def client(service: str):
        return session.client(service, endpoint_url=endpoint, config=config)

    return client


def eventually(check, what: str, timeout: float = WAIT_SECONDS):
    """Poll `check` until it returns something truthy; fail naming `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"after {timeout} s still no {what}")
        time.sleep(0.05)


@dataclass
class Pipeline:
    stack: Emulated
    endpoint: str
    server: Server

    @property
    def outputs(self) -> dict:
        return self.stack.outputs

    def eventually(self, check, what: str, timeout: float = WAIT_SECONDS):
        """`eventually`, failing with what the emulator logged: a function that cannot start, an
        event source mapping whose batches fail..."""
        try:
            return eventually(check, what, timeout)
        except AssertionError as failure:
            logged = [line for line in self.server.log.read_text().splitlines() if " ERROR " in line or " WARNING " in line]
            raise AssertionError("\n".join([str(failure), "MiniStack logged:", *logged[-8:]])) from None

    def client(self, service: str):
        return self.stack.client(service)

    def environment(self, function_output: str) -> dict:
        """A function's environment variables as they stand on the emulator."""
        configuration = self.client("lambda").get_function_configuration(FunctionName=self.outputs[function_output])
        return configuration["Environment"]["Variables"]

    def set_environment(self, function_output: str, variables: dict) -> None:
        self.client("lambda").update_function_configuration(
            FunctionName=self.outputs[function_output], Environment={"Variables": variables}
        )

    def invoke(self, function_output: str, event: dict) -> dict:
        """Invoke a function of the stack and wait for its answer (what `aws lambda invoke` does)."""
        answer = self.client("lambda").invoke(FunctionName=self.outputs[function_output], Payload=json.dumps(event).encode())
        payload = json.loads(answer["Payload"].read() or b"null")
        assert "FunctionError" not in answer, payload
        return payload

    def upload(self, key: str, body: bytes = b"media") -> None:
        self.client("s3").put_object(Bucket=self.outputs["inputBucket"], Key=key, Body=body)

    def transcript_keys(self) -> set[str]:
        listed = self.client("s3").list_objects_v2(Bucket=self.outputs["outputBucket"])
        return {item["Key"] for item in listed.get("Contents", [])}

    def read(self, key: str) -> bytes:
        return self.client("s3").get_object(Bucket=self.outputs["outputBucket"], Key=key)["Body"].read()

    def job_names(self) -> list[str]:
        """The names of the stack's Transcribe jobs."""
        transcribe = self.client("transcribe")
        names, token = [], {}
        while True:
            page = transcribe.list_transcription_jobs(JobNameContains=self.outputs["jobNamePrefix"], MaxResults=100, **token)
            names += [summary["TranscriptionJobName"] for summary in page["TranscriptionJobSummaries"]]
            if "NextToken" not in page:
                break
            token = {"NextToken": page["NextToken"]}
        return names

    def jobs(self) -> list[dict]:
        """The stack's Transcribe jobs, each as GetTranscriptionJob describes it."""
        transcribe = self.client("transcribe")
        return [transcribe.get_transcription_job(TranscriptionJobName=name)["TranscriptionJob"] for name in self.job_names()]

    def queue_depth(self, queue_output: str) -> dict[str, int]:
        """How many messages a queue of the stack (by its output's name) holds."""
        attributes = self.client("sqs").get_queue_attributes(
            QueueUrl=self.outputs[queue_output],
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return {"waiting": int(attributes["ApproximateNumberOfMessages"]), "in flight": int(attributes["ApproximateNumberOfMessagesNotVisible"])}

    def messages(self, queue_output: str) -> list[dict]:
        """Every message waiting in a queue of the stack (by its output's name), left in it."""
        sqs = self.client("sqs")
        url = self.outputs[queue_output]
        found = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"], MessageAttributeNames=["All"], VisibilityTimeout=0)
        return [message | {"Body": json.loads(message["Body"])} for message in found.get("Messages", [])]
