"""Hand-made resources for the tests of the pack's policies, and a way to run one policy on them."""

import json

import bucket_rules
import policy_resources as kinds
import security_policies as rules
from pack_harness import Resource, run_policy

ACCOUNT = "123456789012"
POLICIES = {policy.name: policy for policy in rules.POLICIES}


def violations(policy_name: str, *resources: Resource):
    return run_policy(POLICIES[policy_name], list(resources))


def document(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def bucket(name: str = "media-bucket") -> Resource:
    physical = f"{name}-1a2b3c4"
    return Resource(kinds.BUCKET, name, {"bucket": physical}, {"bucket": physical, "arn": f"arn:aws:s3:::{physical}"})


def public_access_block(of: Resource, **settings) -> Resource:
    inputs = {"bucket": of.outputs["bucket"], **dict.fromkeys(bucket_rules.PUBLIC_ACCESS_SETTINGS, True), **settings}
    return Resource(kinds.PUBLIC_ACCESS_BLOCK, f"{of.name}-public-access", inputs)


def tls_deny(of: Resource, **overrides) -> dict:
    arn = of.outputs["arn"]
    statement = {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [arn, f"{arn}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    statement.update(overrides)
    return statement


def bucket_policy(of: Resource, *statements: dict) -> Resource:
    policy = document(*(statements or [tls_deny(of)]))
    return Resource(kinds.BUCKET_POLICY, f"{of.name}-tls-only", {"bucket": of.outputs["bucket"], "policy": policy})


def guarded(of: Resource) -> list[Resource]:
    return [of, public_access_block(of), bucket_policy(of)]
