"""The ledger of uploads: a DynamoDB table of the stack with one item per media object version
(see function/ledger.py for what an item holds), and the sparse index of the uploads still queued
or started that the reconciler reads."""

from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from transcribe_pipeline.function import ledger


@dataclass
class LedgerTableArgs:
    retain: bool
    """Keep the table, and what it records, on `pulumi destroy`."""
    point_in_time_recovery: bool
    """Continuous backups, restorable to any second of the last 35 days."""
    tags: dict[str, str] = field(default_factory=dict)


class LedgerTable(pulumi.ComponentResource):
    """On-demand (billed per request, nothing when idle), encrypted at rest (DynamoDB encrypts every
    table; this one with the AWS owned key, at no charge)."""

    name: pulumi.Output[str]
    arn: pulumi.Output[str]

    def __init__(self, name: str, args: LedgerTableArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("transcribe:ledger:LedgerTable", name, None, opts)
        self.table = aws.dynamodb.Table(
            f"{name}-table",
            billing_mode="PAY_PER_REQUEST",
            hash_key="media",
            range_key="version",
            attributes=[
                {"name": "media", "type": "S"},
                {"name": "version", "type": "S"},
                {"name": "pending", "type": "S"},
                {"name": "due", "type": "N"},
            ],
            global_secondary_indexes=[
                {
                    "name": ledger.PENDING_INDEX,
                    "key_schemas": [{"attribute_name": "pending", "key_type": "HASH"}, {"attribute_name": "due", "key_type": "RANGE"}],
                    "projection_type": "ALL",
                }
            ],
            point_in_time_recovery={"enabled": args.point_in_time_recovery},
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self, retain_on_delete=args.retain),
        )
        self.name = self.table.name
        self.arn = self.table.arn
        self.register_outputs({"name": self.name, "arn": self.arn})


def table_and_index(table_arn: pulumi.Input[str]) -> list:
    """The ARNs a role that queries the pending index needs: the table and its indexes."""
    return [table_arn, pulumi.Output.concat(table_arn, "/index/", ledger.PENDING_INDEX)]
