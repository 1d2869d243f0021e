"""Where a command acts: a deployed stack's outputs (`--stack`), or names given as flags."""

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

import yaml

from transcribe_pipeline.function import naming
from mediactl.errors import BadInput, ToolError

# The Pulumi project (Pulumi.yaml) is the directory that holds the mediactl package.
PROJECT_DIR = Path(__file__).resolve().parent.parent
STACK_OUTPUT_TIMEOUT = 120

# Stack output -> Target field.
OUTPUTS = {
    "inputBucket": "input_bucket",
    "outputBucket": "output_bucket",
    "functionName": "function_name",
    "completionFunctionName": "completion_function_name",
    "failureQueueUrl": "failure_queue_url",
    "uploadQueueUrl": "upload_queue_url",
    "deadLetterQueueUrl": "dead_letter_queue_url",
    "region": "region",
    "jobNamePrefix": "job_name_prefix",
    "outputPrefix": "output_prefix",
    "keyPrefix": "key_prefix",
}


@dataclass(frozen=True)
class Target:
    """The pipeline's names, as far as a command knows them."""

    stack: str | None = None
    input_bucket: str | None = None
    output_bucket: str | None = None
    function_name: str | None = None
    completion_function_name: str | None = None
    failure_queue_url: str | None = None
    # None on a stack from before the upload queue (S3 invoked the upload function directly).
    upload_queue_url: str | None = None
    dead_letter_queue_url: str | None = None
    # None: the region of the AWS environment.
    region: str | None = None
    # Empty: every job (only when no stack says otherwise).
    job_name_prefix: str = ""
    output_prefix: str = naming.DEFAULT_OUTPUT_PREFIX
    key_prefix: str = ""

    def command(self, words: str) -> str:
        """A follow-up command for the user to run on the same stack, in backquotes."""
        where = f" --stack {self.stack}" if self.stack else ""
        return f"`python -m mediactl {words}{where}`"


def stack_target(stack: str, needed: tuple[str, ...], instead: str = "") -> Target:
    """The Target of a deployed stack; fails with one line if an output in `needed` is missing.
    `instead` is what the command takes in place of --stack, for the hint without the Pulumi CLI."""
    outputs = stack_outputs(stack, instead=instead)
    if missing := [name for name in needed if name not in outputs]:
        raise ToolError(
            f"stack {stack!r} has no output {', '.join(map(repr, missing))}"
            " (is it deployed? run `pulumi up`, and `pulumi stack output` to see its outputs)"
        )
    known = {field: outputs[name] for name, field in OUTPUTS.items() if name in outputs}
    return Target(stack=stack, **known)


def stack_outputs(stack: str, project_dir: Path = PROJECT_DIR, instead: str = "") -> dict:
    """`pulumi stack output --json --stack STACK`, run in the project directory."""
    command = ["pulumi", "stack", "output", "--json", "--stack", stack]
    try:
        result = subprocess.run(
            command,
            cwd=project_dir,
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            timeout=STACK_OUTPUT_TIMEOUT,
        )
    except FileNotFoundError:
        raise ToolError(
            "the Pulumi CLI is not on PATH: install it (https://www.pulumi.com/docs/install/)"
            f" to use --stack{f', or {instead}' if instead else ''}"
        ) from None
    except subprocess.TimeoutExpired:
        raise ToolError(f"`{' '.join(command)}` did not answer within {STACK_OUTPUT_TIMEOUT} s") from None
    if result.returncode != 0:
        raise _stack_output_failure(stack, result.stderr or result.stdout, project_dir)
    try:
        outputs = json.loads(result.stdout)
    except json.JSONDecodeError:
        outputs = None
    if not isinstance(outputs, dict):
        raise ToolError(f"`pulumi stack output --json --stack {stack}` did not print a JSON object")
    return outputs


def _stack_output_failure(stack: str, text: str, project_dir: Path) -> ToolError:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    reason = next((line for line in lines if line.lower().startswith("error:")), lines[-1] if lines else "")
    if "no stack named" in reason:
        return BadInput(f"no stack named {stack!r} in the project at {project_dir} (`pulumi stack ls` lists them)")
    return ToolError(f"`pulumi stack output --stack {stack}` failed: {reason or 'no message'}")


def job_name_prefix_of(stack: str, outputs: dict, project_dir: Path = PROJECT_DIR) -> str:
    """The stack's job-name prefix: its output, or, once `pulumi destroy` has removed the
    outputs, the same shared rule the program applies to the project and stack names."""
    if outputs.get("jobNamePrefix"):
        return outputs["jobNamePrefix"]
    # `org/project/stack` and `org/stack` name the same stack as `stack`.
    return naming.job_name_prefix(project_name(project_dir), stack.rsplit("/", 1)[-1])


def project_name(project_dir: Path = PROJECT_DIR) -> str:
    try:
        project = yaml.safe_load((project_dir / "Pulumi.yaml").read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise ToolError(f"cannot read the project's name from {project_dir / 'Pulumi.yaml'}: {error}") from None
    if not isinstance(project, dict) or not project.get("name"):
        raise ToolError(f"{project_dir / 'Pulumi.yaml'} has no project name")
    return str(project["name"])
