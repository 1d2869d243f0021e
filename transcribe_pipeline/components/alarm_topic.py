"""The policies of the stack's alarm topic and of the KMS key that encrypts it: who may publish.

The AWS-managed SNS key does not let CloudWatch publish, so the topic has a key of its own: the
account's administrators manage it (the statement the KMS console proposes, without kms:*),
CloudWatch may use it to publish alarms and, with a budget, AWS Budgets its alerts (Cost Management
User Guide, "Creating an Amazon SNS topic for budget notifications": the topic policy and, for an
encrypted topic, the key policy)."""

import pulumi

from transcribe_pipeline.components.access import document

KEY_ADMIN_ACTIONS = [
    "kms:Create*", "kms:Describe*", "kms:Enable*", "kms:List*", "kms:Put*", "kms:Update*", "kms:Revoke*",
    "kms:Disable*", "kms:Get*", "kms:Delete*", "kms:TagResource", "kms:UntagResource",
    "kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion",
]  # fmt: skip
# What the default topic policy lets the owning account do.
TOPIC_OWNER_ACTIONS = [
    "sns:GetTopicAttributes", "sns:SetTopicAttributes", "sns:AddPermission", "sns:RemovePermission", "sns:DeleteTopic",
    "sns:Subscribe", "sns:ListSubscriptionsByTopic", "sns:Publish",
]  # fmt: skip


def _root(account_id: pulumi.Input[str]) -> pulumi.Output[str]:
    return pulumi.Output.concat("arn:aws:iam::", account_id, ":root")


def alarm_key_policy(account_id: pulumi.Input[str], budgets: bool = False) -> dict:
    statements = [
        {
            "Sid": "AccountAdministersTheKey",
            "Effect": "Allow",
            "Principal": {"AWS": _root(account_id)},
            "Action": KEY_ADMIN_ACTIONS,
            "Resource": "*",
        },
        {
            "Sid": "CloudWatchPublishesAlarms",
            "Effect": "Allow",
            "Principal": {"Service": "cloudwatch.amazonaws.com"},
            "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
            # As AWS documents it for CloudWatch and encrypted topics: CloudWatch names no source
            # account to KMS, so a condition on one would stop every alarm message.
            "Resource": "*",
        },
    ]
    if budgets:
        statements.append(
            {
                "Sid": "BudgetsPublishesAlerts",
                "Effect": "Allow",
                "Principal": {"Service": "budgets.amazonaws.com"},
                "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                "Resource": "*",
            }
        )
    return document(*statements)


def alarm_topic_policy(
    topic_arn: pulumi.Input[str], partition: pulumi.Input[str], region: pulumi.Input[str], account_id: pulumi.Input[str]
) -> dict:
    """The account keeps what the default policy gave it; CloudWatch publishes this account's
    alarms, AWS Budgets this account's budget alerts."""
    return document(
        {"Sid": "AccountOwnsTheTopic", "Effect": "Allow", "Principal": {"AWS": _root(account_id)},
         "Action": TOPIC_OWNER_ACTIONS, "Resource": topic_arn},  # fmt: skip
        {
            "Sid": "CloudWatchPublishesAlarms",
            "Effect": "Allow",
            "Principal": {"Service": "cloudwatch.amazonaws.com"},
            "Action": "sns:Publish",
            "Resource": topic_arn,
            "Condition": {
                "StringEquals": {"aws:SourceAccount": account_id},
                "ArnLike": {"aws:SourceArn": pulumi.Output.concat("arn:", partition, ":cloudwatch:", region, ":", account_id, ":alarm:*")},
            },
        },
        {
            "Sid": "BudgetsPublishesAlerts",
            "Effect": "Allow",
            "Principal": {"Service": "budgets.amazonaws.com"},
            "Action": "sns:Publish",
            "Resource": topic_arn,
            "Condition": {
                "StringEquals": {"aws:SourceAccount": account_id},
                "ArnLike": {"aws:SourceArn": pulumi.Output.concat("arn:", partition, ":budgets::", account_id, ":budget/*")},
            },
        },
    )
