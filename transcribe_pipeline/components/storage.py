"""Private, encrypted S3 buckets that only accept TLS requests, and the bucket that keeps their
server access logs."""

from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

# Parts of big media uploads that were never completed are billed until removed.
ABORT_INCOMPLETE_UPLOADS_AFTER_DAYS = 3


@dataclass
class PrivateBucketArgs:
    bucket_name: str = ""
    """A fixed bucket name; empty lets Pulumi generate a unique one."""
    retain_data: bool = True
    """Keep the bucket and its objects on `pulumi destroy` (and never force-delete them)."""
    tags: dict[str, str] = field(default_factory=dict)
    expire_after_days: pulumi.Input[int] | None = None
    """Delete each object this many days after it was written; None keeps objects."""
    access_logs_from: dict[str, "PrivateBucket"] = field(default_factory=dict)
    """Buckets whose S3 server access logs this bucket receives, each under the key prefix
    `<its key here>/` ({"media": media_bucket}); they must belong to `account_id`."""
    account_id: pulumi.Input[str] | None = None
    """The account whose buckets may deliver access logs here."""


class PrivateBucket(pulumi.ComponentResource):
    """A bucket with every public access blocked, TLS required, owner-enforced objects,
    default encryption, and a lifecycle rule that aborts abandoned multipart uploads.

    With `access_logs_from`, it is the access-log bucket of those buckets: its policy lets S3's
    logging service write their logs, each under its own prefix, and it switches their logging on.
    """

    bucket_name: pulumi.Output[str]
    arn: pulumi.Output[str]

    def __init__(self, name: str, args: PrivateBucketArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("transcribe:storage:PrivateBucket", name, None, opts)
        # With retain_data the bucket's guards stay with it: deleting the public access block or
        # the TLS policy of a bucket left behind would leave its data less protected.
        child = pulumi.ResourceOptions(parent=self, retain_on_delete=args.retain_data)

        self.bucket = aws.s3.Bucket(
            f"{name}-bucket",
            bucket=args.bucket_name or None,
            force_destroy=not args.retain_data,
            tags=args.tags,
            opts=child,
        )
        public_access = aws.s3.BucketPublicAccessBlock(
            f"{name}-public-access",
            bucket=self.bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=child,
        )
        aws.s3.BucketOwnershipControls(
            f"{name}-ownership",
            bucket=self.bucket.id,
            rule={"object_ownership": "BucketOwnerEnforced"},
            opts=child,
        )
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-encryption",
            bucket=self.bucket.id,
            rules=[{"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}}],
            opts=child,
        )
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-lifecycle",
            bucket=self.bucket.id,
            rules=lifecycle_rules(args.expire_after_days),
            opts=child,
        )
        policy = tls_only_policy(self.bucket.arn)
        policy["Statement"][:0] = [
            access_log_delivery(self.bucket.arn, access_log_prefix(source_name), source.arn, args.account_id)
            for source_name, source in args.access_logs_from.items()
        ]
        bucket_policy = aws.s3.BucketPolicy(
            f"{name}-tls-only",
            bucket=self.bucket.id,
            policy=pulumi.Output.json_dumps(policy),
            opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=[public_access])),
        )
        # Logging starts once S3's logging service may write here. With retain_data the logging
        # stays with the buckets left behind, like their other guards.
        for source_name, source in args.access_logs_from.items():
            aws.s3.BucketLogging(
                f"{name}-{source_name}-logging",
                bucket=source.bucket.id,
                target_bucket=self.bucket.id,
                target_prefix=access_log_prefix(source_name),
                opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=[bucket_policy])),
            )

        self.bucket_name = self.bucket.bucket
        self.arn = self.bucket.arn
        self.register_outputs({"bucket_name": self.bucket_name, "arn": self.arn})


def lifecycle_rules(expire_after_days: pulumi.Input[int] | None) -> list[dict]:
    rules = [
        {
            "id": "abort-incomplete-multipart-uploads",
            "status": "Enabled",
            "filter": {"prefix": ""},
            "abort_incomplete_multipart_upload": {"days_after_initiation": ABORT_INCOMPLETE_UPLOADS_AFTER_DAYS},
        }
    ]
    if expire_after_days is not None:
        rules.append(
            {"id": "expire-objects", "status": "Enabled", "filter": {"prefix": ""}, "expiration": {"days": expire_after_days}}
        )
    return rules


def access_log_prefix(source_name: str) -> str:
    return f"{source_name}/"


def access_log_delivery(
    log_bucket_arn: pulumi.Input[str], prefix: str, source_arn: pulumi.Input[str], account_id: pulumi.Input[str]
) -> dict:
    """Let S3's logging service write the access logs of one bucket of this account under `prefix`."""
    return {
        "Sid": f"AccessLogsFrom{prefix.strip('/').title().replace('-', '')}",
        "Effect": "Allow",
        "Principal": {"Service": "logging.s3.amazonaws.com"},
        "Action": "s3:PutObject",
        "Resource": pulumi.Output.concat(log_bucket_arn, "/", prefix, "*"),
        "Condition": {"ArnEquals": {"aws:SourceArn": source_arn}, "StringEquals": {"aws:SourceAccount": account_id}},
    }


def tls_only_policy(bucket_arn: pulumi.Input[str]) -> dict:
    """Deny every request to the bucket and its objects that does not come over TLS."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                # A deny of every S3 action: this grants nothing, it refuses plain HTTP.
                "Action": "s3:*",
                "Resource": [bucket_arn, pulumi.Output.concat(bucket_arn, "/*")],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ],
    }
