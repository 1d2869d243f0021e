"""Private, encrypted S3 buckets that only accept TLS requests."""

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


class PrivateBucket(pulumi.ComponentResource):
    """A bucket with every public access blocked, TLS required, owner-enforced objects,
    default encryption, and a lifecycle rule that aborts abandoned multipart uploads."""

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
            rules=[
                {
                    "id": "abort-incomplete-multipart-uploads",
                    "status": "Enabled",
                    "filter": {"prefix": ""},
                    "abort_incomplete_multipart_upload": {
                        "days_after_initiation": ABORT_INCOMPLETE_UPLOADS_AFTER_DAYS
                    },
                }
            ],
            opts=child,
        )
        aws.s3.BucketPolicy(
            f"{name}-tls-only",
            bucket=self.bucket.id,
            policy=pulumi.Output.json_dumps(tls_only_policy(self.bucket.arn)),
            opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=[public_access])),
        )

        self.bucket_name = self.bucket.bucket
        self.arn = self.bucket.arn
        self.register_outputs({"bucket_name": self.bucket_name, "arn": self.arn})


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
