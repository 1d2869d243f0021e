"""Two pipelines in one program (examples/two-languages: English and German) work side by side:
their names differ wherever the pipeline chooses them, each one's event filter, functions, alarms
and dashboard see only its own jobs, queues and metrics, and no role of one may touch the other's
files, queues or ledger."""

import json

import pytest

from function import naming
from program import ROOT, Program, run_program, run_source
from transcribe_pipeline.errors import SettingsError

EXAMPLE = ROOT / "examples" / "two-languages"
PIPELINES = ("english", "german")
HEADER = "import pulumi\nfrom transcribe_pipeline import TranscriptionPipeline\n"


@pytest.fixture(scope="module")
def program() -> Program:
    return run_program("dev", root=EXAMPLE)


def parts(program: Program, pipeline: str) -> list:
    return [r for r in program.resources if r.name == pipeline or r.name.startswith(f"{pipeline}-")]


def part(program: Program, pipeline: str, role: str):
    return program.named(f"{pipeline}-{role}")


def variables(program: Program, pipeline: str, stage: str) -> dict:
    return part(program, pipeline, f"{stage}-handler-lambda").inputs["environment"]["variables"]


def test_every_resource_belongs_to_one_of_the_two_pipelines_and_none_takes_over_the_stack_s_old_names(program):
    english, german = (parts(program, p) for p in PIPELINES)
    assert len(english) + len(german) == len(program.resources)
    # (The AWS provider's own aliases, from the V2 names of the S3 types, name no resource.)
    assert not [r.name for r in program.resources if any(a.get("name") or a.get("noParent") for a in r.aliases)]


def test_their_job_name_prefixes_never_match_each_other_s_jobs(program):
    english, german = (program.outputs[p]["jobNamePrefix"] for p in PIPELINES)
    assert not english.startswith(german) and not german.startswith(english)
    for prefix, pipeline in ((english, "english"), (german, "german")):
        assert prefix.startswith(f"media-platform-dev-{pipeline}-") and len(prefix) <= naming.JOB_NAME_PREFIX_MAX
        # A whole stack prefix to `mediactl clean --job-prefix`, which takes no other without --force.
        assert naming.is_stack_job_name_prefix(prefix)


def test_each_pipeline_s_event_rule_functions_and_iam_name_only_its_own_jobs(program):
    for pipeline in PIPELINES:
        prefix = program.outputs[pipeline]["jobNamePrefix"]
        pattern = json.loads(part(program, pipeline, "completion-rule").inputs["eventPattern"])
        assert pattern["detail"]["TranscriptionJobName"] == [{"prefix": prefix}]
        for stage in ("upload", "completion", "reconciler"):
            assert variables(program, pipeline, stage)["JOB_NAME_PREFIX"] == prefix
        statements = json.loads(part(program, pipeline, "completion-handler-policy").inputs["policy"])["Statement"]
        (jobs,) = [s for s in statements if s["Action"] == ["transcribe:GetTranscriptionJob"]]
        assert jobs["Resource"] == [f"arn:aws:transcribe:eu-central-1:123456789012:transcription-job/{prefix}*"]


def test_names_the_pipelines_choose_themselves_differ(program):
    chosen = {}
    for pipeline in PIPELINES:
        resources = parts(program, pipeline)
        chosen[pipeline] = {
            *(r.inputs["namePrefix"] for r in resources if r.type == "aws:cloudwatch/logGroup:LogGroup"),
            *(r.inputs["dashboardName"] for r in resources if r.type == "aws:cloudwatch/dashboard:Dashboard"),
            *(r.inputs["vocabularyName"] for r in resources if r.type == "aws:transcribe/vocabulary:Vocabulary"),
            variables(program, pipeline, "upload")["METRICS_NAMESPACE"],
        }
    assert len(chosen["english"]) == 5 and len(chosen["german"]) == 6  # German has a vocabulary
    assert not chosen["english"] & chosen["german"]


def test_each_pipeline_s_alarms_and_dashboard_watch_only_its_own_queues_functions_and_metrics(program):
    for pipeline, other in (PIPELINES, PIPELINES[::-1]):
        namespace = variables(program, pipeline, "upload")["METRICS_NAMESPACE"]
        others = {r.state.get("name") for r in parts(program, other)} - {None}
        alarms = [r for r in parts(program, pipeline) if r.type == "aws:cloudwatch/metricAlarm:MetricAlarm"]
        assert alarms
        for alarm in alarms:
            assert alarm.inputs["namespace"] in ("AWS/SQS", "AWS/Lambda", namespace), alarm.name
            assert not set(alarm.inputs.get("dimensions", {}).values()) & others, alarm.name
        body = part(program, pipeline, "observability-dashboard").inputs["dashboardBody"]
        assert namespace in body and not [name for name in others if name in body]


def test_no_role_of_one_pipeline_may_touch_the_other_s_buckets_queues_ledger_or_functions(program):
    for pipeline, other in (PIPELINES, PIPELINES[::-1]):
        arns = {r.state["arn"] for r in parts(program, other) if "arn" in r.state}
        assert len(arns) > 20
        documents = [r.inputs["policy"] for r in parts(program, pipeline) if r.type == "aws:iam/policy:Policy"]
        environment = json.dumps([r.inputs.get("environment") for r in parts(program, pipeline)])
        for arn in arns:
            assert not [d for d in documents if arn in d], (pipeline, arn)
        tables = {r.state["name"] for r in parts(program, other) if r.type == "aws:dynamodb/table:Table"}
        assert not [t for t in tables if t in environment]


def test_each_pipeline_s_outputs_are_exported_as_one_map_under_the_names_mediactl_reads(program, tmp_path):
    from mediactl import stack

    for pipeline in PIPELINES:
        saved = tmp_path / f"{pipeline}.json"
        saved.write_text(json.dumps(program.outputs[pipeline]))  # `pulumi stack output --json german`
        target = stack.target_of(type("Args", (), {"outputs": str(saved)})(), needed=tuple(stack.OUTPUTS))
        assert target.job_name_prefix == program.outputs[pipeline]["jobNamePrefix"]
        assert target.input_bucket == part(program, pipeline, "media-bucket").state["bucket"]


def test_each_pipeline_keeps_its_own_settings(program):
    assert variables(program, "english", "upload")["LANGUAGE_CODE"] == "en-US"
    assert variables(program, "german", "upload")["LANGUAGE_CODE"] == "de-DE"
    assert variables(program, "german", "upload")["REDACT_PII"] == "redacted"
    assert variables(program, "english", "upload")["MAX_SPEAKERS"] == "4"
    assert part(program, "german", "media-bucket").retain_on_delete is False
    assert part(program, "english", "media-bucket").retain_on_delete is True


def test_two_pipelines_of_one_name_under_different_parents_are_refused(tmp_path):
    """Same name, same job-name prefix: the second is refused before anything is declared."""
    teams = (
        "class Team(pulumi.ComponentResource):\n"
        "    def __init__(self, name):\n"
        "        super().__init__('example:index:Team', name)\n"
        "        TranscriptionPipeline('media', {}, pulumi.ResourceOptions(parent=self))\n"
        "Team('a')\nTeam('b')\n"
    )
    with pytest.raises(SettingsError, match="pipelines 'media' and 'media' have the job-name prefixes .*: one would take the other's jobs"):
        run_source(tmp_path, HEADER + teams)


def test_a_second_pipeline_keeping_the_stack_s_names_is_refused(tmp_path):
    both = "TranscriptionPipeline('one', {}, stack_names=True)\nTranscriptionPipeline('two', {}, stack_names=True)\n"
    with pytest.raises(SettingsError, match="pipelines 'one' and 'two' have the job-name prefixes"):
        run_source(tmp_path, HEADER + both)


def test_only_one_pipeline_of_a_stack_may_have_a_budget(tmp_path):
    both = "TranscriptionPipeline('one', {'monthly_budget': 50})\nTranscriptionPipeline('two', {'monthly_budget': 50})\n"
    with pytest.raises(SettingsError, match="monthlyBudget is set on pipelines 'one' and 'two' of one stack"):
        run_source(tmp_path, HEADER + both)
