"""A cap on open live-update streams (/events): each holds a socket, a task and a file descriptor
for as long as it lasts, so without a cap enough browsers exhaust the process's descriptors and
even /healthz fails."""

from __future__ import annotations

from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send


class StreamSlots:
    """A counter of open streams that refuses one past `limit`."""

    def __init__(self, limit: int):
        self.limit = limit
        self.open = 0

    def try_acquire(self) -> bool:
        if self.open >= self.limit:
            return False
        self.open += 1
        return True

    def release(self) -> None:
        self.open -= 1


class SlotStreamingResponse(StreamingResponse):
    """Gives its slot back when the response ends, however it ends.

    The generator's own `finally` is not enough: a client that leaves before the body starts
    leaves the generator unstarted, and its `finally` never runs.
    """

    def __init__(self, content, slots: StreamSlots, **kwargs):
        super().__init__(content, **kwargs)
        self._slots = slots

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self._slots.release()
