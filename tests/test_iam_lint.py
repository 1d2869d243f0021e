"""parliament (duo-labs' IAM linter, with its own copy of AWS's Service Authorization Reference)
reads every identity policy the program declares: no action that does not exist, no resource an
action does not take, no `Resource: "*"` where the action takes an ARN, no condition key the
action does not know."""

import json

import pytest
from parliament import analyze_policy_string

from program import run_program
from test_program_options import EVERY_OPTION

CONFIGURATIONS = {
    "dev": ("dev", None),
    "prod": ("prod", None),
    "dev-notify-no-queueing": ("dev", {"notifyEmail": "a@b.co", "jobQueueing": False}),
    "prod-every-transcribe-option": ("prod", EVERY_OPTION),
}


def findings(document: str) -> list[str]:
    policy = analyze_policy_string(document, include_community_auditors=False)
    return [f"{finding.issue}: {finding.detail}" for finding in policy.findings]


@pytest.mark.parametrize("configuration", CONFIGURATIONS)
def test_parliament_finds_nothing_in_any_identity_policy_of_the_program(configuration):
    stack, overrides = CONFIGURATIONS[configuration]
    program = run_program(stack, overrides)
    policies = program.of_type("aws:iam/policy:Policy")
    assert len(policies) >= 2  # the two functions' (and the data-access role's, with queueing)
    for policy in policies:
        assert findings(policy.inputs["policy"]) == [], policy.name


def test_parliament_would_report_a_star_where_an_arn_is_taken():
    """Not vacuous: the same check on a grant of GetTranscriptionJob on every job."""
    document = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["transcribe:GetTranscriptionJob"], "Resource": ["*"]}]}
    assert [f.split(":")[0] for f in findings(json.dumps(document))] == ["RESOURCE_STAR"]


def test_parliament_finds_nothing_in_the_alarm_topic_s_and_key_s_policies_with_a_budget():
    """The resource policies a budget adds. In a key policy `"Resource": "*"` means the key itself
    (KMS Developer Guide, "Creating a key policy": every example uses it), which parliament, written
    for identity policies, reports as RESOURCE_STAR: that finding alone is expected there."""
    program = run_program("prod", {"monthlyBudget": 100})
    assert findings(program.named("observability-alarms-policy").inputs["policy"]) == []
    key_findings = findings(program.named("observability-alarm-key").inputs["policy"])
    assert key_findings and {finding.split(":")[0] for finding in key_findings} == {"RESOURCE_STAR"}
