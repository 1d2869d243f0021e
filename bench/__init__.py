"""The pipeline's own performance table: `python -m bench` (add `--quick` for a smoke run).

Every figure is measured in the same run as its baseline, on the same machine, and reported as
the median of several runs and, where it makes sense, as a ratio to the baseline. Nothing here
calls AWS: the handler runs against fakes or moto, the program against Pulumi mocks.

One module per figure:

    package.py      the zip the program deploys, in bytes
    cold_import.py  importing the handler vs creating a bare Transcribe client, fresh interpreters
    warm.py         per-record overhead with the AWS call faked, vs the classic tutorial handler
    uploads.py      S3 -> Lambda invocations through moto, and a throttled burst of uploads
    program_eval.py evaluating the Pulumi program under mocks, and the unit suite's wall time

`classic_handler.py` is the baseline handler, written by us in the style of the classic tutorial.
`RESULTS.md` holds the latest full run's output.
"""
