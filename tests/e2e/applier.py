"""Create on the emulator, with boto3, what the program declares: one small function per resource
type, fed the inputs the program gave that resource under the Pulumi mocks.

Nothing about the stack is restated here. Physical names are the ones the mocks computed; the
emulator answers with its own ARNs and URLs, which replace the mocks' wherever they appear
(in later inputs, in policy documents, in environment variables and in the stack outputs).
Every declared input must be used or listed as left out on purpose, so a new setting the program
starts to declare cannot be dropped here silently; a resource type without an entry fails too.
"""

import json
from dataclasses import dataclass, field

from program import Program, Recorded, package_zip

# What the emulator does not model or enforce, so creating it would change nothing a test sees.
# test_program.py and the policy pack check these resources as declared.
NOT_APPLIED = {
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": "IAM is not enforced by MiniStack",
    "aws:s3/bucketPolicy:BucketPolicy": "bucket policies are not enforced by MiniStack",
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": "no public access to block on 127.0.0.1",
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": "object ownership is not modelled",
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": "not modelled",
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": "abandoned multipart uploads never age here",
}
# Inputs that change nothing a test can see on the emulator.
UNSEEN_INPUTS = {"tags", "description", "forceDestroy"}


class Inputs:
    """A resource's declared inputs, with the emulator's values in place of the mocks'; keeps
    track of which ones were used."""

    def __init__(self, resource: Recorded, values: dict[str, str]):
        self.resource = resource
        self._values = values
        self._unused = set(resource.inputs) - UNSEEN_INPUTS

    def __call__(self, key: str, default=None):
        self._unused.discard(key)
        value = self.resource.inputs.get(key, default)
        return value if key == "code" else replace_values(value, self._values)

    def name(self) -> str:
        """The physical name the mocks gave the resource."""
        state = self.resource.state
        return state.get("name") or state.get("bucket")

    def check_all_used(self) -> None:
        if self._unused:
            raise NotImplementedError(
                f"{self.resource.type} {self.resource.name!r} declares {sorted(self._unused)}, which"
                " tests/e2e/applier.py does not apply: apply them, or say why they are left out"
            )


def replace_values(value, values: dict[str, str]):
    """`value` with every mock ARN or URL in it replaced by the emulator's, inside strings too
    (policy documents, environment variables)."""
    if isinstance(value, str):
        for mock, real in values.items():
            value = value.replace(mock, real)
        return value
    if isinstance(value, dict):
        return {key: replace_values(item, values) for key, item in value.items()}
    if isinstance(value, list):
        return [replace_values(item, values) for item in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)  # numbers come from the mocks as floats; the APIs want integers
    return value


def dropping_none(**params) -> dict:
    return {key: value for key, value in params.items() if value is not None}


@dataclass
class Emulated:
    """The program's stack on the emulator: boto3 clients, and the emulator's value for each of
    the mocks' computed ARNs and URLs that differ."""

    program: Program
    client: object
    """`client(service_name)` -> a boto3 client of the emulator."""
    values: dict[str, str] = field(default_factory=dict)

    def learn(self, resource: Recorded, **real: str) -> None:
        for key, value in real.items():
            mock = resource.state[key]
            if mock != value:
                self.values[mock] = value
        # Longest first, so that no value is replaced inside a longer one.
        self.values = dict(sorted(self.values.items(), key=lambda item: -len(item[0])))

    @property
    def outputs(self) -> dict:
        return replace_values(self.program.outputs, self.values)


def bucket(stack: Emulated, resource: Recorded, take: Inputs) -> None:
    stack.client("s3").create_bucket(Bucket=take.name())


def bucket_logging(stack: Emulated, resource: Recorded, take: Inputs) -> None:
    logging = {"TargetBucket": take("targetBucket"), "TargetPrefix": take("targetPrefix", "")}
    stack.client("s3").put_bucket_logging(Bucket=take("bucket"), BucketLoggingStatus={"LoggingEnabled": logging})


def bucket_notification(stack: Emulated, resource: Recorded, take: Inputs) -> None:
    kinds = {
        "lambdaFunctions": ("LambdaFunctionConfigurations", "lambdaFunctionArn", "LambdaFunctionArn"),
        "queues": ("QueueConfigurations", "queueArn", "QueueArn"),
        "topics": ("TopicConfigurations", "topicArn", "TopicArn"),
    }
    configuration = {}
    for key, (api_key, arn_key, api_arn_key) in kinds.items():
        for entry in take(key, []):
            rules = [{"Name": name, "Value": entry[f"filter{name.title()}"]} for name in ("prefix", "suffix") if entry.get(f"filter{name.title()}")]
            rule = {api_arn_key: entry[arn_key], "Events": entry["events"]}
            if rules:
                rule["Filter"] = {"Key": {"FilterRules": rules}}
            configuration.setdefault(api_key, []).append(rule)
    stack.client("s3").put_bucket_notification_configuration(Bucket=take("bucket"), NotificationConfiguration=configuration)


# Pulumi's queue inputs and the SQS attribute each one sets.
QUEUE_ATTRIBUTES = {
    "messageRetentionSeconds": "MessageRetentionSeconds",
    "visibilityTimeoutSeconds": "VisibilityTimeout",
    "delaySeconds": "DelaySeconds",
    "receiveWaitTimeSeconds": "ReceiveWaitTimeSeconds",
    "maxMessageSize": "MaximumMessageSize",
    "sqsManagedSseEnabled": "SqsManagedSseEnabled",
    "kmsMasterKeyId": "KmsMasterKeyId",
    "redrivePolicy": "RedrivePolicy",
    "redriveAllowPolicy": "RedriveAllowPolicy",
    "policy": "Policy",
}


def queue(stack: Emulated, resource: Recorded, take: Inputs) -> None:
    attributes = {
        attribute: json.dumps(value) if isinstance(value, bool) else str(value)
        for key, attribute in QUEUE_ATTRIBUTES.items()
        if (value := take(key)) is not None
    }
    sqs = stack.client("sqs")
    url = sqs.create_queue(QueueName=take.name(), Attributes=attributes)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    stack.learn(resource, url=url, arn=arn)


def queue_policy(stack: Emulated, resource: Recorded, take: Inputs) -> None:
    stack.client("sqs").set_queue_attributes(QueueUrl=take("queueUrl"), Attributes={"Policy": take("policy")})


def redrive_allow_policy(stack: Emulated, resource: Recorded, take: Inputs) -> None:
    stack.client("sqs").set_queue_attributes(QueueUrl=take("queueUrl"), Attributes={"RedriveAllowPolicy": take("redriveAllowPolicy")})


def role(stack: Emulated, resource: Recorded, take: Inputs) -> None:
    created = stack.client("iam").create_role(RoleName=take.name(), AssumeRolePolicyDocument=take("assumeRolePolicy"))
    stack.learn(resource, arn=created["Role"]["Arn"])


def policy(stack: Emulated, resource: Recorded, take: Inputs) -> None:
    created = stack.client("iam").create_policy(PolicyName=take.name(), PolicyDocument=take("policy"))
    stack.learn(resource, arn=created["Policy"]["Arn"])


def log_group(stack: Emulated, resource: Recorded, take: Inputs) -> None:
    take("namePrefix")  # the mocks' name is made from it
    logs = stack.client("logs")
    try:
        logs.create_log_group(logGroupName=take.name())
    except logs.exceptions.ResourceAlreadyExistsException:
        pass  # a function of the previous test, still finishing after the reset, logged into it
    logs.put_retention_policy(logGroupName=take.name(), retentionInDays=take("retentionInDays"))


def function(stack: Emulated, resource: Recorded, take: Inputs) -> None:
    logging = take("loggingConfig", {})
    created = stack.client("lambda").create_function(
        FunctionName=take.name(),
        Runtime=take("runtime"),
        Handler=take("handler"),
        Role=take("role"),
        Code={"ZipFile": package_zip(take("code"))},
        Architectures=take("architectures"),
        MemorySize=take("memorySize"),
        Timeout=take("timeout"),
        Environment={"Variables": take("environment", {}).get("variables", {})},
        LoggingConfig=dropping_none(LogFormat=logging.get("logFormat"), LogGroup=logging.get("logGroup")),
    )
    stack.learn(resource, arn=created["FunctionArn"])


def permission(stack: Emulated, resource: Recorded, take: Inputs) -> None:
    stack.client("lambda").add_permission(
        **dropping_none(
            FunctionName=take("function"),
            StatementId=resource.name,
            Action=take("action"),
            Principal=take("principal"),
            SourceArn=take("sourceArn"),
            SourceAccount=take("sourceAccount"),
        )
    )


def event_invoke_config(stack: Emulated, resource: Recorded, take: Inputs) -> None:
    on_failure = take("destinationConfig", {}).get("onFailure", {}).get("destination")
    stack.client("lambda").put_function_event_invoke_config(
        **dropping_none(
            FunctionName=take("functionName"),
            MaximumRetryAttempts=take("maximumRetryAttempts"),
            MaximumEventAgeInSeconds=take("maximumEventAgeInSeconds"),
            DestinationConfig={"OnFailure": {"Destination": on_failure}} if on_failure else None,
        )
    )


def event_source_mapping(stack: Emulated, resource: Recorded, take: Inputs) -> None:
    scaling = take("scalingConfig") or {}
    stack.client("lambda").create_event_source_mapping(
        **dropping_none(
            EventSourceArn=take("eventSourceArn"),
            FunctionName=take("functionName"),
            BatchSize=take("batchSize"),
            MaximumBatchingWindowInSeconds=take("maximumBatchingWindowInSeconds"),
            FunctionResponseTypes=take("functionResponseTypes"),
            Enabled=take("enabled"),
            ScalingConfig={"MaximumConcurrency": scaling["maximumConcurrency"]} if scaling else None,
        )
    )


def event_rule(stack: Emulated, resource: Recorded, take: Inputs) -> None:
    created = stack.client("events").put_rule(Name=take.name(), EventPattern=take("eventPattern"))
    stack.learn(resource, arn=created["RuleArn"])


def event_target(stack: Emulated, resource: Recorded, take: Inputs) -> None:
    retry = take("retryPolicy") or {}
    dead_letters = take("deadLetterConfig") or {}
    target = dropping_none(
        Id=resource.name,
        Arn=take("arn"),
        RetryPolicy=dropping_none(
            MaximumRetryAttempts=retry.get("maximumRetryAttempts"),
            MaximumEventAgeInSeconds=retry.get("maximumEventAgeInSeconds"),
        ),
        DeadLetterConfig=dropping_none(Arn=dead_letters.get("arn")),
    )
    failed = stack.client("events").put_targets(Rule=take("rule"), Targets=[target])["FailedEntries"]
    assert not failed, failed


def topic(stack: Emulated, resource: Recorded, take: Inputs) -> None:
    attributes = dropping_none(KmsMasterKeyId=take("kmsMasterKeyId"))
    created = stack.client("sns").create_topic(Name=take.name(), Attributes=attributes)
    stack.learn(resource, arn=created["TopicArn"])


def topic_subscription(stack: Emulated, resource: Recorded, take: Inputs) -> None:
    stack.client("sns").subscribe(TopicArn=take("topic"), Protocol=take("protocol"), Endpoint=take("endpoint"))


def kms_key(stack: Emulated, resource: Recorded, take: Inputs) -> None:
    kms = stack.client("kms")
    key = kms.create_key(Description=take("description"), Policy=take("policy"))["KeyMetadata"]
    if take("enableKeyRotation"):
        kms.enable_key_rotation(KeyId=key["KeyId"])
    stack.learn(resource, arn=key["Arn"])


def metric_alarm(stack: Emulated, resource: Recorded, take: Inputs) -> None:
    dimensions = take("dimensions") or {}
    stack.client("cloudwatch").put_metric_alarm(
        AlarmName=take.name(),
        **dropping_none(
            AlarmDescription=take("alarmDescription"),
            Namespace=take("namespace"),
            MetricName=take("metricName"),
            Dimensions=[{"Name": k, "Value": v} for k, v in dimensions.items()] or None,
            Statistic=take("statistic"),
            Period=int(take("period")),
            EvaluationPeriods=int(take("evaluationPeriods")),
            DatapointsToAlarm=int(take("datapointsToAlarm")) if take("datapointsToAlarm") else None,
            Threshold=float(take("threshold")),
            ComparisonOperator=take("comparisonOperator"),
            TreatMissingData=take("treatMissingData"),
            AlarmActions=take("alarmActions"),
            OKActions=take("okActions"),
        ),
    )


def dashboard(stack: Emulated, resource: Recorded, take: Inputs) -> None:
    stack.client("cloudwatch").put_dashboard(DashboardName=take("dashboardName"), DashboardBody=take("dashboardBody"))


def table(stack: Emulated, resource: Recorded, take: Inputs) -> None:
    dynamodb = stack.client("dynamodb")
    created = dynamodb.create_table(
        TableName=take.name(),
        BillingMode=take("billingMode"),
        AttributeDefinitions=[{"AttributeName": a["name"], "AttributeType": a["type"]} for a in take("attributes")],
        KeySchema=[{"AttributeName": take("hashKey"), "KeyType": "HASH"}, {"AttributeName": take("rangeKey"), "KeyType": "RANGE"}],
        GlobalSecondaryIndexes=[
            {
                "IndexName": index["name"],
                "KeySchema": [{"AttributeName": k["attributeName"], "KeyType": k["keyType"]} for k in index["keySchemas"]],
                "Projection": {"ProjectionType": index["projectionType"]},
            }
            for index in take("globalSecondaryIndexes", [])
        ],
    )["TableDescription"]
    if take("pointInTimeRecovery", {}).get("enabled"):
        dynamodb.update_continuous_backups(
            TableName=take.name(), PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
        )
    stack.learn(resource, arn=created["TableArn"])


def schedule_group(stack: Emulated, resource: Recorded, take: Inputs) -> None:
    created = stack.client("scheduler").create_schedule_group(Name=take.name())
    stack.learn(resource, arn=created["ScheduleGroupArn"])


def schedule(stack: Emulated, resource: Recorded, take: Inputs) -> None:
    target = take("target")
    retry = target.get("retryPolicy") or {}
    stack.client("scheduler").create_schedule(
        Name=take.name(),
        GroupName=take("groupName"),
        ScheduleExpression=take("scheduleExpression"),
        FlexibleTimeWindow={"Mode": take("flexibleTimeWindow")["mode"]},
        Target=dropping_none(
            Arn=target["arn"], RoleArn=target["roleArn"], Input=target.get("input"),
            RetryPolicy=dropping_none(MaximumRetryAttempts=retry.get("maximumRetryAttempts")) or None,
        ),
    )


APPLY = {
    "aws:dynamodb/table:Table": table,
    "aws:scheduler/scheduleGroup:ScheduleGroup": schedule_group,
    "aws:scheduler/schedule:Schedule": schedule,
    "aws:kms/key:Key": kms_key,
    "aws:cloudwatch/metricAlarm:MetricAlarm": metric_alarm,
    "aws:cloudwatch/dashboard:Dashboard": dashboard,
    "aws:s3/bucket:Bucket": bucket,
    "aws:s3/bucketLogging:BucketLogging": bucket_logging,
    "aws:s3/bucketNotification:BucketNotification": bucket_notification,
    "aws:sqs/queue:Queue": queue,
    "aws:sqs/queuePolicy:QueuePolicy": queue_policy,
    "aws:sqs/redriveAllowPolicy:RedriveAllowPolicy": redrive_allow_policy,
    "aws:iam/role:Role": role,
    "aws:iam/policy:Policy": policy,
    "aws:cloudwatch/logGroup:LogGroup": log_group,
    "aws:lambda/function:Function": function,
    "aws:lambda/permission:Permission": permission,
    "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig": event_invoke_config,
    "aws:lambda/eventSourceMapping:EventSourceMapping": event_source_mapping,
    "aws:cloudwatch/eventRule:EventRule": event_rule,
    "aws:cloudwatch/eventTarget:EventTarget": event_target,
    "aws:sns/topic:Topic": topic,
    "aws:sns/topicSubscription:TopicSubscription": topic_subscription,
}


def apply(program: Program, client) -> Emulated:
    """Create the program's resources on the emulator, in the order the program declared them
    (a resource is declared only once the resources it takes values from exist)."""
    stack = Emulated(program=program, client=client)
    for resource in program.resources:
        if not resource.type.startswith("aws:") or resource.type in NOT_APPLIED:
            continue
        if resource.type not in APPLY:
            raise NotImplementedError(f"tests/e2e/applier.py cannot create {resource.type} ({resource.name!r}) yet")
        take = Inputs(resource, stack.values)
        APPLY[resource.type](stack, resource, take)
        take.check_all_used()
    return stack
