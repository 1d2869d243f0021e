"""The `local` stack (Pulumi.local.yaml) points every AWS service the program uses at the emulator."""

import json

from program import run_program

# The provider's `aws:endpoints` key for each pulumi_aws module the program declares resources of.
ENDPOINT_KEYS = {
    "s3": {"s3"},
    "sqs": {"sqs"},
    "lambda": {"lambda"},
    "iam": {"iam"},
    "cloudwatch": {"cloudwatchlogs", "cloudwatchevents", "cloudwatch"},
    "sns": {"sns"},
    "kms": {"kms"},
    "transcribe": {"transcribe"},
    "dynamodb": {"dynamodb"},
    "scheduler": {"scheduler"},
}
# The program asks STS who the caller is (aws.get_caller_identity).
CALLED = {"sts"}


def test_the_local_stack_sends_every_service_the_program_uses_to_one_local_endpoint():
    # With the optional topic and vocabulary.
    program = run_program("local", {"notifyEmail": "someone@example.com", "vocabulary": ["Pulumi"]})
    (endpoints,) = json.loads(program.config["aws:endpoints"])
    modules = {resource.type.split(":")[1].split("/")[0] for resource in program.resources if resource.type.startswith("aws:")}

    unknown = modules - set(ENDPOINT_KEYS)
    assert not unknown, f"the program now uses {unknown}: add their endpoints to Pulumi.local.yaml and ENDPOINT_KEYS"
    assert set().union(*(ENDPOINT_KEYS[module] for module in modules), CALLED) <= set(endpoints)
    assert len(set(endpoints.values())) == 1 and next(iter(endpoints.values())).startswith("http://localhost:")
    assert program.config["aws:skipCredentialsValidation"] == "true"
    assert program.config["aws:s3UsePathStyle"] == "true"
