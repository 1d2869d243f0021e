"""The reconciler: a function the stack runs on a schedule (EventBridge Scheduler, every
`reconcileMinutes`), and that anyone may invoke by hand with `{}`, which makes the ledger and the
buckets agree (function/reconcile.py says how)."""

import dataclasses
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from transcribe_pipeline.checks import derived
from transcribe_pipeline.components.access import allow, document, objects
from transcribe_pipeline.components.lambda_function import PipelineFunction, PipelineFunctionArgs
from transcribe_pipeline.components.ledger import table_and_index
from transcribe_pipeline.settings import Settings

# A run lists the media bucket page by page and stops in time to save where it got to; the next
# run goes on from there. The longest timeout Lambda allows makes the fewest runs per pass.
TIMEOUT = 900
MEMORY = 512


@dataclass
class ReconcilerArgs:
    settings: Settings
    media_bucket_name: pulumi.Input[str]
    media_bucket_arn: pulumi.Input[str]
    output_bucket_name: pulumi.Input[str]
    output_bucket_arn: pulumi.Input[str]
    ledger_table_name: pulumi.Input[str]
    ledger_table_arn: pulumi.Input[str]
    upload_queue_url: pulumi.Input[str]
    upload_queue_arn: pulumi.Input[str]
    completion_function_name: pulumi.Input[str]
    completion_function_arn: pulumi.Input[str]
    transcription_jobs: pulumi.Input[str]
    """The ARN pattern of this stack's Transcribe jobs."""
    failure_queue_arn: pulumi.Input[str]
    account_id: pulumi.Input[str]


class Reconciler(pulumi.ComponentResource):
    function_name: pulumi.Output[str]
    log_group_name: pulumi.Output[str]

    def __init__(self, name: str, args: ReconcilerArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("transcribe:reconciler:Reconciler", name, None, opts)
        s = args.settings
        child = pulumi.ResourceOptions(parent=self)
        statements = [
            allow(
                ["dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query"],
                table_and_index(args.ledger_table_arn),
            ),
            allow(["s3:ListBucket"], [args.media_bucket_arn], {"StringLike": {"s3:prefix": [f"{s.key_prefix}*"]}}),
            # HeadObject: is there a transcript or an error note; GetObject: the note's reason.
            allow(["s3:GetObject"], [objects(args.output_bucket_arn, s.output_prefix)]),
            allow(["sqs:SendMessage", "sqs:GetQueueAttributes"], [args.upload_queue_arn]),
            allow(["transcribe:GetTranscriptionJob"], [args.transcription_jobs]),
            allow(["lambda:InvokeFunction"], [args.completion_function_arn]),
            # The age of the upload queue's oldest message; CloudWatch's Service Authorization
            # Reference lists no resource type for GetMetricStatistics.
            allow(["cloudwatch:GetMetricStatistics"], ["*"]),
        ]
        environment = {
            "OUTPUT_BUCKET": args.output_bucket_name,
            "OUTPUT_PREFIX": s.output_prefix,
            "JOB_NAME_PREFIX": s.job_name_prefix,
            "LEDGER_TABLE": args.ledger_table_name,
            "MEDIA_BUCKET": args.media_bucket_name,
            "KEY_PREFIX": s.key_prefix,
            "UPLOAD_QUEUE_URL": args.upload_queue_url,
            "COMPLETION_FUNCTION": args.completion_function_name,
            "RECONCILE_MINUTES": str(s.reconcile_minutes or 60),
            "METRICS_NAMESPACE": s.metrics_namespace,
        }
        function_args = PipelineFunctionArgs.for_stage(
            s,
            "reconciler",
            handler="reconcile.lambda_handler",
            description="Finds uploads and job ends the pipeline missed, and keeps long backlogs alive.",
            environment=environment,
            statements=statements,
            failure_queue_arn=args.failure_queue_arn,
        )
        self.handler = PipelineFunction(
            f"{name}-handler", dataclasses.replace(function_args, timeout=TIMEOUT, memory_size=derived(s.memory_size, lambda size: max(MEMORY, size))), opts=child
        )
        if s.reconcile_minutes:
            self._schedule(name, args, s)

        self.function_name = self.handler.function_name
        self.log_group_name = self.handler.log_group_name
        self.register_outputs({"function_name": self.function_name, "log_group_name": self.log_group_name})

    def _schedule(self, name: str, args: ReconcilerArgs, s: Settings) -> None:
        """EventBridge Scheduler invokes the function every `reconcileMinutes` with `{}`, through
        a role only Scheduler may assume, for this stack's schedule group in this account."""
        child = pulumi.ResourceOptions(parent=self)
        group = aws.scheduler.ScheduleGroup(f"{name}-schedules", tags=s.tags, opts=child)
        role = aws.iam.Role(
            f"{name}-scheduler-role",
            description="Lets EventBridge Scheduler run the reconciler, and nothing else.",
            assume_role_policy=pulumi.Output.json_dumps(
                document(
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "scheduler.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                        "Condition": {
                            "StringEquals": {"aws:SourceAccount": args.account_id},
                            "ArnEquals": {"aws:SourceArn": group.arn},
                        },
                    }
                )
            ),
            tags=s.tags,
            opts=child,
        )
        policy = aws.iam.Policy(
            f"{name}-scheduler-policy",
            description="Run the reconciler.",
            policy=pulumi.Output.json_dumps(document(allow(["lambda:InvokeFunction"], [self.handler.arn]))),
            tags=s.tags,
            opts=child,
        )
        attachment = aws.iam.RolePolicyAttachment(
            f"{name}-scheduler-policy-attachment", role=role.name, policy_arn=policy.arn, opts=child
        )
        aws.scheduler.Schedule(
            f"{name}-schedule",
            group_name=group.name,
            description="Runs the reconciler.",
            schedule_expression=f"rate({s.reconcile_minutes} minutes)",
            flexible_time_window={"mode": "OFF"},
            target={
                "arn": self.handler.arn,
                "role_arn": role.arn,
                "input": "{}",
                # A run that could not start is made up by the next one.
                "retry_policy": {"maximum_retry_attempts": 0},
            },
            opts=pulumi.ResourceOptions(parent=self, depends_on=[attachment]),
        )
