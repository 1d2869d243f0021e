"""Transcribe's rules for custom-vocabulary phrases and vocabulary-filter words, checked at
preview so that a bad entry stops `pulumi preview` instead of failing the vocabulary in AWS.

From Transcribe's developer guide ("Custom vocabularies", "Creating a custom vocabulary using a
table", "Character sets for custom vocabularies and vocabulary filters"): a phrase has no spaces
(words are joined with hyphens), at most 256 characters, only the characters of its language's
character set (precomposed code points only: a decomposed 'é' is refused), and a vocabulary
holds at most 50 KB. Languages without a table here are checked for letters, '-', '.' and "'".
"""

import unicodedata
from pathlib import Path

PHRASE_MAX = 256
VOCABULARY_MAX_BYTES = 50_000
TABLE_COLUMNS = ("Phrase", "SoundsLike", "IPA", "DisplayAs")

_LATIN = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
_PUNCTUATION = "'-."
# Per language (the part of the code before '-'): the characters a phrase may use.
CHARACTER_SETS = {
    "en": _LATIN + _PUNCTUATION,
    "id": _LATIN + _PUNCTUATION,
    "ms": _LATIN + _PUNCTUATION,
    "fr": _LATIN + _PUNCTUATION + "ÀàÂâÇçÈèÉéÊêËëÎîÏïÔôÖöÙùÛûÜü",
    "de": _LATIN + _PUNCTUATION + "ÄäÖöÜüß",
    "it": _LATIN + _PUNCTUATION + "ÀàÄäÇçÈèÉéÊêËëÌìÒòÙùÜü",
    "pt": _LATIN + _PUNCTUATION + "ÀàÁáÂâÃãÄäÇçÈèÉéÊêËëÍíÑñÓóÔôÕõÖöÚúÜü",
    "es": _LATIN + _PUNCTUATION + "ÁáÉéÍíÓóÚúÑñü",
    "nl": _LATIN + _PUNCTUATION + "àáâäçèéêëìíîïñòóôöùúûü",
    "da": _LATIN + "-." + "ÅÆØåæéø",
    "af": _LATIN[:26] + "-." + "áèéêëíîïóôöúûü",
    "ru": _PUNCTUATION + "абвгдежзийклмнопрстуфхцчшщъыьэюяё",
}


def character_set(language_code: str) -> str | None:
    """The characters a phrase in this language may use; None when only letters are checked."""
    return CHARACTER_SETS.get(language_code.split("-")[0].lower())


def phrase_problem(phrase: str, language_code: str) -> str | None:
    """Why Transcribe would refuse this phrase in this language, or None."""
    if not phrase:
        return "it is empty"
    if any(c.isspace() for c in phrase):
        return "it has a space: join the words of a phrase with hyphens (Los-Angeles)"
    if len(phrase) > PHRASE_MAX:
        return f"it has {len(phrase)} characters: Transcribe allows {PHRASE_MAX}"
    allowed = character_set(language_code)
    if allowed is None:
        refused = [c for c in phrase if c not in _PUNCTUATION and not unicodedata.category(c).startswith(("L", "M"))]
    else:
        refused = [c for c in phrase if c not in allowed]
    if refused:
        shown = ", ".join(f"{c!r} (U+{ord(c):04X})" for c in dict.fromkeys(refused))
        return f"{shown} is not in the {language_code} character set (no digits: spell numbers out)"
    return None


def entries_size(entries: list[str]) -> int:
    """Bytes the entries take in a vocabulary: UTF-8, one a line."""
    return sum(len(entry.encode("utf-8")) + 1 for entry in entries)


def table_phrases(path: Path) -> list[tuple[int, str]]:
    """(line number, phrase) of each row of a vocabulary table file (tab-separated, with a
    header row naming its columns). Raises ValueError with one sentence when the file is not one."""
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    header = lines[0].split("\t") if lines else []
    if "Phrase" not in header or any(column not in TABLE_COLUMNS for column in header):
        raise ValueError(
            "its first line must name the tab-separated columns Phrase, SoundsLike, IPA, DisplayAs (Phrase required)"
        )
    column = header.index("Phrase")
    rows = []
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        cells = line.split("\t")
        rows.append((number, cells[column] if column < len(cells) else ""))
    if not rows:
        raise ValueError("it has no phrases under its header line")
    return rows
