"""What the stack did each UTC day, counted in the ledger table (one item a day, under an internal
key): jobs started, jobs that completed or failed, and minutes transcribed — what the media tool
shows as today's and this month's spend, and what the daily limit (maxJobsPerDay) is kept by.

A start is counted before StartTranscriptionJob is called, with a condition that keeps the day's
count under the limit however many instances start jobs at once, and uncounted if no job came of
it (back-pressure, a job that already existed, media refused).
"""

import time

try:  # part of a package: the media tool reads the counts
    from .ledger import INTERNAL, conditionally
except ImportError:  # in the Lambda package
    from ledger import INTERNAL, conditionally

DAY_KEY = f"{INTERNAL}day"


def day_of(moment: float) -> str:
    """The UTC day of an epoch time, as YYYY-MM-DD."""
    return time.strftime("%Y-%m-%d", time.gmtime(moment))


def seconds_to_next_day(moment: float) -> float:
    return 86400 - moment % 86400


class DailyCounts:
    def __init__(self, client, table: str):
        self.client, self.table = client, table

    def _key(self, day: str) -> dict:
        return {"media": {"S": DAY_KEY}, "version": {"S": day}}

    def count_start(self, day: str, limit: int) -> bool:
        """Count one job start on `day`; False (nothing counted) when `limit` (> 0) jobs were
        started that day already."""
        request = {
            "TableName": self.table, "Key": self._key(day), "UpdateExpression": "ADD started :one",
            "ExpressionAttributeValues": {":one": {"N": "1"}},
        }  # fmt: skip
        if limit > 0:
            request["ConditionExpression"] = "attribute_not_exists(started) OR started < :limit"
            request["ExpressionAttributeValues"][":limit"] = {"N": str(limit)}
        return conditionally(self.client.update_item, **request)

    def uncount_start(self, day: str) -> None:
        self.client.update_item(
            TableName=self.table, Key=self._key(day), UpdateExpression="ADD started :minus",
            ExpressionAttributeValues={":minus": {"N": "-1"}},
        )  # fmt: skip

    def limit_reached(self, day: str, limit: int, moment: float) -> None:
        """Note when the day's limit was reached (the first time), and what it was."""
        self.client.update_item(
            TableName=self.table, Key=self._key(day),
            UpdateExpression="SET limitReachedAt = if_not_exists(limitReachedAt, :now), dailyLimit = :limit",
            ExpressionAttributeValues={":now": {"N": str(int(moment))}, ":limit": {"N": str(limit)}},
        )  # fmt: skip

    def count_end(self, day: str, completed: bool, minutes: float | None) -> None:
        """Count a job's end on `day`, and the minutes it transcribed."""
        values = {":one": {"N": "1"}}
        expression = f"ADD {'completed' if completed else 'failed'} :one"
        if minutes:
            expression += ", minutes :minutes"
            values[":minutes"] = {"N": repr(round(float(minutes), 3))}
        self.client.update_item(TableName=self.table, Key=self._key(day), UpdateExpression=expression, ExpressionAttributeValues=values)

    def days(self, first: str, last: str) -> dict[str, dict]:
        """The counts of each day from `first` to `last` (YYYY-MM-DD) that has any, by day."""
        pages = self.client.get_paginator("query").paginate(
            TableName=self.table, KeyConditionExpression="media = :day AND version BETWEEN :first AND :last",
            ExpressionAttributeValues={":day": {"S": DAY_KEY}, ":first": {"S": first}, ":last": {"S": last}},
        )  # fmt: skip
        found = {}
        for page in pages:
            for item in page.get("Items", []):
                found[item["version"]["S"]] = {name: float(value["N"]) for name, value in item.items() if "N" in value}
        return found
