"""The rules about IAM: no broad managed policies, no wildcard grants, and every permission or
resource policy that lets an AWS service in names the source it is for (the confused-deputy
problem)."""

from collections.abc import Mapping

from pulumi_policy import ReportViolation, ResourceValidationArgs
from pulumi_policy.proxy import UnknownValueError

from iam_documents import (
    BROAD_MANAGED_POLICY,
    MANAGED_POLICY_PROPERTIES,
    SERVICE_PRINCIPAL,
    documents_of,
    grant_problems,
    load_document,
    statement_label,
    statements,
)
from policy_resources import PERMISSION, QUEUE_POLICY, TOPIC_POLICY, as_list, is_set, read


def check_no_broad_managed_policies(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    prop = MANAGED_POLICY_PROPERTIES.get(args.resource_type)
    if prop is None:
        return
    for arn in as_list(args.props.get(prop)):
        if BROAD_MANAGED_POLICY.search(str(arn)):
            report_violation(
                f"'{args.name}' attaches the managed policy {arn} ({prop}); attach a customer-managed policy"
                " with the specific actions and resources instead."
            )


def check_no_wildcard_grants(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    for where, value in documents_of(args):
        try:
            document = load_document(value)
        except ValueError:
            report_violation(
                f"The {where} of '{args.name}' is not a JSON policy document this pack can read; write it as"
                " a JSON object with a Statement."
            )
            continue
        for problem in grant_problems(document):
            report_violation(f"The {where} of '{args.name}': {problem}.")


def check_permission_names_its_source(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != PERMISSION:
        return
    principal = args.props.get("principal")
    if not isinstance(principal, str) or not SERVICE_PRINCIPAL.fullmatch(principal):
        return
    if not is_set(read(args.props, "sourceArn")):
        report_violation(
            f"Lambda permission '{args.name}' lets {principal} invoke the function on behalf of any resource;"
            " set source_arn to the bucket, rule or topic that may invoke it."
        )
    if principal.startswith("s3.") and not is_set(read(args.props, "sourceAccount")):
        report_violation(
            f"Lambda permission '{args.name}' lets {principal} invoke the function for a bucket of any account;"
            " set source_account to this account's ID, since bucket ARNs do not name their account."
        )


def service_grants(props) -> list[tuple[str, list[str], set[str]]]:
    """(label, services, condition keys in lower case) of each Allow statement of a resource
    policy whose principal is an AWS service; [] for a document that cannot be read yet."""
    try:
        document = load_document(read(props, "policy"))
    except (ValueError, UnknownValueError):
        return []  # unreadable documents are iam-no-wildcard-grants' to report; unknown ones come at `up`
    found = []
    for index, statement in enumerate(statements(document)):
        principal = statement.get("Principal")
        services = [p for p in as_list(principal.get("Service")) if isinstance(p, str)] if isinstance(principal, Mapping) else []
        if statement.get("Effect") != "Allow" or not services:
            continue
        keys = {key.lower() for values in (statement.get("Condition") or {}).values() if isinstance(values, Mapping) for key in values}
        found.append((statement_label(statement, index), services, keys))
    return found


def check_topic_policy_names_its_source(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != TOPIC_POLICY:
        return
    for label, services, keys in service_grants(args.props):
        if not {"aws:sourcearn", "aws:sourceaccount"} <= keys:
            report_violation(
                f"Topic policy '{args.name}', {label}, lets {', '.join(services)} publish without naming both the"
                " source (aws:SourceArn) and the account (aws:SourceAccount); add the conditions the service documents."
            )


def check_queue_policy_names_its_source(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != QUEUE_POLICY:
        return
    for label, services, keys in service_grants(args.props):
        if "aws:sourcearn" not in keys:
            report_violation(
                f"Queue policy '{args.name}', {label}, lets {', '.join(services)} send on behalf of any resource;"
                " add an aws:SourceArn condition naming the bucket, rule or topic that may send."
            )
        if any(service.startswith("s3.") for service in services) and "aws:sourceaccount" not in keys:
            report_violation(
                f"Queue policy '{args.name}', {label}, lets S3 send for a bucket of any account; add an"
                " aws:SourceAccount condition with this account's ID, since bucket ARNs do not name their account."
            )
