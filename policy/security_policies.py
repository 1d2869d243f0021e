"""The pipeline's security rules as CrossGuard policies, one mandatory policy per rule.

Resource policies see one resource's inputs; stack policies see every resource's outputs and how
they depend on each other, which the rules about a bucket's guards and a function's failure
destination need: those live in resources of their own.

During `pulumi preview` of resources that do not exist yet, some values are unknown (a bucket's
ARN, a policy document built from it). A policy that needs one says so instead of guessing: the
SDK turns an `UnknownValueError` into an advisory "can't run policy ... during preview" note, and
the rule is enforced on `pulumi up`, where every value is known. Stack policies first report what
they can decide, then raise for what they cannot.

The rules live by concern: buckets (bucket_rules), IAM (iam_rules, reading documents with
iam_documents), functions (function_rules), alarms and logs (monitoring_rules), all reading
resources through policy_resources. This module is the pack's table of policies.
"""

from pulumi_policy import EnforcementLevel, ResourceValidationPolicy, StackValidationPolicy

from bucket_rules import check_buckets_log_access, check_buckets_private_and_tls_only
from function_rules import (
    SUPPORTED_PYTHON_RUNTIMES,
    check_failure_destination,
    check_supported_python_runtime,
)
from iam_rules import (
    check_no_broad_managed_policies,
    check_no_wildcard_grants,
    check_permission_names_its_source,
    check_queue_policy_names_its_source,
    check_topic_policy_names_its_source,
)
from monitoring_rules import check_log_retention, check_queues_have_alarms

MANDATORY = EnforcementLevel.MANDATORY

POLICIES = [
    StackValidationPolicy(
        name="s3-buckets-private-and-tls-only",
        description=(
            "Every S3 bucket has a public access block with all four settings on (block public ACLs, block"
            " public policies, ignore public ACLs, restrict public buckets) and a bucket policy that denies"
            " every request made without TLS (aws:SecureTransport false), so that no object can be made"
            " public by mistake and no media or transcript travels unencrypted."
        ),
        validate=check_buckets_private_and_tls_only,
        enforcement_level=MANDATORY,
    ),
    StackValidationPolicy(
        name="s3-buckets-log-access",
        description=(
            "Every S3 bucket has server access logging (AWS FSBP S3.9) into a bucket that receives access"
            " logs, which itself does not log, so that who read or wrote media and transcripts can be told"
            " afterwards."
        ),
        validate=check_buckets_log_access,
        enforcement_level=MANDATORY,
    ),
    ResourceValidationPolicy(
        name="iam-no-broad-managed-policies",
        description=(
            "No managed policy whose ARN contains FullAccess or AdministratorAccess (AmazonS3FullAccess,"
            " AdministratorAccess...) is attached to a role, user or group: these grant whole services or"
            " the whole account, far beyond what a function calls; attach a customer-managed policy that"
            " names the actions and resources instead."
        ),
        validate=check_no_broad_managed_policies,
        enforcement_level=MANDATORY,
    ),
    ResourceValidationPolicy(
        name="iam-no-wildcard-grants",
        description=(
            "IAM policy documents (identity, trust, bucket, queue, topic and KMS key policies) allow no `*` or"
            " `service:*` action, no NotAction, and no S3 action on every resource (`Resource: \"*\"`): each"
            " grant lists the actions the code calls and, for S3, the buckets or key prefixes it needs."
            " Deny statements grant nothing and may use wildcards."
        ),
        validate=check_no_wildcard_grants,
        enforcement_level=MANDATORY,
    ),
    ResourceValidationPolicy(
        name="lambda-permission-names-its-source",
        description=(
            "A Lambda permission that lets an AWS service (s3.amazonaws.com, events.amazonaws.com...) invoke"
            " a function names the source ARN it is for, and for S3 also the source account, since bucket"
            " ARNs carry no account: otherwise any bucket, rule or account using that service could invoke"
            " the function (the confused-deputy problem)."
        ),
        validate=check_permission_names_its_source,
        enforcement_level=MANDATORY,
    ),
    ResourceValidationPolicy(
        name="sqs-queue-policy-names-its-source",
        description=(
            "A queue policy statement that lets an AWS service (s3.amazonaws.com, events.amazonaws.com...)"
            " send to a queue names the source ARN it is for (aws:SourceArn), and for S3 also the source"
            " account (aws:SourceAccount): otherwise any bucket, rule or account using that service could"
            " fill the queue (the confused-deputy problem)."
        ),
        validate=check_queue_policy_names_its_source,
        enforcement_level=MANDATORY,
    ),
    ResourceValidationPolicy(
        name="sns-topic-policy-names-its-source",
        description=(
            "A topic policy statement that lets an AWS service (cloudwatch.amazonaws.com, budgets.amazonaws.com...)"
            " publish names the source ARN (aws:SourceArn) and the account (aws:SourceAccount) it publishes for:"
            " otherwise another account's alarms or budgets could post to the stack's alarm topic."
        ),
        validate=check_topic_policy_names_its_source,
        enforcement_level=MANDATORY,
    ),
    ResourceValidationPolicy(
        name="lambda-supported-python-runtime",
        description=(
            f"Every Lambda function runs a Python runtime AWS still supports ({', '.join(SUPPORTED_PYTHON_RUNTIMES)}):"
            " deprecated runtimes get no security patches, and AWS then blocks creating and updating"
            " functions on them (python3.9 was deprecated on 15 December 2025)."
        ),
        validate=check_supported_python_runtime,
        enforcement_level=MANDATORY,
    ),
    StackValidationPolicy(
        name="lambda-failure-destination",
        description=(
            "Every Lambda function has somewhere to send the events it could not process: an asynchronous"
            " invoke configuration with an on-failure destination, a dead-letter queue, or (for a function"
            " fed by an SQS event source mapping) a redrive policy on its queue, so that an upload that"
            " cannot be started is kept (and can be redriven) instead of being dropped silently."
        ),
        validate=check_failure_destination,
        enforcement_level=MANDATORY,
    ),
    StackValidationPolicy(
        name="sqs-queues-have-alarms",
        description=(
            "Every SQS queue has a CloudWatch alarm with actions on its depth (ApproximateNumberOfMessagesVisible)"
            " or on the age of its oldest message (ApproximateAgeOfOldestMessage): a dead-letter or failure"
            " queue that fills, or a backlog that stops moving, is otherwise noticed by no one."
        ),
        validate=check_queues_have_alarms,
        enforcement_level=MANDATORY,
    ),
    ResourceValidationPolicy(
        name="log-groups-have-retention",
        description=(
            "Every CloudWatch log group has a retention period: without one, logs (which name every media"
            " key and job) are kept and billed forever."
        ),
        validate=check_log_retention,
        enforcement_level=MANDATORY,
    ),
]
