"""Where a command acts: a deployed stack's outputs, read with the Pulumi CLI (`--stack NAME`) or
from the JSON that `pulumi stack output --json` printed, saved once (`--outputs FILE`); or names
given as flags (`--bucket`, `--job-prefix`).

Every command that acts on a stack gets both options from `add_stack_options` and its Target from
`target_of`, so a file's outputs are used exactly as the CLI's are, and a command without either
says in one line which flag to give.

`--stack` runs `pulumi stack output` in the Pulumi project: the checkout that holds this package
when mediactl runs from one (`python -m mediactl`, an editable install), else the current
directory, where the Pulumi CLI itself looks for Pulumi.yaml (upwards).
"""

import argparse
import json
import shlex
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from mediactl.errors import BadInput, ToolError
from mediactl.terminal import PROGRAM
from transcribe_pipeline.function import naming

# The repository, when mediactl runs from a checkout; installed, the package's parent is
# site-packages, which holds no Pulumi.yaml.
CHECKOUT = Path(__file__).resolve().parent.parent
PROJECT_FILE = "Pulumi.yaml"
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
NO_STACK = "give the stack with --stack NAME (read with the Pulumi CLI) or --outputs FILE (the JSON `pulumi stack output --json` printed)"


@dataclass(frozen=True)
class Target:
    """The pipeline's names, as far as a command knows them."""

    # The flags that named the stack, as the user gave them (`--stack dev`, `--outputs prod.json`),
    # repeated in every follow-up command the tool prints; empty without a stack.
    selection: tuple[str, ...] = ()
    # How messages name the stack: "stack 'dev'", "the stack of prod.json".
    label: str = ""
    # The stack name given with --stack (None with --outputs).
    stack: str | None = None
    # Every output, as `pulumi stack output --json` gives them.
    outputs: dict = field(default_factory=dict, compare=False, repr=False)
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

    def command(self, *words: str) -> str:
        """A follow-up command on the same stack, in backquotes, as it runs when pasted: the
        console script, `words`, then the flags that named the stack."""
        return f"`{shlex.join([PROGRAM, *words, *self.selection])}`"


def add_stack_options(command: argparse.ArgumentParser) -> argparse._MutuallyExclusiveGroup:
    """Give a command `--stack NAME` and `--outputs FILE`, one or the other; returns their group,
    to which the command may add what it takes instead (`--bucket`, `--job-prefix`). The command
    then calls `target_of(args, ...)`."""
    group = command.add_mutually_exclusive_group()
    group.add_argument(
        "--stack", metavar="NAME",
        help="the Pulumi stack, its outputs read with `pulumi stack output` (the Pulumi CLI, run in the project's directory)",
    )  # fmt: skip
    group.add_argument(
        "--outputs", metavar="FILE",
        help="the stack's outputs as `pulumi stack output --json --stack NAME > FILE` saved them: no Pulumi CLI needed",
    )  # fmt: skip
    return group


def target_of(args, needed: tuple[str, ...] = (), instead: str = "") -> Target:
    """The Target that `--stack` or `--outputs` names; fails with one line if an output in
    `needed` is missing, or if neither was given (`instead`: what the command takes in their
    place, e.g. "or the media bucket with --bucket NAME")."""
    if getattr(args, "outputs", None):
        outputs = outputs_file(args.outputs)
        selection, label, stack = ("--outputs", args.outputs), f"the stack of {args.outputs}", None
    elif getattr(args, "stack", None):
        outputs = stack_outputs(args.stack, instead=instead)
        selection, label, stack = ("--stack", args.stack), f"stack {args.stack!r}", args.stack
    else:
        raise BadInput(f"{NO_STACK}{f', {instead}' if instead else ''}")
    if missing := [name for name in needed if name not in outputs]:
        where = (
            "(save the outputs of a deployed stack: `pulumi stack output --json --stack NAME > FILE`)"
            if stack is None
            else "(is it deployed? run `pulumi up`, and `pulumi stack output` to see its outputs)"
        )
        error = BadInput if stack is None else ToolError
        raise error(f"{label} has no output {', '.join(map(repr, missing))} {where}")
    known = {name: outputs[key] for key, name in OUTPUTS.items() if key in outputs}
    return Target(selection=selection, label=label, stack=stack, outputs=outputs, **known)


def outputs_file(path: str) -> dict:
    """The outputs `pulumi stack output --json` printed, saved in a file."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BadInput(f"--outputs {path!r}: no such file (save it with `pulumi stack output --json --stack NAME > {path}`)") from None
    except (OSError, UnicodeDecodeError) as error:
        raise BadInput(f"--outputs {path!r} cannot be read: {getattr(error, 'strerror', None) or error}") from None
    try:
        outputs = json.loads(text)
    except json.JSONDecodeError:
        outputs = None
    if not isinstance(outputs, dict):
        raise BadInput(f"--outputs {path!r} is not the JSON object `pulumi stack output --json` prints")
    return outputs


def project_dir(cwd: Path | None = None) -> Path | None:
    """The Pulumi project's directory: the checkout mediactl runs from, else the nearest directory
    from `cwd` up that holds Pulumi.yaml (as the Pulumi CLI looks for it); None if there is none."""
    if (CHECKOUT / PROJECT_FILE).is_file():
        return CHECKOUT
    here = (cwd or Path.cwd()).resolve()
    return next((directory for directory in (here, *here.parents) if (directory / PROJECT_FILE).is_file()), None)


def stack_outputs(stack: str, instead: str = "") -> dict:
    """`pulumi stack output --json --stack STACK`, run in the project's directory, or in the
    current one when mediactl finds no project (the CLI then says so)."""
    where = project_dir() or Path.cwd()
    command = ["pulumi", "stack", "output", "--json", "--stack", stack]
    try:
        result = subprocess.run(
            command, cwd=where, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=STACK_OUTPUT_TIMEOUT
        )
    except FileNotFoundError:
        raise ToolError(
            "the Pulumi CLI is not on PATH: install it (https://www.pulumi.com/docs/install/) to use --stack,"
            f" or give --outputs FILE, saved where the CLI is{f', {instead}' if instead else ''}"
        ) from None
    except subprocess.TimeoutExpired:
        raise ToolError(f"`{shlex.join(command)}` did not answer within {STACK_OUTPUT_TIMEOUT} s") from None
    if result.returncode != 0:
        raise _stack_output_failure(stack, result.stderr or result.stdout, where)
    try:
        outputs = json.loads(result.stdout)
    except json.JSONDecodeError:
        outputs = None
    if not isinstance(outputs, dict):
        raise ToolError(f"`pulumi stack output --json --stack {stack}` did not print a JSON object")
    return outputs


def _stack_output_failure(stack: str, text: str, where: Path) -> ToolError:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    reason = next((line for line in lines if line.lower().startswith("error:")), lines[-1] if lines else "")
    if "no stack named" in reason:
        return BadInput(f"no stack named {stack!r} in the project at {where} (`pulumi stack ls` lists them)")
    if "no Pulumi.yaml" in reason or "no project file found" in reason:
        return BadInput(
            f"{where} is in no Pulumi project: run mediactl in the project's directory (where {PROJECT_FILE} is),"
            " or give --outputs FILE instead of --stack"
        )
    return ToolError(f"`pulumi stack output --stack {stack}` failed: {reason or 'no message'}")


def job_name_prefix_of(target: Target) -> str:
    """The stack's job-name prefix: its output, or, once `pulumi destroy` has removed the outputs,
    the same shared rule the program applies to the project and stack names. The project's name
    comes from a stack named `org/project/stack`, else from the project's Pulumi.yaml."""
    if target.outputs.get("jobNamePrefix"):
        return target.outputs["jobNamePrefix"]
    if target.stack is None:
        raise BadInput(f"{target.label} has no jobNamePrefix output: save the outputs of a deployed stack, or select the jobs with --job-prefix")
    parts = target.stack.split("/")
    if len(parts) == 3:
        return naming.job_name_prefix(parts[1], parts[2])
    directory = project_dir()
    if directory is None:
        raise BadInput(
            f"stack {target.stack!r} has no jobNamePrefix output (destroyed?), and mediactl finds no {PROJECT_FILE} here"
            f" to work it out from the project's name: run it in the project's directory, name the stack"
            f" ORG/PROJECT/{parts[-1]}, or select the jobs with --job-prefix"
        )
    # `org/stack` names the same stack as `stack`.
    return naming.job_name_prefix(project_name(directory), parts[-1])


def project_name(directory: Path) -> str:
    path = directory / PROJECT_FILE
    try:
        project = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise ToolError(f"cannot read the project's name from {path}: {error}") from None
    if not isinstance(project, dict) or not project.get("name"):
        raise ToolError(f"{path} has no project name")
    return str(project["name"])
