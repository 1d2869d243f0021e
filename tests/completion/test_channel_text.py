"""The `.txt` of jobs with Transcribe's options: one line per channel turn with channel
identification, like speaker turns, both labels when both are on; masked words stay masked.
Tested on Transcribe's real outputs (see /work/shared/aws-samples/SOURCES.md): the 2020 layout
gives channels only under `channel_labels`, the current one on each item too."""

import json
from pathlib import Path

import pytest

import readable

from transcribe_output import output, spoken

SAMPLES = Path("/work/shared/aws-samples/transcribe-output")


def results_of(name: str) -> dict:
    return json.loads((SAMPLES / name).read_text())["results"]


def channel_words(results: dict) -> dict[str, list[str]]:
    """Each channel's words, in order, as `channel_labels` lists them."""
    return {
        channel["channel_label"]: [i["alternatives"][0]["content"] for i in channel["items"] if i["type"] == "pronunciation"]
        for channel in results["channel_labels"]["channels"]
    }


@pytest.mark.parametrize("sample", ["awsdocs.channel-id-output.json", "tscribe.02-channel-identification.json"])
def test_each_line_is_one_channel_s_turn_with_that_channel_s_words(sample):
    results = results_of(sample)
    lines = readable.transcript_text(results).splitlines()
    expected = channel_words(results)
    said: dict[str, list[str]] = {label: [] for label in expected}
    for line in lines:
        name, _, text = line.partition(": ")
        label = f"ch_{int(name.removeprefix('Channel ')) - 1}"
        said[label] += [w.strip(".,?!") for w in text.split()]
    assert len(lines) >= 2
    assert {label: [w for w in words if w] for label, words in said.items()} == {
        label: [w.strip(".,?!") for w in words] for label, words in expected.items()
    }


def test_the_documented_call_reads_as_two_channel_turns():
    text = readable.transcript_text(results_of("awsdocs.channel-id-output.json"))
    assert text == "Channel 1: I've been on hold for an hour.\nChannel 2: Sorry about that.\n"


def test_consecutive_lines_change_channel():
    names = [line.partition(":")[0] for line in readable.transcript_text(results_of("tscribe.02-channel-identification.json")).splitlines()]
    assert all(a != b for a, b in zip(names, names[1:]))


def test_with_channels_and_speakers_both_are_named():
    caller = spoken("I have been on hold for an hour.", start=0.0, speaker="spk_0")
    agent = spoken("Sorry about that.", start=5.0, speaker="spk_1")
    colleague = spoken("Let me help.", start=7.0, speaker="spk_2")
    for utterance, channel in ((caller, "ch_0"), (agent, "ch_1"), (colleague, "ch_1")):
        for item in utterance:
            item["channel_label"] = channel
    text = readable.transcript_text(output("job", caller, agent, colleague)["results"])
    assert text.splitlines() == [
        "Channel 1, Speaker 1: I have been on hold for an hour.",
        "Channel 2, Speaker 2: Sorry about that.",
        "Channel 2, Speaker 3: Let me help.",
    ]


def test_speaker_turns_alone_read_as_before():
    text = readable.transcript_text(output("job", spoken("Hello.", speaker="spk_0"), spoken("Hi.", start=2, speaker="spk_1"))["results"])
    assert text == "Speaker 1: Hello.\nSpeaker 2: Hi.\n"


def test_masked_words_stay_masked_in_the_text():
    # A real output of a job with a vocabulary filter in `mask` mode: each filtered word is `***`.
    results = results_of("tscribe.07-vocabulary-filter-mask.json")
    text = readable.transcript_text(results)
    assert text.count("***") == results["transcripts"][0]["transcript"].count("***") > 0
