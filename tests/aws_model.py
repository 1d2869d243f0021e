"""Check request parameters against botocore's model of the AWS API: types, required members,
lengths, ranges and enums (botocore's own validator) plus the patterns, which botocore does not
check and moto does not enforce, but AWS does."""

import re

import botocore.session
from botocore.validate import ParamValidator

_SESSION = botocore.session.get_session()


def pattern_errors(shape, value, path: str) -> list[str]:
    errors = []
    if shape.type_name == "structure" and isinstance(value, dict):
        for name, member in shape.members.items():
            if name in value:
                errors += pattern_errors(member, value[name], f"{path}.{name}")
    elif shape.type_name == "list" and isinstance(value, list):
        for index, item in enumerate(value):
            errors += pattern_errors(shape.member, item, f"{path}[{index}]")
    elif shape.type_name == "string" and "pattern" in shape.metadata:
        pattern = shape.metadata["pattern"].removeprefix("^").removesuffix("$")
        if not re.fullmatch(pattern, value, flags=re.DOTALL):
            errors.append(f"{path}={value!r} does not match {shape.metadata['pattern']}")
    return errors


def assert_valid_request(service: str, operation: str, params: dict) -> None:
    shape = _SESSION.get_service_model(service).operation_model(operation).input_shape
    report = ParamValidator().validate(params, shape)
    assert not report.has_errors(), report.generate_report()
    errors = pattern_errors(shape, params, operation)
    assert not errors, errors


def check_against_model(params, model, **_):
    """A `provide-client-params` handler: check each request a client sends against botocore's
    model of its operation (moto accepts what AWS refuses)."""
    assert_valid_request(model.service_model.service_name, model.name, params)
