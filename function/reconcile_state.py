"""The reconciler's own state, kept in the ledger table under an internal key (ledger.INTERNAL):
a lease, so that two runs never work at once; the last run's report (the media tool shows it);
and where the listing pass stands, so that a bucket too large for one run is listed over several.

A pass checks the media objects written up to its cutoff and after the previous pass's cutoff
(`verifiedUntil`): every object is looked up in the ledger once it is old enough, and not again
unless it is written anew.
"""

import json
from dataclasses import dataclass, replace

try:  # part of a package: the media tool reads the last report
    from .ledger import INTERNAL, conditionally
except ImportError:  # in the Lambda package
    from ledger import INTERNAL, conditionally

STATE_KEY = {"media": {"S": f"{INTERNAL}reconciler"}, "version": {"S": "state"}}


class RunState:
    def __init__(self, client, table: str, clock):
        self.client, self.table, self.clock = client, table, clock

    def acquire(self, seconds: float) -> bool:
        """Take the lease for `seconds`; False while another run holds it."""
        now = self.clock()
        return conditionally(
            self.client.update_item, TableName=self.table, Key=STATE_KEY,
            UpdateExpression="SET leaseUntil = :until, runStartedAt = :now",
            ConditionExpression="attribute_not_exists(leaseUntil) OR leaseUntil < :now",
            ExpressionAttributeValues={":until": {"N": str(int(now + seconds))}, ":now": {"N": str(int(now))}},
        )  # fmt: skip

    def release(self, report: dict) -> None:
        self.client.update_item(
            TableName=self.table, Key=STATE_KEY, UpdateExpression="SET leaseUntil = :zero, lastRunAt = :now, lastReport = :report",
            ExpressionAttributeValues={":zero": {"N": "0"}, ":now": {"N": str(int(self.clock()))}, ":report": {"S": json.dumps(report)}},
        )  # fmt: skip


def last_run(client, table: str) -> tuple[float, dict] | None:
    """(when, report) of the last finished run; None before the first."""
    item = client.get_item(TableName=table, Key=STATE_KEY).get("Item") or {}
    if "lastRunAt" not in item:
        return None
    return float(item["lastRunAt"]["N"]), json.loads(item.get("lastReport", {}).get("S") or "{}")


@dataclass(frozen=True)
class PassState:
    cursor: str | None
    """The last key listed, "" at the start of a pass; None between passes."""
    cutoff: float
    """The pass checks objects written up to this time (epoch seconds)."""
    verified_until: float
    """Every object written up to this time was checked by an earlier pass."""

    @classmethod
    def load(cls, client, table: str) -> "PassState":
        item = client.get_item(TableName=table, Key=STATE_KEY, ConsistentRead=True).get("Item") or {}
        number = lambda name: float(item[name]["N"]) if name in item else 0.0  # noqa: E731
        return cls(cursor=item["passCursor"]["S"] if "passCursor" in item else None,
                   cutoff=number("passCutoff"), verified_until=number("verifiedUntil"))  # fmt: skip

    def begin(self, cutoff: float) -> "PassState":
        return replace(self, cursor="", cutoff=max(cutoff, self.verified_until))

    def should_check(self, obj: dict, slack: float) -> bool:
        written = obj["LastModified"].timestamp()
        return self.verified_until - slack < written <= self.cutoff

    def at(self, key: str) -> "PassState":
        return replace(self, cursor=key)

    def finish(self) -> "PassState":
        return replace(self, cursor=None, verified_until=max(self.verified_until, self.cutoff))

    def save(self, client, table: str) -> None:
        values = {":cutoff": {"N": repr(self.cutoff)}, ":verified": {"N": repr(self.verified_until)}}
        expression = "SET passCutoff = :cutoff, verifiedUntil = :verified"
        if self.cursor is None:
            expression += " REMOVE passCursor"
        else:
            expression += ", passCursor = :cursor"
            values[":cursor"] = {"S": self.cursor}
        client.update_item(TableName=table, Key=STATE_KEY, UpdateExpression=expression, ExpressionAttributeValues=values)
