"""Run the pack's policies on resources the way the Pulumi engine does, without the engine.

- A resource policy sees one resource's inputs (`ResourceValidationArgs.props`), once per resource.
- A stack policy sees every resource's outputs, with its parent, dependencies and the resources
  each property was computed from (`StackValidationArgs.resources`), once per stack.
- Properties are wrapped in the SDK's unknown-checking proxy, as the engine's are: reading a value
  that is not known at preview (`UNKNOWN` below) raises `UnknownValueError`, which the SDK reports
  as "can't run policy during preview".
"""

import asyncio
import copy
import inspect
from dataclasses import dataclass, field
from pathlib import Path

from pulumi_policy import (
    Policy,
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, unknown_checking_proxy

# policy/ is on the path (pytest.ini), as the CLI puts it when it runs the pack.
from security_policies import POLICIES

POLICY_DIR = Path(__file__).resolve().parents[2] / "policy"

UNKNOWN = UNKNOWN_STRING_VALUE
"""What the engine sends, at preview, for a value computed from a resource not created yet."""


@dataclass
class Resource:
    """A resource as the engine describes it to a policy pack."""

    type: str
    name: str
    inputs: dict
    outputs: dict | None = None
    """The resource's state after it is created; defaults to its inputs."""
    urn: str = ""
    parent: str = ""
    dependencies: list[str] = field(default_factory=list)
    property_dependencies: dict[str, list[str]] = field(default_factory=dict)
    """For each input property, the URNs of the resources it was computed from."""

    def __post_init__(self):
        self.urn = self.urn or f"urn:pulumi:test::transcribe-pipeline::{self.type}::{self.name}"
        if self.outputs is None:
            self.outputs = self.inputs


@dataclass(frozen=True)
class Violation:
    policy: str
    message: str
    urn: str


def from_recorded(recorded) -> Resource:
    """A resource `tests/program.py` recorded under Pulumi mocks (its mocks' state as outputs)."""
    return Resource(
        type=recorded.type,
        name=recorded.name,
        inputs=copy.deepcopy(recorded.inputs),
        outputs=copy.deepcopy(recorded.state),
        urn=recorded.urn,
        parent=recorded.parent,
        dependencies=list(recorded.dependencies),
    )


def _options(resource: Resource) -> PolicyResourceOptions:
    return PolicyResourceOptions(
        protect=False,
        ignore_changes=[],
        delete_before_replace=None,
        aliases=[],
        custom_timeouts=PolicyCustomTimeouts(0, 0, 0),
        additional_secret_outputs=[],
        parent=resource.parent or None,
    )


def resource_args(resource: Resource) -> ResourceValidationArgs:
    props = unknown_checking_proxy(copy.deepcopy(resource.inputs))
    return ResourceValidationArgs(resource.type, props, resource.urn, resource.name, _options(resource), None)


def stack_args(resources: list[Resource]) -> StackValidationArgs:
    """Like the SDK's AnalyzeStack: parents and dependencies become the PolicyResources they name."""
    by_urn = {
        r.urn: PolicyResource(
            r.type, unknown_checking_proxy(copy.deepcopy(r.outputs)), r.urn, r.name, _options(r), None, None, [], {}
        )
        for r in resources
    }
    for r in resources:
        policy_resource = by_urn[r.urn]
        policy_resource.parent = by_urn.get(r.parent)
        policy_resource.dependencies = [by_urn[urn] for urn in r.dependencies if urn in by_urn]
        policy_resource.property_dependencies = {
            prop: [by_urn[urn] for urn in urns if urn in by_urn] for prop, urns in r.property_dependencies.items()
        }
    return StackValidationArgs(list(by_urn.values()))


def _settle(result) -> None:
    if inspect.isawaitable(result):
        asyncio.run(result)


def run_policy(policy: Policy, resources: list[Resource]) -> list[Violation]:
    """The violations one policy reports on these resources."""
    violations: list[Violation] = []
    if isinstance(policy, ResourceValidationPolicy):
        for resource in resources:

            def report(message: str, urn: str | None = None, resource=resource) -> None:
                violations.append(Violation(policy.name, message, resource.urn))

            _settle(policy.validate(resource_args(resource), report))
    elif isinstance(policy, StackValidationPolicy):

        def report(message: str, urn: str | None = None) -> None:
            violations.append(Violation(policy.name, message, urn or ""))

        _settle(policy.validate(stack_args(resources), report))
    else:
        raise TypeError(f"{policy.name} is neither a resource nor a stack policy")
    return violations


def run_pack(resources: list[Resource], policies=POLICIES) -> list[Violation]:
    """Every violation the pack reports on these resources."""
    return [violation for policy in policies for violation in run_policy(policy, resources)]
