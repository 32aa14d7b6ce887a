"""Signals during a run: SIGTERM treated like Ctrl-C, and never in the middle of a write.

A batch scheduler ends a job with SIGTERM (and SIGKILL a little later), which by default kills
Python at once and loses a run's file. :func:`run_signals` turns SIGTERM into
:class:`~gpurg.errors.Terminated` (a KeyboardInterrupt) for the duration of a run, and restores
the previous handler after it. Both signals are held back while a measurement row and the
sampler state it goes with are written (:meth:`RunSignals.atomic`), so an interrupted file
never holds a state that does not follow its last row.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType

from gpurg.errors import Terminated

__all__ = ["RunSignals", "run_signals"]


class RunSignals:
    """The handlers installed by :func:`run_signals`; :meth:`atomic` defers them."""

    def __init__(self) -> None:
        self._depth = 0
        self._pending: type[KeyboardInterrupt] | None = None

    def handle(self, signum: int, frame: FrameType | None) -> None:
        exc = Terminated if signum == signal.SIGTERM else KeyboardInterrupt
        if self._depth:
            self._pending = self._pending or exc
            return
        raise exc()

    @contextlib.contextmanager
    def atomic(self) -> Iterator[None]:
        """Hold signals back during the body; an interrupt that came meanwhile is raised
        after it (if the body itself did not raise)."""
        self._depth += 1
        try:
            yield
        finally:
            self._depth -= 1
        if not self._depth and self._pending is not None:
            exc, self._pending = self._pending, None
            raise exc()


@contextlib.contextmanager
def run_signals() -> Iterator[RunSignals]:
    """Install the run's SIGTERM (and, if Python's default is in place, SIGINT) handler for
    the body, and restore the previous ones after it.

    Signal handlers can only be set from the main thread; elsewhere nothing is installed and
    :meth:`RunSignals.atomic` defers nothing.
    """
    guard = RunSignals()
    if threading.current_thread() is not threading.main_thread():
        yield guard
        return
    previous = {signal.SIGTERM: signal.getsignal(signal.SIGTERM),
                signal.SIGINT: signal.getsignal(signal.SIGINT)}
    signal.signal(signal.SIGTERM, guard.handle)
    # someone else's SIGINT handler (a notebook kernel, a test runner) is left alone
    if previous[signal.SIGINT] is signal.default_int_handler:
        signal.signal(signal.SIGINT, guard.handle)
    try:
        yield guard
    finally:
        for signum, handler in previous.items():
            # None: set from outside Python; SIG_DFL is the closest we can restore
            signal.signal(signum, signal.SIG_DFL if handler is None else handler)
