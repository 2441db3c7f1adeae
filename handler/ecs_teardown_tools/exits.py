"""The command line's exit codes, one per cause across commands, and its usage error."""

from __future__ import annotations

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report it


class UsageError(Exception):
    """Bad input that the user must fix: the message says what and how (exit 2)."""


class NotFoundError(Exception):
    """A target named on the command line does not exist (exit 1, as kubectl's delete)."""
