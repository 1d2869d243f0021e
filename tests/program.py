"""Run `__main__.py` under Pulumi mocks, the way `pulumi preview` would for one stack, and record
the resource graph it declares: every resource's type, name, inputs, parent, dependencies and
options, plus the stack outputs.

No Pulumi CLI reads Pulumi.yaml and Pulumi.<stack>.yaml here, so `stack_config` does its job:
the project's declared defaults, then the stack file's values, as the strings the CLI hands over.
"""

import copy
import hashlib
import io
import json
import runpy
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import boto3
import pulumi
import yaml
from pulumi.runtime import settings as runtime_settings
from pulumi.runtime.mocks import MockMonitor

ROOT = Path(__file__).resolve().parents[1]
PROJECT_FILE = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
PROJECT = PROJECT_FILE["name"]
# The name of the pipeline the project's program declares.
PIPELINE = "pipeline"
ACCOUNT_ID = "123456789012"
STACKS = ("dev", "prod")


def _config_string(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)


def stack_config(stack: str, overrides: dict | None = None, root: Path = ROOT) -> dict[str, str]:
    """The config the CLI gives the program: Pulumi.yaml defaults < stack file < overrides."""
    project_file = yaml.safe_load((root / "Pulumi.yaml").read_text())

    def full_key(key: str) -> str:
        return key if ":" in key else f"{project_file['name']}:{key}"

    values = {}
    for key, declaration in (project_file.get("config") or {}).items():
        if isinstance(declaration, dict) and "default" in declaration:
            values[full_key(key)] = declaration["default"]
        elif isinstance(declaration, dict) and "value" in declaration:
            values[full_key(key)] = declaration["value"]
    stack_file = yaml.safe_load((root / f"Pulumi.{stack}.yaml").read_text()) or {}
    values.update({full_key(k): v for k, v in (stack_file.get("config") or {}).items()})
    values.update({full_key(k): v for k, v in (overrides or {}).items()})
    return {key: _config_string(value) for key, value in values.items()}


@dataclass
class Recorded:
    type: str
    name: str
    inputs: dict
    state: dict
    urn: str = ""
    parent: str = ""
    dependencies: list[str] = field(default_factory=list)
    retain_on_delete: bool = False
    protect: bool = False
    delete_before_replace: bool = False
    replace_on_changes: list[str] = field(default_factory=list)
    aliases: list[dict] = field(default_factory=list)
    """The aliases the SDK sent the engine, as specs: name, type, parentUrn or noParent."""

    @property
    def role(self) -> str:
        """The name without the project's pipeline's name in front: `upload-handler-lambda`."""
        return self.name.removeprefix(f"{PIPELINE}-")


# What AWS computes for the resource types the program declares, from the physical name.
COMPUTED = {
    "aws:s3/bucket:Bucket": {"bucket": "{name}", "arn": "arn:aws:s3:::{name}"},
    "aws:iam/role:Role": {"name": "{name}", "arn": "arn:aws:iam::{account}:role/{name}"},
    "aws:iam/policy:Policy": {"name": "{name}", "arn": "arn:aws:iam::{account}:policy/{name}"},
    "aws:lambda/function:Function": {"name": "{name}", "arn": "arn:aws:lambda:{region}:{account}:function:{name}"},
    "aws:sqs/queue:Queue": {
        "name": "{name}",
        "arn": "arn:aws:sqs:{region}:{account}:{name}",
        "url": "https://sqs.{region}.amazonaws.com/{account}/{name}",
    },
    "aws:cloudwatch/logGroup:LogGroup": {"name": "{name}", "arn": "arn:aws:logs:{region}:{account}:log-group:{name}"},
    "aws:cloudwatch/eventRule:EventRule": {"name": "{name}", "arn": "arn:aws:events:{region}:{account}:rule/{name}"},
    "aws:sns/topic:Topic": {"name": "{name}", "arn": "arn:aws:sns:{region}:{account}:{name}"},
    "aws:kms/key:Key": {"keyId": "{name}", "arn": "arn:aws:kms:{region}:{account}:key/{name}"},
    "aws:cloudwatch/metricAlarm:MetricAlarm": {"name": "{name}", "arn": "arn:aws:cloudwatch:{region}:{account}:alarm:{name}"},
    "aws:cloudwatch/dashboard:Dashboard": {"dashboardArn": "arn:aws:cloudwatch::{account}:dashboard/{name}"},
    "aws:dynamodb/table:Table": {"name": "{name}", "arn": "arn:aws:dynamodb:{region}:{account}:table/{name}"},
    "aws:budgets/budget:Budget": {"name": "{name}", "arn": "arn:aws:budgets::{account}:budget/{name}"},
    "aws:scheduler/scheduleGroup:ScheduleGroup": {"name": "{name}", "arn": "arn:aws:scheduler:{region}:{account}:schedule-group/{name}"},
    "aws:scheduler/schedule:Schedule": {"name": "{name}", "arn": "arn:aws:scheduler:{region}:{account}:schedule/{name}"},
}


def _suffix(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()[:7]


class RecordingMocks(pulumi.runtime.Mocks):
    """Answers like a provider would: physical names, ARNs and URLs for what AWS computes."""

    def __init__(self, region: str):
        self.region = region
        self.resources: list[Recorded] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        inputs = dict(args.inputs)
        suffix = _suffix(args.name)
        if args.typ == "aws:s3/bucket:Bucket":
            physical = inputs.get("bucket") or f"{args.name}-{suffix}"
        elif inputs.get("namePrefix"):
            physical = inputs["namePrefix"] + suffix
        else:
            physical = inputs.get("name") or f"{args.name}-{suffix}"
        computed = COMPUTED.get(args.typ, {})
        state = inputs | {k: v.format(name=physical, region=self.region, account=ACCOUNT_ID) for k, v in computed.items()}
        self.resources.append(Recorded(type=args.typ, name=args.name, inputs=inputs, state=state))
        return [physical if args.custom else "", state]

    def call(self, args: pulumi.runtime.MockCallArgs):
        if args.token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {"accountId": ACCOUNT_ID, "arn": f"arn:aws:iam::{ACCOUNT_ID}:user/test", "userId": "AIDTEST"}
        if args.token == "aws:index/getRegion:getRegion":
            return {"name": self.region, "region": self.region, "id": self.region}
        if args.token == "aws:index/getPartition:getPartition":
            return {"partition": "aws", "dnsSuffix": "amazonaws.com", "id": "aws"}
        raise NotImplementedError(f"the program calls {args.token}, which these mocks do not answer")


class RecordingMonitor(MockMonitor):
    """Keeps what the mocks are not shown: parent, dependencies and resource options."""

    def __init__(self, mocks: RecordingMocks):
        super().__init__(mocks)
        self.options: dict[tuple[str, str], dict] = {}

    def RegisterResource(self, request):
        response = super().RegisterResource(request)
        self.options[(request.type, request.name)] = {
            "urn": response.urn,
            "parent": request.parent,
            "dependencies": list(request.dependencies),
            "retain_on_delete": request.retainOnDelete,
            "protect": request.protect,
            "delete_before_replace": request.deleteBeforeReplace,
            "replace_on_changes": list(request.replaceOnChanges),
            "aliases": [_alias(alias) for alias in request.aliases],
        }
        return response


def _alias(alias) -> dict:
    if alias.urn:
        return {"urn": alias.urn}
    spec = alias.spec
    return {"name": spec.name, "type": spec.type, "parentUrn": spec.parentUrn, "noParent": spec.noParent}


@dataclass
class Program:
    stack: str
    config: dict[str, str]
    resources: list[Recorded]
    outputs: dict

    def of_type(self, typ: str) -> list[Recorded]:
        return [r for r in self.resources if r.type == typ]

    def named(self, name: str) -> Recorded:
        """The resource named `name`, or else the one of that role in the project's pipeline:
        `upload-handler-lambda` finds `pipeline-upload-handler-lambda`."""
        found = [r for r in self.resources if r.name == name] or [r for r in self.resources if r.name == f"{PIPELINE}-{name}"]
        (one,) = found
        return one

    def by_urn(self, urn: str) -> Recorded:
        (found,) = [r for r in self.resources if r.urn == urn]
        return found


_EVALUATED: dict[tuple, Program] = {}


def run_program(stack: str, overrides: dict | None = None, root: Path = ROOT) -> Program:
    """What `<root>/__main__.py` declares for a stack. The sources do not change during a test
    run, so the program is evaluated once per stack, root and resulting config (a few tenths of a
    second each under pytest); every caller gets its own deep copy, so no test sees another's
    changes. A program that fails is evaluated again each time, to raise afresh."""
    key = (stack, str(root), tuple(sorted(stack_config(stack, overrides, root).items())))
    if key not in _EVALUATED:
        _EVALUATED[key] = evaluate_program(stack, overrides, root)
    return copy.deepcopy(_EVALUATED[key])


def evaluate_program(stack: str, overrides: dict | None = None, root: Path = ROOT) -> Program:
    """Evaluate `<root>/__main__.py` for a stack and return what it declared."""
    config = stack_config(stack, overrides, root)
    project = yaml.safe_load((root / "Pulumi.yaml").read_text())["name"]

    def run_main():
        runpy.run_path(str(root / "__main__.py"), run_name="__main__")
        return runtime_settings.get_root_resource().outputs

    resources, outputs = under_mocks(run_main, stack=stack, config=config, project=project, root=root)
    return Program(stack=stack, config=config, resources=resources, outputs=outputs)


def run_source(directory: Path, source: str, stack: str = "dev") -> Program:
    """Run `source` as the __main__.py of a project of its own in `directory`, under the mocks."""
    (directory / "Pulumi.yaml").write_text(f"name: {directory.name.lower()}\nruntime: python\n")
    (directory / f"Pulumi.{stack}.yaml").write_text("config: {}\n")
    (directory / "__main__.py").write_text(source)
    return evaluate_program(stack, root=directory)


def under_mocks(declare, *, stack: str, config: dict[str, str], project: str, root: Path) -> tuple[list[Recorded], dict]:
    """Run `declare()` as a program of `project`'s stack in `root` would run, under the mocks:
    what it declared, and the values of the dict of Outputs it returned."""
    region = config.get("aws:region", "us-east-1")
    mocks = RecordingMocks(region)
    monitor = RecordingMonitor(mocks)
    runtime_settings.ROOT.set(None)  # a fresh stack, without the previous run's outputs
    pulumi.runtime.set_all_config(config)
    pulumi.runtime.set_mocks(mocks, project=project, stack=stack, preview=False, monitor=monitor)
    # The program's directory, as the CLI tells a program (the mocks leave a placeholder).
    runtime_settings.SETTINGS.root_directory = str(root)
    outputs: dict = {}

    @pulumi.runtime.test
    def evaluate():
        return pulumi.Output.all(**declare()).apply(outputs.update)

    evaluate()
    for resource in mocks.resources:
        for key, value in monitor.options.get((resource.type, resource.name), {}).items():
            setattr(resource, key, value)
    return mocks.resources, outputs


def s3_notification_configuration(program: Program, queue_arn: str) -> dict:
    """The program's bucket notification rules as the S3 API takes them, pointing at a queue."""
    configurations = []
    for entry in program.named("upload-queue-notification").inputs["queues"]:
        rules = [{"Name": "suffix", "Value": entry["filterSuffix"]}]
        if entry.get("filterPrefix"):
            rules.append({"Name": "prefix", "Value": entry["filterPrefix"]})
        configurations.append({"QueueArn": queue_arn, "Events": entry["events"], "Filter": {"Key": {"FilterRules": rules}}})
    return {"QueueConfigurations": configurations}


def package_zip(archive: pulumi.AssetArchive) -> bytes:
    """A declared Lambda package as the bytes Lambda receives: the archive's assets, deflated,
    with fixed time stamps so the same sources always make the same zip."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as package:
        for name, asset in sorted(archive.assets.items()):
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            with open(asset.path, "rb") as source:
                package.writestr(info, source.read())
    return buffer.getvalue()


@dataclass
class MotoUploadPath:
    """The declared upload path as it stands in moto."""

    queue_url: str
    queue_arn: str
    dead_letter_queue_url: str
    environment: dict[str, str]
    """The upload function's declared environment, with moto's queue URL in it."""
    batch_size: int


def stand_up_in_moto(program: Program, region: str) -> MotoUploadPath:
    """Create the program's two buckets, its upload queue and dead-letter queue (attributes as
    declared, the redrive policy pointing at moto's dead-letter queue), the queue policy, the
    bucket notification and the ledger table in the active moto mock."""
    s3 = boto3.client("s3", region_name=region)
    sqs = boto3.client("sqs", region_name=region)
    for bucket in (program.outputs["inputBucket"], program.outputs["outputBucket"]):
        s3.create_bucket(Bucket=bucket)

    def create_queue(name: str, extra: dict | None = None) -> tuple[str, str]:
        inputs = program.named(name).inputs
        attributes = {
            "MessageRetentionPeriod": str(int(inputs["messageRetentionSeconds"])),
            "SqsManagedSseEnabled": str(inputs["sqsManagedSseEnabled"]).lower(),
            **{k: str(v) for k, v in (extra or {}).items()},
        }
        url = sqs.create_queue(QueueName=program.named(name).state["name"], Attributes=attributes)["QueueUrl"]
        return url, sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]

    dead_letter_url, dead_letter_arn = create_queue("upload-queue-dead-letters")
    declared_queue = program.named("upload-queue-queue").inputs
    redrive = json.loads(declared_queue["redrivePolicy"]) | {"deadLetterTargetArn": dead_letter_arn}
    queue_url, queue_arn = create_queue(
        "upload-queue-queue",
        {"VisibilityTimeout": int(declared_queue["visibilityTimeoutSeconds"]), "RedrivePolicy": json.dumps(redrive)},
    )
    declared_policy = program.named("upload-queue-policy").inputs["policy"]
    sqs.set_queue_attributes(QueueUrl=queue_url, Attributes={"Policy": declared_policy.replace(program.named("upload-queue-queue").state["arn"], queue_arn)})
    s3.put_bucket_notification_configuration(
        Bucket=program.outputs["inputBucket"], NotificationConfiguration=s3_notification_configuration(program, queue_arn)
    )
    ledger = program.named("ledger-table")
    create_table_as_declared(boto3.client("dynamodb", region_name=region), ledger.inputs, ledger.state["name"])
    environment = dict(program.named("upload-handler-lambda").inputs["environment"]["variables"])
    environment["DEAD_LETTER_QUEUE_URL"] = dead_letter_url
    return MotoUploadPath(
        queue_url=queue_url,
        queue_arn=queue_arn,
        dead_letter_queue_url=dead_letter_url,
        environment=environment,
        batch_size=int(program.named("upload-source").inputs["batchSize"]),
    )


def create_table_as_declared(dynamodb, declared: dict, name: str) -> str:
    """Create a DynamoDB table as the program declares it (keys, attribute types, billing,
    indexes), named `name`, with the client given; returns the name."""
    dynamodb.create_table(
        TableName=name,
        BillingMode=declared["billingMode"],
        AttributeDefinitions=[{"AttributeName": a["name"], "AttributeType": a["type"]} for a in declared["attributes"]],
        KeySchema=[{"AttributeName": declared["hashKey"], "KeyType": "HASH"}, {"AttributeName": declared["rangeKey"], "KeyType": "RANGE"}],
        GlobalSecondaryIndexes=[
            {
                "IndexName": index["name"],
                "KeySchema": [{"AttributeName": k["attributeName"], "KeyType": k["keyType"]} for k in index["keySchemas"]],
                "Projection": {"ProjectionType": index["projectionType"]},
            }
            for index in declared["globalSecondaryIndexes"]
        ],
    )
    return name
