"""mediactl: upload media to a transcription stack, follow its jobs and fetch the transcripts.

Run it as `python -m mediactl --help` from the project directory.
"""
