"""The transcription pipeline: media bucket -> upload queue -> upload function -> Amazon Transcribe
-> transcripts bucket, then a completion function that writes the plain-text transcript or an
error note."""

import pulumi
import pulumi_aws as aws

from infra.budget import StackBudget, StackBudgetArgs
from infra.completion import CompletionStage, CompletionStageArgs
from infra.failures import FailureQueue
from infra.ledger import LedgerTable, LedgerTableArgs
from infra.observability import Observability, ObservabilityArgs
from infra.reconciler import Reconciler, ReconcilerArgs
from infra.settings import load_settings
from infra.storage import PrivateBucket, PrivateBucketArgs
from infra.transcribe_options import TranscribeOptions, TranscribeOptionsArgs
from infra.upload import UploadStage, UploadStageArgs
from infra.upload_queue import UploadQueue, UploadQueueArgs

settings = load_settings()
account_id = aws.get_caller_identity_output().account_id
region = aws.get_region_output().region
partition = aws.get_partition_output().partition

media = PrivateBucket(
    "media",
    PrivateBucketArgs(bucket_name=settings.input_bucket_name, retain_data=settings.retain_data, tags=settings.tags),
)
transcripts = PrivateBucket(
    "transcripts",
    PrivateBucketArgs(bucket_name=settings.output_bucket_name, retain_data=settings.retain_data, tags=settings.tags),
)
access_logs = PrivateBucket(
    "access-logs",
    PrivateBucketArgs(
        retain_data=settings.retain_data,
        tags=settings.tags,
        expire_after_days=settings.access_log_days,
        access_logs_from={"media": media, "transcripts": transcripts},
        account_id=account_id,
    ),
)
failures = FailureQueue("failures", tags=settings.tags, retain=settings.retain_data)
uploads = UploadQueue(
    "upload-queue",
    UploadQueueArgs(
        bucket_id=media.bucket.id,
        bucket_arn=media.arn,
        account_id=account_id,
        key_prefix=settings.key_prefix,
        function_timeout=settings.timeout,
        retain=settings.retain_data,
        tags=settings.tags,
    ),
)
ledger = LedgerTable(
    "ledger",
    LedgerTableArgs(retain=settings.retain_data, point_in_time_recovery=settings.point_in_time_recovery, tags=settings.tags),
)
options = TranscribeOptions(
    "transcribe-options", TranscribeOptionsArgs(settings=settings, bucket_name=transcripts.bucket_name)
)
upload = UploadStage(
    "upload",
    UploadStageArgs(
        settings=settings,
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
)
completion = CompletionStage(
    "completion",
    CompletionStageArgs(
        settings=settings,
        output_bucket_name=transcripts.bucket_name,
        output_bucket_arn=transcripts.arn,
        failure_queue_arn=failures.arn,
        partition=partition,
        region=region,
        account_id=account_id,
        ledger_table_name=ledger.name,
        ledger_table_arn=ledger.arn,
    ),
)
failures.accept_undelivered_events([completion.rule_arn])
reconciler = Reconciler(
    "reconciler",
    ReconcilerArgs(
        settings=settings,
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
)
observability = Observability(
    "observability",
    ObservabilityArgs(
        settings=settings,
        region=region,
        account_id=account_id,
        partition=partition,
        upload_queue_name=uploads.queue_name,
        dead_letter_queue_name=uploads.dead_letter_name,
        failure_queue_name=failures.queue.name,
        functions={"upload": upload.function_name, "completion": completion.function_name, "reconcile": reconciler.function_name},
    ),
)

if settings.monthly_budget:
    StackBudget(
        "budget",
        StackBudgetArgs(settings=settings, topic_arn=observability.topic_arn),
        opts=pulumi.ResourceOptions(depends_on=[observability.topic_policy]),
    )

pulumi.export("inputBucket", media.bucket_name)
pulumi.export("outputBucket", transcripts.bucket_name)
pulumi.export("functionName", upload.function_name)
pulumi.export("uploadQueueUrl", uploads.url)
pulumi.export("deadLetterQueueUrl", uploads.dead_letter_url)
pulumi.export("failureQueueUrl", failures.url)
pulumi.export("accessLogBucket", access_logs.bucket_name)
pulumi.export("logGroupName", upload.log_group_name)
pulumi.export("completionFunctionName", completion.function_name)
pulumi.export("completionLogGroupName", completion.log_group_name)
pulumi.export("ledgerTableName", ledger.name)
pulumi.export("reconcileFunctionName", reconciler.function_name)
pulumi.export("region", region)
pulumi.export("dashboardUrl", observability.dashboard_url)
pulumi.export("alarmTopicArn", observability.topic_arn)
pulumi.export("jobNamePrefix", settings.job_name_prefix)
pulumi.export("keyPrefix", settings.key_prefix)
pulumi.export("outputPrefix", settings.output_prefix)
pulumi.export(
    "uploadCommand",
    pulumi.Output.concat("aws s3 cp ./talk.mp3 s3://", media.bucket_name, "/", settings.key_prefix),
)
if completion.topic_arn is not None:
    pulumi.export("notificationTopicArn", completion.topic_arn)
