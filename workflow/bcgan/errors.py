"""One exception type for bad user input, so the CLI can print a single line instead of a traceback."""


class UserError(Exception):
    """Bad input (config key, file, value): the message is one line naming the offender."""


class WriteError(UserError):
    """A write that failed (disk full, no permission): one line naming the file, and exit code 1 rather
    than bad input's 2, so a script can tell a problem of the machine from one of the command line."""
