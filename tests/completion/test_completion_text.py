"""The completion function's pure parts: text from Transcribe's items, the note, the message.
No AWS calls here: the module is imported (inside moto, to be safe) and its clients never used."""

from datetime import datetime, timedelta, timezone

import pytest
from moto import mock_aws

import readable

from moto_stack import fresh_import
from transcribe_output import ON_HOLD_JA, documented_sample, in_other_words, output, spoken


@pytest.fixture(scope="module")
def completion():
    with pytest.MonkeyPatch.context() as env:
        for name, value in {
            "OUTPUT_BUCKET": "transcripts-out",
            "LEDGER_TABLE": "ledger",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
        }.items():
            env.setenv(name, value)
        for name in ("OUTPUT_PREFIX", "JOB_NAME_PREFIX", "TOPIC_ARN", "AWS_PROFILE"):
            env.delenv(name, raising=False)
        with mock_aws():
            yield fresh_import("completion")


def text(completion, *utterances, **options) -> str:
    return readable.transcript_text(output("job", *utterances, **options)["results"])


def test_punctuation_sticks_to_the_word_before_it(completion):
    assert text(completion, spoken("Well, I think so. Don't you?")) == "Well, I think so. Don't you?\n"


def test_the_transcript_is_the_same_text_transcribe_joined(completion):
    document = output("job", spoken("First, a word. Then: another? Yes!"))
    assert readable.transcript_text(document["results"]) == document["results"]["transcripts"][0]["transcript"] + "\n"


def test_a_paragraph_ends_after_five_sentences(completion):
    assert text(completion, spoken("A. B. C. D. E. F. G.")) == "A. B. C. D. E.\n\nF. G.\n"


def test_a_long_pause_after_a_sentence_starts_a_new_paragraph(completion):
    before = spoken("We start.", start=0.0)  # ends at 1.0 s
    after = spoken("After the break.", start=1.0 + readable.PARAGRAPH_PAUSE_SECONDS)
    assert text(completion, before, after) == "We start.\n\nAfter the break.\n"


def test_a_short_pause_or_a_pause_inside_a_sentence_does_not(completion):
    short = [spoken("We start.", start=0.0), spoken("Then go on.", start=1.5)]
    assert text(completion, *short) == "We start. Then go on.\n"
    inside = [spoken("We start and", start=0.0), spoken("then go on.", start=10.0)]
    assert text(completion, *inside) == "We start and then go on.\n"


def test_speakers_are_numbered_from_one_in_order_of_their_labels(completion):
    conversation = [
        spoken("Hi.", start=0.0, speaker="spk_1"),
        spoken("Hello.", start=1.0, speaker="spk_0"),
        spoken("Bye.", start=2.0, speaker="spk_10"),
    ]
    assert text(completion, *conversation) == "Speaker 2: Hi.\nSpeaker 1: Hello.\nSpeaker 11: Bye.\n"


def test_consecutive_utterances_of_one_speaker_make_one_turn(completion):
    monologue = [spoken("One thing.", start=0.0, speaker="spk_0"), spoken("Another.", start=9.0, speaker="spk_0")]
    assert text(completion, *monologue) == "Speaker 1: One thing. Another.\n"


def test_punctuation_stays_with_the_speaker_before_it_whatever_its_own_label(completion):
    first, second = spoken("Really", start=0.0, speaker="spk_0"), spoken("Yes.", start=1.0, speaker="spk_1")
    question_mark = {
        "alternatives": [{"confidence": "0.0", "content": "?"}],
        "type": "punctuation",
        "speaker_label": "spk_1",
    }
    assert text(completion, first, [question_mark], second) == "Speaker 1: Really?\nSpeaker 2: Yes.\n"


def test_a_word_outside_every_speaker_segment_continues_the_turn(completion):
    labelled, unlabelled = spoken("Hello there.", start=0.0, speaker="spk_0"), spoken("Hm.", start=5.0)
    document = output("job", labelled, unlabelled, item_labels=False)
    assert readable.transcript_text(document["results"]) == "Speaker 1: Hello there. Hm.\n"


def test_the_documented_two_speaker_output_reads_as_turns(completion):
    results = documented_sample("job")["results"]
    assert readable.transcript_text(results) == (
        "Speaker 1: I've been on hold for an hour.\n"
        "Speaker 2: Sorry about that. How can I help?\n"
        "Speaker 1: My order, it never arrived.\n"
    )
    assert readable.duration_of(results) == 12.8
    assert readable.speaker_count(results) == 2


def test_no_items_and_no_text_means_no_speech(completion):
    assert readable.transcript_text({"transcripts": [{"transcript": ""}], "items": []}) == readable.NO_SPEECH + "\n"
    assert readable.duration_of({"items": []}) is None


def test_items_without_words_fall_back_to_transcribe_s_text(completion):
    assert readable.transcript_text({"transcripts": [{"transcript": "Just text."}], "items": []}) == "Just text.\n"


@pytest.mark.parametrize(
    ("seconds", "shown"), [(None, ""), (0.4, "0:00"), (12.8, "0:13"), (62.4, "1:02"), (3725.0, "1:02:05")]
)
def test_durations_read_like_a_clock(completion, seconds, shown):
    assert completion.clock(seconds) == shown


@pytest.mark.parametrize(
    ("key", "subject"),
    [
        ("talks/keynote.mp3", "Transcript ready: keynote.mp3"),
        ("Ünïcödé/Café.wav", "Transcript ready: Cafe.wav"),
        ("会议.wav", "Transcript ready: .wav"),
        ("会议", "Transcript ready: media file"),
        ("line\nbreak.mp3", "Transcript ready: line_break.mp3"),
    ],
)
def test_subjects_are_ascii_on_one_line(completion, key, subject):
    assert completion.subject("Transcript ready", key) == subject


def test_long_subjects_are_cut_under_sns_s_limit(completion):
    line = completion.subject("Transcription failed", "x" * 300 + ".mp3")
    assert len(line) < 100 and line.endswith("...") and line.isascii()


def test_the_failure_time_is_transcribe_s_completion_time_in_utc(completion):
    completed = datetime(2026, 11, 24, 10, 4, 31, 900000, tzinfo=timezone(timedelta(hours=1)))
    assert completion.failure_time(completed, "2026-11-24T09:05:00Z") == "2026-11-24T09:04:31+00:00"


def test_without_a_completion_time_the_failure_time_is_the_event_s(completion):
    assert completion.failure_time(None, "2026-11-24T09:05:00Z") == "2026-11-24T09:05:00+00:00"


@pytest.mark.parametrize(
    "uri", ["", "https://media-in.s3.amazonaws.com/a.mp3", "s3://media-in", "s3://media-in/", "s3:///a.mp3"]
)
def test_a_job_whose_media_is_not_an_s3_uri_is_refused(completion, uri):
    with pytest.raises(ValueError, match="not an s3://bucket/key URI"):
        completion.media_of({"TranscriptionJobName": "job-1", "Media": {"MediaFileUri": uri}})


def test_media_keys_keep_every_character_after_the_bucket(completion):
    job = {"Media": {"MediaFileUri": "s3://media-in/a/b c#?.mp3"}}
    assert completion.media_of(job) == ("media-in", "a/b c#?.mp3")


# Transcribe's output for languages written without spaces. No real ja-JP or zh output is public
# (../shared/aws-samples/SOURCES.md), so these are real outputs with only their words and language
# changed: AWS's diarization example ("I've been on hold for an hour. Sorry about that.", two
# speakers, 12 items) and its language-identification example ("so love it.", 4 items, with the
# output's own `language_code`).
ON_HOLD_ZH = ["我", "已经", "等", "了", "一", "个", "小时", "。", "对", "不", "起", "。"]


def test_japanese_speaker_turns_are_written_without_spaces(completion):
    document = in_other_words("awsdocs.diarization-output.json", "ja-JP", ON_HOLD_JA)
    assert readable.transcript_text(document["results"]) == (
        "Speaker 1: 一時間も保留になっていました。\nSpeaker 2: 申し訳ございませんでした。\n"
    )


def test_the_jobs_language_decides_when_the_output_names_none(completion):
    document = in_other_words("awsdocs.diarization-output.json", None, ON_HOLD_ZH)
    assert readable.transcript_text(document["results"], "zh-CN") == "Speaker 1: 我已经等了一个小时。\nSpeaker 2: 对不起。\n"
    # Without a language, words are spaced as in most languages.
    assert readable.transcript_text(document["results"]).startswith("Speaker 1: 我 已经 等 了")


@pytest.mark.parametrize(
    "language, words, expected",
    [
        ("zh-TW", ["所以", "我", "愛它"], "所以我愛它."),
        ("th-TH", ["ก็เลย", "รัก", "มัน"], "ก็เลยรักมัน."),
        ("ja-JP", ["AWS", "Lambda", "です"], "AWS Lambdaです."),
        ("en-GB", ["so", "love", "it"], "so love it."),
    ],
)
def test_the_outputs_language_code_decides_how_words_are_joined(completion, language, words, expected):
    # The sample's last item, its "." punctuation, is kept as it is.
    document = in_other_words("awsdocs.lang-id-output.json", language, [*words, "."])
    assert readable.transcript_text(document["results"]) == expected + "\n"
