"""AWS answering with an error, for the tests that need one."""

from botocore.exceptions import ClientError


def refusing(code: str, operation: str = "StartTranscriptionJob"):
    """A client method that always answers with this error code."""

    def refuse(**_):
        raise ClientError({"Error": {"Code": code, "Message": "refused for the test"}}, operation)

    return refuse
