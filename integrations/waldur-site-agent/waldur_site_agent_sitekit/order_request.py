"""What a Waldur create order asks for, read and checked before anything is made.

A buyer fills in the order's attributes (allowed origins, title, greeting,
locale); the service provider sets the offering's plugin options (which
published agent, which version policy). Both are untrusted here: anything
that cannot be a widget is refused with a message the buyer can act on,
before the plugin makes an organisation, a subscription or a widget, so a bad
order leaves nothing behind. The embed server checks everything again (for
instance that a wildcard origin is not below a public suffix), and its
message reaches the order too if it refuses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Optional, Union

from waldur_api_client.types import Unset
from waldur_site_agent.backend.exceptions import BackendError

# Limits the embed server applies too (crates/sdk/src/fields.rs); checked here
# so the buyer reads which attribute is wrong before anything is made.
MAX_ORIGINS = 50
MAX_ORIGIN_CHARS = 300
MAX_TITLE_CHARS = 80
MAX_GREETING_CHARS = 500
MAX_ORGANISATION_NAME_CHARS = 200
MAX_MONTHLY_MESSAGES = 1_000_000_000
LOCALE = re.compile(r"[A-Za-z-]{2,10}")
PUBLISHED_AGENT_ID = re.compile(r"pag_[A-Za-z0-9_-]{1,64}")
# scheme://host[:port] with an optional trailing slash, or the two wildcard
# forms the server knows (https://*.example.com, http://localhost:*). No path,
# query, fragment, credentials or white space.
ORIGIN = re.compile(r"https?://(\*\.)?[^/\s?#@\\*]+(:(\d{1,5}|\*))?/?", re.IGNORECASE)
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
CONTROL_BUT_LINES = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")

MESSAGES_COMPONENT = "messages"


@dataclass(frozen=True)
class WidgetOrder:
    """A checked create order: everything the embed server will be sent."""

    customer_id: str
    customer_name: str
    resource_id: str
    published_agent_id: str
    version: Union[str, int]
    allowed_origins: list[str]
    title: Optional[str]
    greeting: Optional[str]
    locale: Optional[str]
    monthly_message_budget: Optional[int]

    def widget_body(self, subscription_id: str) -> dict[str, Any]:
        """The widget as its organisation would ask `POST /v1/widgets` for it."""
        body: dict[str, Any] = {
            "subscriptionId": subscription_id,
            "allowedOrigins": self.allowed_origins,
        }
        for name, value in (
            ("title", self.title),
            ("greeting", self.greeting),
            ("locale", self.locale),
        ):
            if value is not None:
                body[name] = value
        return body


def read_widget_order(resource: Any) -> WidgetOrder:
    """The checked order of a Waldur `Resource`, or a BackendError saying what is wrong."""
    resource_id = _uuid_hex(getattr(resource, "uuid", None), "the resource's uuid")
    customer_name, customer_id = customer_of(resource)
    options = _as_dict(getattr(resource, "offering_plugin_options", None))
    attributes = _as_dict(getattr(resource, "attributes", None))
    limits = _as_dict(getattr(resource, "limits", None))
    return WidgetOrder(
        customer_id=customer_id,
        customer_name=customer_name,
        resource_id=resource_id,
        published_agent_id=_published_agent_id(options.get("published_agent_id")),
        version=_version(options.get("version", "latest")),
        allowed_origins=allowed_origins(attributes.get("allowed_origins")),
        title=_one_line("title", attributes.get("title"), MAX_TITLE_CHARS),
        greeting=_greeting(attributes.get("greeting")),
        locale=_locale(attributes.get("locale")),
        monthly_message_budget=monthly_message_budget(limits),
    )


def customer_of(resource: Any) -> tuple[str, str]:
    """(organisation name, external id) of the resource's Waldur customer."""
    customer_id = _uuid_hex(getattr(resource, "customer_uuid", None), "the customer's uuid")
    return _customer_name(getattr(resource, "customer_name", None), customer_id), customer_id


def allowed_origins(value: Any) -> list[str]:
    """The origins of `allowed_origins`: a list, or one string with commas or lines."""
    if value is None or value in ("", []):
        raise BackendError(
            "The order has no allowed_origins: list the websites the chat may run on, "
            "e.g. https://shop.example.com"
        )
    if isinstance(value, str):
        items: list[Any] = re.split(r"[,\r\n]+", value)
    elif isinstance(value, list):
        items = value
    else:
        raise BackendError(
            "allowed_origins must be a list of origins or one text with commas or lines"
        )
    origins: list[str] = []
    for item in items:
        if not isinstance(item, str):
            raise BackendError(f"allowed_origins holds {_shown(item)}, which is not text")
        origin = item.strip()
        if not origin:
            continue
        if len(origin) > MAX_ORIGIN_CHARS or not ORIGIN.fullmatch(origin):
            raise BackendError(
                f"allowed_origins: {_shown(origin)} is not a website origin "
                "(scheme, host and optional port, no path), e.g. https://shop.example.com"
            )
        if origin not in origins:
            origins.append(origin)
    if not origins:
        raise BackendError("The order's allowed_origins names no website")
    if len(origins) > MAX_ORIGINS:
        raise BackendError(f"allowed_origins may name at most {MAX_ORIGINS} origins")
    return origins


def monthly_message_budget(limits: dict[str, Any]) -> Optional[int]:
    """The `messages` limit as a whole number of messages a month, if there is one."""
    if MESSAGES_COMPONENT not in limits or limits[MESSAGES_COMPONENT] is None:
        return None
    value = limits[MESSAGES_COMPONENT]
    if isinstance(value, bool):
        raise BackendError("The messages limit must be a number of messages a month")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise BackendError(
            f"The messages limit {_shown(value)} is not a number of messages a month"
        ) from None
    if number != int(number) or not 0 <= number <= MAX_MONTHLY_MESSAGES:
        raise BackendError(
            f"The messages limit must be a whole number from 0 to {MAX_MONTHLY_MESSAGES}, "
            f"not {_shown(value)}"
        )
    return int(number)


def _as_dict(value: Any) -> dict[str, Any]:
    """A generated model's free-form dict (attributes, limits, options) as a dict."""
    if value is None or isinstance(value, Unset):
        return {}
    if isinstance(value, dict):
        return value
    to_dict = getattr(value, "to_dict", None)
    data = to_dict() if callable(to_dict) else None
    if not isinstance(data, dict):
        raise BackendError(f"Unexpected {type(value).__name__} in the Waldur resource")
    return data


def _uuid_hex(value: Any, what: str) -> str:
    hex_value = getattr(value, "hex", None)
    if isinstance(hex_value, str) and hex_value:
        # Waldur's own spelling of its uuids; the same form every time, since
        # the embed server finds organisations and widgets by it.
        return hex_value
    raise BackendError(f"The Waldur resource has no {what}")


def _customer_name(value: Any, customer_id: str) -> str:
    name = value if isinstance(value, str) else ""
    name = " ".join(CONTROL.sub(" ", name).split())[:MAX_ORGANISATION_NAME_CHARS]
    return name or f"Waldur customer {customer_id}"


def _published_agent_id(value: Any) -> str:
    if not isinstance(value, str) or not PUBLISHED_AGENT_ID.fullmatch(value.strip()):
        raise BackendError(
            "The offering's plugin option published_agent_id must be the id of a published "
            f"agent on the embed server (pag_...), not {_shown(value)}"
        )
    return value.strip()


def _version(value: Any) -> Union[str, int]:
    if isinstance(value, str) and value.strip().lower() == "latest":
        return "latest"
    if isinstance(value, bool):
        value = None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, int) and value >= 1:
        return value
    raise BackendError(
        'The offering\'s plugin option version must be "latest" or a version number '
        f"(1, 2, ...), not {_shown(value)}"
    )


def _one_line(name: str, value: Any, max_chars: int) -> Optional[str]:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or CONTROL.search(value):
        raise BackendError(f"The {name} must be one line of text")
    value = value.strip()
    if not value:
        return None
    if len(value) > max_chars:
        raise BackendError(f"The {name} may have at most {max_chars} characters")
    return value


def _greeting(value: Any) -> Optional[str]:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or CONTROL_BUT_LINES.search(value):
        raise BackendError("The greeting must be text (line breaks allowed)")
    value = value.strip()
    if len(value) > MAX_GREETING_CHARS:
        raise BackendError(f"The greeting may have at most {MAX_GREETING_CHARS} characters")
    return value or None


def _locale(value: Any) -> Optional[str]:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not LOCALE.fullmatch(value.strip()):
        raise BackendError(
            f"The locale must be a language tag such as en or pt-BR, not {_shown(value)}"
        )
    return value.strip()


def _shown(value: Any) -> str:
    """A value as an error message may quote it: escaped and short."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
