"""The `sitekit` backend of waldur-site-agent: one Waldur resource is one widget.

- create order: the Waldur customer's buyer organisation (found again by the
  customer's uuid), a subscription to the offering's published agent and a
  widget (both found again by the resource's uuid), so an order processed
  twice, or resumed after a crash, makes nothing twice. The resource's
  backend id is the widget id; its endpoints are the dashboard and the
  snippet; its two API keys are the widget's publishable key and a secret key
  of the organisation made for the widget.
- update order: the `messages` limit becomes the widget's monthly budget.
- usage: month-to-date messages and tokens of the widget (see usage.py).
- pause / downscale / restore (membership sync): the widget's `paused` flag.
- terminate order: pause, revoke the widget's secret keys, delete the widget,
  then report its final usage (see final_usage.py).

The agent builds a backend per processor (per message in event mode), so the
constructor only reads settings; nothing connects until a hook runs.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Optional

from waldur_api_client.models.resource_state import ResourceState
from waldur_site_agent.backend import logger
from waldur_site_agent.backend.backends import BaseBackend
from waldur_site_agent.backend.exceptions import BackendError
from waldur_site_agent.backend.structures import BackendResourceInfo

from . import resource_keys, usage
from .client import OperatorClient
from .final_usage import FinalUsageReporter
from .order_request import (
    MESSAGES_COMPONENT,
    WidgetOrder,
    customer_of,
    monthly_message_budget,
    read_widget_order,
)
from .settings import load_settings

BACKEND_TYPE = "sitekit"
DASHBOARD_ENDPOINT = "Site Kit dashboard"
SNIPPET_ENDPOINT = "Chat widget snippet (paste into your pages' HTML)"


class SitekitBackend(BaseBackend):
    """Waldur resources as Site Kit widgets, through the embed server's operator API."""

    supports_resource_api_keys = True
    # The order processor pings the embed server before each cycle and skips
    # the cycle while it is down: orders stay pending, untouched, until it is back.
    supports_cycle_preflight = True

    def __init__(self, backend_settings: dict, backend_components: dict[str, dict]) -> None:
        """Read the settings; connect to nothing yet."""
        super().__init__(backend_settings, backend_components)
        self.backend_type = BACKEND_TYPE
        self.settings = load_settings(backend_settings)
        self.operator = OperatorClient(
            self.settings.sitekit_url,
            self.settings.operator_key,
            self.settings.timeout_seconds,
        )
        # What the agent said Waldur already holds, per widget: set by
        # prune_unknown_resource_keys, read by generate_resource_keys, which
        # the agent calls right after it on the same instance.
        self._known_client_ids: dict[str, set[str]] = {}

    # --- health ------------------------------------------------------------

    def ping(self, raise_exception: bool = False) -> bool:
        """The embed server answers `GET /healthz`."""
        healthy = self.operator.healthy()
        if not healthy and raise_exception:
            raise BackendError(
                f"Site Kit embed server at {self.settings.sitekit_url} is not healthy"
            )
        return healthy

    def diagnostics(self) -> bool:
        """Log where the server is and whether it answers."""
        logger.info("Site Kit embed server: %s", self.settings.sitekit_url)
        logger.info("Dashboard for buyers: %s", self.settings.dashboard_url)
        healthy = self.ping()
        logger.info("Health: %s", "ok" if healthy else "NOT reachable")
        return healthy

    def list_components(self) -> list[str]:
        """The usage components the plugin reports."""
        return list(usage.COMPONENT_FIELDS)

    # --- create ------------------------------------------------------------

    def _pre_create_resource(
        self, waldur_resource: Any, user_context: Optional[dict] = None
    ) -> None:
        """Nothing: create_resource_with_id does all of the work."""
        del waldur_resource, user_context

    def _collect_resource_limits(self, waldur_resource: Any) -> tuple[dict, dict]:
        """Unused: the budget goes with the widget (create_resource_with_id)."""
        del waldur_resource
        return {}, {}

    def create_resource_with_id(
        self,
        waldur_resource: Any,
        resource_backend_id: str,
        user_context: Optional[dict] = None,
    ) -> BackendResourceInfo:
        """Find or make the organisation, subscription and widget of the resource.

        `resource_backend_id` (the agent's proposal) is ignored: the widget id
        is the server's. Every step finds what an earlier run made, by the
        Waldur customer's and resource's uuids.
        """
        del resource_backend_id, user_context
        # Everything the buyer typed is checked before anything is made.
        order = read_widget_order(waldur_resource)
        organisation = self.operator.find_or_create_organisation(
            order.customer_name, order.customer_id
        )
        organisation_id = _text(organisation, "id", "organisation")
        subscription = self.operator.find_or_create_subscription(
            organisation_id, order.published_agent_id, order.version, order.resource_id
        )
        made = self.operator.find_or_create_widget(
            organisation_id,
            order.resource_id,
            order.widget_body(_text(subscription, "id", "subscription")),
            order.monthly_message_budget,
        )
        widget_id = _text(_summary(made), "id", "widget")
        made = self._apply_budget_if_changed(widget_id, made, order)
        logger.info(
            "Widget %s of organisation %s serves resource %s",
            widget_id,
            organisation_id,
            order.resource_id,
        )
        return BackendResourceInfo(
            backend_id=widget_id,
            backend_metadata=self._metadata(widget_id, made),
            endpoints=[
                {"name": DASHBOARD_ENDPOINT, "url": self.settings.dashboard_url},
                {"name": SNIPPET_ENDPOINT, "url": _text(made, "snippet", "widget")},
            ],
        )

    def _apply_budget_if_changed(self, widget_id: str, made: dict, order: WidgetOrder) -> dict:
        """A widget found again keeps its first budget; this order's is the one to keep."""
        wanted = order.monthly_message_budget
        if wanted is not None and _summary(made).get("monthlyMessageBudget") != wanted:
            return self.operator.update_widget(widget_id, monthlyMessageBudget=wanted)
        return made

    def _metadata(self, widget_id: str, operator_widget: dict) -> dict[str, Any]:
        """The resource's backend_metadata in Waldur, the same at create and every sync."""
        widget = _summary(operator_widget)
        return {
            "organisation_id": operator_widget.get("organisationId"),
            "subscription_id": widget.get("subscriptionId"),
            "widget_id": widget_id,
            "snippet": operator_widget.get("snippet"),
            "dashboard_url": self.settings.dashboard_url,
            "allowed_origins": widget.get("allowedOrigins", []),
            "paused": bool(widget.get("paused")),
            "monthly_message_budget": widget.get("monthlyMessageBudget", 0),
        }

    def pull_resource(self, waldur_resource: Any) -> Optional[BackendResourceInfo]:
        """The widget and its usage; None if it is missing, or the create is unfinished.

        A resource still Creating in Waldur has a create order that did not
        finish, yet its backend id may be set already (the agent sets it
        before it reports the keys). Answering "exists" there would make the
        agent mark the order done with no keys reported; answering None sends
        it down its re-create path, which finds the same widget again and
        reports the keys Waldur lacks. Report and membership sync only read
        OK and Erred resources, so they never see this.
        """
        if getattr(waldur_resource, "state", None) == ResourceState.CREATING:
            logger.info(
                "Resource %s is still being created; resuming its create order",
                waldur_resource.backend_id,
            )
            return None
        return super().pull_resource(waldur_resource)

    def _pull_backend_resource(self, resource_backend_id: str) -> Optional[BackendResourceInfo]:
        if self.operator.get_widget(resource_backend_id) is None:
            logger.warning("Widget %s is not on the embed server", resource_backend_id)
            return None
        report = self._get_usage_report([resource_backend_id])
        return BackendResourceInfo(
            backend_id=resource_backend_id,
            usage=report.get(resource_backend_id, {usage.TOTAL: {}}),
        )

    # --- usage -------------------------------------------------------------

    def _get_usage_report(self, resource_backend_ids: list[str]) -> dict:
        year, month = usage.current_month(self.timezone)
        return self._usage_of_month(resource_backend_ids, year, month)

    def get_usage_report_for_period(
        self,
        resource_backend_ids: list[str],
        year: int,
        month: int,
        waldur_resource: Any = None,
    ) -> dict:
        """The widgets' totals of a past month, for the agent's earlier periods.

        A month with no usage at all is left out (the agent then skips it):
        the widget did not exist yet, or nobody chatted, and a row of zeros
        on the buyer's bill for it says nothing.
        """
        del waldur_resource
        report = self._usage_of_month(resource_backend_ids, year, month)
        return {
            widget_id: totals
            for widget_id, totals in report.items()
            if any(totals[usage.TOTAL].values())
        }

    def _usage_of_month(self, widget_ids: list[str], year: int, month: int) -> dict:
        report = {}
        for widget_id in widget_ids:
            answer = self.operator.widget_usage(widget_id, usage.month_text(year, month))
            if answer is not None:
                report[widget_id] = usage.usage_report(answer, widget_id)
        return report

    # --- update ------------------------------------------------------------

    def set_resource_limits(self, resource_backend_id: str, limits: dict) -> Optional[str]:
        """The `messages` limit becomes the widget's monthly message budget."""
        budget = monthly_message_budget(limits)
        if budget is None:
            logger.info("No %s limit in %s; nothing to change", MESSAGES_COMPONENT, limits)
            return None
        self.operator.update_widget(resource_backend_id, monthlyMessageBudget=budget)
        logger.info("Widget %s: monthly message budget %s", resource_backend_id, budget)
        return None

    # --- pause / restore (membership sync) ---------------------------------

    def pause_resource(self, resource_backend_id: str) -> bool:
        """Paused, the widget still loads and tells visitors the chat is paused."""
        return self._set_paused(resource_backend_id, paused=True)

    def downscale_resource(self, resource_backend_id: str) -> bool:
        """A chat has no smaller size: downscaled means paused."""
        return self.pause_resource(resource_backend_id)

    def restore_resource(self, resource_backend_id: str) -> bool:
        """Unpause (the agent calls this every cycle for every active resource)."""
        return self._set_paused(resource_backend_id, paused=False)

    def _set_paused(self, widget_id: str, paused: bool) -> bool:
        operator_widget = self.operator.get_widget(widget_id)
        if operator_widget is None:
            logger.warning("Widget %s is not on the embed server", widget_id)
            return False
        if bool(_summary(operator_widget).get("paused")) != paused:
            # Restore runs every cycle for every active resource; only a
            # change is worth a write.
            self.operator.update_widget(widget_id, paused=paused)
            logger.info("Widget %s %s", widget_id, "paused" if paused else "resumed")
        return True

    def get_resource_metadata(self, resource_backend_id: str) -> dict:
        """What membership sync writes into the resource's backend_metadata.

        The agent replaces the metadata with this on every sync, so it is the
        same as at create (snippet included), with the widget's state now.
        """
        operator_widget = self.operator.get_widget(resource_backend_id)
        if operator_widget is None:
            return {"widget_id": resource_backend_id, "deleted": True}
        return self._metadata(resource_backend_id, operator_widget)

    # --- resource API keys ---------------------------------------------------

    def prune_unknown_resource_keys(self, resource_backend_id: str, keep: Any) -> None:
        """Revoke this widget's secret keys Waldur does not hold (crash leftovers).

        The agent calls this with the client ids Waldur holds, just before
        generate_resource_keys, and only when it could list them all; what it
        keeps also tells generate_resource_keys which of the two keys Waldur
        still lacks. The publishable key is never revoked here: it is the
        snippet's, on the buyer's pages.
        """
        known = {str(client_id) for client_id in keep or []}
        self._known_client_ids[resource_backend_id] = known
        organisation_id, _ = self._organisation_of(resource_backend_id)
        keys = self.operator.list_keys(organisation_id)
        for key in resource_keys.live_secret_keys(keys, resource_backend_id):
            if key.get("id") not in known:
                self.operator.revoke_key(organisation_id, str(key["id"]))
                logger.info(
                    "Revoked key %s of widget %s: Waldur does not know it",
                    key.get("id"),
                    resource_backend_id,
                )

    def generate_resource_keys(self, resource_backend_id: str, count: int) -> Iterator[dict]:
        """The widget's keys Waldur lacks: its publishable key, and a new secret key.

        `count` is how many Waldur lacks (2 - what it holds). The agent reports
        each key as it is yielded; code after a `yield` runs only once that
        report succeeded, which is when a replaced secret key may be revoked.
        """
        if count <= 0:
            return
        known = self._known_client_ids.pop(resource_backend_id, set())
        organisation_id, operator_widget = self._organisation_of(resource_backend_id)
        keys = self.operator.list_keys(organisation_id)
        publishable = resource_keys.live_publishable_key(keys, resource_backend_id)
        secrets = resource_keys.live_secret_keys(keys, resource_backend_id)
        given = 0
        text = (operator_widget or {}).get("publishableKey")
        if publishable is not None and publishable.get("id") not in known and text:
            given += 1
            yield {"client_id": str(publishable["id"]), "api_key": str(text)}
        if given < count and not any(key.get("id") in known for key in secrets):
            created = self.operator.create_secret_key(
                organisation_id, resource_keys.secret_key_name(resource_backend_id)
            )
            yield {
                "client_id": _text(created, "id", "secret key"),
                "api_key": _text(created, "key", "secret key"),
            }
            # Waldur has accepted the new key. Secret keys of this widget made
            # by an earlier run that died before reporting them are revoked
            # now (when Waldur listed none, the agent could not prune them).
            for key in secrets:
                if key.get("id") not in known:
                    self.operator.revoke_key(organisation_id, str(key["id"]))

    def rotate_resource_key(
        self,
        client_id: str,
        resource_backend_id: str,
        known_client_ids: Optional[list[str]] = None,
    ) -> dict:
        """A new secret key in place of `client_id` (event mode's key rotation).

        The key id is the client id, so both halves change. Publishable keys
        are not rotated this way: the snippet on the buyer's pages holds it.
        """
        organisation_id, _ = self._organisation_of(resource_backend_id)
        keys = self.operator.list_keys(organisation_id)
        secrets = resource_keys.live_secret_keys(keys, resource_backend_id)
        if not any(key.get("id") == client_id for key in secrets):
            raise BackendError(
                f"Key {client_id} is not a live secret key of widget {resource_backend_id}; "
                "a publishable key is rotated on the Site Kit dashboard"
            )
        created = self.operator.create_secret_key(
            organisation_id, resource_keys.secret_key_name(resource_backend_id)
        )
        new_id = _text(created, "id", "secret key")
        keep = set(known_client_ids or []) | {new_id}
        for key in secrets:
            # The rotated key, and leftovers of a rotation whose reply was lost.
            if key.get("id") == client_id or (known_client_ids and key.get("id") not in keep):
                self.operator.revoke_key(organisation_id, str(key["id"]))
        return {"client_id": new_id, "api_key": _text(created, "key", "secret key")}

    def _organisation_of(
        self, widget_id: str, waldur_resource: Any = None
    ) -> tuple[str, Optional[dict]]:
        """(organisation id, operator widget or None if deleted) of a widget."""
        operator_widget = self.operator.get_widget(widget_id)
        if operator_widget is not None:
            return _text(operator_widget, "organisationId", "widget"), operator_widget
        if waldur_resource is None:
            raise BackendError(f"Widget {widget_id} is not on the embed server")
        # A deleted widget: its organisation is the one create noted in the
        # resource's metadata, else the customer's, found again as create made it.
        metadata = getattr(waldur_resource, "backend_metadata", None)
        noted = metadata.to_dict().get("organisation_id") if hasattr(metadata, "to_dict") else None
        if isinstance(noted, str) and noted.startswith("ten_"):
            return noted, None
        organisation = self.operator.find_or_create_organisation(*customer_of(waldur_resource))
        return _text(organisation, "id", "organisation"), None

    # --- terminate -----------------------------------------------------------

    def delete_resource(self, waldur_resource: Any, **kwargs: str) -> Optional[str]:
        """Pause, revoke the secret keys, delete the widget, report its final usage.

        Each step is safe to repeat, so a terminate that stopped half-way
        (the embed server or Waldur unreachable: the order stays for the next
        cycle) finishes on the next run; a widget deleted already is no error.
        """
        del kwargs
        widget_id = (waldur_resource.backend_id or "").strip()
        if not widget_id:
            logger.warning("Resource %s has no widget; nothing to delete", waldur_resource.uuid)
            return None
        # Connect to Waldur first: if the final usage cannot be reported, the
        # terminate stops before it changes anything.
        reporter = FinalUsageReporter.for_resource(
            waldur_resource, FinalUsageBackend(self.backend_settings, self.backend_components)
        )
        organisation_id, operator_widget = self._organisation_of(widget_id, waldur_resource)
        if operator_widget is not None and not _summary(operator_widget).get("paused"):
            # No new chats (so no new usage) from here on.
            self.operator.update_widget(widget_id, paused=True)
        for key in resource_keys.live_secret_keys(
            self.operator.list_keys(organisation_id), widget_id
        ):
            self.operator.revoke_key(organisation_id, str(key["id"]))
            logger.info("Revoked key %s of widget %s", key.get("id"), widget_id)
        if operator_widget is not None and self.operator.delete_widget(widget_id):
            # The server revokes the publishable key with the widget.
            logger.info("Deleted widget %s", widget_id)
        else:
            logger.info("Widget %s was deleted already", widget_id)
        # Last, so runs that were streaming when the widget was paused have
        # written their usage records; the usage route still answers for a
        # deleted widget.
        reporter.report(waldur_resource)
        return None


class FinalUsageBackend(SitekitBackend):
    """Reads a terminated widget's usage whether or not the widget still exists.

    Handed to the agent's report processor at terminate (final_usage.py): the
    usage route answers for a deleted widget (its final usage), while the
    plain backend treats a deleted widget as missing, as report mode should.
    """

    def pull_resource(self, waldur_resource: Any) -> Optional[BackendResourceInfo]:
        """Never the create-order shortcut: this resource is being terminated."""
        return BaseBackend.pull_resource(self, waldur_resource)

    def _pull_backend_resource(self, resource_backend_id: str) -> Optional[BackendResourceInfo]:
        report = self._get_usage_report([resource_backend_id])
        if resource_backend_id not in report:
            return None
        return BackendResourceInfo(
            backend_id=resource_backend_id, usage=report[resource_backend_id]
        )


def _summary(operator_widget: dict) -> dict:
    """The widget itself, inside the operator API's answer."""
    widget = operator_widget.get("widget")
    return widget if isinstance(widget, dict) else {}


def _text(data: dict, field: str, what: str) -> str:
    value = data.get(field) if isinstance(data, dict) else None
    if not isinstance(value, str) or not value:
        raise BackendError(f"The embed server's {what} answer has no {field}")
    return value
