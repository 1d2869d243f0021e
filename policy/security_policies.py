"""The pipeline's security rules as CrossGuard policies, one mandatory policy per rule.

Resource policies see one resource's inputs; stack policies see every resource's outputs and how
they depend on each other, which the rules about a bucket's guards and a function's failure
destination need: those live in resources of their own.

During `pulumi preview` of resources that do not exist yet, some values are unknown (a bucket's
ARN, a policy document built from it). A policy that needs one says so instead of guessing: the
SDK turns an `UnknownValueError` into an advisory "can't run policy ... during preview" note, and
the rule is enforced on `pulumi up`, where every value is known. Stack policies first report what
they can decide, then raise for what they cannot.
"""

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError

BUCKET = "aws:s3/bucket:Bucket"
PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
BUCKET_LOGGING = "aws:s3/bucketLogging:BucketLogging"
FUNCTION = "aws:lambda/function:Function"
EVENT_INVOKE_CONFIG = "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig"
PERMISSION = "aws:lambda/permission:Permission"
EVENT_SOURCE_MAPPING = "aws:lambda/eventSourceMapping:EventSourceMapping"
QUEUE = "aws:sqs/queue:Queue"
QUEUE_POLICY = "aws:sqs/queuePolicy:QueuePolicy"
TOPIC_POLICY = "aws:sns/topicPolicy:TopicPolicy"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
METRIC_ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
ROLE = "aws:iam/role:Role"

# The outputs by which other resources name a bucket (a guard's `bucket`) and a function (an invoke
# configuration's `functionName`: the function's name or ARN).
BUCKET_IDS = ("bucket", "id")
FUNCTION_IDS = ("name", "arn", "id")

# The SQS metrics that tell a queue is filling up: messages waiting, and the age of the oldest.
QUEUE_ALARM_METRICS = ("ApproximateNumberOfMessagesVisible", "ApproximateAgeOfOldestMessage")

PUBLIC_ACCESS_SETTINGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")

# The Python runtimes AWS patches and still lets you create functions on. python3.9 was deprecated
# on 15 December 2025 (no more security patches); python3.10 follows CPython 3.10's end of life
# (October 2026): drop it when AWS's runtime table deprecates it.
# https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html
SUPPORTED_PYTHON_RUNTIMES = ("python3.10", "python3.11", "python3.12", "python3.13", "python3.14")

# Where IAM policy documents are, by resource type. A role's inline policies are read separately.
DOCUMENT_PROPERTIES = {
    "aws:iam/policy:Policy": ("policy",),
    "aws:iam/rolePolicy:RolePolicy": ("policy",),
    "aws:iam/userPolicy:UserPolicy": ("policy",),
    "aws:iam/groupPolicy:GroupPolicy": ("policy",),
    ROLE: ("assumeRolePolicy",),
    BUCKET: ("policy",),
    BUCKET_POLICY: ("policy",),
    "aws:sqs/queue:Queue": ("policy",),
    "aws:sqs/queuePolicy:QueuePolicy": ("policy",),
    "aws:sns/topic:Topic": ("policy",),
    "aws:sns/topicPolicy:TopicPolicy": ("policy",),
    "aws:kms/key:Key": ("policy",),
}

# Where managed policies are attached, by resource type.
MANAGED_POLICY_PROPERTIES = {
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": "policyArn",
    "aws:iam/userPolicyAttachment:UserPolicyAttachment": "policyArn",
    "aws:iam/groupPolicyAttachment:GroupPolicyAttachment": "policyArn",
    "aws:iam/policyAttachment:PolicyAttachment": "policyArn",
    "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive": "policyArns",
    "aws:iam/userPolicyAttachmentsExclusive:UserPolicyAttachmentsExclusive": "policyArns",
    "aws:iam/groupPolicyAttachmentsExclusive:GroupPolicyAttachmentsExclusive": "policyArns",
    ROLE: "managedPolicyArns",
}
# AmazonS3FullAccess, AWSLambda_FullAccess, AdministratorAccess... in any letter case, so that a
# customer-managed copy named "s3-fullaccess" is caught too.
BROAD_MANAGED_POLICY = re.compile(r"FullAccess|AdministratorAccess", re.IGNORECASE)

SERVICE_PRINCIPAL = re.compile(r"[a-z0-9.-]+\.amazonaws\.com(\.cn)?")
ALL_S3_RESOURCES = re.compile(r"\*|arn:[^:]*:s3:::\*")


# --- reading resource properties --------------------------------------------------------------


class _Unknown:
    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Any = _Unknown()
"""A value `pulumi preview` cannot know yet: an output of a resource not created yet."""


class NotKnownAtPreview(UnknownValueError):
    """What a stack policy could not check because the values it needs are not known yet."""

    def __init__(self, what: list[str]):
        # The SDK reports `message` as "can't run policy '<name>' ... during preview: <message>".
        self.message = f"{'; '.join(what)} cannot be checked before the resources exist; `pulumi up` checks them"
        Exception.__init__(self, self.message)
        self.unknown_type_sentinel = UNKNOWN_STRING_VALUE
        self.props = []


def read(props: Mapping, *path: str) -> Any:
    """The value at `path` in a resource's properties: None when absent, UNKNOWN when not known yet."""
    value: Any = props
    try:
        for key in path:
            if not isinstance(value, Mapping) or key not in value:
                return None
            value = value[key]
    except UnknownValueError:
        return UNKNOWN
    return value


def is_set(value: Any) -> bool:
    """Whether a property has a value; an unknown one will have one once its resource exists."""
    if value is UNKNOWN:
        return True
    if isinstance(value, (str, Sequence, Mapping)):
        return len(value) > 0
    return value is not None


def as_list(value: Any) -> list:
    """IAM lets most fields be one value or a list of them."""
    if value is None:
        return []
    if isinstance(value, (str, Mapping)) or not isinstance(value, Sequence):
        return [value]
    return list(value)


def of_type(resources: list[PolicyResource], resource_type: str) -> list[PolicyResource]:
    return [r for r in resources if r.resource_type == resource_type]


def refers_to(resource: PolicyResource, prop: str, target: PolicyResource, target_props: tuple[str, ...]) -> Any:
    """Whether `resource.props[prop]` names `target` (True, False, or UNKNOWN when it cannot tell).

    By dependency first: the engine records which resources each property was computed from, which
    holds at preview too. Otherwise by value, compared with `target`'s `target_props`.
    """
    dependencies = resource.property_dependencies.get(prop) or []
    if any(dependency.urn == target.urn for dependency in dependencies):
        return True
    value = read(resource.props, prop)
    if value is UNKNOWN:
        # An unknown value is computed from a resource of this update, which the engine lists among the
        # property's dependencies: when those are listed and `target` is not one of them, it is not target.
        return False if dependencies else UNKNOWN
    return value is not None and any(value == read(target.props, key) for key in target_props)


def claimed_by(target: PolicyResource, candidates: list[PolicyResource], prop: str, target_props: tuple[str, ...]):
    """The candidates whose `prop` names `target`, and whether some candidate cannot tell yet."""
    verdicts = [(candidate, refers_to(candidate, prop, target, target_props)) for candidate in candidates]
    return [c for c, verdict in verdicts if verdict is True], any(verdict is UNKNOWN for _, verdict in verdicts)


# --- IAM policy documents -----------------------------------------------------------------------


def load_document(value: Any) -> Mapping:
    """An IAM policy document, given as JSON text or as an object; ValueError if it is neither."""
    document = json.loads(value) if isinstance(value, str) else value
    if not isinstance(document, Mapping):
        raise ValueError("an IAM policy document is a JSON object")
    return document


def statements(document: Mapping) -> list[Mapping]:
    return [s for s in as_list(document.get("Statement")) if isinstance(s, Mapping)]


def statement_label(statement: Mapping, index: int) -> str:
    return f"statement '{statement['Sid']}'" if statement.get("Sid") else f"statement {index + 1}"


def is_wildcard_action(action: str) -> bool:
    """`*` and `service:*`: every action, of every service or of one."""
    return action == "*" or action.partition(":")[2] == "*"


def service_of(action: str) -> str:
    return action.partition(":")[0].lower()


def grant_problems(document: Mapping) -> Iterator[str]:
    """What the document's Allow statements grant too broadly, one clause each.

    Deny statements grant nothing and are skipped: the buckets' TLS-only policy denies `s3:*` on
    purpose.
    """
    for index, statement in enumerate(statements(document)):
        if statement.get("Effect") == "Deny":
            continue
        label = statement_label(statement, index)
        if "NotAction" in statement:
            yield f"{label} allows every action except its NotAction list; list the allowed actions in Action instead"
        actions = [str(action) for action in as_list(statement.get("Action"))]
        for action in filter(is_wildcard_action, actions):
            yield f"{label} allows the wildcard action '{action}'; list the specific actions the code calls"
        s3_actions = [action for action in actions if service_of(action) == "s3"]
        resources = [str(resource) for resource in as_list(statement.get("Resource"))]
        every_resource = "NotResource" in statement or any(ALL_S3_RESOURCES.fullmatch(r) for r in resources)
        if s3_actions and every_resource:
            yield (
                f"{label} allows {', '.join(s3_actions)} on every resource; scope S3 actions to the ARNs of"
                " the buckets or key prefixes they need"
            )


def documents_of(args: ResourceValidationArgs) -> Iterator[tuple[str, Any]]:
    """(where, document) for every IAM policy document of a resource."""
    for prop in DOCUMENT_PROPERTIES.get(args.resource_type, ()):
        value = args.props.get(prop)
        if value:
            yield f"'{prop}'", value
    if args.resource_type == ROLE:
        for inline in as_list(args.props.get("inlinePolicies")):
            if isinstance(inline, Mapping) and inline.get("policy"):
                yield f"inline policy '{inline.get('name') or '(unnamed)'}'", inline["policy"]


# --- the rules ----------------------------------------------------------------------------------


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


def check_no_broad_managed_policies(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    prop = MANAGED_POLICY_PROPERTIES.get(args.resource_type)
    if prop is None:
        return
    for arn in as_list(args.props.get(prop)):
        if BROAD_MANAGED_POLICY.search(str(arn)):
            report_violation(
                f"'{args.name}' attaches the managed policy {arn} ({prop}); attach a customer-managed policy"
                " with the specific actions and resources instead."
            )


def check_no_wildcard_grants(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    for where, value in documents_of(args):
        try:
            document = load_document(value)
        except ValueError:
            report_violation(
                f"The {where} of '{args.name}' is not a JSON policy document this pack can read; write it as"
                " a JSON object with a Statement."
            )
            continue
        for problem in grant_problems(document):
            report_violation(f"The {where} of '{args.name}': {problem}.")


def check_permission_names_its_source(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != PERMISSION:
        return
    principal = args.props.get("principal")
    if not isinstance(principal, str) or not SERVICE_PRINCIPAL.fullmatch(principal):
        return
    if not is_set(read(args.props, "sourceArn")):
        report_violation(
            f"Lambda permission '{args.name}' lets {principal} invoke the function on behalf of any resource;"
            " set source_arn to the bucket, rule or topic that may invoke it."
        )
    if principal.startswith("s3.") and not is_set(read(args.props, "sourceAccount")):
        report_violation(
            f"Lambda permission '{args.name}' lets {principal} invoke the function for a bucket of any account;"
            " set source_account to this account's ID, since bucket ARNs do not name their account."
        )


def service_grants(props) -> list[tuple[str, list[str], set[str]]]:
    """(label, services, condition keys in lower case) of each Allow statement of a resource
    policy whose principal is an AWS service; [] for a document that cannot be read yet."""
    try:
        document = load_document(read(props, "policy"))
    except (ValueError, UnknownValueError):
        return []  # unreadable documents are iam-no-wildcard-grants' to report; unknown ones come at `up`
    found = []
    for index, statement in enumerate(statements(document)):
        principal = statement.get("Principal")
        services = [p for p in as_list(principal.get("Service")) if isinstance(p, str)] if isinstance(principal, Mapping) else []
        if statement.get("Effect") != "Allow" or not services:
            continue
        keys = {key.lower() for values in (statement.get("Condition") or {}).values() if isinstance(values, Mapping) for key in values}
        found.append((statement_label(statement, index), services, keys))
    return found


def check_topic_policy_names_its_source(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != TOPIC_POLICY:
        return
    for label, services, keys in service_grants(args.props):
        if not {"aws:sourcearn", "aws:sourceaccount"} <= keys:
            report_violation(
                f"Topic policy '{args.name}', {label}, lets {', '.join(services)} publish without naming both the"
                " source (aws:SourceArn) and the account (aws:SourceAccount); add the conditions the service documents."
            )


def check_queue_policy_names_its_source(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != QUEUE_POLICY:
        return
    for label, services, keys in service_grants(args.props):
        if "aws:sourcearn" not in keys:
            report_violation(
                f"Queue policy '{args.name}', {label}, lets {', '.join(services)} send on behalf of any resource;"
                " add an aws:SourceArn condition naming the bucket, rule or topic that may send."
            )
        if any(service.startswith("s3.") for service in services) and "aws:sourceaccount" not in keys:
            report_violation(
                f"Queue policy '{args.name}', {label}, lets S3 send for a bucket of any account; add an"
                " aws:SourceAccount condition with this account's ID, since bucket ARNs do not name their account."
            )


def check_supported_python_runtime(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != FUNCTION:
        return
    runtime = args.props.get("runtime")
    if runtime not in SUPPORTED_PYTHON_RUNTIMES:
        report_violation(
            f"Lambda function '{args.name}' runs {runtime or 'no managed runtime'}; set runtime to one of"
            f" {', '.join(SUPPORTED_PYTHON_RUNTIMES)}."
        )


def fed_by_a_queue_with_dead_letters(function: PolicyResource, resources: list[PolicyResource]) -> bool:
    """Whether an event source mapping feeds the function from a queue with a redrive policy: that
    queue, not an invoke configuration, keeps what the function could not process."""
    mappings, _ = claimed_by(function, of_type(resources, EVENT_SOURCE_MAPPING), "functionName", FUNCTION_IDS)
    for mapping in mappings:
        for queue in of_type(resources, QUEUE):
            if refers_to(mapping, "eventSourceArn", queue, ("arn",)) is not True:
                continue
            redrive = read(queue.props, "redrivePolicy")
            if redrive is UNKNOWN or (isinstance(redrive, str) and is_set(json.loads(redrive or "{}").get("deadLetterTargetArn"))):
                return True
    return False


def check_failure_destination(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    configs = of_type(args.resources, EVENT_INVOKE_CONFIG)
    pending: list[str] = []
    for function in of_type(args.resources, FUNCTION):
        if is_set(read(function.props, "deadLetterConfig", "targetArn")):
            continue
        if fed_by_a_queue_with_dead_letters(function, args.resources):
            continue
        mine, undecided = claimed_by(function, configs, "functionName", FUNCTION_IDS)
        destinations = [read(c.props, "destinationConfig", "onFailure", "destination") for c in mine]
        if any(is_set(destination) for destination in destinations):
            continue
        if undecided:
            pending.append(f"which invoke configuration belongs to function '{function.name}'")
            continue
        report_violation(
            f"Lambda function '{function.name}' has no failure destination; add an"
            " aws.lambda_.FunctionEventInvokeConfig with destination_config.on_failure.destination, give"
            " the function a dead_letter_config, or feed it from an SQS queue with a redrive policy, so"
            " that events it fails to process are kept.",
            function.urn,
        )
    if pending:
        raise NotKnownAtPreview(pending)


def watches(alarm: PolicyResource, queue: PolicyResource) -> Any:
    """Whether the alarm watches the queue's depth or age and tells someone (True, False, or
    UNKNOWN when the queue it names is not known yet). The queue is matched by dependency, else by
    the QueueName dimension."""
    if read(alarm.props, "namespace") != "AWS/SQS" or read(alarm.props, "metricName") not in QUEUE_ALARM_METRICS:
        return False
    if not is_set(read(alarm.props, "alarmActions")):
        return False
    dependencies = alarm.property_dependencies.get("dimensions") or []
    if any(dependency.urn == queue.urn for dependency in dependencies):
        return True
    named, name = read(alarm.props, "dimensions", "QueueName"), read(queue.props, "name")
    if named is UNKNOWN or name is UNKNOWN:
        return False if dependencies else UNKNOWN
    return named is not None and named == name


def check_queues_have_alarms(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    alarms = of_type(args.resources, METRIC_ALARM)
    pending: list[str] = []
    for queue in of_type(args.resources, QUEUE):
        verdicts = [watches(alarm, queue) for alarm in alarms]
        if True in verdicts:
            continue
        if UNKNOWN in verdicts:
            pending.append(f"which alarm watches queue '{queue.name}'")
            continue
        report_violation(
            f"SQS queue '{queue.name}' has no alarm on its depth or age; add an aws.cloudwatch.MetricAlarm on"
            f" AWS/SQS {' or '.join(QUEUE_ALARM_METRICS)} with the dimension QueueName set to the queue's name"
            " and alarm_actions that tell someone, so that messages piling up there are noticed.",
            queue.urn,
        )
    if pending:
        raise NotKnownAtPreview(pending)


def check_log_retention(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != LOG_GROUP:
        return
    days = args.props.get("retentionInDays")
    if not days or days <= 0:
        report_violation(
            f"Log group '{args.name}' keeps its logs forever; set retention_in_days to a value CloudWatch"
            " accepts (1, 3, 5, 7, 14, 30, ... 3653)."
        )


# --- the policies -------------------------------------------------------------------------------

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
