"""The component provider in provider/ (what `pulumi package add <repository>/provider@<tag>` runs
for a program in another language): its manifest and entry point, the schema the SDK infers from
TranscriptionPipeline's type hints, built offline here with the SDK's analyzer as the provider
builds it (pulumi.provider.experimental: `Analyzer(name).analyze(components)`, then
`schema.generate_schema`, as `ComponentProvider.__init__` does), and the component constructed
through the provider under the mocks, as the engine's Construct call would."""

import ast
import json
import tomllib

import pytest
import yaml
from pulumi.provider.experimental.analyzer import Analyzer
from pulumi.provider.experimental.component import ComponentProvider
from pulumi.provider.experimental.schema import generate_schema
from pulumi.provider.server import ComponentInitError

import pulumi
from program import ROOT, under_mocks
from transcribe_pipeline import TranscriptionPipeline, TranscriptionPipelineArgs
from transcribe_pipeline.config import argument_type, config_key
from transcribe_pipeline.pipeline import OUTPUTS

PROVIDER = ROOT / "provider"
NAME = "transcribe-pipeline"
TOKEN = "transcribe-pipeline:index:TranscriptionPipeline"
SCHEMA_TYPES = {str: "string", int: "integer", bool: "boolean", list: "array", dict: "object"}
# The arguments that may be Outputs; every other one is a plain value in the schema.
INPUTS = {"max_speakers", "memory_size", "timeout", "log_retention_days", "access_log_days", "channel_identification"}


def docstrings(path, class_name: str) -> dict[str, str]:
    """The string after each annotated attribute of a class, read from its source."""
    (node,) = [n for n in ast.walk(ast.parse(path.read_text())) if isinstance(n, ast.ClassDef) and n.name == class_name]
    found = {}
    for statement, following in zip(node.body, node.body[1:]):
        if isinstance(statement, ast.AnnAssign) and isinstance(following, ast.Expr) and isinstance(following.value, ast.Constant):
            found[statement.target.id] = following.value.value
    return found


@pytest.fixture(scope="module")
def schema() -> dict:
    analyzed = Analyzer(NAME).analyze([TranscriptionPipeline])
    package = generate_schema(
        NAME, "0.0.0", None, analyzed["component_definitions"], analyzed["type_definitions"], analyzed["dependencies"]
    )
    return package.to_json()


# --- the provider's folder -----------------------------------------------------------------------


def test_the_plugin_manifest_says_python():
    assert yaml.safe_load((PROVIDER / "PulumiPlugin.yaml").read_text()) == {"runtime": "python"}


def test_the_entry_point_hosts_the_component_under_the_package_name():
    tree = ast.parse((PROVIDER / "__main__.py").read_text())
    (call,) = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "id", "") == "component_provider_host"]
    arguments = {keyword.arg: ast.unparse(keyword.value) for keyword in call.keywords}
    assert arguments == {"components": "[TranscriptionPipeline]", "name": repr(NAME)}
    imports = {(n.module, alias.name) for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) for alias in n.names}
    assert ("transcribe_pipeline", "TranscriptionPipeline") in imports


def test_the_provider_installs_the_package_of_its_own_checkout_with_the_component_extra():
    """pip reads a local path in a requirements file from the directory it runs in, the provider's."""
    (requirement,) = [line for line in (PROVIDER / "requirements.txt").read_text().splitlines() if line and not line.startswith("#")]
    path, _, extras = requirement.partition("[")
    project = tomllib.loads(((PROVIDER / path).resolve() / "pyproject.toml").read_text())["project"]
    assert (PROVIDER / path).resolve() == ROOT
    assert project["name"] == NAME and extras == "component]" and "component" in project["optional-dependencies"]


# --- the schema ----------------------------------------------------------------------------------


def test_the_schema_holds_the_component_under_its_token(schema):
    assert schema["name"] == NAME
    assert list(schema["resources"]) == [TOKEN]
    assert schema["resources"][TOKEN]["isComponent"] is True
    assert schema["resources"][TOKEN]["description"].startswith("Media files dropped into an S3 bucket come back as transcripts")


def test_every_argument_is_an_optional_input_with_its_type_and_description(schema):
    resource = schema["resources"][TOKEN]
    described = docstrings(ROOT / "transcribe_pipeline" / "arguments.py", "TranscriptionPipelineArgs")
    inputs = resource["inputProperties"]

    assert set(inputs) == {config_key(argument) for argument in TranscriptionPipelineArgs.__annotations__}
    assert resource["requiredInputs"] == []
    for argument in TranscriptionPipelineArgs.__annotations__:
        spec = inputs[config_key(argument)]
        assert spec["type"] == SCHEMA_TYPES[argument_type(argument)], argument
        assert spec["description"] == described[argument] and spec["description"], argument
        assert spec.get("plain", False) is (argument not in INPUTS), argument
        if spec["type"] == "array":
            assert spec["items"]["type"] == "string", argument
        if spec["type"] == "object":
            assert spec["additionalProperties"]["type"] == "string", argument


def test_every_stack_setting_of_the_program_is_an_input_of_the_same_name_and_type(schema):
    declared = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())["config"]
    inputs = schema["resources"][TOKEN]["inputProperties"]
    for key, declaration in declared.items():
        assert inputs[key]["type"] == declaration.get("type", "object"), key


def test_every_output_is_a_described_string_and_only_the_notification_topic_may_be_missing(schema):
    resource = schema["resources"][TOKEN]
    described = docstrings(ROOT / "transcribe_pipeline" / "pipeline.py", "TranscriptionPipeline")

    assert set(resource["properties"]) == {config_key(key) for key in OUTPUTS}
    for key in OUTPUTS:
        assert resource["properties"][config_key(key)] == {"type": "string", "description": described[key]}, key
    assert set(resource["properties"]) - set(resource["required"]) == {"notificationTopicArn"}


def test_the_component_module_keeps_its_annotations_readable_by_the_analyzer():
    for module in ("pipeline.py", "arguments.py"):
        source = ast.parse((ROOT / "transcribe_pipeline" / module).read_text())
        futures = [n for n in source.body if isinstance(n, ast.ImportFrom) and n.module == "__future__"]
        assert futures == [], module


# --- constructed through the provider -----------------------------------------------------------


def construct(inputs: dict):
    """What the provider builds for the engine's Construct request with these (camelCase) inputs:
    the resources declared, and the component's state as the provider returns it."""
    provider = ComponentProvider([TranscriptionPipeline], NAME)

    def declare():
        return provider.construct("media", TOKEN, inputs, pulumi.ResourceOptions()).state

    config = {"aws:region": "eu-west-1"}
    return under_mocks(declare, stack="dev", config=config, project="consumer", root=ROOT)


def test_the_provider_builds_the_pipeline_from_camel_case_inputs_and_returns_its_outputs_by_their_schema_names(schema):
    # Numbers come over the wire as floats; the provider makes integers of them.
    resources, state = construct({"languageCode": "de-DE", "memorySize": 256.0, "subtitleFormats": ["vtt"], "tags": {"team": "news"}})

    upload = next(r for r in resources if r.name == "media-upload-handler-lambda")
    assert upload.inputs["environment"]["variables"]["LANGUAGE_CODE"] == "de-DE"
    assert upload.inputs["environment"]["variables"]["SUBTITLE_FORMATS"] == "vtt"
    assert upload.inputs["memorySize"] == 256 and upload.inputs["tags"]["team"] == "news"
    assert set(state) == set(schema["resources"][TOKEN]["required"])
    assert state["jobNamePrefix"].startswith("consumer-dev-media-")
    assert state["inputBucket"] == next(r for r in resources if r.name == "media-media-bucket").state["bucket"]


def test_a_bad_input_through_the_provider_fails_with_the_config_s_sentence():
    with pytest.raises(ComponentInitError) as raised:
        construct({"languageCode": "de-AT"})
    assert "languageCode is 'de-AT': use 'auto' or a Transcribe language code, such as de-DE" in str(raised.value)


def test_no_input_at_all_builds_the_pipeline_with_every_default():
    resources, state = construct({})

    upload = next(r for r in resources if r.name == "media-upload-handler-lambda")
    assert upload.inputs["environment"]["variables"]["LANGUAGE_CODE"] == "en-US"
    assert json.loads(upload.inputs["environment"]["variables"]["JOB_TAGS"]) == {"project": "consumer", "stack": "dev"}
    assert "notificationTopicArn" not in state
