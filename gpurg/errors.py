"""Errors that mean "the request was wrong", as opposed to bugs.

The CLI reports an :class:`InputError` as one line and exit code 2; anything else keeps its
traceback, because it is ours to fix.
"""


class InputError(ValueError):
    """A parameter, file or device request that cannot be honoured (message is one line)."""
