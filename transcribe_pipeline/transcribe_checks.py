"""The checks of the settings that go into Transcribe's requests: the language, the custom
vocabulary and vocabulary filter, and PII redaction. Languages and PII types are checked against
botocore's model of the Transcribe API, phrases against Transcribe's character sets
(`vocabulary_rules`)."""

import difflib
from pathlib import Path

import botocore.session

from transcribe_pipeline import vocabulary_rules
from transcribe_pipeline.errors import SettingsError
from transcribe_pipeline.function import naming
from transcribe_pipeline.settings import Settings

SUPPORTED_LANGUAGES_URL = "https://docs.aws.amazon.com/transcribe/latest/dg/supported-languages.html"
# Transcribe's batch PII redaction: US English and US Spanish, and since 2026-05-01 (the
# developer guide's document history) French, Canadian French, German, Swiss German, Italian,
# Portuguese and Brazilian Portuguese. botocore's model does not list them. Redaction does not
# work with language identification.
REDACTION_LANGUAGES = ("en-US", "es-US", "fr-FR", "fr-CA", "de-DE", "de-CH", "it-IT", "pt-PT", "pt-BR")
# With language identification, LanguageIdSettings takes two to five languages.
LANGUAGE_ID_SETTINGS_MAX = 5


def pii_entity_types() -> tuple[str, ...]:
    """The PII types batch redaction takes, from botocore's model of the API."""
    model = botocore.session.get_session().get_service_model("transcribe")
    return tuple(model.shape_for("PiiEntityType").enum)


def transcribe_language_codes() -> tuple[str, ...]:
    """The language codes StartTranscriptionJob accepts, from botocore's model of the API."""
    model = botocore.session.get_session().get_service_model("transcribe")
    return tuple(model.shape_for("LanguageCode").enum)


def _check_language(s: Settings) -> None:
    codes = transcribe_language_codes()
    if s.language_code != "auto" and s.language_code not in codes:
        raise SettingsError(
            f"languageCode is {s.language_code!r}: use 'auto' or a Transcribe language code"
            f"{_did_you_mean(s.language_code, codes)} (all of them: {SUPPORTED_LANGUAGES_URL})"
        )
    if unknown := [code for code in s.language_options if code not in codes]:
        raise SettingsError(
            f"languageOptions has {unknown}: each must be a Transcribe language code"
            f"{_did_you_mean(unknown[0], codes)} (all of them: {SUPPORTED_LANGUAGES_URL})"
        )
    if s.language_options and s.language_code != "auto":
        raise SettingsError("languageOptions is set but languageCode is not 'auto': options apply to language identification only")
    if len(s.language_options) == 1:
        raise SettingsError("languageOptions has one language: give two or more, or set languageCode to it instead")


def _did_you_mean(code: str, codes: tuple[str, ...]) -> str:
    """', such as de-DE or de-CH' for 'de-AT': the codes most like the one written, those of the
    same language first."""
    folded = code.casefold().replace("_", "-")
    by_folded = {c.casefold(): c for c in codes}
    same_language = [c for c in by_folded if c.split("-")[0] == folded.split("-")[0]]
    if same_language:
        close = difflib.get_close_matches(folded, same_language, n=3, cutoff=0)
    else:
        close = difflib.get_close_matches(folded, by_folded, n=3, cutoff=0.75)
    if not close:
        return ", such as en-US, es-ES or fr-FR"
    *first, last = [by_folded[c] for c in close[:3]]
    return f", such as {', '.join(first)} or {last}" if first else f", such as {last}"


def _check_vocabulary(s: Settings) -> None:
    if s.vocabulary and s.vocabulary_file:
        raise SettingsError("vocabulary and vocabularyFile are both set: give the phrases in one of them")
    if not (s.vocabulary or s.vocabulary_file or s.vocabulary_filter_words):
        return
    if s.language_code == "auto" and not 2 <= len(s.language_options) <= LANGUAGE_ID_SETTINGS_MAX:
        raise SettingsError(
            f"languageCode is 'auto' with a vocabulary or filter: list the 2 to {LANGUAGE_ID_SETTINGS_MAX}"
            " languages to make them in as languageOptions"
        )
    entries = [("vocabulary", phrase, "") for phrase in s.vocabulary]
    if s.vocabulary_file:
        entries += [("vocabularyFile", phrase, f" (line {line})") for line, phrase in _table_phrases(s)]
    for key, phrase, where in entries:
        for language in s.vocabulary_languages:
            if problem := vocabulary_rules.phrase_problem(phrase, language):
                raise SettingsError(f"{key} has the phrase {phrase!r}{where}: {problem}")
    size = vocabulary_rules.entries_size([phrase for _, phrase, _ in entries])
    if size > vocabulary_rules.VOCABULARY_MAX_BYTES:
        raise SettingsError(f"vocabulary takes {size} bytes: Transcribe allows 50 KB (50,000 bytes) per vocabulary")


def _table_phrases(s: Settings) -> list[tuple[int, str]]:
    path = s.vocabulary_path
    root = s.program_directory.resolve()
    if Path(s.vocabulary_file).is_absolute() or root not in path.resolve().parents or not path.is_file():
        raise SettingsError(
            f"vocabularyFile is {s.vocabulary_file!r}: give the path of a table file inside the program's directory,"
            " such as vocabulary/terms.txt"
        )
    if path.stat().st_size > vocabulary_rules.VOCABULARY_MAX_BYTES:
        raise SettingsError(f"vocabularyFile {s.vocabulary_file!r} has {path.stat().st_size} bytes: Transcribe allows 50 KB")
    try:
        return vocabulary_rules.table_phrases(path)
    except (ValueError, UnicodeDecodeError) as error:
        raise SettingsError(f"vocabularyFile {s.vocabulary_file!r} is not a vocabulary table: {error}") from None


def _check_vocabulary_filter(s: Settings) -> None:
    if s.vocabulary_filter_method not in naming.VOCABULARY_FILTER_METHODS:
        raise SettingsError(f"vocabularyFilterMethod is {s.vocabulary_filter_method!r}: use 'mask', 'remove' or 'tag'")
    for word in s.vocabulary_filter_words:
        for language in s.vocabulary_languages:
            if problem := vocabulary_rules.phrase_problem(word, language):
                raise SettingsError(f"vocabularyFilterWords has the word {word!r}: {problem}")
    size = vocabulary_rules.entries_size(list(s.vocabulary_filter_words))
    if size > vocabulary_rules.VOCABULARY_MAX_BYTES:
        raise SettingsError(f"vocabularyFilterWords take {size} bytes: Transcribe allows 50 KB (50,000 bytes) per filter")


def _check_redaction(s: Settings) -> None:
    if s.redact_pii not in naming.REDACT_PII:
        raise SettingsError(f"redactPii is {s.redact_pii!r}: use 'off', 'redacted' or 'redacted_and_unredacted'")
    if s.redact_pii == "off":
        if s.pii_entity_types:
            raise SettingsError("piiEntityTypes is set but redactPii is 'off': set redactPii to choose what to redact")
        return
    if s.language_code not in REDACTION_LANGUAGES:
        allowed = ", ".join(REDACTION_LANGUAGES)
        raise SettingsError(
            f"redactPii is {s.redact_pii!r} but languageCode is {s.language_code!r}: Transcribe redacts batch"
            f" transcripts in {allowed} only, and not with language identification"
        )
    if s.unredacted_prefix.startswith(s.output_prefix):
        raise SettingsError(
            f"redactPii is 'redacted_and_unredacted' but outputPrefix is {s.output_prefix!r}: the unredacted transcripts"
            f" go under {s.unredacted_prefix!r}, which must not be inside outputPrefix; use a prefix such as 'transcripts/'"
        )
    if unknown := [t for t in s.pii_entity_types if t not in pii_entity_types()]:
        raise SettingsError(f"piiEntityTypes has {unknown}: use types Transcribe knows, such as NAME, SSN, EMAIL, or ALL")


# In the order the settings are checked: the language first, the rest after the general checks.
TRANSCRIBE_CHECKS = (_check_language, _check_vocabulary, _check_vocabulary_filter, _check_redaction)
