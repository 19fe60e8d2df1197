"""Attempt deadlines: a watchdog thread shuts down the sockets of an attempt when time is up.

Socket timeouts bound each `recv`, not an exchange: a server that sends one byte per second
never trips them. So each fetch attempt arms a `Deadline`; every socket the attempt uses is
registered with it (the guarded connections do that), and when the deadline passes the
watchdog shuts those sockets down, which wakes any read blocked on them at once.

    with watchdog.arm(30.0) as deadline:   # in the fetching thread
        ...                                # connections register with watchdog.current()
    deadline.fired                         # True if the time ran out
"""

from __future__ import annotations

import math
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager


class Deadline:
    """One attempt's time limit and the sockets to shut down when it passes."""

    def __init__(self, seconds: float, watchdog: Watchdog) -> None:
        self.seconds = seconds
        self.expires = time.monotonic() + seconds
        self.fired = False
        self._watchdog = watchdog
        self._handles: list[socket.socket] = []
        self._lock = threading.Lock()

    def __enter__(self) -> Deadline:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def remaining(self) -> float:
        """Seconds left (0 once passed; infinite while paused)."""
        return max(0.0, self.expires - time.monotonic())

    @property
    def expired(self) -> bool:
        """True once the watchdog fired or the time is up."""
        return self.fired or time.monotonic() >= self.expires

    def watch(self, sock: socket.socket) -> None:
        """Shut `sock` down when the deadline passes (at once if it already has)."""
        try:
            # A duplicate descriptor of the same socket: it stays valid however the connection
            # wraps (TLS) or closes its own, and it is never a stranger's recycled number.
            handle = socket.socket(fileno=os.dup(sock.fileno()))
        except OSError:
            return  # already closed: nothing left to wake
        with self._lock:
            self._handles.append(handle)
            if self.fired:
                _shutdown(handle)

    @contextmanager
    def paused(self) -> Iterator[None]:
        """Stop the clock meanwhile: politeness waits are not the server's time."""
        left = self.expires - time.monotonic()
        self.expires = math.inf
        try:
            yield
        finally:
            self.expires = time.monotonic() + left
            self._watchdog.wake()

    def fire(self) -> None:
        """Mark the deadline passed and shut down every socket of the attempt."""
        with self._lock:
            self.fired = True
            for handle in self._handles:
                _shutdown(handle)

    def close(self) -> None:
        """End the attempt: forget it and release the duplicate descriptors."""
        self._watchdog.disarm(self)
        with self._lock:
            handles, self._handles = self._handles, []
        for handle in handles:
            handle.close()


def _shutdown(handle: socket.socket) -> None:
    try:
        handle.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # not connected (yet or any more): nothing is blocked on it


class Watchdog:
    """Fires the deadlines of many threads from one daemon thread, started on first use (and
    again on the first use after `close`)."""

    def __init__(self) -> None:
        self._deadlines: set[Deadline] = set()
        self._local = threading.local()
        self._cond = threading.Condition()
        self._running = False
        self._generation = 0

    def arm(self, seconds: float) -> Deadline:
        """Start a deadline `seconds` from now; it is this thread's `current()` until closed."""
        deadline = Deadline(seconds, self)
        with self._cond:
            self._deadlines.add(deadline)
            if not self._running:
                self._running = True
                self._generation += 1
                threading.Thread(target=self._run, args=(self._generation,),
                                 name="fetch-watchdog", daemon=True).start()
            self._cond.notify()
        self._local.current = deadline
        return deadline

    def current(self) -> Deadline | None:
        """The deadline armed by the calling thread, if one is running."""
        return getattr(self._local, "current", None)

    def disarm(self, deadline: Deadline) -> None:
        """Forget `deadline` (it ended in time, or fired)."""
        with self._cond:
            self._deadlines.discard(deadline)
        if self.current() is deadline:
            self._local.current = None

    def wake(self) -> None:
        """A deadline moved: look again."""
        with self._cond:
            self._cond.notify()

    def close(self) -> None:
        """Stop the watchdog thread."""
        with self._cond:
            self._running = False
            self._generation += 1
            self._cond.notify_all()

    def _run(self, generation: int) -> None:
        with self._cond:
            while generation == self._generation:
                now = time.monotonic()
                due = [d for d in self._deadlines if d.expires <= now]
                for deadline in due:
                    self._deadlines.discard(deadline)
                    deadline.fire()
                soonest = min((d.expires for d in self._deadlines), default=math.inf)
                self._cond.wait(None if soonest == math.inf else soonest - now)
