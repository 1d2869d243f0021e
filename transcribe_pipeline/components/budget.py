"""What the stack may cost: an AWS Budgets cost budget of the stack's own resources (its `project`
and `stack` tags) that tells the alarm topic at 80 % and 100 % of the month's amount spent, and at
100 % forecast; and, where the account allows it, the two tags activated as cost allocation tags,
without which the budget sees nothing."""

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from transcribe_pipeline.settings import Settings

# (notification type, percent): spent 80 % and 100 %, and forecast to reach 100 %.
THRESHOLDS = (("ACTUAL", 80), ("ACTUAL", 100), ("FORECASTED", 100))
COST_TAGS = ("project", "stack")


@dataclass
class StackBudgetArgs:
    settings: Settings
    topic_arn: pulumi.Input[str]
    """The stack's alarm topic, whose policy lets AWS Budgets publish (see Observability)."""


class StackBudget(pulumi.ComponentResource):
    budget_name: pulumi.Output[str]

    def __init__(self, name: str, args: StackBudgetArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("transcribe:budget:StackBudget", name, None, opts)
        s = args.settings
        child = pulumi.ResourceOptions(parent=self)
        if s.cost_allocation_tags:
            for key in COST_TAGS:
                # Account-wide and shared by every stack of the project: kept on `pulumi destroy`.
                aws.costexplorer.CostAllocationTag(
                    f"{name}-{key}-tag", tag_key=key, status="Active",
                    opts=pulumi.ResourceOptions(parent=self, retain_on_delete=True),
                )  # fmt: skip
        budget = aws.budgets.Budget(
            f"{name}-budget",
            budget_type="COST",
            limit_amount=f"{s.monthly_budget:.2f}",
            limit_unit="USD",
            time_unit="MONTHLY",
            # Cost Explorer's expression: resources that carry both tags, with the stack's values.
            filter_expression={"ands": [{"tags": {"key": key, "values": [value], "match_options": ["EQUALS"]}}
                                        for key, value in (("project", s.project), ("stack", s.stack))]},  # fmt: skip
            notifications=[
                {
                    "notification_type": kind,
                    "comparison_operator": "GREATER_THAN",
                    "threshold": percent,
                    "threshold_type": "PERCENTAGE",
                    "subscriber_sns_topic_arns": [args.topic_arn],
                }
                for kind, percent in THRESHOLDS
            ],
            tags=s.tags,
            opts=child,
        )
        self.budget_name = budget.name
        self.register_outputs({"budget_name": self.budget_name})
