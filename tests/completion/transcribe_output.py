"""Amazon Transcribe's JSON output, in its documented format, built from readable text.

`spoken("Hello, world.", start=0.0, speaker="spk_0")` gives the items Transcribe would write for
that sentence: one `pronunciation` item per word with its times (and speaker label), one
`punctuation` item per mark, without times. `output(...)` wraps the items of several utterances
into the whole file, with `speaker_labels.segments` when speakers are labelled.
"""

import json
import re
from pathlib import Path

_TOKENS = re.compile(r"[\w'’-]+|[.,?!]")

HERE = Path(__file__).parent
# Real Transcribe outputs (see SOURCES.md there), beside the repository as in CI.
AWS_SAMPLES = HERE.parents[2] / "shared" / "aws-samples" / "transcribe-output"


def spoken(text: str, *, start: float = 0.0, speaker: str | None = None, pace: float = 0.5) -> list[dict]:
    items, moment = [], start
    for token in _TOKENS.findall(text):
        if token in ".,?!":
            item = {"alternatives": [{"confidence": "0.0", "content": token}], "type": "punctuation"}
        else:
            item = {
                "start_time": f"{moment:.2f}",
                "end_time": f"{moment + pace:.2f}",
                "alternatives": [{"confidence": "0.99", "content": token}],
                "type": "pronunciation",
            }
            moment += pace
        if speaker is not None:
            item["speaker_label"] = speaker
        items.append(item)
    return items


def output(job_name: str, *utterances: list[dict], item_labels: bool = True) -> dict:
    """The whole output file. Speaker segments are built from the labelled items; with
    `item_labels=False` the items lose their own labels (older outputs), the segments keep them."""
    items = [dict(item, id=index) for index, item in enumerate(i for u in utterances for i in u)]
    text = ""
    for item in items:
        content = item["alternatives"][0]["content"]
        text += content if item["type"] == "punctuation" or not text else " " + content
    results = {"transcripts": [{"transcript": text}], "items": items}

    segments = []
    for item in items:
        label = item.get("speaker_label")
        if item["type"] != "pronunciation" or label is None:
            continue
        times = {"start_time": item["start_time"], "end_time": item["end_time"], "speaker_label": label}
        if segments and segments[-1]["speaker_label"] == label:
            segments[-1]["end_time"] = item["end_time"]
            segments[-1]["items"].append(times)
        else:
            segments.append({**times, "items": [times]})
    if segments:
        results["speaker_labels"] = {
            "speakers": len({s["speaker_label"] for s in segments}),
            "segments": segments,
        }
    if not item_labels:
        for item in items:
            item.pop("speaker_label", None)
    return {"jobName": job_name, "accountId": "123456789012", "status": "COMPLETED", "results": results}


def documented_sample(job_name: str) -> dict:
    """`two_speakers.json`: a file in the shape of the diarization example of Transcribe's
    documentation (item ids, a channel label, `audio_segments`), for another job name."""
    document = json.loads((HERE / "two_speakers.json").read_text(encoding="utf-8"))
    document["jobName"] = job_name
    return document


def in_other_words(sample: str, language_code: str | None, contents: list[str], job_name: str = "job") -> dict:
    """A real output file of `AWS_SAMPLES` with only its words and language changed: item i's
    content becomes `contents[i]` (times, types, speakers and segments stay), the output names
    `language_code` (None: no language, as when the job was given one), and the `transcript`
    field is emptied, as it would repeat the words under test."""
    document = json.loads((AWS_SAMPLES / sample).read_text(encoding="utf-8"))
    items = document["results"]["items"]
    assert len(contents) == len(items), f"{sample} has {len(items)} items"
    for item, content in zip(items, contents):
        item["alternatives"] = [dict(item["alternatives"][0], content=content)]
    document["results"].pop("language_identification", None)
    document["results"].pop("language_code", None)
    if language_code:
        document["results"]["language_code"] = language_code
    document["results"]["transcripts"] = [{"transcript": ""}]
    document["jobName"] = job_name
    return document


# AWS's diarization example ("I've been on hold for an hour. Sorry about that.") in Japanese, for
# `in_other_words`: one content per item, its two "." as "。".
ON_HOLD_JA = ["一時間", "も", "保留", "に", "なって", "い", "ました", "。", "申し訳", "ございません", "でした", "。"]
