"""User-facing errors: a mistake in input or config, reported in one line without a traceback."""

from __future__ import annotations


class CustsegError(Exception):
    """A problem the user can fix (bad file, bad config, missing column).

    The CLI prints ``str(error)`` and exits with code 1; anything else is a bug and keeps its
    traceback.
    """


class CustsegWarning(UserWarning):
    """Something the user should know that does not stop the work; the CLI prints it in one
    line on stderr, the Python API leaves it to the warnings machinery."""


class ConfigError(CustsegError):
    """custseg.toml is invalid; the message lists every problem at once."""


class InputError(CustsegError):
    """A source cannot be loaded; the message names the file and, where known, row and column."""

    def __init__(self, message: str, *, path: str | None = None, row: int | None = None,
                 column: str | None = None):
        where = ", ".join(
            part for part in (
                path and (f"source {path}" if "://" in path else f"file {path}"),
                row is not None and f"row {row}",
                column and f"column {column!r}",
            ) if part
        )
        super().__init__(f"{where}: {message}" if where else message)
        self.path, self.row, self.column = path, row, column


class DatabaseBusyError(CustsegError):
    """The project database is open for writing in another process."""
