"""Exceptions that library code raises and only the CLI turns into exit codes.

`InputError` means the user's input or usage is bad (exit 2, one line on stderr);
`GateFailed` is not an error but the signal that `--fail-on` tripped (exit 1).
"""


class AIPostureError(Exception):
    """Base class: a clean, one-line message for a person."""


class InputError(AIPostureError):
    """Bad usage or unreadable/malformed input: exit code 2."""


class StoreError(AIPostureError):
    """The database could not be opened, migrated or written."""
