"""Transcribe's options as resources of the stack, under mocks: the vocabulary and the filter, in
the jobs' languages, replaced cleanly on change, and what the upload function is told."""

import json

import pytest

from function import naming
from program import PROJECT, ROOT, STACKS, run_program

VOCABULARY = "aws:transcribe/vocabulary:Vocabulary"
FILTER = "aws:transcribe/vocabularyFilter:VocabularyFilter"
TABLE_FILE = "tests/vocabulary/terms.txt"
EVERY_OPTION = {
    "vocabulary": ["Los-Angeles", "A.W.S.", "Dynamo-D.B."],
    "vocabularyFilterWords": ["darn", "heck"],
    "vocabularyFilterMethod": "tag",
    "channelIdentification": True,
    "maxSpeakers": 4,
    "redactPii": "redacted_and_unredacted",
    "piiEntityTypes": ["NAME", "SSN"],
    "subtitleFormats": [],
}


def environment(program) -> dict[str, str]:
    return program.named("upload-handler-lambda").inputs["environment"]["variables"]


@pytest.fixture(scope="module", params=STACKS)
def every_option(request):
    return run_program(request.param, EVERY_OPTION)


@pytest.mark.parametrize("stack", STACKS)
def test_without_options_there_is_no_vocabulary_or_filter_and_jobs_get_none(stack):
    program = run_program(stack)
    assert program.of_type(VOCABULARY) == [] and program.of_type(FILTER) == []
    env = environment(program)
    assert json.loads(env["VOCABULARY_NAMES"]) == {} and json.loads(env["VOCABULARY_FILTER_NAMES"]) == {}
    assert env["CHANNEL_IDENTIFICATION"] == "false" and env["REDACT_PII"] == "off" and env["PII_ENTITY_TYPES"] == ""


def test_every_option_makes_a_vocabulary_and_a_filter_in_the_stack_language(every_option):
    (vocabulary,) = every_option.of_type(VOCABULARY)
    (word_filter,) = every_option.of_type(FILTER)
    assert vocabulary.inputs["languageCode"] == word_filter.inputs["languageCode"] == "en-US"
    assert vocabulary.inputs["phrases"] == EVERY_OPTION["vocabulary"]
    assert word_filter.inputs["words"] == EVERY_OPTION["vocabularyFilterWords"]
    prefix = naming.job_name_prefix(PROJECT, every_option.stack)
    assert vocabulary.inputs["vocabularyName"].startswith(prefix)
    assert word_filter.inputs["vocabularyFilterName"].startswith(prefix)
    for resource in (vocabulary, word_filter):
        assert resource.inputs["tags"]["stack"] == every_option.stack


def test_every_option_reaches_the_upload_function(every_option):
    env = environment(every_option)
    vocabulary = every_option.of_type(VOCABULARY)[0].inputs["vocabularyName"]
    word_filter = every_option.of_type(FILTER)[0].inputs["vocabularyFilterName"]
    assert json.loads(env["VOCABULARY_NAMES"]) == {"en-US": vocabulary}
    assert json.loads(env["VOCABULARY_FILTER_NAMES"]) == {"en-US": word_filter}
    assert env["VOCABULARY_FILTER_METHOD"] == "tag"
    assert env["CHANNEL_IDENTIFICATION"] == "true" and env["MAX_SPEAKERS"] == "4"
    assert env["REDACT_PII"] == "redacted_and_unredacted" and env["PII_ENTITY_TYPES"] == "NAME,SSN"
    assert len(json.dumps(env)) < 4096, "Lambda allows 4 KB of environment variables"


def test_the_function_waits_for_the_vocabulary_and_filter_it_names(every_option):
    # The function's environment takes the names from the resources, so Pulumi makes (and waits
    # for) the vocabulary and the filter before the function that names them.
    function = every_option.named("upload-handler-lambda")
    for resource in every_option.of_type(VOCABULARY) + every_option.of_type(FILTER):
        assert resource.urn in function.dependencies, resource.name


def test_a_changed_vocabulary_is_a_new_one_created_before_the_old_one_is_deleted():
    before = run_program("dev", {"vocabulary": ["Los-Angeles"], "vocabularyFilterWords": ["darn"]})
    after = run_program("dev", {"vocabulary": ["Los-Angeles", "San-Diego"], "vocabularyFilterWords": ["heck"]})
    for typ, name_key in ((VOCABULARY, "vocabularyName"), (FILTER, "vocabularyFilterName")):
        (old,), (new,) = before.of_type(typ), after.of_type(typ)
        assert old.name == new.name, "the same resource, replaced"
        assert old.inputs[name_key] != new.inputs[name_key], "the replacement has a name of its own"
        assert new.delete_before_replace is False
    assert set(after.of_type(VOCABULARY)[0].replace_on_changes) == {"languageCode", "phrases", "vocabularyFileUri"}
    assert set(after.of_type(FILTER)[0].replace_on_changes) == {"languageCode", "words"}
    unchanged = run_program("dev", {"vocabulary": ["Los-Angeles"], "vocabularyFilterWords": ["darn"]})
    assert unchanged.of_type(VOCABULARY)[0].inputs == before.of_type(VOCABULARY)[0].inputs


def test_another_language_is_another_vocabulary():
    english = run_program("dev", {"vocabulary": ["Marseille"]}).of_type(VOCABULARY)[0]
    french = run_program("dev", {"vocabulary": ["Marseille"], "languageCode": "fr-FR"}).of_type(VOCABULARY)[0]
    assert french.inputs["languageCode"] == "fr-FR"
    assert french.inputs["vocabularyName"] != english.inputs["vocabularyName"]


def test_a_table_file_is_uploaded_outside_the_transcripts_and_the_vocabulary_reads_it():
    program = run_program("prod", {"vocabularyFile": TABLE_FILE})
    table = program.named("transcribe-options-vocabulary-file")
    (vocabulary,) = program.of_type(VOCABULARY)
    assert table.inputs["bucket"] == program.outputs["outputBucket"]
    assert not table.inputs["key"].startswith("transcripts/")
    assert vocabulary.inputs["vocabularyFileUri"] == f"s3://{program.outputs['outputBucket']}/{table.inputs['key']}"
    assert "phrases" not in vocabulary.inputs
    assert table.urn in vocabulary.dependencies
    # A changed file is a new object and a new vocabulary.
    assert (ROOT / TABLE_FILE).read_bytes().startswith(b"Phrase\t")


def test_with_language_identification_each_language_gets_its_vocabulary_and_filter():
    program = run_program(
        "dev",
        {"languageCode": "auto", "languageOptions": ["en-US", "es-US"], "vocabulary": ["Los-Angeles"], "vocabularyFilterWords": ["darn"]},
    )
    assert sorted(v.inputs["languageCode"] for v in program.of_type(VOCABULARY)) == ["en-US", "es-US"]
    assert sorted(f.inputs["languageCode"] for f in program.of_type(FILTER)) == ["en-US", "es-US"]
    assert set(json.loads(environment(program)["VOCABULARY_NAMES"])) == {"en-US", "es-US"}


def test_the_upload_function_gets_no_transcribe_permission_for_the_options(every_option):
    # StartTranscriptionJob takes no resource ARN and using a vocabulary or filter in a job is not
    # a permission of its own (Service Authorization Reference): the grants stay as they were.
    plain = run_program(every_option.stack)

    def transcribe_grants(program) -> list[dict]:
        return [s for s in statements(program, "upload-handler-policy") if s["Action"][0].startswith("transcribe:")]

    assert transcribe_grants(every_option) == transcribe_grants(plain)


def statements(program, policy: str) -> list[dict]:
    return json.loads(program.named(policy).inputs["policy"])["Statement"]


def s3_grants(program, policy: str) -> set[tuple[str, str]]:
    return {(a, r) for s in statements(program, policy) for a in s["Action"] if a.startswith("s3:") for r in s["Resource"]}


def test_unredacted_transcripts_have_a_prefix_of_their_own_outside_the_transcripts(every_option):
    transcripts = every_option.named("transcripts-bucket").state["arn"]
    redacted, unredacted = f"{transcripts}/transcripts/*", f"{transcripts}/unredacted/transcripts/*"
    # Jobs write both transcripts under the unredacted prefix (Transcribe with the caller's or
    # the data-access role's permissions); the completion function reads the redacted one there.
    for policy in ("upload-handler-policy", "upload-transcribe-access-policy"):
        assert {("s3:PutObject", redacted), ("s3:PutObject", unredacted)} <= s3_grants(every_option, policy), policy
    assert ("s3:GetObject", unredacted) in s3_grants(every_option, "completion-handler-policy")
    assert ("s3:PutObject", unredacted) not in s3_grants(every_option, "completion-handler-policy")
    assert not unredacted.startswith(redacted[:-1]), "a grant on the transcripts' prefix does not reach them"


@pytest.mark.parametrize("redact", ["off", "redacted"])
def test_without_unredacted_transcripts_nothing_is_granted_on_their_prefix(redact):
    program = run_program("dev", {"redactPii": redact, "subtitleFormats": []})
    for policy in ("upload-handler-policy", "upload-transcribe-access-policy", "completion-handler-policy"):
        assert not [r for _, r in s3_grants(program, policy) if "/unredacted/" in r], policy


INVALID_OPTIONS = [
    ({"vocabulary": ["Los Angeles"]}, "vocabulary has the phrase 'Los Angeles': it has a space"),
    ({"vocabulary": ["R2-D2"]}, "vocabulary has the phrase 'R2-D2': '2' (U+0032) is not in the en-US character set"),
    ({"vocabulary": ["Café"]}, "vocabulary has the phrase 'Café': 'é' (U+00E9) is not in the en-US character set"),
    ({"vocabulary": ["Cafe\u0301"], "languageCode": "fr-FR"}, "'\u0301' (U+0301) is not in the fr-FR character set"),
    ({"vocabulary": ["a" * 257]}, "it has 257 characters: Transcribe allows 256"),
    ({"vocabulary": [f"Term-{'x' * 200}" for _ in range(250)]}, "vocabulary takes 51500 bytes: Transcribe allows 50 KB"),
    ({"vocabulary": ["Los-Angeles"], "vocabularyFile": TABLE_FILE}, "vocabulary and vocabularyFile are both set"),
    ({"vocabularyFile": "../outside.txt"}, "vocabularyFile is '../outside.txt': give the path of a table file inside the program's directory"),
    ({"vocabularyFile": "pytest.ini"}, "vocabularyFile 'pytest.ini' is not a vocabulary table"),
    ({"vocabulary": ["Los-Angeles"], "languageCode": "auto"}, "list the 2 to 5 languages"),
    ({"vocabularyFilterWords": ["bad word"]}, "vocabularyFilterWords has the word 'bad word'"),
    ({"vocabularyFilterMethod": "hide"}, "vocabularyFilterMethod is 'hide': use 'mask', 'remove' or 'tag'"),
    ({"redactPii": "yes"}, "redactPii is 'yes'"),
    ({"redactPii": "redacted", "languageCode": "ja-JP"}, "redactPii is 'redacted' but languageCode is 'ja-JP'"),
    ({"redactPii": "redacted", "languageCode": "auto"}, "not with language identification"),
    ({"redactPii": "redacted", "piiEntityTypes": ["NAME", "SHOE_SIZE"], "subtitleFormats": []}, "piiEntityTypes has ['SHOE_SIZE']"),
    ({"piiEntityTypes": ["NAME"]}, "piiEntityTypes is set but redactPii is 'off'"),
    ({"redactPii": "redacted_and_unredacted", "outputPrefix": "", "subtitleFormats": []}, "the unredacted transcripts go under 'unredacted/'"),
    ({"redactPii": "redacted_and_unredacted", "outputPrefix": "un", "subtitleFormats": []}, "which must not be inside outputPrefix"),
]


@pytest.mark.parametrize("overrides, message", INVALID_OPTIONS, ids=[m[:40] for _, m in INVALID_OPTIONS])
def test_a_bad_option_stops_the_preview_with_one_sentence_naming_it(overrides, message):
    from transcribe_pipeline.errors import SettingsError

    with pytest.raises(SettingsError) as raised:
        run_program("dev", overrides)
    assert message in str(raised.value)
    assert "\n" not in str(raised.value)


def test_the_redaction_languages_are_the_documented_ones_and_transcribe_language_codes():
    from transcribe_pipeline.transcribe_checks import REDACTION_LANGUAGES, transcribe_language_codes

    assert set(REDACTION_LANGUAGES) == {"en-US", "es-US", "fr-FR", "fr-CA", "de-DE", "de-CH", "it-IT", "pt-PT", "pt-BR"}
    assert set(REDACTION_LANGUAGES) <= set(transcribe_language_codes())


@pytest.mark.parametrize("redact", ["redacted", "redacted_and_unredacted"])
def test_subtitles_are_written_with_redaction_as_transcribe_redacts_them_too(redact):
    # Transcribe's "Creating video subtitles": redacted content is reflected as 'PII' in both the
    # subtitle and the transcript files.
    program = run_program("prod", {"redactPii": redact})

    assert environment(program)["SUBTITLE_FORMATS"] == "srt,vtt"
    assert environment(program)["REDACT_PII"] == redact


@pytest.mark.parametrize("language", ["en-US", "fr-CA", "pt-PT"])
def test_redaction_is_accepted_in_a_language_transcribe_redacts(language):
    program = run_program("dev", {"languageCode": language, "redactPii": "redacted", "subtitleFormats": []})
    assert environment(program)["REDACT_PII"] == "redacted"


def test_phrases_in_their_own_language_s_characters_are_accepted():
    program = run_program("dev", {"languageCode": "de-DE", "vocabulary": ["Größe", "Köln-Bonn"]})
    assert program.of_type(VOCABULARY)[0].inputs["phrases"] == ["Größe", "Köln-Bonn"]


def test_no_role_of_the_stack_may_read_the_vocabulary_table():
    # Transcribe reads the table when the vocabulary is made, with the deployer's credentials (the
    # provider passes no data-access role): no function or role of the stack needs it.
    program = run_program("dev", {"vocabularyFile": TABLE_FILE})
    table = f"{program.named('transcripts-bucket').state['arn']}/{program.named('transcribe-options-vocabulary-file').inputs['key']}"
    for policy in program.of_type("aws:iam/policy:Policy"):
        for action, resource in s3_grants(program, policy.name):
            if action == "s3:GetObject":
                assert not table.startswith(resource.rstrip("*")), (policy.name, resource)
