"""The simulated services behind botocore's HTTP layer.

A `before-send` handler answers each request with the status and JSON body AWS would send, so the
handler's real clients serialize and validate the request, parse the error and apply their own
retry rules. Requests are not signed (a `choose-signer` handler returns UNSIGNED): signing only
costs time here. Every call takes `call_seconds` of virtual time.
"""

import hashlib
import json
from collections.abc import Callable

import boto3
import botocore
from botocore.awsrequest import AWSResponse

from bench.sim import Simulation
from bench.sim_aws import Queue, Transcribe

ACCOUNT = "123456789012"
REGION = "us-east-1"


def queue_url(name: str) -> str:
    return f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{name}"


def queue_arn(name: str) -> str:
    return f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}"


class _Body:
    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_):
        yield self._data


class AwsError(Exception):
    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code, self.status = code, status


class FakeAws:
    """Answers StartTranscriptionJob and the SQS calls the upload handler makes."""

    def __init__(self, sim: Simulation, transcribe: Transcribe, queues: list[Queue], call_seconds: float,
                 upload_of_uri: Callable[[str], int]) -> None:
        self._sim, self._transcribe, self._call_seconds = sim, transcribe, call_seconds
        self._queues = {queue.name: queue for queue in queues}
        self._upload_of_uri = upload_of_uri
        self.started: set[int] = set()
        self.calls: dict[str, int] = {}
        self._operations = {
            "Transcribe.StartTranscriptionJob": self._start_transcription_job,
            "AmazonSQS.GetQueueUrl": self._get_queue_url,
            "AmazonSQS.SendMessage": self._send_message,
            "AmazonSQS.DeleteMessage": self._delete_message,
            "AmazonSQS.ChangeMessageVisibility": self._change_visibility,
            "AmazonSQS.ChangeMessageVisibilityBatch": self._change_visibility_batch,
        }

    def session(self) -> boto3.Session:
        """A boto3 session whose clients talk to this fake: make it `boto3.DEFAULT_SESSION` while
        the handler module is loaded and run (its clients come from `boto3.client`)."""
        session = boto3.Session(region_name=REGION)
        session.events.register("choose-signer", lambda **_: botocore.UNSIGNED)
        session.events.register("before-send", self.answer)
        return session

    def answer(self, request, **_) -> AWSResponse:
        target = request.headers.get("X-Amz-Target", b"")
        target = target.decode() if isinstance(target, bytes) else target
        self.calls[target] = self.calls.get(target, 0) + 1
        operation = self._operations.get(target)
        if operation is None:
            raise NotImplementedError(f"the simulation does not answer {target or request.url}")
        self._sim.sleep(self._call_seconds)
        try:
            status, document = 200, operation(json.loads(request.body or b"{}"))
        except AwsError as error:
            status, document = error.status, {"__type": error.code, "message": str(error)}
        return AWSResponse(request.url, status, {"x-amzn-RequestId": "sim"}, _Body(json.dumps(document).encode()))

    def _start_transcription_job(self, request: dict) -> dict:
        name = request["TranscriptionJobName"]
        code = self._transcribe.start(name)
        if code:
            raise AwsError(code, f"simulated {code}")
        self.started.add(self._upload_of_uri(request["Media"]["MediaFileUri"]))
        return {"TranscriptionJob": {"TranscriptionJobName": name, "TranscriptionJobStatus": "QUEUED"}}

    def _queue(self, url: str) -> Queue:
        queue = self._queues.get(url.rsplit("/", 1)[-1])
        if queue is None:
            raise AwsError("AWS.SimpleQueueService.NonExistentQueue", f"no queue at {url}")
        return queue

    def _get_queue_url(self, request: dict) -> dict:
        return {"QueueUrl": queue_url(self._queue(request["QueueName"]).name)}

    def _send_message(self, request: dict) -> dict:
        queue = self._queue(request["QueueUrl"])
        body = request["MessageBody"]
        message = queue.send(body, self._upload_in(body), request.get("MessageAttributes"))
        return {"MessageId": message.id, "MD5OfMessageBody": hashlib.md5(body.encode()).hexdigest()}

    def _upload_in(self, body: str) -> int | None:
        try:
            return self._upload_of_uri(_media_uri(json.loads(body)))
        except (ValueError, KeyError, TypeError, IndexError):
            return None

    def _delete_message(self, request: dict) -> dict:
        if not self._queue(request["QueueUrl"]).delete(request["ReceiptHandle"]):
            raise AwsError("ReceiptHandleIsInvalid", "the receipt handle is not current")
        return {}

    def _change_visibility(self, request: dict) -> dict:
        queue = self._queue(request["QueueUrl"])
        if not queue.change_visibility(request["ReceiptHandle"], request["VisibilityTimeout"]):
            raise AwsError("MessageNotInflight", "the message is not in flight with this receipt handle")
        return {}

    def _change_visibility_batch(self, request: dict) -> dict:
        queue = self._queue(request["QueueUrl"])
        done, failed = [], []
        for entry in request["Entries"]:
            if queue.change_visibility(entry["ReceiptHandle"], entry["VisibilityTimeout"]):
                done.append({"Id": entry["Id"]})
            else:
                failed.append({"Id": entry["Id"], "SenderFault": True, "Code": "MessageNotInflight", "Message": "not in flight"})
        return {"Successful": done, "Failed": failed}


def _media_uri(s3_event: dict) -> str:
    record = s3_event["Records"][0]
    return f"s3://{record['s3']['bucket']['name']}/{record['s3']['object']['key']}"
