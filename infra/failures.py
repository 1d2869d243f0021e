"""Where events that could not be processed are kept."""

import pulumi
import pulumi_aws as aws

FOURTEEN_DAYS = 14 * 24 * 3600


class FailureQueue(pulumi.ComponentResource):
    """An encrypted SQS queue, the on-failure destination of the pipeline's functions: an event
    whose retries are exhausted is kept here for 14 days (see `python -m mediactl redrive`)."""

    arn: pulumi.Output[str]
    url: pulumi.Output[str]

    def __init__(self, name: str, tags: dict[str, str], opts: pulumi.ResourceOptions | None = None):
        super().__init__("transcribe:failures:FailureQueue", name, None, opts)
        self.queue = aws.sqs.Queue(
            f"{name}-queue",
            sqs_managed_sse_enabled=True,
            message_retention_seconds=FOURTEEN_DAYS,
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.arn = self.queue.arn
        self.url = self.queue.url
        self.register_outputs({"arn": self.arn, "url": self.url})
