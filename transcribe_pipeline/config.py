"""The project's own program: the stack's config as TranscriptionPipeline's arguments.

Each argument is the config key of the same name in camelCase (`language_code` is
`transcribe-pipeline:languageCode`). `Pulumi.yaml` declares every key with its default, so the
CLI hands each one over and every key is required here; the value is read as the argument's type.
"""

import re
import typing

import pulumi

from transcribe_pipeline.arguments import TranscriptionPipelineArgs

_READERS = {
    str: pulumi.Config.require,
    int: pulumi.Config.require_int,
    bool: pulumi.Config.require_bool,
    list: pulumi.Config.require_object,
    dict: pulumi.Config.require_object,
}


def config_key(argument: str) -> str:
    """`language_code` -> `languageCode`: the config key, and the schema's name, of an argument."""
    return re.sub(r"_([a-z])", lambda match: match.group(1).upper(), argument)


def argument_type(argument: str) -> type:
    """str, int, bool, list or dict: what an argument holds, Input or not."""
    hint = TranscriptionPipelineArgs.__annotations__[argument]
    # NotRequired[T] holds T; pulumi.Input[T] is a Union whose first member is T.
    while typing.get_origin(hint) in (typing.NotRequired, typing.Union):
        hint = typing.get_args(hint)[0]
    return typing.get_origin(hint) or hint


def args_from_config(config: pulumi.Config) -> TranscriptionPipelineArgs:
    """Every argument from the stack's config."""
    return {argument: _READERS[argument_type(argument)](config, config_key(argument)) for argument in TranscriptionPipelineArgs.__annotations__}
