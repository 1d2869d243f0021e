"""The resource types the security rules are about, and how a rule reads a resource's properties:
absent, set, or not known yet during `pulumi preview` (UNKNOWN), and whether one resource names
another (by the engine's dependencies, else by value)."""

from collections.abc import Mapping, Sequence
from typing import Any

from pulumi_policy import PolicyResource
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
