"""Site Kit embed FAQ: a demo flow that needs no LLM.

Graph: Chat Input -> Site Kit FAQ (custom component) -> Chat Output.

The FAQ component matches the visitor's question against a small bundled FAQ
by keyword overlap and answers with the best entry. The answer is returned as a
``Message`` whose text is an async generator of chunks (objects with a
``.content`` str), so Chat Output streams it: one ``token`` event per chunk,
i.e. one AG-UI ``TEXT_MESSAGE_CONTENT`` per chunk on ``/api/v2/workflows``
with ``stream_protocol: "agui"``.

Serve:   LANGFLOW_API_KEY=devkey lfx serve flows/sitekit_faq.py --port 8711
Run:     lfx run flows/sitekit_faq.py "How do I install the snippet?"

Env (optional): SITEKIT_FAQ_CHUNK_WORDS     words per chunk, default 3
                SITEKIT_FAQ_CHUNK_DELAY_MS  delay between chunks, default 30
"""

from __future__ import annotations

import asyncio
import os
import re

from lfx.components.input_output import ChatInput, ChatOutput
from lfx.custom.custom_component.component import Component
from lfx.graph import Graph
from lfx.io import MessageTextInput, Output
from lfx.schema.message import Message

# --------------------------------------------------------------------------- #
# FAQ data
# --------------------------------------------------------------------------- #

FAQ: list[dict] = [
    {
        "topic": "What Site Kit embed is",
        "keywords": [
            "chat", "agent", "ai", "product", "overview", "explain", "works", "langflow",
            "bot", "chatbot", "assistant", "purpose", "feature", "features",
        ],
        "answer": (
            "Site Kit embed is an embeddable chat widget that puts an AI agent on your website "
            "with a single script tag. Visitors chat in a small panel on your pages; the agent "
            "behind it runs as a Langflow flow, and its replies stream back to the widget as they "
            "are generated."
        ),
    },
    {
        "topic": "Installing the snippet",
        "keywords": [
            "install", "installation", "snippet", "script", "tag", "add", "setup", "set",
            "html", "page", "paste", "code", "website", "head", "body", "start",
            "started", "integrate", "react", "wordpress",
        ],
        "answer": (
            "To install Site Kit embed, copy the snippet from your dashboard and paste it into "
            "your page, just before the closing </body> tag. It is one <script> tag that loads the "
            "widget and carries your publishable key (skt_pub_...) in a data attribute. Reload the "
            "page and the chat button appears. Make sure the page's origin is on your allowed "
            "origins list."
        ),
    },
    {
        "topic": "Allowed origins",
        "keywords": [
            "origin", "origins", "allowed", "allow", "domain", "domains", "cors", "url",
            "host", "localhost", "blocked", "whitelist", "allowlist", "subdomain", "staging",
        ],
        "answer": (
            "Allowed origins control where your widget may run. Add each origin (scheme, host and "
            "port, e.g. https://www.example.com or http://localhost:3000) to the allowed origins "
            "list of your site. Requests from any other origin are rejected, even if they carry a "
            "valid publishable key, so a copied snippet does not work on someone else's site."
        ),
    },
    {
        "topic": "How keys work",
        "keywords": [
            "key", "keys", "api", "publishable", "secret", "skt", "pub", "token", "rotate",
            "revoke", "credential", "credentials", "server", "leak", "public", "private",
        ],
        "answer": (
            "Site Kit uses two kinds of keys. Publishable keys (skt_pub_...) are meant to be "
            "public: they go into the snippet on your pages and only let the widget talk to your "
            "agent from your allowed origins. Secret keys stay on your server and are used for "
            "administrative API calls; never put a secret key in browser code. If a key leaks, "
            "rotate it from the dashboard and revoke the old one."
        ),
    },
    {
        "topic": "Usage metering",
        "keywords": [
            "usage", "meter", "metering", "metered", "billing", "bill", "price", "pricing",
            "cost", "quota", "limit", "limits", "count", "counted", "messages", "conversations",
            "plan", "pay",
        ],
        "answer": (
            "Usage is metered per site: every conversation turn the agent answers is counted "
            "against your plan, and you can see the running totals in your dashboard. When you "
            "approach your plan's limit you are notified; requests beyond the limit are refused "
            "until the next period or until you upgrade."
        ),
    },
    {
        "topic": "Privacy",
        "keywords": [
            "privacy", "private", "data", "personal", "gdpr", "store", "stored", "storage",
            "retention", "cookie", "cookies", "track", "tracking", "delete", "conversation",
            "transcript", "safe", "secure",
        ],
        "answer": (
            "Privacy: the widget sends only what the visitor types, plus a session id so the agent "
            "can follow the conversation. It sets no third-party tracking cookies. Conversation "
            "data is used to answer the visitor and to meter usage for your site; it is not sold "
            "or used to track visitors across sites. Tell your visitors in your privacy policy "
            "that the chat is handled by an AI agent."
        ),
    },
    {
        "topic": "Getting help",
        "keywords": [
            "help", "support", "contact", "problem", "issue", "bug", "broken", "error",
            "trouble", "question", "email", "docs", "documentation", "human", "stuck",
        ],
        "answer": (
            "Need help? Start with the Site Kit embed documentation, which covers installation, "
            "allowed origins and keys. If something still does not work, contact support from your "
            "dashboard and include your site id, the page URL and what you saw (for example the "
            "browser console error)."
        ),
    },
]

PRODUCT_WORDS = {"site", "kit", "sitekit", "embed", "widget"}

GREETINGS = {
    "hi", "hello", "hey", "hiya", "howdy", "greetings", "yo", "hallo", "hola", "bonjour",
    "morning", "afternoon", "evening", "good", "there", "thanks", "thank",
}

STOPWORDS = {
    "a", "an", "the", "i", "me", "my", "we", "our", "you", "your", "it", "its", "is", "are",
    "am", "be", "to", "of", "in", "on", "for", "with", "and", "or", "can", "could", "should",
    "would", "do", "how", "please", "this", "that", "there", "any", "some", "get", "use",
    "using", "at", "from", "by", "if", "about", "tell", "want", "need", "know", "so", "as",
}


def _tokens(text: str) -> list[str]:
    words = re.findall(r"[a-z0-9]+", text.lower())
    out: list[str] = []
    for word in words:
        out.append(word)
        # crude plural stemming: "keys" also counts as "key", "origins" as "origin"
        if len(word) > 3 and word.endswith("s"):
            out.append(word[:-1])
    return out


def _topic_list() -> str:
    return "\n".join(f"- {entry['topic']}" for entry in FAQ)


def answer_question(question: str) -> str:
    """Return the FAQ answer for *question* (pure function, easy to test)."""
    content = {t for t in _tokens(question or "") if t not in STOPWORDS}

    # Greeting (or empty input): say hello and list the topics.
    if not content or content <= GREETINGS:
        return (
            "Hello! I'm the Site Kit embed assistant. I can answer questions about:\n"
            f"{_topic_list()}\n"
            "What would you like to know?"
        )

    # Product-name words appear in most questions, so they do not count towards
    # a topic; on their own they select the overview entry.
    scored = content - PRODUCT_WORDS
    best_score, best_entry = 0, None
    for entry in FAQ:
        score = len(scored & set(entry["keywords"]))
        if score > best_score:  # ties keep the earlier entry
            best_score, best_entry = score, entry
    if best_entry is None and content & PRODUCT_WORDS:
        best_entry = FAQ[0]

    if best_entry is None:
        return (
            "Sorry, I don't have an answer for that in my FAQ. I can help with:\n"
            f"{_topic_list()}\n"
            "Try asking about one of these."
        )
    return best_entry["answer"]


# --------------------------------------------------------------------------- #
# Component
# --------------------------------------------------------------------------- #


class TextChunk:
    """Shape lfx's streaming loop expects: an object with a ``.content`` str."""

    __slots__ = ("content",)

    def __init__(self, content: str) -> None:
        self.content = content


def _chunks(text: str, words_per_chunk: int) -> list[str]:
    # Groups of words with their trailing whitespace: "".join(chunks) == text exactly.
    words = re.findall(r"\S+\s*|\s+", text)
    n = max(1, words_per_chunk)
    return ["".join(words[i : i + n]) for i in range(0, len(words), n)]


async def _stream(text: str, words_per_chunk: int, delay_s: float):
    for i, piece in enumerate(_chunks(text, words_per_chunk)):
        if i and delay_s > 0:
            await asyncio.sleep(delay_s)
        yield TextChunk(piece)


def _env_number(name: str, default: float) -> float:
    try:
        return float(os.getenv(name, str(default)))
    except ValueError:
        return default


class SiteKitFAQComponent(Component):
    display_name = "Site Kit FAQ"
    description = "Answers questions about Site Kit embed from a bundled FAQ (no LLM)."
    name = "SiteKitFAQ"
    icon = "HelpCircle"

    inputs = [
        MessageTextInput(name="question", display_name="Question", info="The visitor's question."),
    ]
    outputs = [
        Output(display_name="Answer", name="answer", method="build_answer"),
    ]

    def build_answer(self) -> Message:
        question = self.question if isinstance(self.question, str) else str(self.question or "")
        text = answer_question(question)
        if getattr(self, "_event_manager", None) is None:
            # No event stream to feed (e.g. `lfx run`): a stream would never be
            # consumed and the result would be empty, so return plain text.
            return Message(text=text)
        words = int(_env_number("SITEKIT_FAQ_CHUNK_WORDS", 3))
        delay_ms = _env_number("SITEKIT_FAQ_CHUNK_DELAY_MS", 30)
        # Message text as an async iterator -> Chat Output streams it chunk by chunk.
        return Message(text=_stream(text, words, delay_ms / 1000.0))


# --------------------------------------------------------------------------- #
# Graph (``lfx serve`` / ``lfx run`` look for a module-level ``graph``)
# --------------------------------------------------------------------------- #

chat_input = ChatInput(_id="chat_input")
faq = SiteKitFAQComponent(_id="sitekit_faq")
faq.set(question=chat_input.message_response)
chat_output = ChatOutput(_id="chat_output")
chat_output.set(input_value=faq.build_answer)

graph = Graph(chat_input, chat_output)
