"""One exception type for bad user input, so the CLI can print a single line instead of a traceback."""


class UserError(Exception):
    """Bad input (config key, file, value): the message is one line naming the offender."""
