"""One hierarchy of domain errors. Each carries the sentence a user should read.

The CLI maps classes to exit codes in one place (`omnictl.cli.main`); the TUI shows the
same sentence. Domain code raises, never prints or exits.
"""


MESSAGE_LIMIT = 1000


def brief(message: str, limit: int = MESSAGE_LIMIT) -> str:
    """A message cut to a readable length: one that quotes a huge value from a file (a field of
    megabytes) keeps its start, which names the file, row and column, and its end, which says why."""
    if len(message) <= limit:
        return message
    head, tail = limit * 2 // 3, limit // 4
    return f"{message[:head]} …({len(message) - head - tail:,} characters left out)… {message[-tail:]}"


class OmnictlError(Exception):
    """Base of every error a user may see. `str(err)` is the whole message."""

    exit_code = 2

    def __init__(self, message: str = ""):
        super().__init__(brief(message))


class UsageError(OmnictlError):
    """The command was asked for something that cannot be (unknown channel, bad option)."""


class InputFileError(OmnictlError):
    """A file as a whole cannot be used: unreadable, undecodable, no matching profile."""


class DatabaseError(OmnictlError):
    """The database cannot be opened or written: read-only, locked, too new."""


class NotFound(OmnictlError):
    """A record named on the command line does not exist."""


class StrictRejects(OmnictlError):
    """--strict and at least one row was rejected: the file was not written."""

    exit_code = 1


class Blocked(OmnictlError):
    """An action is refused because of the state of other records (e.g. a later batch)."""

    exit_code = 1
