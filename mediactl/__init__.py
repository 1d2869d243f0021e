"""mediactl: upload media to a transcription stack, follow its jobs and fetch the transcripts.

Installed (`pip install .` or `pipx install .`), run it as `mediactl --help` from any directory;
in a checkout, `python -m mediactl --help` runs the same tool.
"""
