"""Echo: a test flow that answers with the visitor's message, word for word.

Graph: Chat Input -> Echo (custom component) -> Chat Output.

Whatever the visitor sends comes back unchanged, so a test decides exactly what
the widget has to render (Markdown, markup that must stay text, any script).
The answer streams in small chunks, as a model's would: the answer is a
``Message`` whose text is an async generator of chunks (objects with a
``.content`` str), so Chat Output emits one AG-UI ``TEXT_MESSAGE_CONTENT`` per
chunk on ``/api/v2/workflows`` with ``stream_protocol: "agui"``.

Serve:   LANGFLOW_API_KEY=devkey lfx serve flows/echo.py --port 8711
Run:     lfx run flows/echo.py "Hello *there*"

Env (optional): ECHO_CHUNK_CHARS     characters per chunk, default 8
                ECHO_CHUNK_DELAY_MS  delay between chunks, default 20
"""

from __future__ import annotations

import asyncio
import os

from lfx.components.input_output import ChatInput, ChatOutput
from lfx.custom.custom_component.component import Component
from lfx.graph import Graph
from lfx.io import MessageTextInput, Output
from lfx.schema.message import Message


class TextChunk:
    """Shape lfx's streaming loop expects: an object with a ``.content`` str."""

    __slots__ = ("content",)

    def __init__(self, content: str) -> None:
        self.content = content


def chunks(text: str, size: int) -> list[str]:
    """``text`` in pieces of ``size`` characters; ``"".join(chunks) == text``.

    Python strings index by code point, so no piece ends inside a character.
    """
    size = max(1, size)
    return [text[i : i + size] for i in range(0, len(text), size)]


async def _stream(text: str, size: int, delay_s: float):
    for i, piece in enumerate(chunks(text, size)):
        if i and delay_s > 0:
            await asyncio.sleep(delay_s)
        yield TextChunk(piece)


def _env_number(name: str, default: float) -> float:
    try:
        return float(os.getenv(name, str(default)))
    except ValueError:
        return default


class EchoComponent(Component):
    display_name = "Echo"
    description = "Answers with the visitor's message, unchanged (no LLM)."
    name = "Echo"
    icon = "Repeat"

    inputs = [
        MessageTextInput(name="message", display_name="Message", info="The visitor's message."),
    ]
    outputs = [
        Output(display_name="Answer", name="answer", method="build_answer"),
    ]

    def build_answer(self) -> Message:
        text = self.message if isinstance(self.message, str) else str(self.message or "")
        if getattr(self, "_event_manager", None) is None:
            # No event stream to feed (e.g. `lfx run`): a stream would never be
            # consumed and the result would be empty, so return plain text.
            return Message(text=text)
        size = int(_env_number("ECHO_CHUNK_CHARS", 8))
        delay_ms = _env_number("ECHO_CHUNK_DELAY_MS", 20)
        # Message text as an async iterator -> Chat Output streams it chunk by chunk.
        return Message(text=_stream(text, size, delay_ms / 1000.0))


# ``lfx serve`` / ``lfx run`` look for a module-level ``graph``.
chat_input = ChatInput(_id="chat_input")
echo = EchoComponent(_id="echo")
echo.set(message=chat_input.message_response)
chat_output = ChatOutput(_id="chat_output")
chat_output.set(input_value=echo.build_answer)

graph = Graph(chat_input, chat_output)
