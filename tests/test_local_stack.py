"""The `local` stack (Pulumi.local.yaml) points every AWS service the program uses at the emulator,
and docs/without-aws.md says how to use it, on its usual port or another."""

import json
import re
import shutil
import subprocess

from program import ROOT, run_program, stack_config

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


PAGE = (ROOT / "docs" / "without-aws.md").read_text()


def test_the_page_says_upload_wait_works_on_the_emulator_as_the_end_to_end_suite_shows():
    assert "does not\nwork against MiniStack yet" not in PAGE and "does not work against MiniStack" not in PAGE
    e2e = (ROOT / "tests" / "e2e" / "test_pipeline.py").read_text() + (ROOT / "tests" / "e2e" / "test_selftest.py").read_text()
    assert '"--wait"' in e2e and '"selftest"' in e2e


def test_the_page_s_other_port_stack_file_sends_every_service_to_that_port(tmp_path):
    """The page's commands for MiniStack on another port, run on copies of the project files:
    the stack they make differs from `local` in its endpoints' port alone."""
    section = PAGE.split("**On another port.**", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    (sed,) = [line for line in section.splitlines() if line.startswith("sed ")]
    port = re.search(r"GATEWAY_PORT=(\d+)", section)[1]
    stack = re.search(r"> Pulumi\.(\S+)\.yaml", sed)[1]
    for name in ("Pulumi.yaml", "Pulumi.local.yaml"):
        shutil.copy(ROOT / name, tmp_path / name)

    subprocess.run(["sh", "-c", sed], cwd=tmp_path, check=True)

    local, other = stack_config("local"), stack_config(stack, root=tmp_path)
    (endpoints,) = json.loads(other.pop("aws:endpoints"))
    local.pop("aws:endpoints")
    assert set(endpoints.values()) == {f"http://localhost:{port}"}
    assert other == local
    assert f"AWS_ENDPOINT_URL=http://localhost:{port}" in section and f"pulumi up --stack {stack}" in section
