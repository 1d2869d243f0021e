"""Reading IAM policy documents wherever resources hold them, and what an Allow statement grants
too broadly."""

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import ResourceValidationArgs

from policy_resources import BUCKET, BUCKET_POLICY, ROLE, as_list

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
