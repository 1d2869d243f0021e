"""The completion stage: when one of this stack's Transcribe jobs ends, write a readable text
transcript (or an error note) beside it, and optionally tell someone by email."""

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from transcribe_pipeline.components.access import allow, objects
from transcribe_pipeline.components.lambda_function import PipelineFunction, PipelineFunctionArgs
from transcribe_pipeline.settings import Settings

# EventBridge keeps retrying a target it cannot reach for up to a day, then sends the event to
# the failure queue.
TARGET_MAX_EVENT_AGE_SECONDS = 24 * 3600
TARGET_MAX_RETRIES = 185


@dataclass
class CompletionStageArgs:
    settings: Settings
    output_bucket_name: pulumi.Input[str]
    output_bucket_arn: pulumi.Input[str]
    failure_queue_arn: pulumi.Input[str]
    """Where events end up that the function failed on, or that EventBridge could not deliver
    (the queue must accept them from `rule_arn`)."""
    partition: pulumi.Input[str]
    region: pulumi.Input[str]
    account_id: pulumi.Input[str]
    """Where this stack's Transcribe jobs are: the ARN of each starts with these."""
    ledger_table_name: pulumi.Input[str]
    ledger_table_arn: pulumi.Input[str]


def job_state_change_pattern(job_name_prefix: str) -> dict:
    """Transcribe's end-of-job events, for this stack's jobs only."""
    return {
        "source": ["aws.transcribe"],
        "detail-type": ["Transcribe Job State Change"],
        "detail": {
            "TranscriptionJobStatus": ["COMPLETED", "FAILED"],
            "TranscriptionJobName": [{"prefix": job_name_prefix}],
        },
    }


def transcription_jobs(args: CompletionStageArgs, job_name_prefix: str) -> pulumi.Output[str]:
    """The ARN pattern of this stack's Transcribe jobs."""
    return pulumi.Output.concat(
        "arn:", args.partition, ":transcribe:", args.region, ":", args.account_id, ":transcription-job/", job_name_prefix, "*"
    )


class CompletionStage(pulumi.ComponentResource):
    """EventBridge rule -> completion function (+ optional encrypted SNS topic with an email
    subscription)."""

    function_name: pulumi.Output[str]
    log_group_name: pulumi.Output[str]
    rule_arn: pulumi.Output[str]
    topic_arn: pulumi.Output[str] | None

    def __init__(self, name: str, args: CompletionStageArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("transcribe:completion:CompletionStage", name, None, opts)
        s = args.settings
        child = pulumi.ResourceOptions(parent=self)

        self.job_arns = transcription_jobs(args, s.job_name_prefix)
        statements = [
            allow(["transcribe:GetTranscriptionJob"], [self.job_arns]),
            allow(["s3:GetObject", "s3:PutObject"], [objects(args.output_bucket_arn, s.output_prefix)]),
            # Finds the job's upload in the ledger and records its end.
            allow(["dynamodb:Query", "dynamodb:UpdateItem"], [args.ledger_table_arn]),
        ]
        if s.unredacted_prefix:
            # The redacted transcript is read where the job wrote it, beside the unredacted one.
            statements.append(allow(["s3:GetObject"], [objects(args.output_bucket_arn, s.unredacted_prefix)]))
        environment = {
            "OUTPUT_BUCKET": args.output_bucket_name,
            "OUTPUT_PREFIX": s.output_prefix,
            "JOB_NAME_PREFIX": s.job_name_prefix,
            "LEDGER_TABLE": args.ledger_table_name,
            "METRICS_NAMESPACE": s.metrics_namespace,
        }
        self.topic_arn = None
        if s.notify_email:
            topic = aws.sns.Topic(
                f"{name}-topic",
                kms_master_key_id="alias/aws/sns",
                tags=s.tags,
                opts=child,
            )
            aws.sns.TopicSubscription(
                f"{name}-email", topic=topic.arn, protocol="email", endpoint=s.notify_email, opts=child
            )
            self.topic_arn = topic.arn
            environment["TOPIC_ARN"] = topic.arn
            statements.append(allow(["sns:Publish"], [topic.arn]))

        self.handler = PipelineFunction(
            f"{name}-handler",
            PipelineFunctionArgs.for_stage(
                s,
                "completion",
                handler="completion.lambda_handler",
                description="Writes a text transcript or an error note when a Transcribe job ends.",
                environment=environment,
                statements=statements,
                failure_queue_arn=args.failure_queue_arn,
            ),
            opts=child,
        )

        rule = aws.cloudwatch.EventRule(
            f"{name}-rule",
            description="This stack's Transcribe jobs that completed or failed.",
            event_pattern=json.dumps(job_state_change_pattern(s.job_name_prefix)),
            tags=s.tags,
            opts=child,
        )
        permission = aws.lambda_.Permission(
            f"{name}-invoke-permission",
            action="lambda:InvokeFunction",
            function=self.handler.function_name,
            principal="events.amazonaws.com",
            source_arn=rule.arn,
            opts=child,
        )
        aws.cloudwatch.EventTarget(
            f"{name}-target",
            rule=rule.name,
            arn=self.handler.arn,
            retry_policy={
                "maximum_event_age_in_seconds": TARGET_MAX_EVENT_AGE_SECONDS,
                "maximum_retry_attempts": TARGET_MAX_RETRIES,
            },
            dead_letter_config={"arn": args.failure_queue_arn},
            opts=pulumi.ResourceOptions(parent=self, depends_on=[permission]),
        )

        self.function_name = self.handler.function_name
        self.function_arn = self.handler.arn
        self.log_group_name = self.handler.log_group_name
        self.rule_arn = rule.arn
        self.register_outputs({"function_name": self.function_name, "rule_arn": self.rule_arn, "topic_arn": self.topic_arn})
