"""A widget's usage in the shape the site agent reports to Waldur.

The embed server counts, per UTC calendar month, the messages and tokens of a
widget's runs (`GET /v1/operator/widgets/{id}/usage?month=YYYY-MM`). Those are
month-to-date totals, which is what Waldur expects: the agent sends the total
of the period and Waldur keeps the latest, so a report sent twice changes
nothing. The component names are the offering's: `messages`, `input_tokens`,
`output_tokens`.
"""

from __future__ import annotations

from typing import Any

from waldur_site_agent.backend import utils as backend_utils
from waldur_site_agent.backend.exceptions import BackendError

TOTAL = "TOTAL_ACCOUNT_USAGE"
# Component name in Waldur -> field of the server's usage answer.
COMPONENT_FIELDS = {
    "messages": "messages",
    "input_tokens": "inputTokens",
    "output_tokens": "outputTokens",
}


def current_month(timezone: str) -> tuple[int, int]:
    """(year, month) now, in the agent's reporting timezone.

    The same clock the agent's report processor reads, so the month asked for
    is the period the agent files it under. The server's months are UTC ones,
    which is why the README asks for `timezone: UTC`.
    """
    now = backend_utils.get_current_time_in_timezone(timezone or "UTC")
    return now.year, now.month


def month_text(year: int, month: int) -> str:
    """`YYYY-MM`, as the usage route takes it."""
    return f"{year:04d}-{month:02d}"


def usage_report(answer: dict[str, Any], widget_id: str) -> dict[str, dict[str, int]]:
    """`{"TOTAL_ACCOUNT_USAGE": {component: amount}}` from the server's answer."""
    if answer.get("widgetId") not in (None, widget_id):
        raise BackendError(f"The embed server answered the usage of another widget for {widget_id}")
    totals: dict[str, int] = {}
    for component, field in COMPONENT_FIELDS.items():
        value = answer.get(field, 0)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise BackendError(
                f"The embed server's usage of {widget_id} has an invalid {field}: {value!r}"
            )
        totals[component] = value
    return {TOTAL: totals}
