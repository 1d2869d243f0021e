"""The stack's ledger table in moto, created from what the program declares (its keys, attribute
types, billing and index), so the functions meet the table the stack makes."""

import functools

from program import create_table_as_declared, run_program

TABLE = "ledger"


@functools.cache
def declared_table() -> dict:
    (table,) = run_program("dev").of_type("aws:dynamodb/table:Table")
    return table.inputs


def create_ledger_table(dynamodb, name: str = TABLE) -> str:
    """Create the declared table as `name` with the DynamoDB client given; returns the name."""
    return create_table_as_declared(dynamodb, declared_table(), name)
