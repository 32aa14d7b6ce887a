"""Errors that mean "the request was wrong", as opposed to bugs.

The CLI reports an :class:`InputError` as one line and exit code 2; anything else keeps its
traceback, because it is ours to fix.
"""


class InputError(ValueError):
    """A parameter, file or device request that cannot be honoured (message is one line)."""


class Terminated(KeyboardInterrupt):
    """SIGTERM arrived during a sampling run (a scheduler's kill).

    A KeyboardInterrupt, so that everything that keeps the finished measurements on Ctrl-C
    (:class:`gpurg.io.hdf5.RunWriter`) does the same here; the CLI exits with 143 (128 + 15).
    """
