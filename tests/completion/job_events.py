"""EventBridge events shaped like the ones Amazon Transcribe sends when a job changes state."""


def job_state_change(job_name: str, status: str = "COMPLETED", **detail) -> dict:
    """A 'Transcribe Job State Change' event; extra detail fields (FailureReason) as given."""
    return {
        "version": "0",
        "id": "1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d",
        "detail-type": "Transcribe Job State Change",
        "source": "aws.transcribe",
        "account": "123456789012",
        "time": "2026-11-24T09:05:00Z",
        "region": "us-east-1",
        "resources": [],
        "detail": {"TranscriptionJobName": job_name, "TranscriptionJobStatus": status, **detail},
    }
