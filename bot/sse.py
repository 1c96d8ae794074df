"""A small Server-Sent Events reader: (event, data) pairs from a stream of text lines."""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator


async def sse_events(lines: AsyncIterable[str]) -> AsyncIterator[tuple[str, str]]:
    """Yield one (event name, data) per event; data lines are joined with newlines.

    Follows the WHATWG rules the service relies on: `event:` names the event (default
    "message"), `data:` lines accumulate, `:` starts a comment (keep-alive), a blank line ends
    the event.
    """
    event, data = "message", []
    async for raw in lines:
        line = raw.rstrip("\r")
        if not line:
            if data:
                yield event, "\n".join(data)
            event, data = "message", []
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "event":
            event = value
        elif name == "data":
            data.append(value)
    # An event cut off before its blank line is dropped, as the spec says.
