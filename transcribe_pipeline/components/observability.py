"""Operating the stack: alarms on what should never happen quietly (a message in a failure or
dead-letter queue, a growing backlog, a function failing or throttled, jobs failing), sent to an
encrypted SNS topic on the way in and on recovery, and a dashboard of the pipeline's metrics."""

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from transcribe_pipeline.components.alarm_topic import alarm_key_policy, alarm_topic_policy
from transcribe_pipeline.components.alarms import alarms
from transcribe_pipeline.components.dashboard import DashboardSources, dashboard_body
from transcribe_pipeline.settings import Settings



@dataclass
class ObservabilityArgs:
    settings: Settings
    region: pulumi.Input[str]
    account_id: pulumi.Input[str]
    partition: pulumi.Input[str]
    upload_queue_name: pulumi.Input[str]
    dead_letter_queue_name: pulumi.Input[str]
    failure_queue_name: pulumi.Input[str]
    functions: dict[str, pulumi.Input[str]]
    """Stage ('upload', 'completion') -> function name."""


class Observability(pulumi.ComponentResource):
    """An encrypted alarm topic (with an email subscription when `alarmEmail` is set), the
    stack's alarms, and its dashboard."""

    topic_arn: pulumi.Output[str]
    dashboard_name: pulumi.Output[str]
    dashboard_url: pulumi.Output[str]

    def __init__(self, name: str, args: ObservabilityArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("transcribe:observability:Observability", name, None, opts)
        s = args.settings
        child = pulumi.ResourceOptions(parent=self)

        key = aws.kms.Key(
            f"{name}-alarm-key",
            description="Encrypts the alarm topic; CloudWatch may use it to publish.",
            enable_key_rotation=True,
            policy=pulumi.Output.json_dumps(alarm_key_policy(args.account_id, budgets=bool(s.monthly_budget))),
            tags=s.tags,
            opts=child,
        )
        topic = aws.sns.Topic(f"{name}-alarms", kms_master_key_id=key.arn, tags=s.tags, opts=child)
        self.topic_policy = None
        if s.monthly_budget:
            # A topic policy replaces the default one: it names the account and CloudWatch too.
            self.topic_policy = aws.sns.TopicPolicy(
                f"{name}-alarms-policy",
                arn=topic.arn,
                policy=pulumi.Output.json_dumps(alarm_topic_policy(topic.arn, args.partition, args.region, args.account_id)),
                opts=child,
            )
        if s.alarm_email:
            aws.sns.TopicSubscription(f"{name}-alarm-email", topic=topic.arn, protocol="email", endpoint=s.alarm_email, opts=child)

        for alarm in alarms(s, args.upload_queue_name, args.dead_letter_queue_name, args.failure_queue_name, args.functions):
            aws.cloudwatch.MetricAlarm(
                f"{name}-{alarm.role}",
                alarm_description=alarm.description,
                namespace=alarm.namespace,
                metric_name=alarm.metric,
                dimensions=alarm.dimensions,
                statistic=alarm.statistic,
                period=alarm.period,
                evaluation_periods=alarm.periods,
                datapoints_to_alarm=alarm.periods,
                threshold=alarm.threshold,
                comparison_operator="GreaterThanThreshold",
                # No data is no trouble: an idle queue or function reports nothing.
                treat_missing_data="notBreaching",
                alarm_actions=[topic.arn],
                ok_actions=[topic.arn],
                tags=s.tags,
                opts=child,
            )

        sources = DashboardSources(
            region=args.region,
            namespace=s.metrics_namespace,
            upload_queue=args.upload_queue_name,
            dead_letter_queue=args.dead_letter_queue_name,
            failure_queue=args.failure_queue_name,
            functions=args.functions,
            period=s.alarm_period_minutes * 60,
            reconcile_period=(s.reconcile_minutes or 60) * 60,
        )
        dashboard = aws.cloudwatch.Dashboard(
            f"{name}-dashboard",
            # Dashboards are not named by Pulumi: one per pipeline, named after it.
            dashboard_name=s.names.dashboard_name,
            dashboard_body=pulumi.Output.json_dumps(dashboard_body(sources)),
            opts=child,
        )

        self.topic_arn = topic.arn
        self.dashboard_name = dashboard.dashboard_name
        self.dashboard_url = pulumi.Output.concat(
            "https://", args.region, ".console.aws.amazon.com/cloudwatch/home?region=", args.region,
            "#dashboards:name=", dashboard.dashboard_name,
        )  # fmt: skip
        self.register_outputs({"topic_arn": self.topic_arn, "dashboard_url": self.dashboard_url})
