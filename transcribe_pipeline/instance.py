"""The names one pipeline gives what it cannot leave to Pulumi's auto-naming: the prefix of its
Transcribe jobs (and vocabularies), its log groups, its dashboard and its metrics namespace.

The stack's own pipeline (the project's program) keeps the names the program gave them before it
was a component, so that its jobs, `mediactl clean` and its EventBridge filter still match. Any
other pipeline takes its names from the project, the stack and its own name, so that two pipelines
never match each other's jobs, metrics or dashboard.
"""

import hashlib
import re
import unicodedata
import weakref
from dataclasses import dataclass

import pulumi

from transcribe_pipeline.function import naming
from transcribe_pipeline.errors import SettingsError

# Each part of a job-name prefix is cut to this many characters, as naming.job_name_prefix does.
PART_MAX = 24
DIGEST_LENGTH = 6
_NOT_IN_NAME = re.compile(r"[^0-9A-Za-z._-]+")
# CloudWatch dashboard names: letters, digits, '-' and '_'.
_NOT_IN_DASHBOARD_NAME = re.compile(r"[^0-9A-Za-z_-]")


@dataclass(frozen=True)
class InstanceNames:
    pipeline: str
    """The component's name."""
    job_name_prefix: str
    """Every Transcribe job and vocabulary of the pipeline is named with this prefix."""
    scope: str
    """What the log groups and the dashboard are named after."""
    metrics_namespace: str
    """The CloudWatch namespace of the functions' own metrics."""

    @property
    def dashboard_name(self) -> str:
        return _NOT_IN_DASHBOARD_NAME.sub("-", self.scope)

    def log_group_prefix(self, stage: str) -> str:
        """A function's log group is named '<this><generated suffix>'."""
        return f"/aws/lambda/{self.scope}-{stage}-"


def stack_names(pipeline: str, project: str, stack: str) -> InstanceNames:
    """The names the project's program gave the stack's one pipeline before it was a component."""
    return InstanceNames(pipeline, naming.job_name_prefix(project, stack), f"{project}-{stack}", f"{project}/{stack}")


def instance_names(pipeline: str, project: str, stack: str) -> InstanceNames:
    """Names of the pipeline's own: `<project>-<stack>-<pipeline>-<digest>-` for its jobs (at most
    Transcribe's 64 characters, a digest of all three names keeps pipelines apart however they are
    cut), and the pipeline's name after the stack's in the others."""
    parts = [_readable(project)[:PART_MAX], _readable(stack)[:PART_MAX]]
    room = naming.JOB_NAME_PREFIX_MAX - len("-".join(parts)) - DIGEST_LENGTH - 3
    parts.append(_readable(pipeline)[:room].strip("-._") or "x")
    digest = hashlib.sha256("\0".join((project, stack, pipeline)).encode("utf-8")).hexdigest()[:DIGEST_LENGTH]
    prefix = f"{'-'.join(parts)}-{digest}-"
    readable = _readable(pipeline)
    return InstanceNames(pipeline, prefix, f"{project}-{stack}-{readable}", f"{project}/{stack}/{readable}")


def _readable(text: str) -> str:
    """Letters without accents, digits and ._- ; anything else becomes '-'."""
    ascii_text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return _NOT_IN_NAME.sub("-", ascii_text).strip("-._") or "x"


@dataclass(frozen=True)
class _Claim:
    names: InstanceNames
    budget: bool


# The pipelines of each program run, by its stack resource: checked against each other as each
# one is made. (A component built by the provider for another language has no stack resource in
# its process: it is checked when the consumer's program is, by the names alone.)
_CLAIMS: "weakref.WeakKeyDictionary[pulumi.Resource, list[_Claim]]" = weakref.WeakKeyDictionary()


def claim(names: InstanceNames, budget: bool) -> None:
    """Refuse a pipeline whose names would collide with another's of the same program: a job-name
    prefix that starts another's (one would take the other's jobs), the same dashboard or metrics,
    or a second budget of the stack."""
    root = pulumi.runtime.get_root_resource()
    if root is None:
        return
    claims = _CLAIMS.setdefault(root, [])
    for other in claims:
        mine, theirs = names.job_name_prefix, other.names.job_name_prefix
        if mine.startswith(theirs) or theirs.startswith(mine):
            raise SettingsError(
                f"pipelines {other.names.pipeline!r} and {names.pipeline!r} have the job-name prefixes {theirs!r} and {mine!r}:"
                " one would take the other's jobs; give them other names (only one may keep the stack's names)"
            )
        if names.dashboard_name == other.names.dashboard_name or names.metrics_namespace == other.names.metrics_namespace:
            raise SettingsError(
                f"pipelines {other.names.pipeline!r} and {names.pipeline!r} would share the dashboard {names.dashboard_name!r}"
                f" or the metrics namespace {names.metrics_namespace!r}: give them names that differ in letters or digits"
            )
        if budget and other.budget:
            raise SettingsError(
                f"monthlyBudget is set on pipelines {other.names.pipeline!r} and {names.pipeline!r} of one stack: a budget counts"
                " the stack's resources by their project and stack tags, so set it on one"
            )
    claims.append(_Claim(names, budget))
