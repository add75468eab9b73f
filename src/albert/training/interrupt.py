"""Stop a training run at any moment without losing work: SIGTERM or Ctrl-C ends the current step, writes a
checkpoint and returns; `--resume latest` then continues exactly. A second signal interrupts at once."""

from __future__ import annotations

import logging
import signal
import threading
from types import FrameType
from typing import Any

logger = logging.getLogger(__name__)

_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class StopRequest:
    """A flag set by SIGTERM/SIGINT while installed; the training loop polls `requested` after each step."""

    def __init__(self) -> None:
        self.requested = False
        self._previous: dict[int, Any] = {}

    def install(self) -> StopRequest:
        """Catch the signals (only possible in the main thread; elsewhere this does nothing)."""
        if threading.current_thread() is threading.main_thread():
            for sig in _SIGNALS:
                self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def restore(self) -> None:
        """Put the previous handlers back."""
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._previous = {}

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.requested:  # a second signal: give up on the clean stop
            self.restore()
            raise KeyboardInterrupt(f"signal {signal.Signals(signum).name} received twice")
        self.requested = True
        logger.warning(
            "%s received: stopping after this step with a checkpoint (send it again to stop at once)",
            signal.Signals(signum).name,
        )
