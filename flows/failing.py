"""A flow that always fails: for testing the runtime's error path.

Graph: Chat Input -> Always Fails (custom component, raises) -> Chat Output.

Serve:   LANGFLOW_API_KEY=devkey lfx serve flows/failing.py --port 8712
With ``stream_protocol: "agui"`` the SSE stream ends with a ``RUN_ERROR`` event
(HTTP status is still 200); see flows/README.md.
"""

from __future__ import annotations

from lfx.components.input_output import ChatInput, ChatOutput
from lfx.custom.custom_component.component import Component
from lfx.graph import Graph
from lfx.io import MessageTextInput, Output
from lfx.schema.message import Message

ERROR_TEXT = "Simulated failure from the failing demo flow"


class AlwaysFailsComponent(Component):
    display_name = "Always Fails"
    description = "Raises an exception on every run (error-path test fixture)."
    name = "AlwaysFails"
    icon = "AlertTriangle"

    inputs = [
        MessageTextInput(name="question", display_name="Question"),
    ]
    outputs = [
        Output(display_name="Answer", name="answer", method="build_answer"),
    ]

    def build_answer(self) -> Message:
        raise RuntimeError(f"{ERROR_TEXT} (input: {self.question!r})")


chat_input = ChatInput(_id="chat_input")
failing = AlwaysFailsComponent(_id="always_fails")
failing.set(question=chat_input.message_response)
chat_output = ChatOutput(_id="chat_output")
chat_output.set(input_value=failing.build_answer)

graph = Graph(chat_input, chat_output)
