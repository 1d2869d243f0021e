"""Transcribe's JSON output as something a person reads: the plain-text transcript (one line
per speaker or channel turn, or paragraphs) and what it tells about the media. Pure functions, standard
library only: the completion function writes the `.txt` with them and the media tool uses them
when no `.txt` is there yet.
"""

from dataclasses import dataclass

# Paragraphs of a transcript without speaker labels end at a sentence end, once they hold this
# many sentences or the speaker pauses at least this long (seconds) before the next word.
SENTENCES_PER_PARAGRAPH = 5
PARAGRAPH_PAUSE_SECONDS = 2.0
SENTENCE_ENDS = frozenset(".?!。？！")

NO_SPEECH = "(No speech was found in this media file.)"

# Languages written without spaces between words (Transcribe's LanguageCode, up to the '-'): their
# words are joined as Transcribe joins them in its own `transcript`.
UNSPACED_LANGUAGES = frozenset({"ja", "zh", "th"})


@dataclass(frozen=True)
class Word:
    """One item of Transcribe's output: a spoken word, or a punctuation mark."""

    content: str
    punctuation: bool = False
    start: float | None = None
    end: float | None = None
    speaker: str | None = None
    channel: str | None = None


def words_of(results: dict) -> list[Word]:
    """The items in order. Punctuation belongs to the speaker of the word before it; words
    without a label of their own take it from the speaker segment they fall in."""
    segments = _speaker_segments(results)
    channels = _channel_of_items(results)
    words: list[Word] = []
    for item in results.get("items") or []:
        alternatives = item.get("alternatives") or [{}]
        content = str(alternatives[0].get("content") or "")
        if not content:
            continue
        if item.get("type") == "punctuation":
            speaker, channel = (words[-1].speaker, words[-1].channel) if words else (None, None)
            words.append(Word(content, punctuation=True, speaker=speaker, channel=channel))
            continue
        start, end = _seconds(item.get("start_time")), _seconds(item.get("end_time"))
        speaker = item.get("speaker_label") or _speaker_at(segments, start)
        channel = item.get("channel_label") or channels.get(_item_key(item))
        words.append(Word(content, start=start, end=end, speaker=speaker, channel=channel))
    return words


def transcript_text(results: dict, language_code: str | None = None) -> str:
    """The plain-text transcript: one line per speaker or channel turn when they are labelled, else
    paragraphs separated by a blank line. The language (the job's, else the one the output names)
    says whether words are separated by spaces."""
    spaced = is_spaced(language_code or results.get("language_code"))
    words = words_of(results)
    if not words:
        spoken = " ".join(t.get("transcript", "") for t in results.get("transcripts") or []).strip()
        return (spoken or NO_SPEECH) + "\n"
    if any(word.speaker or word.channel for word in words):
        return "".join(
            f"{turn_name(*labels)}: {join_words(turn, spaced)}\n" for labels, turn in labelled_turns(words)
        )
    return "\n\n".join(join_words(paragraph, spaced) for paragraph in paragraphs(words)) + "\n"


def is_spaced(language_code: str | None) -> bool:
    """Whether the language puts spaces between words ('ja-JP', 'zh-CN', 'th-TH' do not)."""
    return (language_code or "").split("-")[0].lower() not in UNSPACED_LANGUAGES


def join_words(words: list[Word], spaced: bool = True) -> str:
    """Words separated by spaces, punctuation attached to the word before it. In a language
    written without spaces only two Latin-script words in a row ('AWS Lambda') keep one."""
    text = ""
    for word in words:
        if text and not word.punctuation and (spaced or _latin(text[-1]) and _latin(word.content[0])):
            text += " "
        text += word.content
    return text


def _latin(character: str) -> bool:
    return character.isascii() and character.isalnum()


def labelled_turns(words: list[Word]) -> list[tuple[tuple[str | None, str | None], list[Word]]]:
    """Consecutive words of one (channel, speaker); a word continues the current turn when each
    label it has is the turn's."""
    turns: list[tuple[tuple[str | None, str | None], list[Word]]] = []
    for word in words:
        labels = (word.channel, word.speaker)
        if turns and all(mine is None or mine == theirs for mine, theirs in zip(labels, turns[-1][0])):
            turns[-1][1].append(word)
        else:
            turns.append((labels, [word]))
    return turns


def turn_name(channel: str | None, speaker: str | None) -> str:
    """'Channel 1', 'Speaker 2', or 'Channel 1, Speaker 2' when both are labelled."""
    if channel is None:
        return speaker_name(speaker)
    return channel_name(channel) if speaker is None else f"{channel_name(channel)}, {speaker_name(speaker)}"


def channel_name(label: str) -> str:
    """'ch_0' -> 'Channel 1'; other labels as they are."""
    number = label.removeprefix("ch_")
    return f"Channel {int(number) + 1}" if number.isdigit() else label


def speaker_name(label: str | None) -> str:
    """'spk_0' -> 'Speaker 1'; other labels as they are."""
    if label is None:
        return "Unknown speaker"
    number = label.removeprefix("spk_")
    return f"Speaker {int(number) + 1}" if number.isdigit() else label


def paragraphs(
    words: list[Word],
    sentences_per_paragraph: int = SENTENCES_PER_PARAGRAPH,
    pause_seconds: float = PARAGRAPH_PAUSE_SECONDS,
) -> list[list[Word]]:
    """Words cut into paragraphs at sentence ends, after enough sentences or before a long pause."""
    result: list[list[Word]] = []
    current: list[Word] = []
    sentences = 0
    last_end: float | None = None
    for index, word in enumerate(words):
        current.append(word)
        if not word.punctuation:
            last_end = word.end if word.end is not None else last_end
            continue
        if word.content not in SENTENCE_ENDS:
            continue
        sentences += 1
        next_start = next((w.start for w in words[index + 1 :] if w.start is not None), None)
        long_pause = last_end is not None and next_start is not None and next_start - last_end >= pause_seconds
        if sentences >= sentences_per_paragraph or long_pause:
            result.append(current)
            current, sentences = [], 0
    if current:
        result.append(current)
    return result


def _speaker_segments(results: dict) -> list[tuple[float, float, str]]:
    segments = (results.get("speaker_labels") or {}).get("segments") or []
    spans = []
    for segment in segments:
        start, end = _seconds(segment.get("start_time")), _seconds(segment.get("end_time"))
        if start is not None and end is not None and segment.get("speaker_label"):
            spans.append((start, end, segment["speaker_label"]))
    return spans


def _item_key(item: dict) -> tuple:
    alternatives = item.get("alternatives") or [{}]
    return item.get("start_time"), item.get("end_time"), alternatives[0].get("content")


def _channel_of_items(results: dict) -> dict[tuple, str]:
    """The channel of each word, from `channel_labels.channels`: older outputs (2020) give it
    only there, newer ones on the items themselves too."""
    channels = (results.get("channel_labels") or {}).get("channels") or []
    return {
        _item_key(item): channel["channel_label"]
        for channel in channels
        if channel.get("channel_label")
        for item in channel.get("items") or []
        if item.get("start_time") is not None
    }


def _speaker_at(segments: list[tuple[float, float, str]], moment: float | None) -> str | None:
    if moment is None:
        return None
    return next((label for start, end, label in segments if start <= moment <= end), None)


def _seconds(value) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def duration_of(results: dict) -> float | None:
    """The media's spoken length as far as the transcript knows: the last word's end."""
    ends = [_seconds(item.get("end_time")) for item in results.get("items") or []]
    ends = [end for end in ends if end is not None]
    return max(ends) if ends else None


def speaker_count(results: dict) -> int:
    labels = results.get("speaker_labels") or {}
    try:
        return int(labels.get("speakers") or 0)
    except (TypeError, ValueError):
        return 0
