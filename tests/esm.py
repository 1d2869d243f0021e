"""Lambda's SQS event source mapping, as AWS documents it, over a real (moto) queue: receive a
batch with its attributes, hand it to the function in Lambda's event format ("Using Lambda with
Amazon SQS"), then delete the messages the function did not report in its partial batch response
("Handling errors for an SQS event source"); a response that is not one fails the whole batch.
moto's own event source mapping does not do this (it sends one message per event, with made-up
attributes, and ignores partial batch responses), so the tests use this instead."""


def receive_batch(sqs, queue_url: str, batch_size: int = 10) -> list[dict]:
    return sqs.receive_message(
        QueueUrl=queue_url, MaxNumberOfMessages=batch_size, AttributeNames=["All"], MessageAttributeNames=["All"]
    ).get("Messages", [])


def _attribute(value: dict) -> dict:
    return {
        "stringValue": value.get("StringValue"),
        "binaryValue": value.get("BinaryValue"),
        "stringListValues": [],
        "binaryListValues": [],
        "dataType": value["DataType"],
    }


def lambda_event(messages: list[dict], queue_arn: str, region: str) -> dict:
    return {
        "Records": [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": m.get("Attributes", {}),
                "messageAttributes": {k: _attribute(v) for k, v in m.get("MessageAttributes", {}).items()},
                "md5OfBody": m["MD5OfBody"],
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": region,
            }
            for m in messages
        ]
    }


def settle(sqs, queue_url: str, messages: list[dict], response) -> set[str]:
    """Delete what succeeded; returns the ids of the messages reported as failures."""
    try:
        failed = {item["itemIdentifier"] for item in response["batchItemFailures"]}
    except (TypeError, KeyError):
        return {m["MessageId"] for m in messages}
    for m in messages:
        if m["MessageId"] not in failed:
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=m["ReceiptHandle"])
    return failed


def poll_once(sqs, queue_url: str, queue_arn: str, region: str, invoke, batch_size: int = 10):
    """One batch through the function: (event, response, failed ids), or None for an empty queue."""
    messages = receive_batch(sqs, queue_url, batch_size)
    if not messages:
        return None
    event = lambda_event(messages, queue_arn, region)
    response = invoke(event)
    return event, response, settle(sqs, queue_url, messages, response)
