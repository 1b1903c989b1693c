"""Which embed-server keys belong to a Waldur resource (a widget).

A resource has two API keys in Waldur: the widget's publishable key (the one
in its snippet, safe on a web page) and a secret key of the buyer's
organisation, made for this widget. The secret key is recognised by its name,
`waldur <widget id>`, so a key made by an interrupted run can be found and
revoked later. Client ids reported to Waldur are the keys' ids (`key_...`);
the key text is only ever in the report to Waldur, never in a log.
"""

from __future__ import annotations

from typing import Optional

SECRET_KEY_NAME_PREFIX = "waldur "  # noqa: S105 (a label, not a secret)


def secret_key_name(widget_id: str) -> str:
    """The name the plugin gives the secret key it makes for a widget."""
    return f"{SECRET_KEY_NAME_PREFIX}{widget_id}"


def live_publishable_key(keys: list[dict], widget_id: str) -> Optional[dict]:
    """The widget's publishable key, if it has one that is not revoked."""
    for key in keys:
        if key.get("kind") == "pub" and key.get("widgetId") == widget_id and not key.get("revoked"):
            return key
    return None


def live_secret_keys(keys: list[dict], widget_id: str) -> list[dict]:
    """The organisation's secret keys made for this widget, not revoked."""
    name = secret_key_name(widget_id)
    return [
        key
        for key in keys
        if key.get("kind") == "sec" and key.get("name") == name and not key.get("revoked")
    ]
