"""The buffered design, run: S3 notifications go to the upload queue; the event source mapping
hands batches to the real upload handler (`function/handler.py`), whose clients answer from
`bench/sim_http.py`.

Each execution environment gets its own copy of the function's module (loaded from the file under a
name of its own), so its clients, botocore retry quota and module-level pacer are its own, as in
Lambda; `handler.clock` of each copy is the virtual clock. With the mapping's maximum concurrency
of a few environments this costs a few imports a run.
"""

import importlib.util
import json
from dataclasses import dataclass
from pathlib import Path

from bench.sim import EPOCH, InvocationTimedOut, Simulation, VirtualClock
from bench.sim_aws import Environment, LambdaFunction, Message, Queue
from bench.sim_http import REGION, queue_arn

FUNCTION_DIR = Path(__file__).resolve().parents[1] / "function"


@dataclass(frozen=True)
class MappingSettings:
    batch_size: int
    maximum_concurrency: int


def load_function(module: str, copy: int, clock: VirtualClock):
    """A fresh copy of a function module (`handler`, `reconcile`): what a new execution
    environment imports; its `clock` (and `datetime`, where it reads the wall clock that way)
    on the virtual clock."""
    spec = importlib.util.spec_from_file_location(f"{module}_environment_{copy}", FUNCTION_DIR / f"{module}.py")
    loaded = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(loaded)
    loaded.clock = clock
    if hasattr(loaded, "datetime"):
        loaded.datetime = clock.datetime()
    return loaded


class LambdaContext:
    def __init__(self, sim: Simulation, deadline: float, request_id: str, function_name: str = "upload-handler") -> None:
        self._sim, self._deadline = sim, deadline
        self.aws_request_id = request_id
        self.function_name = function_name

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - self._sim.now) * 1000))


def sqs_record(message: Message, queue: Queue) -> dict:
    """A record as the SQS event source mapping delivers it (Lambda developer guide, "Using Lambda
    with Amazon SQS", example standard queue message event)."""
    return {
        "messageId": message.id,
        "receiptHandle": message.receipt,
        "body": message.body,
        "attributes": {
            "ApproximateReceiveCount": str(message.receive_count),
            "SentTimestamp": str(int((EPOCH + message.sent) * 1000)),
            "SenderId": "AIDAIENQZJOLO23YVJ4VO",
            "ApproximateFirstReceiveTimestamp": str(int((EPOCH + (message.first_receive or message.sent)) * 1000)),
        },
        "messageAttributes": {},
        "md5OfBody": "",
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn(queue.name),
        "awsRegion": REGION,
    }


class EventSourceMapping:
    """Polls the queue while fewer than `maximum_concurrency` invocations run; deletes what the
    handler reports done, leaves `batchItemFailures` (or the whole batch, if the invocation
    failed or timed out) to become visible again."""

    def __init__(self, sim: Simulation, queue: Queue, function: LambdaFunction, settings: MappingSettings) -> None:
        self._sim, self._queue, self._function, self.settings = sim, queue, function, settings
        self.active = 0
        self.failed_invocations = 0
        self.timeouts = 0
        self._requests = 0
        queue.on_visible = self.poll
        function.on_release = self.poll

    def poll(self) -> None:
        while self.active < self.settings.maximum_concurrency and self._queue.has_visible():
            taken = self._function.take()
            if taken is None:
                self._sim.at(self._function.retry_at(), self.poll)
                return
            batch = self._queue.receive(self.settings.batch_size)
            if not batch:
                self._function.cancel(taken[0])
                return
            self.active += 1
            self._invoke(*taken, batch)

    def _invoke(self, environment: Environment, init: float, batch: list[Message]) -> None:
        began = self._sim.now
        self._requests += 1
        event = {"Records": [sqs_record(message, self._queue) for message in batch]}

        def run() -> None:
            deadline = self._sim.now + self._function.timeout
            context = LambdaContext(self._sim, deadline, f"request-{self._requests}")
            process = self._sim.spawn(
                lambda: environment.state.lambda_handler(event, context),
                lambda process: self._ended(environment, batch, process, began, deadline),
            )
            process.deadline = deadline

        self._sim.after(init, run)

    def _ended(self, environment: Environment, batch: list[Message], process, began: float, deadline: float) -> None:
        timed_out = self._sim.now > deadline or isinstance(process.error, InvocationTimedOut)
        self.timeouts += timed_out
        failed = _failed_ids(process.result, batch) if process.error is None and not timed_out else None
        if failed is None:
            self.failed_invocations += 1
        else:
            for message in batch:
                if message.id not in failed:
                    self._queue.delete(message.receipt)
        self.active -= 1
        self._function.release(environment, min(self._sim.now, deadline) - began)


def _failed_ids(response, batch: list[Message]) -> set[str] | None:
    """The message ids the response reports failed, or None when Lambda would fail the whole
    batch (a response it cannot read, or an id not in the batch)."""
    if response is None:
        return set()
    try:
        failed = {item["itemIdentifier"] for item in response.get("batchItemFailures", [])}
    except (AttributeError, KeyError, TypeError):
        return None
    return failed if failed <= {message.id for message in batch} else None


def s3_queue_body(template: dict, bucket: str, key: str, index: int, event_time: str, size: int, etag: str) -> str:
    """The body S3 sends the queue for one upload: the sample notification's record with this
    upload's bucket, key, size, ETag and sequencer."""
    record = json.loads(json.dumps(template["Records"][0]))
    record.update(awsRegion=REGION, eventTime=event_time)
    record["s3"]["bucket"].update(name=bucket, arn=f"arn:aws:s3:::{bucket}")
    record["s3"]["object"].update(key=key, size=size, sequencer=f"{index:018X}", eTag=etag)
    record["s3"]["object"].pop("versionId", None)
    return json.dumps({"Records": [record]})
