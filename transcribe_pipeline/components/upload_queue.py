"""The upload queue: S3 reports each media upload to an SQS queue, which feeds the upload function
at Transcribe's pace. A bulk upload of tens of thousands of files waits here, not in Lambda's
asynchronous queue (whose events expire after six hours at most)."""

from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from transcribe_pipeline.checks import derived
from transcribe_pipeline.components.access import document
from transcribe_pipeline.components.failures import FOURTEEN_DAYS
from transcribe_pipeline.function import naming

# Lambda's advice for a queue that feeds a function: a visibility timeout of six times the
# function's timeout, so a batch being retried is not handed out twice.
VISIBILITY_TIMEOUTS_PER_FUNCTION_TIMEOUT = 6
# The function hands back what it could not start yet, with a backoff, and moves to the
# dead-letter queue itself what will never start. SQS's own count is only the last resort (a
# function that fails at every start), so it must not run out during a backlog of days.
MAX_RECEIVE_COUNT = 1000


@dataclass
class UploadQueueArgs:
    bucket_id: pulumi.Input[str]
    """The media bucket whose uploads are reported."""
    bucket_arn: pulumi.Input[str]
    account_id: pulumi.Input[str]
    key_prefix: str
    """Only uploads under this key prefix are reported."""
    function_timeout: pulumi.Input[int]
    """The upload function's timeout, in seconds."""
    retain: bool
    """Keep both queues, and the uploads they hold, on `pulumi destroy`."""
    tags: dict[str, str] = field(default_factory=dict)


def notification_suffixes() -> list[str]:
    """S3 suffix filters are case-sensitive: each format in lower and UPPER case."""
    return [f".{fmt}" for fmt in naming.SUPPORTED_FORMATS] + [f".{fmt.upper()}" for fmt in naming.SUPPORTED_FORMATS]


class UploadQueue(pulumi.ComponentResource):
    """An encrypted SQS queue with a dead-letter queue, the policy that lets the media bucket
    (and nothing else) send to it, and the bucket notification for media uploads."""

    arn: pulumi.Output[str]
    url: pulumi.Output[str]
    queue_name: pulumi.Output[str]
    dead_letter_arn: pulumi.Output[str]
    dead_letter_url: pulumi.Output[str]
    dead_letter_name: pulumi.Output[str]

    def __init__(self, name: str, args: UploadQueueArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("transcribe:upload_queue:UploadQueue", name, None, opts)
        kept = pulumi.ResourceOptions(parent=self, retain_on_delete=args.retain)

        dead_letters = aws.sqs.Queue(
            f"{name}-dead-letters",
            sqs_managed_sse_enabled=True,
            message_retention_seconds=FOURTEEN_DAYS,
            tags=args.tags,
            opts=kept,
        )
        self.queue = aws.sqs.Queue(
            f"{name}-queue",
            sqs_managed_sse_enabled=True,
            message_retention_seconds=FOURTEEN_DAYS,
            visibility_timeout_seconds=derived(args.function_timeout, lambda timeout: VISIBILITY_TIMEOUTS_PER_FUNCTION_TIMEOUT * timeout),
            redrive_policy=pulumi.Output.json_dumps(
                {"deadLetterTargetArn": dead_letters.arn, "maxReceiveCount": MAX_RECEIVE_COUNT}
            ),
            tags=args.tags,
            opts=kept,
        )
        aws.sqs.RedriveAllowPolicy(
            f"{name}-dead-letters-source",
            queue_url=dead_letters.url,
            redrive_allow_policy=pulumi.Output.json_dumps(
                {"redrivePermission": "byQueue", "sourceQueueArns": [self.queue.arn]}
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        policy = aws.sqs.QueuePolicy(
            f"{name}-policy",
            queue_url=self.queue.url,
            policy=pulumi.Output.json_dumps(s3_may_send(self.queue.arn, args.bucket_arn, args.account_id)),
            opts=pulumi.ResourceOptions(parent=self),
        )
        # S3 sends a test message when the notification is written, so the queue must already
        # accept it.
        aws.s3.BucketNotification(
            f"{name}-notification",
            bucket=args.bucket_id,
            queues=[
                {
                    "queue_arn": self.queue.arn,
                    "events": ["s3:ObjectCreated:*"],
                    "filter_prefix": args.key_prefix or None,
                    "filter_suffix": suffix,
                }
                for suffix in notification_suffixes()
            ],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[policy]),
        )

        self.arn = self.queue.arn
        self.url = self.queue.url
        self.dead_letter_arn = dead_letters.arn
        self.dead_letter_url = dead_letters.url
        # CloudWatch names a queue's metrics by the queue's name.
        self.queue_name = self.queue.name
        self.dead_letter_name = dead_letters.name
        self.register_outputs({"arn": self.arn, "url": self.url, "dead_letter_url": self.dead_letter_url})


def s3_may_send(queue_arn: pulumi.Input[str], bucket_arn: pulumi.Input[str], account_id: pulumi.Input[str]) -> dict:
    """The queue policy: S3 may send, for this bucket of this account only."""
    return document(
        {
            "Effect": "Allow",
            "Principal": {"Service": "s3.amazonaws.com"},
            "Action": "sqs:SendMessage",
            "Resource": queue_arn,
            "Condition": {
                "ArnEquals": {"aws:SourceArn": bucket_arn},
                "StringEquals": {"aws:SourceAccount": account_id},
            },
        }
    )
