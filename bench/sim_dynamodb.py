"""A simulated DynamoDB table (on-demand) with its global secondary indexes: PutItem, UpdateItem,
GetItem, Query (on the table or an index) and BatchGetItem, answering the requests botocore
serializes for function/ledger.py and function/reconcile_state.py as DynamoDB documents it
(Amazon DynamoDB API Reference, each operation's page): conditional writes answer
ConditionalCheckFailedException ("The conditional request failed"), with the item as it is when
ReturnValuesOnConditionCheckFailure is ALL_OLD; a Query page stops at 1 MB and names its
LastEvaluatedKey. Request units are counted as on-demand billing counts them (`Capacity`).

A request parameter the simulation does not model raises NotImplementedError; an invalid one
answers ValidationException, as DynamoDB would.
"""

import bisect
import json
import math
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal

from bench.sim_expressions import ExpressionError, Placeholders, condition, key_condition, update
from bench.sim_http import AwsError

TARGET = "DynamoDB"
MAX_ITEM_BYTES = 400 * 1024
PAGE_BYTES = 1024 * 1024
BATCH_GET_KEYS = 100
CONDITION_FAILED = "ConditionalCheckFailedException"
_OPTIONAL = {
    "PutItem": {"ConditionExpression", "ExpressionAttributeNames", "ExpressionAttributeValues", "ReturnValuesOnConditionCheckFailure"},
    "UpdateItem": {"ConditionExpression", "ExpressionAttributeNames", "ExpressionAttributeValues", "ReturnValuesOnConditionCheckFailure", "UpdateExpression"},
    "GetItem": {"ConsistentRead"},
    "Query": {"IndexName", "ExpressionAttributeNames", "ExpressionAttributeValues", "ConsistentRead", "ExclusiveStartKey"},
    "BatchGetItem": set(),
}  # fmt: skip


def item_bytes(item: dict) -> int:
    """An item's size as DynamoDB counts it: names and values in UTF-8; a number about one byte
    per two significant digits, plus one (Developer Guide, "Item sizes and formats")."""
    size = 0
    for name, value in item.items():
        size += len(name) if name.isascii() else len(name.encode())
        text = value.get("S")
        if text is not None:
            size += len(text) if text.isascii() else len(text.encode())
        elif "N" in value:
            digits = value["N"].lstrip("-").replace(".", "").strip("0") or "0"
            size += (len(digits) + 1) // 2 + 1
        else:
            raise NotImplementedError(f"the simulated DynamoDB stores S and N only, not {sorted(value)}")
    return size


@dataclass
class Capacity:
    """On-demand request units (Developer Guide, "Read/write capacity mode" and "DynamoDB read
    and write operations"): a read unit per 4 KB read strongly consistent, half for an eventually
    consistent one, at least one unit (or half) per item or Query; a write unit per 1 KB written,
    the larger of the item before and after, also when the condition fails; a write that adds,
    changes or removes an index's item costs the index writes too, two when it moves the item's
    index key (Developer Guide, "Provisioned throughput considerations for global secondary
    indexes", which on-demand billing follows)."""

    read_units: float = 0.0
    write_units: float = 0.0
    index_write_units: float = 0.0

    def read(self, size: int, consistent: bool) -> None:
        self.read_units += max(1, math.ceil(size / 4096)) * (1.0 if consistent else 0.5)

    def write(self, before: int, after: int) -> None:
        """A write of an item of `before` bytes (0: none) that leaves one of `after` bytes."""
        self.write_units += max(1, math.ceil(max(before, after) / 1024))


class _Index:
    """A global secondary index with ALL projected: per hash value, (range value, table keys) in order."""

    def __init__(self, name: str, hash_name: str, range_name: str) -> None:
        self.name, self.hash_name, self.range_name = name, hash_name, range_name
        self.entries: dict[str, list] = {}

    def key_of(self, item: dict | None):
        if not item or self.hash_name not in item or self.range_name not in item:
            return None
        return item[self.hash_name]["S"], Decimal(item[self.range_name]["N"])

    def move(self, table_key: tuple, before: dict | None, after: dict, sizes: tuple[int, int], capacity: Capacity) -> None:
        old, new = self.key_of(before), self.key_of(after)
        if old is not None:
            entries = self.entries[old[0]]
            del entries[bisect.bisect_left(entries, (old[1], *table_key))]
        if new is not None:
            bisect.insort(self.entries.setdefault(new[0], []), (new[1], *table_key))
        writes = [size for size, key in zip(sizes, (old, new)) if key is not None]
        if old is not None and new is not None and old == new:
            writes = [sizes[1]] if before != after else []
        for size in writes:
            capacity.index_write_units += max(1, math.ceil(size / 1024))


class Table:
    """One table: items by (hash, range) key, kept as compact JSON (a 120,000-item ledger in tens
    of MB), with its indexes."""

    def __init__(self, name: str, hash_name: str, range_name: str, indexes: dict[str, tuple[str, str]]) -> None:
        self.name, self.hash_name, self.range_name = name, hash_name, range_name
        self._items: dict[tuple[str, str], str] = {}
        self._sizes: dict[tuple[str, str], int] = {}
        self._ranges: dict[str, list[str]] = {}
        self._indexes = {index: _Index(index, h, r) for index, (h, r) in indexes.items()}
        self.capacity = Capacity()
        self.calls: Counter[str] = Counter()

    def operations(self) -> dict:
        """Operation -> answer, each taking the request's JSON document."""
        return {f"{TARGET}.{name}": getattr(self, f"_{name}") for name in _OPTIONAL}

    def handlers(self) -> dict:
        """The operations as bench/sim_http.py routes requests to them."""
        return {name: (lambda request, answer=answer: answer(request.json())) for name, answer in self.operations().items()}

    # --- items ------------------------------------------------------------------------------

    def get(self, key: tuple[str, str]) -> dict | None:
        text = self._items.get(key)
        return json.loads(text) if text is not None else None

    def items(self):
        for text in self._items.values():
            yield json.loads(text)

    def indexed(self, index: str) -> int:
        """How many items the index holds."""
        return sum(map(len, self._indexes[index].entries.values()))

    def _key(self, key: dict) -> tuple[str, str]:
        if set(key) != {self.hash_name, self.range_name} or any("S" not in key[n] for n in key):
            raise AwsError("ValidationException", "The provided key element does not match the schema")
        return key[self.hash_name]["S"], key[self.range_name]["S"]

    def _store(self, key: tuple[str, str], before: dict | None, after: dict) -> None:
        for index in self._indexes.values():
            if index.key_of(after) is None and (index.hash_name in after or index.range_name in after):
                kinds = {index.hash_name: "S", index.range_name: "N"}
                if any(name in after and kinds[name] not in after[name] for name in kinds):
                    raise AwsError("ValidationException", "One or more parameter values were invalid: Type mismatch for Index Key")
        sizes = self._sizes.get(key, 0), item_bytes(after)
        if sizes[1] > MAX_ITEM_BYTES:
            raise AwsError("ValidationException", "Item size has exceeded the maximum allowed size")
        self.capacity.write(*sizes)
        for index in self._indexes.values():
            index.move(key, before, after, sizes, self.capacity)
        if before is None:
            bisect.insort(self._ranges.setdefault(key[0], []), key[1])
        self._items[key] = json.dumps(after, separators=(",", ":"))
        self._sizes[key] = sizes[1]

    def _check(self, request: dict, operation: str, required: set) -> Placeholders:
        self.calls[operation] += 1
        unknown = set(request) - required - _OPTIONAL[operation] - {"TableName"}
        if unknown:
            raise NotImplementedError(f"the simulated DynamoDB does not model {operation} {sorted(unknown)}")
        if request.get("TableName", self.name) != self.name:
            raise AwsError("ResourceNotFoundException", "Requested resource not found")
        if request.get("ReturnValuesOnConditionCheckFailure", "NONE") not in ("NONE", "ALL_OLD"):
            raise AwsError("ValidationException", "ReturnValuesOnConditionCheckFailure must be NONE or ALL_OLD")
        return Placeholders(request.get("ExpressionAttributeNames", {}), request.get("ExpressionAttributeValues", {}))

    def _holds(self, request: dict, placeholders: Placeholders, before: dict | None) -> bool:
        text = request.get("ConditionExpression")
        try:
            return text is None or condition(text, before or {}, placeholders)
        except ExpressionError as error:
            raise AwsError("ValidationException", f"Invalid ConditionExpression: {error}") from None

    def _write(self, request: dict, placeholders: Placeholders, key: tuple, before: dict | None, after: dict, holds: bool) -> dict:
        """Store `after` if the condition held; else ConditionalCheckFailedException, with the
        item as it is when the request asks for ALL_OLD. The request is checked first."""
        _all_used(placeholders)
        if not holds:
            self.capacity.write(self._sizes.get(key, 0), 0)
            extra = {"Item": before} if before and request.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD" else {}
            raise AwsError(CONDITION_FAILED, "The conditional request failed", extra=extra)
        self._store(key, before, after)
        return {}

    # --- operations ---------------------------------------------------------------------------

    def _PutItem(self, request: dict) -> dict:
        placeholders = self._check(request, "PutItem", {"Item"})
        item = request["Item"]
        key = self._key({name: item.get(name, {}) for name in (self.hash_name, self.range_name)})
        before = self.get(key)
        holds = self._holds(request, placeholders, before)
        return self._write(request, placeholders, key, before, item, holds)

    def _UpdateItem(self, request: dict) -> dict:
        placeholders = self._check(request, "UpdateItem", {"Key"})
        key = self._key(request["Key"])
        before = self.get(key)
        holds = self._holds(request, placeholders, before)
        try:
            after, touched = update(request.get("UpdateExpression", ""), before or dict(request["Key"]), placeholders)
        except ExpressionError as error:
            raise AwsError("ValidationException", f"Invalid UpdateExpression: {error}") from None
        if touched & {self.hash_name, self.range_name}:
            name = sorted(touched & {self.hash_name, self.range_name})[0]
            raise AwsError("ValidationException", f"Cannot update attribute {name}. This attribute is part of the key")
        return self._write(request, placeholders, key, before, after, holds)

    def _GetItem(self, request: dict) -> dict:
        self._check(request, "GetItem", {"Key"})
        key = self._key(request["Key"])
        item = self.get(key)
        self.capacity.read(self._sizes.get(key, 0), request.get("ConsistentRead", False))
        return {"Item": item} if item is not None else {}

    def _BatchGetItem(self, request: dict) -> dict:
        self._check(request, "BatchGetItem", {"RequestItems"})
        wanted = request["RequestItems"]
        if set(wanted) != {self.name}:
            raise AwsError("ResourceNotFoundException", "Requested resource not found")
        spec = wanted[self.name]
        if set(spec) - {"Keys"}:
            raise NotImplementedError(f"the simulated DynamoDB does not model BatchGetItem {sorted(set(spec) - {'Keys'})}")
        keys = [self._key(key) for key in spec["Keys"]]
        if not 1 <= len(keys) <= BATCH_GET_KEYS:
            raise AwsError("ValidationException", f"Too many items requested for the BatchGetItem call: {len(keys)}")
        if len(set(keys)) != len(keys):
            raise AwsError("ValidationException", "Provided list of item keys contains duplicates")
        found = []
        for key in keys:
            self.capacity.read(self._sizes.get(key, 0), False)
            if (item := self.get(key)) is not None:
                found.append(item)
        return {"Responses": {self.name: found}, "UnprocessedKeys": {}}

    def _Query(self, request: dict) -> dict:
        placeholders = self._check(request, "Query", {"KeyConditionExpression"})
        try:
            key = key_condition(request["KeyConditionExpression"], placeholders)
            _all_used(placeholders)
        except ExpressionError as error:
            raise AwsError("ValidationException", f"Invalid KeyConditionExpression: {error}") from None
        index = self._indexes.get(request.get("IndexName", ""))
        if "IndexName" in request and index is None:
            raise AwsError("ValidationException", f"The table does not have the specified index: {request['IndexName']}")
        if index is not None and request.get("ConsistentRead"):
            raise AwsError("ValidationException", "Consistent reads are not supported on global secondary indexes")
        hash_name, range_name = (index.hash_name, index.range_name) if index else (self.hash_name, self.range_name)
        if (key.hash_name, key.range_name or range_name) != (hash_name, range_name):
            raise AwsError("ValidationException", "Query condition missed key schema element")
        keys = self._index_keys(index, key, request.get("ExclusiveStartKey")) if index else self._table_keys(key, request.get("ExclusiveStartKey"))
        items, size, last = [], 0, None
        for table_key in keys:
            item = self.get(table_key)
            if not key.matches(item.get(range_name)):
                if key.ends_early:
                    break  # in order: nothing further matches
                continue
            items.append(item)
            size += self._sizes[table_key]
            if size >= PAGE_BYTES:
                last = table_key
                break
        self.capacity.read(size, request.get("ConsistentRead", False))
        answer = {"Items": items, "Count": len(items), "ScannedCount": len(items)}
        if last is not None:
            answer["LastEvaluatedKey"] = {n: items[-1][n] for n in {self.hash_name, self.range_name, hash_name, range_name}}
        return answer

    def _table_keys(self, key, start: dict | None):
        ranges = self._ranges.get(key.hash_value["S"], [])
        first = bisect.bisect_right(ranges, start[self.range_name]["S"]) if start else 0
        return [(key.hash_value["S"], r) for r in ranges[first:]]

    def _index_keys(self, index: _Index, key, start: dict | None):
        entries = index.entries.get(key.hash_value["S"], [])
        first = 0
        if start:
            first = bisect.bisect_right(entries, (Decimal(start[index.range_name]["N"]), start[self.hash_name]["S"], start[self.range_name]["S"]))
        for entry in entries[first:]:
            yield entry[1], entry[2]


def _all_used(placeholders: Placeholders) -> None:
    try:
        placeholders.check_all_used()
    except ExpressionError as error:
        raise AwsError("ValidationException", str(error)) from None
