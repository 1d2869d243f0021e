"""The rules about S3 buckets: private and TLS-only, and their access logged."""

from collections.abc import Mapping
from typing import Any

from pulumi_policy import PolicyResource, ReportViolation, StackValidationArgs
from pulumi_policy.proxy import UnknownValueError

from iam_documents import load_document, statements
from policy_resources import (
    BUCKET,
    BUCKET_IDS,
    BUCKET_LOGGING,
    BUCKET_POLICY,
    PUBLIC_ACCESS_BLOCK,
    UNKNOWN,
    NotKnownAtPreview,
    as_list,
    claimed_by,
    of_type,
    read,
)

PUBLIC_ACCESS_SETTINGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")


def check_buckets_private_and_tls_only(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    blocks = of_type(args.resources, PUBLIC_ACCESS_BLOCK)
    bucket_policies = of_type(args.resources, BUCKET_POLICY)
    pending: list[str] = []
    for bucket in of_type(args.resources, BUCKET):
        name = bucket.name

        mine, undecided = claimed_by(bucket, blocks, "bucket", BUCKET_IDS)
        if not mine and undecided:
            pending.append(f"which public access block belongs to bucket '{name}'")
        elif not mine:
            report_violation(
                f"S3 bucket '{name}' has no public access block; add an aws.s3.BucketPublicAccessBlock for it"
                f" with {', '.join(PUBLIC_ACCESS_SETTINGS)} set to true.",
                bucket.urn,
            )
        for block in mine:
            values = {setting: read(block.props, setting) for setting in PUBLIC_ACCESS_SETTINGS}
            off = [setting for setting, value in values.items() if value is not True and value is not UNKNOWN]
            if off:
                report_violation(
                    f"The public access block '{block.name}' of S3 bucket '{name}' leaves {', '.join(off)}"
                    " off; set all four settings to true.",
                    block.urn,
                )
            elif UNKNOWN in values.values():
                pending.append(f"the settings of public access block '{block.name}'")

        mine, undecided = claimed_by(bucket, bucket_policies, "bucket", BUCKET_IDS)
        verdicts = [denies_insecure_transport(policy, bucket) for policy in mine]
        if True in verdicts:
            continue
        if UNKNOWN in verdicts or undecided:
            pending.append(f"the bucket policy of bucket '{name}'")
        else:
            report_violation(
                f"S3 bucket '{name}' has no bucket policy that denies requests without TLS; add an"
                " aws.s3.BucketPolicy that denies s3:* to every principal on the bucket and its objects when"
                " aws:SecureTransport is false.",
                bucket.urn,
            )
    if pending:
        raise NotKnownAtPreview(pending)


def denies_insecure_transport(bucket_policy: PolicyResource, bucket: PolicyResource) -> Any:
    """Whether the bucket policy denies every S3 request without TLS on the bucket and its objects
    (True, False, or UNKNOWN when the document or the bucket's ARN are not known yet)."""
    text, arn = read(bucket_policy.props, "policy"), read(bucket.props, "arn")
    if text is UNKNOWN or arn is UNKNOWN or arn is None:
        return UNKNOWN
    try:
        document = load_document(text)
        return any(_is_tls_deny(statement, arn) for statement in statements(document))
    except ValueError:
        return False
    except UnknownValueError:
        return UNKNOWN


def _is_tls_deny(statement: Mapping, bucket_arn: str) -> bool:
    principal = statement.get("Principal")
    everyone = principal == "*" or (isinstance(principal, Mapping) and "*" in as_list(principal.get("AWS")))
    actions = {str(action).lower() for action in as_list(statement.get("Action"))}
    resources = {str(resource) for resource in as_list(statement.get("Resource"))}
    return (
        statement.get("Effect") == "Deny"
        and everyone
        and bool(actions & {"*", "s3:*"})
        and _when_not_secure_transport(statement.get("Condition"))
        and {bucket_arn, f"{bucket_arn}/*"} <= resources
    )


def _when_not_secure_transport(condition: Any) -> bool:
    if not isinstance(condition, Mapping):
        return False
    for operator in ("Bool", "BoolIfExists"):
        tests = condition.get(operator)
        if not isinstance(tests, Mapping):
            continue
        for key, value in tests.items():
            if key.lower() == "aws:securetransport" and any(str(v).lower() == "false" for v in as_list(value)):
                return True
    return False


def check_buckets_log_access(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    loggings = of_type(args.resources, BUCKET_LOGGING)
    pending: list[str] = []
    for bucket in of_type(args.resources, BUCKET):
        receives, undecided_target = claimed_by(bucket, loggings, "targetBucket", BUCKET_IDS)
        if receives:
            continue  # the access-log bucket: logging its own log writes would never end
        sends, undecided_source = claimed_by(bucket, loggings, "bucket", BUCKET_IDS)
        if sends:
            continue
        if undecided_target or undecided_source:
            pending.append(f"the access logging of bucket '{bucket.name}'")
            continue
        report_violation(
            f"S3 bucket '{bucket.name}' has no server access logging; add an aws.s3.BucketLogging that sends"
            " its access logs to the stack's access-log bucket.",
            bucket.urn,
        )
    if pending:
        raise NotKnownAtPreview(pending)
