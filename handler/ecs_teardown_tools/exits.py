"""The command line's exit codes, one per cause across commands, and its usage error."""

from __future__ import annotations

import os
import sys

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report it


class UsageError(Exception):
    """Bad input that the user must fix: the message says what and how (exit 2)."""


class NotFoundError(Exception):
    """A target named on the command line does not exist (exit 1, as kubectl's delete)."""


def to_stderr(text: str) -> None:
    """A line for the person at the terminal. A reader that went away (`2>&1 | head -1`) ends these lines, not the
    command: what it does next (a Ctrl-C's stop and report), and its exit code, never depend on who still reads."""
    try:
        print(text, file=sys.stderr, flush=True)
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stderr.fileno())
