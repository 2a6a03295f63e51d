"""Errors of the command line itself (bad arguments): exit code 2, a message, no traceback."""


class UsageError(Exception):
    pass
