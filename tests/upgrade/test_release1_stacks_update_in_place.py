"""`pulumi up` on a stack deployed with the program before it was a component (the graph recorded
in release1_graph.json) updates it in place: every resource of that graph is taken over, by the URN
or an alias of a resource of today's graph, with its type and the inputs that name it. engine.py
does what the engine does with the URNs and aliases (no engine runs here)."""

import json
from pathlib import Path

import pytest

from engine import name_of, resource_type, take_over
from program import PROJECT, run_program
from record_release1_graph import NAMING_INPUTS, VARIANTS

RELEASE1 = json.loads((Path(__file__).parent / "release1_graph.json").read_text())
# What holds data or identity: replacing one of these loses data, or changes a name others use.
STATEFUL = {
    "aws:s3/bucket:Bucket", "aws:sqs/queue:Queue", "aws:dynamodb/table:Table", "aws:cloudwatch/logGroup:LogGroup",
    "aws:kms/key:Key", "aws:sns/topic:Topic", "aws:lambda/function:Function", "aws:transcribe/vocabulary:Vocabulary",
    "aws:transcribe/vocabularyFilter:VocabularyFilter", "aws:cloudwatch/dashboard:Dashboard", "aws:budgets/budget:Budget",
}  # fmt: skip


@pytest.fixture(scope="module", params=VARIANTS)
def upgrade(request):
    stack, overrides = VARIANTS[request.param]
    program = run_program(stack, overrides)
    release1 = RELEASE1["graphs"][request.param]
    return release1, program, take_over(program.resources, set(release1["urns"]), stack, PROJECT)


def test_every_resource_of_the_release1_graph_is_taken_over_by_one_of_today(upgrade):
    release1, _, taken = upgrade

    assert set(release1["urns"]) - set(taken) == set()
    # Not vacuous: the graph holds the buckets, queues, table, log groups, key... of the stack.
    assert len([old for old in release1["urns"] if resource_type(old) in STATEFUL]) >= 14


def test_each_resource_taken_over_keeps_its_type_and_the_inputs_that_name_it(upgrade):
    release1, program, taken = upgrade
    resources = {r.name: r for r in program.resources}
    for old, new in taken.items():
        assert resource_type(old) == resource_type(new), (old, new)
    for old, names in release1["names"].items():
        resource = resources[name_of(taken[old])]
        assert {key: resource.inputs.get(key) for key in NAMING_INPUTS[resource.type]} == names, old


def test_the_stack_keeps_its_job_name_prefix_and_so_its_event_filter(upgrade):
    release1, program, _ = upgrade
    assert program.outputs["jobNamePrefix"] == release1["jobNamePrefix"]
    pattern = json.loads(program.named("completion-rule").inputs["eventPattern"])
    assert pattern["detail"]["TranscriptionJobName"] == [{"prefix": release1["jobNamePrefix"]}]


def test_without_the_aliases_no_bucket_queue_table_or_log_group_would_be_found_again():
    """The aliases do the work: without them every stateful resource would be replaced."""
    program = run_program("dev")

    taken = take_over(program.resources, set(RELEASE1["graphs"]["dev"]["urns"]), "dev", PROJECT, follow_aliases=False)

    assert not [old for old in taken if resource_type(old) in STATEFUL]
