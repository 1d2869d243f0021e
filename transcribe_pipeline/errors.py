"""The one error a bad argument raises."""

import pulumi


class SettingsError(pulumi.RunError):
    """A setting (a config key of the stack, an argument of the component) that cannot be used. A
    RunError, so that the Pulumi CLI prints its one sentence instead of a Python traceback."""
