"""The whole pack on what our program declares, for each stack, and the pack as the CLI loads it."""

import json
import re
import runpy
import sys
from importlib.metadata import version

import pulumi_policy
import pytest
import yaml
from pulumi_policy import EnforcementLevel, ResourceValidationPolicy, StackValidationPolicy

import policy_resources as kinds
import security_policies as rules
from pack_harness import POLICY_DIR, Resource, from_recorded, run_pack
from program import PIPELINE, ROOT, run_program

# The stack files, and dev with the optional parts switched the other way.
CONFIGURATIONS = {
    "dev": ("dev", None),
    "prod": ("prod", None),
    "dev-notify-no-queueing": ("dev", {"notifyEmail": "a@b.co", "jobQueueing": False}),
    "dev-every-transcribe-option": ("dev", {
        "vocabularyFile": "tests/vocabulary/terms.txt", "vocabularyFilterWords": ["darn"], "channelIdentification": True,
        "redactPii": "redacted_and_unredacted", "subtitleFormats": [],
    }),  # fmt: skip
    "prod-budget-and-limit": ("prod", {"monthlyBudget": 200, "costAllocationTags": True, "maxJobsPerDay": 1000}),
}


@pytest.fixture(scope="module")
def programs():
    """Each configuration's recorded program, evaluated on first use."""
    cache = {}

    def get(configuration: str):
        if configuration not in cache:
            stack, overrides = CONFIGURATIONS[configuration]
            cache[configuration] = run_program(stack, overrides)
        return cache[configuration]

    return get


def program_resources(programs, configuration: str) -> list[Resource]:
    return [from_recorded(recorded) for recorded in programs(configuration).resources]


def named(resources: list[Resource], role: str) -> Resource:
    """The resource of this role in the program's pipeline (`upload-queue-policy` for
    `pipeline-upload-queue-policy`)."""
    (found,) = [r for r in resources if r.name == f"{PIPELINE}-{role}"]
    return found


@pytest.mark.parametrize("configuration", CONFIGURATIONS)
def test_the_pack_passes_on_every_resource_the_program_declares(programs, configuration):
    resources = program_resources(programs, configuration)
    # Not vacuous: the program declares what every policy is about.
    types = {r.type for r in resources}
    assert {kinds.BUCKET, kinds.PUBLIC_ACCESS_BLOCK, kinds.BUCKET_POLICY, kinds.BUCKET_LOGGING, kinds.FUNCTION, kinds.EVENT_INVOKE_CONFIG,
            kinds.PERMISSION, kinds.LOG_GROUP, kinds.ROLE, "aws:iam/policy:Policy", kinds.QUEUE, kinds.QUEUE_POLICY,
            kinds.EVENT_SOURCE_MAPPING, kinds.METRIC_ALARM} <= types  # fmt: skip
    assert run_pack(resources) == []


# --- the pack catches one broken property in the program ----------------------------------------


def set_property(name: str, key: str, value):
    """Change an input of one resource (and the state the mocks derived from it)."""

    def change(resources):
        resource = named(resources, name)
        for props in (resource.inputs, resource.outputs):
            if value is None:
                props.pop(key)
            else:
                props[key] = value

    return change


def remove(name: str):
    def change(resources):
        resources.remove(named(resources, name))

    return change


def edit_document(name: str, edit):
    def change(resources):
        resource = named(resources, name)
        document = json.loads(resource.inputs["policy"])
        edit(document["Statement"])
        resource.inputs["policy"] = resource.outputs["policy"] = json.dumps(document)

    return change


BROKEN = {
    "public-acls-honoured": (set_property("media-public-access", "ignorePublicAcls", False),
                             {"s3-buckets-private-and-tls-only"}, "media-public-access"),
    "no-tls-policy": (remove("transcripts-tls-only"), {"s3-buckets-private-and-tls-only"}, "transcripts-bucket"),
    "no-access-logging": (remove("access-logs-transcripts-logging"), {"s3-buckets-log-access"}, "transcripts-bucket"),
    # An Allow of s3:* to everyone: no longer a TLS guard, and a wildcard grant.
    "tls-deny-made-allow": (edit_document("media-tls-only", lambda statements: statements[0].update(Effect="Allow")),
                            {"s3-buckets-private-and-tls-only", "iam-no-wildcard-grants"}, "media-"),
    "s3-on-star": (edit_document("upload-handler-policy", lambda statements: statements.append(
                       {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"})),
                   {"iam-no-wildcard-grants"}, "upload-handler-policy"),
    "full-access-attached": (set_property("upload-handler-policy-attachment", "policyArn",
                                          "arn:aws:iam::aws:policy/AmazonS3FullAccess"),
                             {"iam-no-broad-managed-policies"}, "upload-handler-policy-attachment"),
    "s3-may-send-for-any-account": (edit_document("upload-queue-policy", lambda statements: statements[0]["Condition"].pop("StringEquals")),
                                    {"sqs-queue-policy-names-its-source"}, "upload-queue-policy"),
    "events-may-send-for-any-rule": (edit_document("failures-policy", lambda statements: statements[0].pop("Condition")),
                                     {"sqs-queue-policy-names-its-source"}, "failures-policy"),
    "events-permission-without-rule": (set_property("completion-invoke-permission", "sourceArn", None),
                                       {"lambda-permission-names-its-source"}, "completion-invoke-permission"),
    "deprecated-runtime": (set_property("completion-handler-lambda", "runtime", "python3.9"),
                           {"lambda-supported-python-runtime"}, "completion-handler-lambda"),
    "no-failure-destination": (remove("completion-handler-async"), {"lambda-failure-destination"}, "completion-handler-lambda"),
    "upload-queue-without-dead-letters": (set_property("upload-queue-queue", "redrivePolicy", None),
                                          {"lambda-failure-destination"}, "upload-handler-lambda"),
    "upload-function-fed-by-no-queue": (remove("upload-source"), {"lambda-failure-destination"}, "upload-handler-lambda"),
    "dead-letters-unwatched": (remove("observability-dead-letters"), {"sqs-queues-have-alarms"}, "upload-queue-dead-letters"),
    "backlog-alarm-on-another-queue": (set_property("observability-backlog-age", "dimensions", {"QueueName": "some-other-queue"}),
                                       {"sqs-queues-have-alarms"}, "upload-queue-queue"),
    "failure-alarm-tells-no-one": (set_property("observability-failures", "alarmActions", []), {"sqs-queues-have-alarms"}, "failures-queue"),
    "logs-kept-forever": (set_property("completion-handler-logs", "retentionInDays", None),
                          {"log-groups-have-retention"}, "completion-handler-logs"),
}  # fmt: skip


@pytest.mark.parametrize("configuration", ["dev", "prod"])
@pytest.mark.parametrize("broken", BROKEN)
def test_the_pack_fails_when_one_property_of_the_program_is_broken(programs, configuration, broken):
    change, policies, resource_name = BROKEN[broken]
    resources = program_resources(programs, configuration)
    change(resources)
    found = run_pack(resources)
    assert {v.policy for v in found} == policies
    assert all(v.urn.rsplit("::", 1)[1].startswith(f"{PIPELINE}-{resource_name}") for v in found), found


# --- the pack as `pulumi preview --policy-pack policy` loads it ---------------------------------


def test_the_pack_runs_every_policy_as_mandatory(monkeypatch):
    """Run policy/ as the CLI does (`runpy.run_path` of the directory, which puts it first on the
    path), from a clean import state, with PolicyPack recording instead of serving."""
    packs = []
    monkeypatch.setattr(pulumi_policy, "PolicyPack", lambda **kwargs: packs.append(kwargs))
    monkeypatch.setattr(sys, "path", [entry for entry in sys.path if entry != str(POLICY_DIR)])
    monkeypatch.delitem(sys.modules, "security_policies")
    runpy.run_path(str(POLICY_DIR), run_name="__main__")
    (pack,) = packs
    assert pack["name"] == "transcribe-pipeline-security"
    assert pack["enforcement_level"] is EnforcementLevel.MANDATORY
    assert [p.name for p in pack["policies"]] == [p.name for p in rules.POLICIES]


def test_every_policy_is_mandatory_named_once_and_documented():
    names = [policy.name for policy in rules.POLICIES]
    documented = re.findall(r"^\| `([a-z0-9-]+)` \| ", (ROOT / "docs" / "security.md").read_text(), flags=re.MULTILINE)
    assert len(set(names)) == len(names) and set(names) <= set(documented)
    for policy in rules.POLICIES:
        assert isinstance(policy, (ResourceValidationPolicy, StackValidationPolicy))
        assert policy.enforcement_level is EnforcementLevel.MANDATORY, policy.name


def test_the_cli_runs_the_pack_with_the_packages_the_tests_use():
    project = yaml.safe_load((POLICY_DIR / "PulumiPolicy.yaml").read_text())
    assert project["runtime"] == {"name": "python", "options": {"toolchain": "pip", "virtualenv": "venv"}}
    assert project["description"]
    pins = {
        line.split("==")[0]: line.split("==")[1]
        for line in (POLICY_DIR / "requirements.txt").read_text().splitlines()
        if "==" in line and not line.startswith("#")
    }
    assert pins == {"pulumi-policy": version("pulumi-policy"), "pulumi": version("pulumi")}
    assert f"pulumi=={pins['pulumi']}" in (ROOT / "requirements.txt").read_text().splitlines()
