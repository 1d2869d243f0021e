"""TranscriptionPipeline: the whole pipeline as one component. Media bucket -> upload queue ->
upload function -> Amazon Transcribe -> transcripts bucket, the completion function, the ledger of
uploads and its reconciler, alarms, a dashboard and an optional budget.

(No `from __future__ import annotations` here: the SDK's analyzer reads the annotations of this
class and of its arguments as they are, to make the schema other languages use.)
"""

from pathlib import Path
from typing import Optional

import pulumi
import pulumi_aws as aws

from transcribe_pipeline.arguments import TranscriptionPipelineArgs, settings_of
from transcribe_pipeline.components.budget import StackBudget, StackBudgetArgs
from transcribe_pipeline.components.completion import CompletionStage, CompletionStageArgs
from transcribe_pipeline.components.failures import FailureQueue
from transcribe_pipeline.components.ledger import LedgerTable, LedgerTableArgs
from transcribe_pipeline.components.observability import Observability, ObservabilityArgs
from transcribe_pipeline.components.reconciler import Reconciler, ReconcilerArgs
from transcribe_pipeline.components.storage import PrivateBucket, PrivateBucketArgs
from transcribe_pipeline.components.transcribe_options import TranscribeOptions, TranscribeOptionsArgs
from transcribe_pipeline.components.upload import UploadStage, UploadStageArgs
from transcribe_pipeline.components.upload_queue import UploadQueue, UploadQueueArgs
from transcribe_pipeline.config import config_key
from transcribe_pipeline import instance

TYPE = "transcribe-pipeline:index:TranscriptionPipeline"


class TranscriptionPipeline(pulumi.ComponentResource):
    """Media files dropped into an S3 bucket come back as transcripts (JSON, text, subtitles) in a
    second bucket, through Amazon Transcribe, with nothing lost: an upload queue paced to
    Transcribe's quota, a ledger of every upload, a reconciler, alarms and a dashboard."""

    input_bucket: pulumi.Output[str]
    """The media bucket: upload here."""
    output_bucket: pulumi.Output[str]
    """The transcripts bucket: results appear here."""
    function_name: pulumi.Output[str]
    """The upload function, which starts a Transcribe job for each upload."""
    upload_queue_url: pulumi.Output[str]
    """The upload queue (SQS): S3 reports each media upload here, and the upload function starts jobs from it at startRate."""
    dead_letter_queue_url: pulumi.Output[str]
    """The upload queue's dead-letter queue: uploads that will never start."""
    failure_queue_url: pulumi.Output[str]
    """The queue that keeps what the completion function could not process, and events EventBridge could not deliver to it."""
    access_log_bucket: pulumi.Output[str]
    """The bucket that keeps the S3 server access logs of the media and transcripts buckets."""
    log_group_name: pulumi.Output[str]
    """The upload function's CloudWatch log group."""
    completion_function_name: pulumi.Output[str]
    """The completion function, which writes .txt transcripts and .error.json notes."""
    completion_log_group_name: pulumi.Output[str]
    """The completion function's log group."""
    ledger_table_name: pulumi.Output[str]
    """The ledger (DynamoDB): one item per media object version, with its state, job and reason."""
    reconcile_function_name: pulumi.Output[str]
    """The reconciler: runs every reconcileMinutes; invoke it by hand with {}."""
    region: pulumi.Output[str]
    """The AWS region of the pipeline."""
    dashboard_url: pulumi.Output[str]
    """The pipeline's CloudWatch dashboard."""
    alarm_topic_arn: pulumi.Output[str]
    """The encrypted SNS topic every alarm of the pipeline (and its recovery) is sent to."""
    job_name_prefix: pulumi.Output[str]
    """Every Transcribe job of the pipeline starts with it."""
    key_prefix: pulumi.Output[str]
    """The key prefix of the media bucket that starts transcriptions (empty: the whole bucket)."""
    output_prefix: pulumi.Output[str]
    """Where transcripts go in the transcripts bucket."""
    upload_command: pulumi.Output[str]
    """An aws s3 cp command to copy and adapt."""
    notification_topic_arn: pulumi.Output[Optional[str]]
    """Only with notifyEmail: the SNS topic that announces finished jobs."""

    def __init__(
        self,
        name: str,
        args: TranscriptionPipelineArgs,
        opts: Optional[pulumi.ResourceOptions] = None,
        *,
        stack_names: bool = False,
    ):
        """`stack_names=True` is for the one pipeline that is the stack itself (the project's own
        program): it keeps the job-name prefix, log groups, dashboard and metrics named after the
        stack, and takes over the resources the program declared at the stack's root before it
        was a component (aliases), so `pulumi up` on such a stack replaces nothing."""
        super().__init__(TYPE, name, None, opts)
        project, stack = pulumi.get_project(), pulumi.get_stack()
        names = (instance.stack_names if stack_names else instance.instance_names)(name, project, stack)
        s = settings_of(dict(args or {}), project=project, stack=stack, names=names, program_directory=_program_directory())
        instance.claim(names, budget=bool(s.monthly_budget))
        self._carry_over = stack_names
        account_id = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self)).account_id
        region = aws.get_region_output(opts=pulumi.InvokeOutputOptions(parent=self)).region
        partition = aws.get_partition_output(opts=pulumi.InvokeOutputOptions(parent=self)).partition

        media = PrivateBucket(
            f"{name}-media",
            PrivateBucketArgs(bucket_name=s.input_bucket_name, retain_data=s.retain_data, tags=s.tags),
            opts=self._child("media"),
        )
        transcripts = PrivateBucket(
            f"{name}-transcripts",
            PrivateBucketArgs(bucket_name=s.output_bucket_name, retain_data=s.retain_data, tags=s.tags),
            opts=self._child("transcripts"),
        )
        access_logs = PrivateBucket(
            f"{name}-access-logs",
            PrivateBucketArgs(
                retain_data=s.retain_data,
                tags=s.tags,
                expire_after_days=s.access_log_days,
                access_logs_from={"media": media, "transcripts": transcripts},
                account_id=account_id,
            ),
            opts=self._child("access-logs"),
        )
        failures = FailureQueue(f"{name}-failures", tags=s.tags, retain=s.retain_data, opts=self._child("failures"))
        uploads = UploadQueue(
            f"{name}-upload-queue",
            UploadQueueArgs(
                bucket_id=media.bucket.id,
                bucket_arn=media.arn,
                account_id=account_id,
                key_prefix=s.key_prefix,
                function_timeout=s.timeout,
                retain=s.retain_data,
                tags=s.tags,
            ),
            opts=self._child("upload-queue"),
        )
        ledger = LedgerTable(
            f"{name}-ledger",
            LedgerTableArgs(retain=s.retain_data, point_in_time_recovery=s.point_in_time_recovery, tags=s.tags),
            opts=self._child("ledger"),
        )
        options = TranscribeOptions(
            f"{name}-transcribe-options",
            TranscribeOptionsArgs(settings=s, bucket_name=transcripts.bucket_name),
            opts=self._child("transcribe-options"),
        )
        upload = UploadStage(
            f"{name}-upload",
            UploadStageArgs(
                settings=s,
                input_bucket_arn=media.arn,
                output_bucket_name=transcripts.bucket_name,
                output_bucket_arn=transcripts.arn,
                queue_arn=uploads.arn,
                dead_letter_queue_arn=uploads.dead_letter_arn,
                dead_letter_queue_url=uploads.dead_letter_url,
                account_id=account_id,
                ledger_table_name=ledger.name,
                ledger_table_arn=ledger.arn,
                options_environment=options.environment,
            ),
            opts=self._child("upload"),
        )
        completion = CompletionStage(
            f"{name}-completion",
            CompletionStageArgs(
                settings=s,
                output_bucket_name=transcripts.bucket_name,
                output_bucket_arn=transcripts.arn,
                failure_queue_arn=failures.arn,
                partition=partition,
                region=region,
                account_id=account_id,
                ledger_table_name=ledger.name,
                ledger_table_arn=ledger.arn,
            ),
            opts=self._child("completion"),
        )
        failures.accept_undelivered_events([completion.rule_arn])
        reconciler = Reconciler(
            f"{name}-reconciler",
            ReconcilerArgs(
                settings=s,
                media_bucket_name=media.bucket_name,
                media_bucket_arn=media.arn,
                output_bucket_name=transcripts.bucket_name,
                output_bucket_arn=transcripts.arn,
                ledger_table_name=ledger.name,
                ledger_table_arn=ledger.arn,
                upload_queue_url=uploads.url,
                upload_queue_arn=uploads.arn,
                completion_function_name=completion.function_name,
                completion_function_arn=completion.function_arn,
                transcription_jobs=completion.job_arns,
                failure_queue_arn=failures.arn,
                account_id=account_id,
            ),
            opts=self._child("reconciler"),
        )
        functions = {"upload": upload.function_name, "completion": completion.function_name, "reconcile": reconciler.function_name}
        observability = Observability(
            f"{name}-observability",
            ObservabilityArgs(
                settings=s,
                region=region,
                account_id=account_id,
                partition=partition,
                upload_queue_name=uploads.queue_name,
                dead_letter_queue_name=uploads.dead_letter_name,
                failure_queue_name=failures.queue.name,
                functions=functions,
            ),
            opts=self._child("observability"),
        )
        if s.monthly_budget:
            StackBudget(
                f"{name}-budget",
                StackBudgetArgs(settings=s, topic_arn=observability.topic_arn),
                opts=pulumi.ResourceOptions.merge(self._child("budget"), pulumi.ResourceOptions(depends_on=[observability.topic_policy])),
            )

        self.input_bucket = media.bucket_name
        self.output_bucket = transcripts.bucket_name
        self.function_name = upload.function_name
        self.upload_queue_url = uploads.url
        self.dead_letter_queue_url = uploads.dead_letter_url
        self.failure_queue_url = failures.url
        self.access_log_bucket = access_logs.bucket_name
        self.log_group_name = upload.log_group_name
        self.completion_function_name = completion.function_name
        self.completion_log_group_name = completion.log_group_name
        self.ledger_table_name = ledger.name
        self.reconcile_function_name = reconciler.function_name
        self.region = region
        self.dashboard_url = observability.dashboard_url
        self.alarm_topic_arn = observability.topic_arn
        self.job_name_prefix = pulumi.Output.from_input(s.job_name_prefix)
        self.key_prefix = pulumi.Output.from_input(s.key_prefix)
        self.output_prefix = pulumi.Output.from_input(s.output_prefix)
        self.upload_command = pulumi.Output.concat("aws s3 cp ./talk.mp3 s3://", media.bucket_name, "/", s.key_prefix)
        self.notification_topic_arn = completion.topic_arn
        self.register_outputs({key: getattr(self, key) for key in OUTPUTS})

    def stack_outputs(self) -> dict[str, pulumi.Output]:
        """The outputs under the names the project's program exports them (camelCase), which is
        what `mediactl --outputs FILE` reads: export them as one map per pipeline
        (`pulumi.export("german", german.stack_outputs())`) and save it with
        `pulumi stack output --json german > german.json`."""
        found = {config_key(key): getattr(self, key) for key in OUTPUTS}
        return {key: value for key, value in found.items() if value is not None}

    def _child(self, role: str) -> pulumi.ResourceOptions:
        """A part of this pipeline, named '<name>-<role>'. In the stack's own pipeline, it is the
        part the program declared at the stack's root as '<role>': the alias says so, and the
        engine carries it to the part's own children (Pulumi docs, "Resource option: aliases")."""
        aliases = [pulumi.Alias(name=role, parent=pulumi.ROOT_STACK_RESOURCE)] if self._carry_over else None
        return pulumi.ResourceOptions(parent=self, aliases=aliases)


# The outputs, in the order of the annotations above.
OUTPUTS = tuple(key for key, kind in TranscriptionPipeline.__annotations__.items() if kind is not None)


def _program_directory() -> Path:
    """What a relative vocabulary_file is read from: the program's directory, where its
    Pulumi.yaml is (`pulumi.get_root_directory()`), or the current directory where Pulumi does
    not say (the SDK's unit-test mocks answer a placeholder, "root_directory")."""
    root = pulumi.get_root_directory()
    return Path(root) if root and Path(root).is_absolute() else Path.cwd()
