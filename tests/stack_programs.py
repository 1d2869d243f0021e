"""What the tests of the program's declarations share: the program evaluated for each stack file,
and readers of what it declares."""

import json

import pytest

from program import STACKS, Program, run_program


@pytest.fixture(scope="module", params=STACKS)
def program(request) -> Program:
    return run_program(request.param)


@pytest.fixture(scope="module")
def dev() -> Program:
    return run_program("dev")


@pytest.fixture(scope="module")
def prod() -> Program:
    return run_program("prod")


def bucket_arn(program: Program, component: str) -> str:
    return program.named(f"{component}-bucket").state["arn"]


def statements(program: Program, policy_name: str) -> list[dict]:
    return json.loads(program.named(policy_name).inputs["policy"])["Statement"]


def as_list(value) -> list:
    return value if isinstance(value, list) else [value]
