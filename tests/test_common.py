"""What both functions share: the error note and the environment checks."""

from datetime import datetime, timedelta, timezone

import pytest

import common


def test_the_error_note_names_media_job_reason_and_time():
    note = common.error_note("s3://media-in/a.mp3", "job-1", "Corrupt file.", "2026-11-24T09:05:00+00:00")
    assert note.decode("utf-8") == (
        '{\n  "media": "s3://media-in/a.mp3",\n  "jobName": "job-1",\n'
        '  "reason": "Corrupt file.",\n  "time": "2026-11-24T09:05:00+00:00"\n}'
    )


def test_times_are_utc_to_the_second():
    paris = datetime(2026, 11, 24, 10, 4, 31, 900000, tzinfo=timezone(timedelta(hours=1)))
    assert common.utc_seconds(paris) == "2026-11-24T09:04:31+00:00"
    assert common.utc_seconds().endswith("+00:00")


@pytest.mark.parametrize("check, value", [(common.check_output_prefix, "/abs/"), (common.check_job_name_prefix, "-x")])
def test_bad_prefixes_are_refused_in_one_line(check, value):
    with pytest.raises(ValueError) as raised:
        check(value)
    assert repr(value) in str(raised.value) and "\n" not in str(raised.value)
