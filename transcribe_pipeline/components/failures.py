"""Where events that could not be processed are kept."""

import pulumi
import pulumi_aws as aws

from transcribe_pipeline.components.access import document

FOURTEEN_DAYS = 14 * 24 * 3600


class FailureQueue(pulumi.ComponentResource):
    """An encrypted SQS queue, the on-failure destination of the completion function and the
    dead-letter queue of its EventBridge target: an event whose retries are exhausted is kept here
    for 14 days (see `mediactl redrive`). Uploads have a queue of their own
    (`infra/upload_queue.py`)."""

    arn: pulumi.Output[str]
    url: pulumi.Output[str]

    def __init__(self, name: str, tags: dict[str, str], retain: bool, opts: pulumi.ResourceOptions | None = None):
        super().__init__("transcribe:failures:FailureQueue", name, None, opts)
        self.name = name
        # With `retain`, `pulumi destroy` leaves the queue, and the uploads it still holds, in AWS.
        self.queue = aws.sqs.Queue(
            f"{name}-queue",
            sqs_managed_sse_enabled=True,
            message_retention_seconds=FOURTEEN_DAYS,
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self, retain_on_delete=retain),
        )
        self.arn = self.queue.arn
        self.url = self.queue.url
        self.register_outputs({"arn": self.arn, "url": self.url})

    def accept_undelivered_events(self, rule_arns: list[pulumi.Input[str]]) -> None:
        """Let EventBridge keep here what these rules could not deliver. A queue has one policy,
        so every rule goes into this one call."""
        aws.sqs.QueuePolicy(
            f"{self.name}-policy",
            queue_url=self.url,
            policy=pulumi.Output.json_dumps(
                document(
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "events.amazonaws.com"},
                        "Action": "sqs:SendMessage",
                        "Resource": self.arn,
                        "Condition": {"ArnEquals": {"aws:SourceArn": rule_arns}},
                    }
                )
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
