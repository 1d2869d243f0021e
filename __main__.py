"""The stack's transcription pipeline: media bucket -> upload queue -> upload function -> Amazon
Transcribe -> transcripts bucket, then a completion function that writes the plain-text transcript
or an error note; a ledger of uploads, its reconciler, alarms and a dashboard (docs/component.md)."""

import pulumi

from transcribe_pipeline import TranscriptionPipeline
from transcribe_pipeline.config import args_from_config

# The stack's one pipeline keeps the names the program gave it before it was a component, so
# `pulumi up` on a stack deployed then replaces nothing (stack_names; docs/component.md).
pipeline = TranscriptionPipeline("pipeline", args_from_config(pulumi.Config()), stack_names=True)

pulumi.export("inputBucket", pipeline.input_bucket)
pulumi.export("outputBucket", pipeline.output_bucket)
pulumi.export("functionName", pipeline.function_name)
pulumi.export("uploadQueueUrl", pipeline.upload_queue_url)
pulumi.export("deadLetterQueueUrl", pipeline.dead_letter_queue_url)
pulumi.export("failureQueueUrl", pipeline.failure_queue_url)
pulumi.export("accessLogBucket", pipeline.access_log_bucket)
pulumi.export("logGroupName", pipeline.log_group_name)
pulumi.export("completionFunctionName", pipeline.completion_function_name)
pulumi.export("completionLogGroupName", pipeline.completion_log_group_name)
pulumi.export("ledgerTableName", pipeline.ledger_table_name)
pulumi.export("reconcileFunctionName", pipeline.reconcile_function_name)
pulumi.export("region", pipeline.region)
pulumi.export("dashboardUrl", pipeline.dashboard_url)
pulumi.export("alarmTopicArn", pipeline.alarm_topic_arn)
pulumi.export("jobNamePrefix", pipeline.job_name_prefix)
pulumi.export("keyPrefix", pipeline.key_prefix)
pulumi.export("outputPrefix", pipeline.output_prefix)
pulumi.export("uploadCommand", pipeline.upload_command)
if pipeline.notification_topic_arn is not None:
    pulumi.export("notificationTopicArn", pipeline.notification_topic_arn)
