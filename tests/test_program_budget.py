"""monthlyBudget: an AWS Budgets cost budget of the stack's own resources, telling the alarm topic
at 80 % and 100 % spent and 100 % forecast; the topic and its key let AWS Budgets publish, for this
account's budgets only. Without the setting, none of it."""

import json

import pytest

from program import ACCOUNT_ID, PROJECT, STACKS, run_program

BUDGET = "aws:budgets/budget:Budget"


@pytest.fixture(scope="module", params=STACKS)
def budgeted(request):
    return run_program(request.param, {"monthlyBudget": 250})


def test_the_budget_counts_the_stack_s_own_resources_by_their_tags(budgeted):
    (budget,) = budgeted.of_type(BUDGET)
    inputs = budget.inputs
    assert (inputs["budgetType"], inputs["limitAmount"], inputs["limitUnit"], inputs["timeUnit"]) == ("COST", "250.00", "USD", "MONTHLY")
    tags = [clause["tags"] for clause in inputs["filterExpression"]["ands"]]
    assert tags == [
        {"key": "project", "values": [PROJECT], "matchOptions": ["EQUALS"]},
        {"key": "stack", "values": [budgeted.stack], "matchOptions": ["EQUALS"]},
    ]


def test_the_budget_tells_the_alarm_topic_at_80_and_100_percent_spent_and_100_forecast(budgeted):
    (budget,) = budgeted.of_type(BUDGET)
    topic = budgeted.named("observability-alarms").state["arn"]
    found = {(n["notificationType"], n["threshold"], n["thresholdType"], n["comparisonOperator"], tuple(n["subscriberSnsTopicArns"]))
             for n in budget.inputs["notifications"]}  # fmt: skip
    assert found == {
        ("ACTUAL", 80, "PERCENTAGE", "GREATER_THAN", (topic,)),
        ("ACTUAL", 100, "PERCENTAGE", "GREATER_THAN", (topic,)),
        ("FORECASTED", 100, "PERCENTAGE", "GREATER_THAN", (topic,)),
    }
    assert budgeted.outputs["alarmTopicArn"] == topic


def statement(document: str, sid: str) -> dict:
    (found,) = [s for s in json.loads(document)["Statement"] if s.get("Sid") == sid]
    return found


def test_only_this_account_s_budgets_and_alarms_may_publish_to_the_topic(budgeted):
    topic = budgeted.named("observability-alarms").state["arn"]
    policy = budgeted.named("observability-alarms-policy").inputs
    assert policy["arn"] == topic
    budgets = statement(policy["policy"], "BudgetsPublishesAlerts")
    assert budgets["Principal"] == {"Service": "budgets.amazonaws.com"} and budgets["Action"] == "sns:Publish"
    assert budgets["Condition"] == {
        "StringEquals": {"aws:SourceAccount": ACCOUNT_ID}, "ArnLike": {"aws:SourceArn": f"arn:aws:budgets::{ACCOUNT_ID}:budget/*"}
    }  # fmt: skip
    alarms = statement(policy["policy"], "CloudWatchPublishesAlarms")
    assert alarms["Condition"]["ArnLike"] == {"aws:SourceArn": f"arn:aws:cloudwatch:us-east-1:{ACCOUNT_ID}:alarm:*"}
    owner = statement(policy["policy"], "AccountOwnsTheTopic")
    assert owner["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"} and "sns:Subscribe" in owner["Action"]
    key = statement(budgeted.named("observability-alarm-key").inputs["policy"], "BudgetsPublishesAlerts")
    assert key["Principal"] == {"Service": "budgets.amazonaws.com"} and key["Action"] == ["kms:Decrypt", "kms:GenerateDataKey*"]


@pytest.mark.parametrize("stack", STACKS)
def test_without_a_budget_there_is_no_budget_and_the_topic_keeps_its_default_policy(stack):
    program = run_program(stack)
    assert program.of_type(BUDGET) == [] and program.of_type("aws:sns/topicPolicy:TopicPolicy") == []
    sids = {s.get("Sid") for s in json.loads(program.named("observability-alarm-key").inputs["policy"])["Statement"]}
    assert "BudgetsPublishesAlerts" not in sids


def test_cost_allocation_tags_are_activated_and_kept_when_asked():
    program = run_program("prod", {"monthlyBudget": 100, "costAllocationTags": True})
    tags = program.of_type("aws:costexplorer/costAllocationTag:CostAllocationTag")
    assert sorted((t.inputs["tagKey"], t.inputs["status"]) for t in tags) == [("project", "Active"), ("stack", "Active")]
    assert all(t.retain_on_delete for t in tags), "account-wide: other stacks' budgets need them after a destroy"
    assert run_program("prod", {"monthlyBudget": 100}).of_type("aws:costexplorer/costAllocationTag:CostAllocationTag") == []


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"monthlyBudget": -5}, "monthlyBudget is -5: use 0 (no budget) or US dollars a month, such as 100"),
        ({"costAllocationTags": True}, "costAllocationTags is true but monthlyBudget is 0"),
        ({"maxJobsPerDay": -1}, "maxJobsPerDay is -1: use 0 (no limit)"),
    ],
)
def test_bad_spend_settings_stop_the_preview_with_one_sentence(overrides, message):
    with pytest.raises(Exception) as raised:
        run_program("dev", overrides)
    assert message in str(raised.value)
