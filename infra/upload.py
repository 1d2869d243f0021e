"""The upload stage: an S3 upload of a supported media file starts a Transcribe job."""

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from function import naming
from infra.access import TranscribeDataAccessArgs, TranscribeDataAccessRole, allow, objects
from infra.function import PipelineFunction, PipelineFunctionArgs
from infra.settings import Settings


@dataclass
class UploadStageArgs:
    settings: Settings
    input_bucket_id: pulumi.Input[str]
    input_bucket_arn: pulumi.Input[str]
    output_bucket_name: pulumi.Input[str]
    output_bucket_arn: pulumi.Input[str]
    failure_queue_arn: pulumi.Input[str]
    account_id: pulumi.Input[str]


def notification_suffixes() -> list[str]:
    """S3 suffix filters are case-sensitive: each format in lower and UPPER case."""
    return [f".{fmt}" for fmt in naming.SUPPORTED_FORMATS] + [f".{fmt.upper()}" for fmt in naming.SUPPORTED_FORMATS]


class UploadStage(pulumi.ComponentResource):
    """The upload function, its permissions, the optional Transcribe data-access role, and the
    bucket notification that invokes the function for media uploads only."""

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
            "MAX_SPEAKERS": str(s.max_speakers),
            "JOB_NAME_PREFIX": s.job_name_prefix,
            "JOB_TAGS": s.job_tags,
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
            allow(["s3:PutObject"], [objects(args.output_bucket_arn, s.output_prefix)]),
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
                name,
                handler="handler.lambda_handler",
                description="Starts an Amazon Transcribe job for each media file uploaded.",
                environment=environment,
                statements=statements,
                failure_queue_arn=args.failure_queue_arn,
                waits_for=waits_for,
            ),
            opts=child,
        )

        permission = aws.lambda_.Permission(
            f"{name}-invoke-permission",
            action="lambda:InvokeFunction",
            function=self.handler.function_name,
            principal="s3.amazonaws.com",
            source_arn=args.input_bucket_arn,
            source_account=args.account_id,
            opts=child,
        )
        # S3 checks that it may invoke the function when the notification is written, so the
        # permission has to exist first.
        aws.s3.BucketNotification(
            f"{name}-notification",
            bucket=args.input_bucket_id,
            lambda_functions=[
                {
                    "lambda_function_arn": self.handler.arn,
                    "events": ["s3:ObjectCreated:*"],
                    "filter_prefix": s.key_prefix or None,
                    "filter_suffix": suffix,
                }
                for suffix in notification_suffixes()
            ],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[permission]),
        )

        self.function_name = self.handler.function_name
        self.function_arn = self.handler.arn
        self.log_group_name = self.handler.log_group_name
        self.register_outputs({"function_name": self.function_name, "log_group_name": self.log_group_name})
