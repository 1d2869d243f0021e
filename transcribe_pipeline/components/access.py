"""IAM: trust policies, the policy documents of what each function's code calls, and the role
Transcribe uses to read media and write transcripts when jobs are queued.

Documents are plain dicts whose values may be Outputs; `pulumi.Output.json_dumps` renders them.
"""

from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

POLICY_VERSION = "2012-10-17"


def document(*statements: dict) -> dict:
    return {"Version": POLICY_VERSION, "Statement": list(statements)}


def allow(actions: list[str], resources: list, condition: dict | None = None) -> dict:
    statement = {"Effect": "Allow", "Action": actions, "Resource": resources}
    if condition:
        statement["Condition"] = condition
    return statement


def trust_policy(service: str, source_account: pulumi.Input[str] | None = None) -> dict:
    """Let one AWS service assume the role; bound to our account when given."""
    statement = {
        "Effect": "Allow",
        "Principal": {"Service": service},
        "Action": "sts:AssumeRole",
    }
    if source_account is not None:
        statement["Condition"] = {"StringEquals": {"aws:SourceAccount": source_account}}
    return document(statement)


def objects(bucket_arn: pulumi.Input[str], prefix: str = "") -> pulumi.Output[str]:
    """The ARN pattern of a bucket's objects under a key prefix."""
    return pulumi.Output.concat(bucket_arn, "/", prefix, "*")


@dataclass
class TranscribeDataAccessArgs:
    input_bucket_arn: pulumi.Input[str]
    output_bucket_arn: pulumi.Input[str]
    account_id: pulumi.Input[str]
    key_prefix: str = ""
    """Media keys Transcribe may read."""
    output_prefix: str = ""
    """Transcript keys Transcribe may write."""
    unredacted_prefix: str = ""
    """Where jobs that keep an unredacted transcript write; empty: none do."""
    tags: dict[str, str] = field(default_factory=dict)


class TranscribeDataAccessRole(pulumi.ComponentResource):
    """The role Transcribe assumes for a queued (deferred) job: read the media, write the
    transcript. Only Transcribe, and only on behalf of this account, can assume it."""

    arn: pulumi.Output[str]

    def __init__(self, name: str, args: TranscribeDataAccessArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("transcribe:access:TranscribeDataAccessRole", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.role = aws.iam.Role(
            f"{name}-role",
            description="Lets Amazon Transcribe read uploaded media and write transcripts for queued jobs.",
            assume_role_policy=pulumi.Output.json_dumps(trust_policy("transcribe.amazonaws.com", args.account_id)),
            tags=args.tags,
            opts=child,
        )
        policy = aws.iam.Policy(
            f"{name}-policy",
            description="Read uploaded media, write transcripts.",
            policy=pulumi.Output.json_dumps(
                document(
                    allow(["s3:GetObject"], [objects(args.input_bucket_arn, args.key_prefix)]),
                    allow(["s3:ListBucket"], [args.input_bucket_arn]),
                    allow(
                        ["s3:PutObject"],
                        [objects(args.output_bucket_arn, p) for p in (args.output_prefix, args.unredacted_prefix) if p],
                    ),
                )
            ),
            tags=args.tags,
            opts=child,
        )
        self.attachment = aws.iam.RolePolicyAttachment(
            f"{name}-attachment", role=self.role.name, policy_arn=policy.arn, opts=child
        )
        self.arn = self.role.arn
        self.register_outputs({"arn": self.arn})
