"""The command line's exit codes, one per cause across commands, and its usage error."""

from __future__ import annotations

import os
import sys
from typing import IO

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report it


class UsageError(Exception):
    """Bad input that the user must fix: the message says what and how (exit 2)."""


class NotFoundError(Exception):
    """A target named on the command line does not exist (exit 1, as kubectl's delete)."""


def write_through(stream: IO[str], text: str) -> None:
    """Write and flush. A reader that went away (`| head -1`, `2>&1 | head -1`) ends the output, not the command:
    the stream is pointed at /dev/null, so later writes (the interpreter's last flush included) go nowhere instead of
    raising BrokenPipeError, and what the command does next, its exit code included, never depends on who reads."""
    try:
        stream.write(text)
        stream.flush()
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), stream.fileno())


def to_stderr(text: str) -> None:
    """A line for the person at the terminal."""
    write_through(sys.stderr, text + "\n")
