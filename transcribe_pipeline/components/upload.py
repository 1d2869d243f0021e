"""The upload stage: the upload function, fed by the upload queue, starts a Transcribe job for
each media upload at the pace the stack's settings allow."""

from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from transcribe_pipeline.checks import derived
from transcribe_pipeline.components.access import TranscribeDataAccessArgs, TranscribeDataAccessRole, allow, objects
from transcribe_pipeline.components.lambda_function import PipelineFunction, PipelineFunctionArgs
from transcribe_pipeline.settings import Settings


# Messages the function receives at once. With the function's own pacing, a batch of 10 takes
# under a second at the default pace, and SQS hands out 10 messages per receive.
BATCH_SIZE = 10


@dataclass
class UploadStageArgs:
    settings: Settings
    input_bucket_arn: pulumi.Input[str]
    output_bucket_name: pulumi.Input[str]
    output_bucket_arn: pulumi.Input[str]
    queue_arn: pulumi.Input[str]
    """The upload queue that feeds the function."""
    dead_letter_queue_arn: pulumi.Input[str]
    dead_letter_queue_url: pulumi.Input[str]
    """Where the function puts the messages it will never be able to start."""
    account_id: pulumi.Input[str]
    ledger_table_name: pulumi.Input[str]
    ledger_table_arn: pulumi.Input[str]
    options_environment: dict[str, pulumi.Input[str]] = field(default_factory=dict)
    """What each job uses of Transcribe's options (vocabulary, filter, channels, redaction)."""


class UploadStage(pulumi.ComponentResource):
    """The upload function, its permissions, the optional Transcribe data-access role, and the
    event source mapping that feeds it from the upload queue."""

    function_name: pulumi.Output[str]
    function_arn: pulumi.Output[str]
    log_group_name: pulumi.Output[str]

    def __init__(self, name: str, args: UploadStageArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("transcribe:upload:UploadStage", name, None, opts)
        s = args.settings
        child = pulumi.ResourceOptions(parent=self)

        environment = {
            "OUTPUT_BUCKET": args.output_bucket_name,
            "OUTPUT_PREFIX": s.output_prefix,
            "LANGUAGE_CODE": s.language_code,
            "LANGUAGE_OPTIONS": ",".join(s.language_options),
            "SUBTITLE_FORMATS": ",".join(s.subtitle_formats),
            "MAX_SPEAKERS": derived(s.max_speakers, str),
            "JOB_NAME_PREFIX": s.job_name_prefix,
            "JOB_TAGS": s.job_tags,
            "START_RATE": f"{s.start_rate_per_instance:g}",
            "DEAD_LETTER_QUEUE_URL": args.dead_letter_queue_url,
            "LEDGER_TABLE": args.ledger_table_name,
            "MAX_JOBS_PER_DAY": str(s.max_jobs_per_day),
            **args.options_environment,
            "METRICS_NAMESPACE": s.metrics_namespace,
        }
        statements = [
            # On "*": the Service Authorization Reference lists no resource type for these two
            # actions. Its condition keys bound the start to this stack's transcripts bucket
            # (transcribe:OutputBucketName); the function sends no output KMS key, and there is no
            # key for the data-access role (iam:PassRole below names it).
            allow(
                ["transcribe:StartTranscriptionJob"],
                ["*"],
                {"StringEquals": {"transcribe:OutputBucketName": args.output_bucket_name}},
            ),
            allow(["transcribe:TagResource"], ["*"]),
            # Without a data-access role Transcribe reads the media and writes the transcript
            # with the caller's permissions; the function also writes `.error.json` notes.
            allow(["s3:GetObject"], [objects(args.input_bucket_arn, s.key_prefix)]),
            allow(["s3:PutObject"], [objects(args.output_bucket_arn, p) for p in (s.output_prefix, s.unredacted_prefix) if p]),
            # Lambda polls the queue with the function's role; the function itself finds the
            # queue's URL, hands back what it could not start yet with a backoff, sends again what
            # waited nearly the queue's retention, and moves what will never start to the
            # dead-letter queue.
            allow(
                ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:ChangeMessageVisibility"],
                [args.queue_arn],
            ),
            allow(["sqs:SendMessage"], [args.queue_arn, args.dead_letter_queue_arn]),
            # Records each upload, and who starts its one job, in the ledger.
            allow(["dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:UpdateItem"], [args.ledger_table_arn]),
        ]
        waits_for = []
        if s.job_queueing:
            data_access = TranscribeDataAccessRole(
                f"{name}-transcribe-access",
                TranscribeDataAccessArgs(
                    input_bucket_arn=args.input_bucket_arn,
                    output_bucket_arn=args.output_bucket_arn,
                    account_id=args.account_id,
                    key_prefix=s.key_prefix,
                    output_prefix=s.output_prefix,
                    unredacted_prefix=s.unredacted_prefix,
                    tags=s.tags,
                ),
                opts=child,
            )
            environment["DATA_ACCESS_ROLE_ARN"] = data_access.arn
            waits_for.append(data_access.attachment)
            statements.append(
                allow(
                    ["iam:PassRole"],
                    [data_access.arn],
                    {"StringEquals": {"iam:PassedToService": "transcribe.amazonaws.com"}},
                )
            )

        self.handler = PipelineFunction(
            f"{name}-handler",
            PipelineFunctionArgs.for_stage(
                s,
                "upload",
                handler="handler.lambda_handler",
                description="Starts an Amazon Transcribe job for each media file uploaded.",
                environment=environment,
                statements=statements,
                failure_queue_arn=None,
                waits_for=waits_for,
            ),
            opts=child,
        )

        aws.lambda_.EventSourceMapping(
            f"{name}-source",
            event_source_arn=args.queue_arn,
            function_name=self.handler.arn,
            batch_size=BATCH_SIZE,
            function_response_types=["ReportBatchItemFailures"],
            scaling_config={"maximum_concurrency": s.start_concurrency},
            opts=child,
        )

        self.function_name = self.handler.function_name
        self.function_arn = self.handler.arn
        self.log_group_name = self.handler.log_group_name
        self.register_outputs({"function_name": self.function_name, "log_group_name": self.log_group_name})
