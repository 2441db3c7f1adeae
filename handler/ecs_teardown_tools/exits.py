"""The command line's exit codes, one per cause across commands, and its usage error."""

from __future__ import annotations

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """Bad input that the user must fix: the message says what and how (exit 2)."""
