"""The answers of the simulated SQS, Transcribe, CloudWatch and Lambda to the calls the upload
function and the reconciler make (bench/sim_http.py routes them here), in the shapes of each
service's API reference. The state lives in bench/sim_aws.py (queues, Transcribe's jobs)."""

import hashlib
import json
from collections import Counter
from collections.abc import Callable

from bench.sim import EPOCH, Simulation
from bench.sim_aws import Queue, Transcribe
from bench.sim_http import AwsError, Raw, Request, queue_url

NOT_FOUND = "The requested job couldn't be found. Check the job name and try your request again."
SQS_BATCH = 10


def upload_key_in(body: str) -> str | None:
    """The media key an upload queue message reports: an S3 notification's first record, or a
    request's (ledger.request_body)."""
    try:
        document = json.loads(body)
        if "Requests" in document:
            return document["Requests"][0]["key"]
        return document["Records"][0]["s3"]["object"]["key"]
    except (ValueError, KeyError, TypeError, IndexError):
        return None


def origin_in(body: str) -> str:
    """"s3" for an S3 notification, else the origin a request names (resend, reconcile...)."""
    try:
        return str(json.loads(body)["Requests"][0].get("origin", "")) or "request"
    except (ValueError, KeyError, TypeError, IndexError):
        return "s3"


class Services:
    """SQS queues, Transcribe, CloudWatch's ApproximateAgeOfOldestMessage and Lambda's Invoke.

    `upload_of_key` maps a media key to the upload's number, for the figures; `invoked(name,
    payload)` receives the asynchronous invocations (the reconciler's hand-offs to the
    completion function)."""

    def __init__(self, sim: Simulation, transcribe: Transcribe, queues: list[Queue], upload_of_key: Callable[[str], int],
                 invoked: Callable[[str, dict], None] = lambda name, payload: None) -> None:  # fmt: skip
        self._sim, self._transcribe = sim, transcribe
        self._queues = {queue.name: queue for queue in queues}
        self._upload_of_key, self._invoked = upload_of_key, invoked
        self.started: set[int] = set()
        self.starts: Counter[int] = Counter()
        """StartTranscriptionJob requests Transcribe accepted, per upload (one object version each)."""
        self.sent: Counter[tuple[str, str, str]] = Counter()
        """Messages sent, by (caller, queue, what the body is: "s3" or the request's origin)."""

    def handlers(self) -> dict:
        return {
            "Transcribe.StartTranscriptionJob": self._start_transcription_job,
            "Transcribe.GetTranscriptionJob": self._get_transcription_job,
            "SQS.GetQueueUrl": self._get_queue_url,
            "SQS.GetQueueAttributes": self._get_queue_attributes,
            "SQS.SendMessage": self._send_message,
            "SQS.SendMessageBatch": self._send_message_batch,
            "SQS.DeleteMessage": self._delete_message,
            "SQS.ChangeMessageVisibility": self._change_visibility,
            "SQS.ChangeMessageVisibilityBatch": self._change_visibility_batch,
            "CloudWatch.GetMetricStatistics": self._get_metric_statistics,
            "Lambda.Invoke": self._invoke,
        }

    # --- Transcribe ---------------------------------------------------------------------------

    def _start_transcription_job(self, request: Request) -> dict:
        body = request.json()
        name, media = body["TranscriptionJobName"], body["Media"]["MediaFileUri"]
        code = self._transcribe.start(name, media, body.get("OutputKey", ""))
        if code:
            raise AwsError(code, f"simulated {code}")
        upload = self._upload_of_key(media.split("/", 3)[3])
        self.started.add(upload)
        self.starts[upload] += 1
        return {"TranscriptionJob": {"TranscriptionJobName": name, "TranscriptionJobStatus": "QUEUED"}}

    def _get_transcription_job(self, request: Request) -> dict:
        name = request.json()["TranscriptionJobName"]
        job = self._transcribe.jobs.get(name)
        if job is None:
            raise AwsError("BadRequestException", NOT_FOUND)
        described = {"TranscriptionJobName": name, "TranscriptionJobStatus": job.status, "CreationTime": EPOCH + job.created,
                     "Media": {"MediaFileUri": job.media}}  # fmt: skip
        if job.started is not None:
            described["StartTime"] = EPOCH + job.started
        if job.ended is not None:
            described["CompletionTime"] = EPOCH + job.ended
        return {"TranscriptionJob": described}

    # --- SQS ----------------------------------------------------------------------------------

    def _queue(self, url: str) -> Queue:
        queue = self._queues.get(url.rsplit("/", 1)[-1])
        if queue is None:
            raise AwsError("AWS.SimpleQueueService.NonExistentQueue", f"no queue at {url}")
        return queue

    def _get_queue_url(self, request: Request) -> dict:
        return {"QueueUrl": queue_url(self._queue(request.json()["QueueName"]).name)}

    def _get_queue_attributes(self, request: Request) -> dict:
        body = request.json()
        queue = self._queue(body["QueueUrl"])
        visible, in_flight = queue.counts()
        known = {"ApproximateNumberOfMessages": visible, "ApproximateNumberOfMessagesNotVisible": in_flight,
                 "ApproximateNumberOfMessagesDelayed": 0}  # fmt: skip
        if unknown := set(body.get("AttributeNames", [])) - set(known):
            raise NotImplementedError(f"the simulated SQS does not report {sorted(unknown)}")
        return {"Attributes": {name: str(known[name]) for name in body.get("AttributeNames", [])}}

    def _send(self, request: Request, queue: Queue, body: str, attributes: dict | None = None) -> dict:
        key = upload_key_in(body)
        message = queue.send(body, self._upload_of_key(key) if key else None, attributes)
        self.sent[(request.caller, queue.name, origin_in(body))] += 1
        return {"MessageId": message.id, "MD5OfMessageBody": hashlib.md5(body.encode()).hexdigest()}

    def _send_message(self, request: Request) -> dict:
        body = request.json()
        return self._send(request, self._queue(body["QueueUrl"]), body["MessageBody"], body.get("MessageAttributes"))

    def _send_message_batch(self, request: Request) -> dict:
        body = request.json()
        queue, entries = self._queue(body["QueueUrl"]), body["Entries"]
        if not 1 <= len(entries) <= SQS_BATCH:
            raise AwsError("AWS.SimpleQueueService.TooManyEntriesInBatchRequest", f"{len(entries)} entries")
        if len({entry["Id"] for entry in entries}) != len(entries):
            raise AwsError("AWS.SimpleQueueService.BatchEntryIdsNotDistinct", "Id repeated")
        done = [{"Id": entry["Id"], **self._send(request, queue, entry["MessageBody"])} for entry in entries]
        return {"Successful": [{"Id": d["Id"], "MessageId": d["MessageId"], "MD5OfMessageBody": d["MD5OfMessageBody"]} for d in done],
                "Failed": []}  # fmt: skip

    def _delete_message(self, request: Request) -> dict:
        body = request.json()
        if not self._queue(body["QueueUrl"]).delete(body["ReceiptHandle"]):
            raise AwsError("ReceiptHandleIsInvalid", "the receipt handle is not current")
        return {}

    def _change_visibility(self, request: Request) -> dict:
        body = request.json()
        if not self._queue(body["QueueUrl"]).change_visibility(body["ReceiptHandle"], body["VisibilityTimeout"]):
            raise AwsError("MessageNotInflight", "the message is not in flight with this receipt handle")
        return {}

    def _change_visibility_batch(self, request: Request) -> dict:
        body = request.json()
        queue = self._queue(body["QueueUrl"])
        done, failed = [], []
        for entry in body["Entries"]:
            if queue.change_visibility(entry["ReceiptHandle"], entry["VisibilityTimeout"]):
                done.append({"Id": entry["Id"]})
            else:
                failed.append({"Id": entry["Id"], "SenderFault": True, "Code": "MessageNotInflight", "Message": "not in flight"})
        return {"Successful": done, "Failed": failed}

    # --- CloudWatch and Lambda ----------------------------------------------------------------

    def _get_metric_statistics(self, request: Request) -> dict:
        """The queue's ApproximateAgeOfOldestMessage as SQS reports it (Amazon SQS Developer
        Guide, "Available CloudWatch metrics for Amazon SQS": a message received three or more
        times is left out), one datapoint: its value now, when the window reaches now."""
        body = request.json()
        dimensions = {d["Name"]: d["Value"] for d in body.get("Dimensions", [])}
        if (body["Namespace"], body["MetricName"], set(dimensions)) != ("AWS/SQS", "ApproximateAgeOfOldestMessage", {"QueueName"}):
            raise NotImplementedError(f"the simulated CloudWatch does not report {body['Namespace']} {body['MetricName']}")
        if set(body.get("Statistics", [])) - {"Maximum"} or body.get("ExtendedStatistics"):
            raise NotImplementedError(f"the simulated CloudWatch does not compute {body.get('Statistics')}")
        now = EPOCH + self._sim.now
        age = self._queue(dimensions["QueueName"]).oldest_age()
        points = []
        if age is not None and body["StartTime"] <= now <= body["EndTime"] + body["Period"]:
            points.append({"Timestamp": now - now % body["Period"], "Maximum": age, "Unit": "Seconds"})
        return {"Label": body["MetricName"], "Datapoints": points}

    def _invoke(self, request: Request) -> Raw:
        """Lambda's Invoke with InvocationType Event: accepted (202), run later."""
        name = request.path.split("/functions/", 1)[1].split("/", 1)[0]
        kind = request.headers.get("X-Amz-Invocation-Type", "RequestResponse")
        if kind != "Event":
            raise NotImplementedError(f"the simulation runs asynchronous invocations only, not {kind}")
        payload = json.loads(request.body or b"{}")
        self._sim.after(0, lambda: self._invoked(name, payload))
        return Raw(202, {}, b"")
