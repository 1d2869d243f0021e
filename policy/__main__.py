"""The pipeline's policy pack: `pulumi preview --stack dev --policy-pack policy` runs it.

The policies are listed in `security_policies.py` (the rules in a module per concern beside it),
where the tests import them without starting the pack's gRPC server (which constructing a
PolicyPack does).
"""

from pulumi_policy import EnforcementLevel, PolicyPack

from security_policies import POLICIES

PolicyPack(
    name="transcribe-pipeline-security",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=POLICIES,
)
