"""A Lambda function of the pipeline's code (`transcribe_pipeline.function`, the repository's
`function/` directory), with its own role, log group and failure capture."""

from dataclasses import dataclass, field
from pathlib import Path

import pulumi
import pulumi_aws as aws

import transcribe_pipeline.function
from transcribe_pipeline.components.access import allow, document, trust_policy
from transcribe_pipeline.settings import Settings

# Where the package's Lambda code is: the installed package's `function/` subpackage, or in a
# checkout the repository's `function/` directory (transcribe_pipeline/__init__.py maps it).
FUNCTION_DIR = Path(transcribe_pipeline.function.__file__).resolve().parent
RUNTIME = "python3.14"
ARCHITECTURE = "arm64"
MAX_RETRIES = 2
MAX_EVENT_AGE_SECONDS = 6 * 3600


def function_code() -> pulumi.AssetArchive:
    """The Lambda package: the Python modules of the function code and nothing else.

    A FileArchive of the directory would also ship whatever lies there (__pycache__ after a test
    run, editor files), so the archive lists the modules themselves.
    """
    return pulumi.AssetArchive(
        {path.name: pulumi.FileAsset(str(path)) for path in sorted(FUNCTION_DIR.glob("*.py"))}
    )


@dataclass
class PipelineFunctionArgs:
    handler: str
    """Module and function in `function/`, e.g. 'handler.lambda_handler'."""
    description: str
    environment: dict[str, pulumi.Input[str]]
    statements: list[dict]
    """IAM statements for exactly what the code calls (logs and the failure queue are added)."""
    failure_queue_arn: pulumi.Input[str] | None
    """Where Lambda keeps the events of asynchronous invocations that failed every retry; None
    for a function fed by an event source mapping, whose queue keeps its own failures."""
    memory_size: pulumi.Input[int]
    timeout: pulumi.Input[int]
    log_retention_days: pulumi.Input[int]
    log_group_prefix: str
    """The log group is named '<log_group_prefix><generated suffix>'."""
    tags: dict[str, str] = field(default_factory=dict)
    waits_for: list[pulumi.Resource] = field(default_factory=list)
    """Resources the function must not run before (e.g. the policy of a role it passes on)."""

    @classmethod
    def for_stage(cls, settings: Settings, stage: str, **code) -> "PipelineFunctionArgs":
        """A stage's function, sized, logged and tagged as the stack's settings say; `code`
        holds what differs between stages: handler, description, environment, statements and
        failure_queue_arn."""
        return cls(
            memory_size=settings.memory_size,
            timeout=settings.timeout,
            log_retention_days=settings.log_retention_days,
            log_group_prefix=settings.names.log_group_prefix(stage),
            tags=settings.tags,
            **code,
        )


class PipelineFunction(pulumi.ComponentResource):
    """Function + role with one customer-managed policy + JSON logs with retention + (for a
    function invoked asynchronously) an invoke config sending exhausted events to the failure
    queue."""

    arn: pulumi.Output[str]
    function_name: pulumi.Output[str]
    log_group_name: pulumi.Output[str]
    role_name: pulumi.Output[str]

    def __init__(self, name: str, args: PipelineFunctionArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("transcribe:function:PipelineFunction", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        self.log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name_prefix=args.log_group_prefix,
            retention_in_days=args.log_retention_days,
            tags=args.tags,
            opts=child,
        )
        self.role = aws.iam.Role(
            f"{name}-role",
            description=args.description,
            assume_role_policy=pulumi.Output.json_dumps(trust_policy("lambda.amazonaws.com")),
            tags=args.tags,
            opts=child,
        )
        statements = [
            allow(["logs:CreateLogStream", "logs:PutLogEvents"], [pulumi.Output.concat(self.log_group.arn, ":*")]),
            *args.statements,
        ]
        if args.failure_queue_arn is not None:
            statements.append(allow(["sqs:SendMessage"], [args.failure_queue_arn]))
        self.policy = aws.iam.Policy(
            f"{name}-policy",
            description=f"What {args.handler} calls, and nothing more.",
            policy=pulumi.Output.json_dumps(document(*statements)),
            tags=args.tags,
            opts=child,
        )
        attachment = aws.iam.RolePolicyAttachment(
            f"{name}-policy-attachment", role=self.role.name, policy_arn=self.policy.arn, opts=child
        )
        # The role must hold its permissions before the function runs (logs) and before Lambda
        # accepts the failure destination (it checks sqs:SendMessage).
        after_permissions = pulumi.ResourceOptions(parent=self, depends_on=[attachment, *args.waits_for])

        self.function = aws.lambda_.Function(
            f"{name}-lambda",
            description=args.description,
            code=function_code(),
            handler=args.handler,
            runtime=RUNTIME,
            architectures=[ARCHITECTURE],
            role=self.role.arn,
            memory_size=args.memory_size,
            timeout=args.timeout,
            environment={"variables": args.environment},
            logging_config={"log_format": "JSON", "log_group": self.log_group.name},
            tags=args.tags,
            opts=after_permissions,
        )
        if args.failure_queue_arn is not None:
            aws.lambda_.FunctionEventInvokeConfig(
                f"{name}-async",
                function_name=self.function.name,
                maximum_retry_attempts=MAX_RETRIES,
                maximum_event_age_in_seconds=MAX_EVENT_AGE_SECONDS,
                destination_config={"on_failure": {"destination": args.failure_queue_arn}},
                opts=after_permissions,
            )

        self.arn = self.function.arn
        self.function_name = self.function.name
        self.log_group_name = self.log_group.name
        self.role_name = self.role.name
        self.register_outputs(
            {"arn": self.arn, "function_name": self.function_name, "log_group_name": self.log_group_name}
        )
