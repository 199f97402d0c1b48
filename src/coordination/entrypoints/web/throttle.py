"""A sliding-window limit on requests per client address, for the sign-in form: one address
cannot ask for links without end, whichever codes it tries. Kept in the process: each worker of
a multi-worker deployment holds its own window, which still bounds what one address gets."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable


class SlidingWindow:
    def __init__(self, limit: int, seconds: float, clock: Callable[[], float] = time.monotonic):
        self.limit, self.seconds, self.clock = limit, seconds, clock
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: str) -> bool:
        """Counts this request and says whether it is within the limit."""
        now = self.clock()
        with self._lock:
            times = self._seen.setdefault(key, deque())
            while times and times[0] <= now - self.seconds:
                times.popleft()
            if len(times) >= self.limit:
                return False
            times.append(now)
            if len(self._seen) > 10_000:  # forget quiet addresses rather than grow without end
                for quiet in [k for k, t in self._seen.items() if not t or t[-1] <= now - self.seconds]:
                    del self._seen[quiet]
            return True
