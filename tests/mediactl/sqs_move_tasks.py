"""SQS's message move tasks (StartMessageMoveTask, ListMessageMoveTasks), which moto 5.2.5 lacks,
added to moto's SQS as AWS's API reference describes them:

- the source must be a queue that is the dead-letter queue of another SQS queue; the destination,
  when given, must exist; MaxNumberOfMessagesPerSecond is at most 500;
- only one task per source queue is active at a time;
- the task is asynchronous: it counts the source's messages when it starts
  (ApproximateNumberOfMessagesToMove) and moves them to the destination, RUNNING, then COMPLETED;
  here each ListMessageMoveTasks call lets it move `step` more messages, so a caller must follow it;
- ListMessageMoveTasks gives the most recent tasks of a source, newest first, MaxResults of them
  (1 by default, 10 at most), with the TaskHandle only while a task is RUNNING.
Moved messages keep their body and message attributes and arrive as new messages.
"""

import time
import uuid
from dataclasses import dataclass, field

from moto.core.responses import ActionResult
from moto.sqs.exceptions import InvalidParameterValue, SQSException
from moto.sqs.models import Queue, sqs_backends
from moto.sqs.responses import SQSResponse


class ResourceNotFound(SQSException):
    def __init__(self, message: str):
        super().__init__("ResourceNotFoundException", message)


class Unsupported(SQSException):
    def __init__(self):
        super().__init__("UnsupportedOperation", "This operation is not supported here.")


@dataclass
class MoveTask:
    handle: str
    source: Queue
    destination: Queue
    to_move: int
    rate: int | None
    started: int = field(default_factory=lambda: int(time.time() * 1000))
    moved: int = 0
    status: str = "RUNNING"
    failure_reason: str | None = None

    def entry(self) -> dict:
        entry = {
            "Status": self.status,
            "SourceArn": self.source.queue_arn,
            "DestinationArn": self.destination.queue_arn,
            "ApproximateNumberOfMessagesMoved": self.moved,
            "ApproximateNumberOfMessagesToMove": self.to_move,
            "StartedTimestamp": self.started,
        }
        if self.rate is not None:
            entry["MaxNumberOfMessagesPerSecond"] = self.rate
        if self.status == "RUNNING":
            entry["TaskHandle"] = self.handle
        if self.status == "FAILED" and self.failure_reason:
            entry["FailureReason"] = self.failure_reason
        return entry


class MessageMoveTasks:
    """Installs the two operations into moto's SQS responses; `step` messages move per look."""

    def __init__(self, step: int = 2):
        self.step = step
        self.tasks: list[MoveTask] = []
        self.started: list[dict] = []

    def install(self, monkeypatch) -> "MessageMoveTasks":
        tasks = self

        def start_message_move_task(response: SQSResponse) -> ActionResult:
            return ActionResult(tasks.start(response._get_param("SourceArn"), response._get_param("DestinationArn"), response._get_param("MaxNumberOfMessagesPerSecond")))

        def list_message_move_tasks(response: SQSResponse) -> ActionResult:
            return ActionResult({"Results": tasks.list(response._get_param("SourceArn"), response._get_param("MaxResults"))})

        monkeypatch.setattr(SQSResponse, "start_message_move_task", start_message_move_task, raising=False)
        monkeypatch.setattr(SQSResponse, "list_message_move_tasks", list_message_move_tasks, raising=False)
        return self

    def start(self, source_arn: str, destination_arn: str | None, rate) -> dict:
        self.started.append({"SourceArn": source_arn, "DestinationArn": destination_arn, "MaxNumberOfMessagesPerSecond": rate})
        source = queue_of(source_arn)
        backend = backend_of(source_arn)
        sources = backend.list_dead_letter_source_queues(source.name)
        if not sources:
            raise InvalidParameterValue(f"Source queue {source_arn} is not a dead-letter queue of an SQS queue.")
        if rate is not None and not 1 <= int(rate) <= 500:
            raise InvalidParameterValue("MaxNumberOfMessagesPerSecond must be between 1 and 500.")
        if any(task.source is source and task.status == "RUNNING" for task in self.tasks):
            raise InvalidParameterValue(f"There is already a message movement task running on {source_arn}.")
        # Without a destination, the messages go back to the queue they came from.
        destination = queue_of(destination_arn) if destination_arn else sources[0]
        task = MoveTask(str(uuid.uuid4()), source, destination, len(source.messages), None if rate is None else int(rate))
        self.tasks.append(task)
        return {"TaskHandle": task.handle}

    def list(self, source_arn: str, max_results) -> list[dict]:
        source = queue_of(source_arn)
        limit = 1 if max_results is None else int(max_results)
        if not 1 <= limit <= 10:
            raise InvalidParameterValue("MaxResults must be between 1 and 10.")
        mine = [task for task in self.tasks if task.source is source]
        for task in mine:
            self.advance(task)
        return [task.entry() for task in reversed(mine)][:limit]

    def advance(self, task: MoveTask) -> None:
        if task.status != "RUNNING":
            return
        backend = backend_of(task.source.queue_arn)
        for message in task.source.messages[: self.step]:
            task.source._messages.remove(message)
            backend.send_message(task.destination.name, message.body, message_attributes=message.message_attributes)
            task.moved += 1
        if task.moved >= task.to_move or not task.source.messages:
            task.status = "COMPLETED"


class UnsupportedMoveTasks:
    """An SQS endpoint that answers the move-task operations with UnsupportedOperation."""

    def install(self, monkeypatch) -> "UnsupportedMoveTasks":
        def refuse(response: SQSResponse) -> ActionResult:
            raise Unsupported()

        monkeypatch.setattr(SQSResponse, "start_message_move_task", refuse, raising=False)
        monkeypatch.setattr(SQSResponse, "list_message_move_tasks", refuse, raising=False)
        return self


def backend_of(arn: str):
    parts = arn.split(":")
    if len(parts) != 6 or parts[2] != "sqs":
        raise InvalidParameterValue(f"{arn} is not an SQS queue ARN.")
    return sqs_backends[parts[4]][parts[3]]


def queue_of(arn: str) -> Queue:
    queue = backend_of(arn).queues.get(arn.rsplit(":", 1)[-1])
    if queue is None:
        raise ResourceNotFound(f"The resource {arn} does not exist.")
    return queue
