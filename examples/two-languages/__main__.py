"""Two transcription pipelines in one program: English and German media side by side, each with
its own buckets, queues, functions, ledger, Transcribe jobs, alarms and dashboard."""

import pulumi

from transcribe_pipeline import TranscriptionPipeline, TranscriptionPipelineArgs

english = TranscriptionPipeline(
    "english",
    TranscriptionPipelineArgs(language_code="en-US", subtitle_formats=["srt", "vtt"], max_speakers=4),
)
german = TranscriptionPipeline(
    "german",
    TranscriptionPipelineArgs(
        language_code="de-DE",
        vocabulary_file="vocabulary/german.tsv",  # relative to this program's directory
        redact_pii="redacted",
        alarm_email="ops@example.com",
        on_destroy="delete",
        tags={"team": "newsroom-de"},
    ),
)

# Each pipeline's outputs as one map, under the names mediactl reads:
# `pulumi stack output --json german > german.json`, then `mediactl status --outputs german.json`.
pulumi.export("english", english.stack_outputs())
pulumi.export("german", german.stack_outputs())
