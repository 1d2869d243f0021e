"""The rules about Lambda functions: a supported Python runtime, and somewhere to keep the events
they could not process."""

import json

from pulumi_policy import (
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    StackValidationArgs,
)

from policy_resources import (
    EVENT_INVOKE_CONFIG,
    EVENT_SOURCE_MAPPING,
    FUNCTION,
    FUNCTION_IDS,
    QUEUE,
    UNKNOWN,
    NotKnownAtPreview,
    claimed_by,
    is_set,
    of_type,
    read,
    refers_to,
)

# The Python runtimes AWS patches and still lets you create functions on. python3.9 was deprecated
# on 15 December 2025 (no more security patches); python3.10 follows CPython 3.10's end of life
# (October 2026): drop it when AWS's runtime table deprecates it.
# https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html
SUPPORTED_PYTHON_RUNTIMES = ("python3.10", "python3.11", "python3.12", "python3.13", "python3.14")


def check_supported_python_runtime(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != FUNCTION:
        return
    runtime = args.props.get("runtime")
    if runtime not in SUPPORTED_PYTHON_RUNTIMES:
        report_violation(
            f"Lambda function '{args.name}' runs {runtime or 'no managed runtime'}; set runtime to one of"
            f" {', '.join(SUPPORTED_PYTHON_RUNTIMES)}."
        )


def fed_by_a_queue_with_dead_letters(function: PolicyResource, resources: list[PolicyResource]) -> bool:
    """Whether an event source mapping feeds the function from a queue with a redrive policy: that
    queue, not an invoke configuration, keeps what the function could not process."""
    mappings, _ = claimed_by(function, of_type(resources, EVENT_SOURCE_MAPPING), "functionName", FUNCTION_IDS)
    for mapping in mappings:
        for queue in of_type(resources, QUEUE):
            if refers_to(mapping, "eventSourceArn", queue, ("arn",)) is not True:
                continue
            redrive = read(queue.props, "redrivePolicy")
            if redrive is UNKNOWN or (isinstance(redrive, str) and is_set(json.loads(redrive or "{}").get("deadLetterTargetArn"))):
                return True
    return False


def check_failure_destination(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    configs = of_type(args.resources, EVENT_INVOKE_CONFIG)
    pending: list[str] = []
    for function in of_type(args.resources, FUNCTION):
        if is_set(read(function.props, "deadLetterConfig", "targetArn")):
            continue
        if fed_by_a_queue_with_dead_letters(function, args.resources):
            continue
        mine, undecided = claimed_by(function, configs, "functionName", FUNCTION_IDS)
        destinations = [read(c.props, "destinationConfig", "onFailure", "destination") for c in mine]
        if any(is_set(destination) for destination in destinations):
            continue
        if undecided:
            pending.append(f"which invoke configuration belongs to function '{function.name}'")
            continue
        report_violation(
            f"Lambda function '{function.name}' has no failure destination; add an"
            " aws.lambda_.FunctionEventInvokeConfig with destination_config.on_failure.destination, give"
            " the function a dead_letter_config, or feed it from an SQS queue with a redrive policy, so"
            " that events it fails to process are kept.",
            function.urn,
        )
    if pending:
        raise NotKnownAtPreview(pending)
