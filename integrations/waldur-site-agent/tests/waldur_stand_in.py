"""A stand-in for the Waldur marketplace API, for the plugin's end-to-end tests.

No real Waldur can run here, so this small HTTP server plays one offering of
it: it keeps orders, resources (with `paused`), resource API keys and
component usages in memory and answers the calls waldur-site-agent 1.0.7
makes in its `order_process`, `report` and `membership_sync` modes. Every
answer is built through waldur-api-client's own models (`from_dict`, then
`to_dict`, the version the agent pins), so a shape Waldur would not send
fails here first.

The tests drive it through `/_test/...` routes:

- `POST /_test/orders` `{"order": <OrderDetails JSON>, "customer_name": ...}`
  places an order, e.g. one rendered by the agent's own
  `waldur_site_test_order --template create/basic.json --generate-only`;
  a Create order also makes its resource (state Creating), as Waldur does.
- `PATCH /_test/resources/<uuid>` `{"paused": true}` pauses a resource, as
  Waldur does when a limit is reached.
- `POST /_test/faults` `{"method", "path_suffix", "skip", "action": "hold" |
  "fail", "status", "then": "proceed" | "drop"}`: the next matching call
  (after `skip` of them) is held until `POST /_test/release` (then it
  proceeds, or is dropped unanswered as if the agent had died before
  sending it), or answered with `status` without being applied. `held`
  in the state lists the calls held until the release.
- `POST /_test/api-keys/<uuid>/rotate`: a member rotates a resource API key
  (Waldur's `rotate` action: the key becomes Updating, and the agent is told).
- `GET /_test/state`: everything, including each `set_usage` call, each event
  published, and how often each order was listed to the agent.

Events (the agent's `event_process` mode): given a RabbitMQ (`--broker-*`
options, the password in the environment variable
WALDUR_STAND_IN_BROKER_PASSWORD), it answers `register_queue` as Waldur does
and publishes, over STOMP, what Waldur publishes to the agent's queue
(waldur-mastermind's marketplace_site_agent handlers): an `order` message when
an order becomes pending-provider or done, a `resource` message when a
resource's `paused` or `downscaled` changes, and a `resource_api_key_rotation`
message when a key is rotated. Payloads carry the unified queue's enrichment
(offering_uuid, object_type, and the order's or resource's context). Waldur
makes the queue's vhost and RabbitMQ user when the agent registers; here the
test harness made them beforehand and passes their names. Without a broker,
`register_queue` is unknown (404), as before.

The agent's modes run forever; a test knows a cycle is over when the agent
moves on to the next offering of its configuration, a sentinel offering
(`--sentinel-offering-uuid`) whose first call is counted in `cycle_ends`
and refused.

Run: python waldur_stand_in.py --port N --token T --offering-uuid U
     --sentinel-offering-uuid S --plugin-options JSON
     [--broker-host H --broker-stomp-port P --broker-vhost V --broker-user W
      --broker-rmq-username R --broker-queue Q]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import sys
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Optional
from urllib.parse import parse_qs, urlparse

import stomp
from waldur_api_client.models.agent_identity import AgentIdentity
from waldur_api_client.models.agent_processor import AgentProcessor
from waldur_api_client.models.agent_queue_registration_response import (
    AgentQueueRegistrationResponse,
)
from waldur_api_client.models.agent_service import AgentService
from waldur_api_client.models.component_usage import ComponentUsage
from waldur_api_client.models.observable_object_type_enum import ObservableObjectTypeEnum
from waldur_api_client.models.order_details import OrderDetails
from waldur_api_client.models.order_info_response import OrderInfoResponse
from waldur_api_client.models.order_state import OrderState
from waldur_api_client.models.provider_offering_details import ProviderOfferingDetails
from waldur_api_client.models.resource import Resource
from waldur_api_client.models.resource_api_key_state import ResourceApiKeyState
from waldur_api_client.models.resource_api_key_status import ResourceApiKeyStatus
from waldur_api_client.models.service_provider import ServiceProvider
from waldur_api_client.models.status import Status
from waldur_api_client.models.user_me import UserMe
from waldur_api_client.models.version import Version

# The offering's components, as the README tells a service provider to set
# them up: all three are usage components.
COMPONENTS = [
    {
        "type": "messages",
        "name": "Messages",
        "measured_unit": "messages",
        "billing_type": "usage",
        "unit_factor": 1,
        "limit_period": "month",
    },
    {
        "type": "input_tokens",
        "name": "Input tokens",
        "measured_unit": "tokens",
        "billing_type": "usage",
        "unit_factor": 1,
    },
    {
        "type": "output_tokens",
        "name": "Output tokens",
        "measured_unit": "tokens",
        "billing_type": "usage",
        "unit_factor": 1,
    },
]
UUID_DASHED = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# How long a held call waits for the test to release it.
HOLD_SECONDS = 120
NOT_FOUND = (404, {"detail": "Not found."})
# Publishing is a connect, a send and a disconnect with a receipt on the local broker.
BROKER_TIMEOUT = 10
# Waldur's queue arguments (SUBSCRIPTION_QUEUE_ARGUMENTS): a message waits an hour at most.
QUEUE_MESSAGE_TTL_MS = 60 * 60 * 1000
QUEUE_MAX_LENGTH = 10000
# Waldur tells the agent about an order when it becomes one of these (and
# not when it becomes executing or erred).
ANNOUNCED_ORDER_STATES = (OrderState.PENDING_PROVIDER, OrderState.PENDING_CONSUMER, OrderState.DONE)


def now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat()


def parse_time(text: str) -> dt.datetime:
    # A "+00:00" offset in a query string may arrive with its "+" read as a space.
    return dt.datetime.fromisoformat(text.replace(" ", "+").replace("Z", "+00:00"))


def hex_id() -> str:
    return uuid.uuid4().hex


def undash(text: str) -> str:
    """The agent sends uuids both dashed and not; keep one form."""
    return UUID_DASHED.sub(lambda found: found.group(0).replace("-", ""), text)


def shaped(model: Any, data: dict) -> dict:
    """`data` as the model parses and writes it: Waldur's shape, or an error here."""
    return model.from_dict(data).to_dict()


class Fault:
    """A planned misbehaviour of one call (see the module docstring)."""

    def __init__(self, spec: dict) -> None:
        self.method = spec["method"]
        self.path_suffix = spec["path_suffix"]
        self.skip = int(spec.get("skip", 0))
        self.action = spec.get("action", "hold")
        self.status = int(spec.get("status", 503))
        self.then = spec.get("then", "proceed")
        self.released = threading.Event()
        self.hit = False

    def matches(self, method: str, path: str) -> bool:
        if self.hit or method != self.method or not path.endswith(self.path_suffix):
            return False
        if self.skip > 0:
            self.skip -= 1
            return False
        self.hit = True
        return True


class BrokerAccess:
    """Where Waldur publishes, and what it tells the agent at register_queue."""

    def __init__(
        self,
        host: str,
        stomp_port: int,
        vhost: str,
        user: str,
        password: str,
        rmq_username: str,
        queue: str,
    ) -> None:
        self.host = host
        self.stomp_port = stomp_port
        self.vhost = vhost
        self.user = user
        self.password = password
        self.rmq_username = rmq_username
        self.queue = queue


class Replies(stomp.ConnectionListener):
    """The broker's CONNECTED, RECEIPT and ERROR frames, waited for with a bound."""

    def __init__(self) -> None:
        self.changed = threading.Condition()
        self.connected = False
        self.receipts: set[str] = set()
        self.error = ""

    def on_connected(self, frame: Any) -> None:
        with self.changed:
            self.connected = True
            self.changed.notify_all()

    def on_receipt(self, frame: Any) -> None:
        with self.changed:
            self.receipts.add(frame.headers.get("receipt-id", ""))
            self.changed.notify_all()

    def on_error(self, frame: Any) -> None:
        with self.changed:
            self.error = frame.headers.get("message", "") or str(frame.body)[:300]
            self.changed.notify_all()

    def wait(self, what: str, done: Callable[[], bool]) -> None:
        with self.changed:
            self.changed.wait_for(lambda: done() or bool(self.error), BROKER_TIMEOUT)
            if self.error:
                raise RuntimeError(f"the broker refused: {self.error}")
            if not done():
                raise TimeoutError(f"no {what} from the broker in {BROKER_TIMEOUT} s")


class Events:
    """Waldur's publishing side: the agent's unified queue on RabbitMQ."""

    def __init__(self, broker: BrokerAccess) -> None:
        self.broker = broker
        self.lock = threading.Lock()
        # None until the agent registers its queue: Waldur routes nothing to
        # a queue it has not made, so earlier events are not delivered.
        self.object_types: Optional[list[str]] = None
        self.declared = False
        self.published: list[dict] = []
        self.failures: list[str] = []

    def session(self, frames: Callable[[stomp.Connection12, Replies], Optional[str]]) -> None:
        """Connect, send `frames` (which returns the receipt to wait for), disconnect."""
        connection = stomp.Connection12(
            [(self.broker.host, self.broker.stomp_port)],
            vhost=self.broker.vhost,
            reconnect_attempts_max=1,
            timeout=BROKER_TIMEOUT,
        )
        replies = Replies()
        connection.set_listener("replies", replies)
        try:
            connection.connect(self.broker.user, self.broker.password, wait=False)
            replies.wait("CONNECTED", lambda: replies.connected)
            receipt = frames(connection, replies)
            if receipt:
                # Once the broker confirms, the message is in the queue.
                replies.wait("RECEIPT", lambda: receipt in replies.receipts)
        finally:
            if connection.is_connected():
                connection.disconnect()

    def register(self, object_types: list[str]) -> tuple[int, dict]:
        """Waldur's register_queue: make the queue once, then return its descriptor."""
        with self.lock:
            first = self.object_types is None
            # An empty list asks for every type (Waldur's rule).
            self.object_types = list(object_types) or [t.value for t in ObservableObjectTypeEnum]
            if not self.declared:
                self.session(self.declare)
                self.declared = True
            types = list(self.object_types)
        return (201 if first else 200), shaped(
            AgentQueueRegistrationResponse,
            {
                "rmq_username": self.broker.rmq_username,
                "queue_name": self.broker.queue,
                "vhost": self.broker.vhost,
                "observable_object_types": types,
            },
        )

    def declare(self, connection: stomp.Connection12, _: Replies) -> str:
        # Waldur makes the queue (with these arguments) before the agent
        # subscribes with /amq/queue/, which never declares. Over STOMP, a
        # subscription to /queue/<name> declares it; it is dropped at once, and
        # this runs before anything is published, so it takes no message.
        connection.subscribe(
            f"/queue/{self.broker.queue}",
            id="declare",
            ack="client",
            headers={
                "durable": "true",
                "auto-delete": "false",
                "x-message-ttl": QUEUE_MESSAGE_TTL_MS,
                "x-max-length": QUEUE_MAX_LENGTH,
            },
        )
        connection.unsubscribe("declare", receipt="declared")
        return "declared"

    def publish(self, object_type: str, payload: dict) -> None:
        """Publish one message to the agent's queue, if it asked for this type."""
        with self.lock:
            if self.object_types is None or object_type not in self.object_types:
                return
            body = {**payload, "object_type": object_type}

            def send(connection: stomp.Connection12, _: Replies) -> str:
                connection.send(
                    f"/amq/queue/{self.broker.queue}",
                    json.dumps(body),
                    content_type="application/json",
                    headers={"persistent": "true"},
                    receipt="sent",
                )
                return "sent"

            try:
                self.session(send)
                self.published.append(body)
            except Exception as error:  # recorded for the test; Waldur's task would log it
                self.failures.append(f"{object_type}: {type(error).__name__}: {error}")
                print(f"stand-in: publishing failed: {self.failures[-1]}", file=sys.stderr)


class Marketplace:
    """The stand-in's state, behind one lock."""

    def __init__(
        self,
        offering_uuid: str,
        sentinel_uuid: str,
        plugin_options: dict,
        events: Optional[Events] = None,
    ) -> None:
        self.lock = threading.Lock()
        self.offering_uuid = undash(offering_uuid)
        self.sentinel_uuid = undash(sentinel_uuid)
        self.plugin_options = plugin_options
        self.offering_customer_uuid = hex_id()
        self.provider_uuid = hex_id()
        self.identity_uuid = hex_id()
        self.orders: dict[str, dict] = {}
        self.resources: dict[str, dict] = {}
        self.api_keys: list[dict] = []
        self.usages: dict[tuple[str, str], dict[str, str]] = {}
        self.usage_reports: list[dict] = []
        self.faults: list[Fault] = []
        self.held: list[str] = []
        self.cycle_ends = 0
        self.calls: list[str] = []
        self.events = events
        # Events to publish once the lock is released: (object_type, payload).
        self.outbox: list[tuple[str, dict]] = []
        # How many times each order was in an answer to the agent's order
        # list: an order never listed was found by its event alone.
        self.listed: dict[str, int] = {}

    # --- what the test does ------------------------------------------------

    def place_order(self, body: dict) -> dict:
        """Take an OrderDetails (e.g. rendered by the agent's template harness)."""
        order = shaped(OrderDetails, body["order"])
        order["uuid"] = undash(order["uuid"])
        order["marketplace_resource_uuid"] = undash(order["marketplace_resource_uuid"])
        order.setdefault("state", "pending-provider")
        order["created"] = order["modified"] = now()
        with self.lock:
            resource_uuid = order["marketplace_resource_uuid"]
            if order["type"] == "Create":
                if resource_uuid in self.resources:
                    return {"error": "a Create order for an existing resource"}
                self.resources[resource_uuid] = self.new_resource(order, body)
            elif resource_uuid not in self.resources:
                return {"error": f"no resource {resource_uuid}"}
            resource = self.resources[resource_uuid]
            order.update(
                {
                    "offering_uuid": self.offering_uuid,
                    "resource_name": order.get("resource_name") or resource["name"],
                    "customer_uuid": resource["customer_uuid"],
                    "customer_name": resource["customer_name"],
                    "project_slug": resource["project_slug"],
                    "backend_id": resource["backend_id"],
                    "attributes": order.get("attributes") or resource["attributes"],
                    "limits": order.get("limits") or {},
                }
            )
            self.orders[order["uuid"]] = order
            self.announce_order(order)
            return {"order": order["uuid"], "resource": resource_uuid}

    def announce_order(self, order: dict) -> None:
        """Waldur's order message, with the unified queue's enrichment."""
        if order["state"] not in ANNOUNCED_ORDER_STATES:
            return
        resource = self.resources[order["marketplace_resource_uuid"]]
        self.outbox.append(
            (
                ObservableObjectTypeEnum.ORDER.value,
                {
                    "order_uuid": order["uuid"],
                    "order_state": order["state"],
                    "offering_uuid": self.offering_uuid,
                    "order_type": order["type"],
                    "resource_uuid": resource["uuid"],
                    "resource_backend_id": resource["backend_id"],
                    "resource_name": resource["name"],
                    "project_uuid": resource["project_uuid"],
                    "project_name": resource["project_slug"],
                    "attributes": order.get("attributes") or {},
                    "limits": order.get("limits") or {},
                    "plan_uuid": order.get("plan_uuid"),
                },
            )
        )

    def announce_resource(self, resource: dict) -> None:
        """Waldur's resource message (its paused/downscaled flags changed)."""
        self.outbox.append(
            (
                ObservableObjectTypeEnum.RESOURCE.value,
                {
                    "resource_uuid": resource["uuid"],
                    "resource_backend_id": resource["backend_id"],
                    "downscaled": resource["downscaled"],
                    "restrict_member_access": False,
                    "paused": resource["paused"],
                    "limits": resource["limits"],
                    "offering_uuid": self.offering_uuid,
                    "resource_name": resource["name"],
                    "resource_state": resource["state"],
                    "project_uuid": resource["project_uuid"],
                    "project_name": resource["project_slug"],
                },
            )
        )

    def flush_events(self) -> None:
        """Publish what the last change announced, outside the lock (as Waldur's task does)."""
        with self.lock:
            outbox, self.outbox = self.outbox, []
        if self.events is not None:
            for object_type, payload in outbox:
                self.events.publish(object_type, payload)

    def new_resource(self, order: dict, body: dict) -> dict:
        slug = (order.get("resource_name") or "site-chat").lower().replace(" ", "-")
        return {
            "uuid": order["marketplace_resource_uuid"],
            "name": order.get("resource_name") or "site chat",
            "slug": f"{slug}-{hex_id()[:6]}",
            "state": "Creating",
            "backend_id": "",
            "offering_uuid": self.offering_uuid,
            "customer_uuid": undash(order.get("customer_uuid") or hex_id()),
            "customer_name": body.get("customer_name") or order.get("customer_name") or "Buyer Ltd",
            "customer_slug": order.get("customer_slug") or "buyer",
            "project_uuid": undash(order.get("project_uuid") or hex_id()),
            "project_slug": order.get("project_slug") or "web",
            "limits": order.get("limits") or {},
            "attributes": order.get("attributes") or {},
            "offering_plugin_options": self.plugin_options,
            "plan_uuid": None,
            "paused": False,
            "downscaled": False,
            "endpoints": [],
            "backend_metadata": {},
        }

    def update_resource(self, resource_uuid: str, body: dict) -> Optional[dict]:
        with self.lock:
            resource = self.resources.get(undash(resource_uuid))
            if resource is None:
                return None
            changed = False
            for field in ("paused", "downscaled"):
                if field in body and resource[field] != bool(body[field]):
                    resource[field] = bool(body[field])
                    changed = True
            if changed:
                self.announce_resource(resource)
            return resource

    def rotate_key(self, key_uuid: str) -> tuple[int, dict]:
        """Waldur's `rotate` action of a resource API key, as a member asks for it."""
        with self.lock:
            key = next((k for k in self.api_keys if k["uuid"] == undash(key_uuid)), None)
            if key is None:
                return NOT_FOUND
            resource = self.resources[key["resource_uuid"]]
            if key["state"] not in (ResourceApiKeyState.OK, ResourceApiKeyState.ERRED) or resource[
                "state"
            ] in ("Terminating", "Terminated"):
                return 409, {"detail": f"stand-in: cannot rotate a {key['state']} key"}
            key["state"] = ResourceApiKeyState.UPDATING.value
            key["modified"] = now()
            # The slim payload: identifiers only, never key material.
            self.outbox.append(
                (
                    ObservableObjectTypeEnum.RESOURCE_API_KEY_ROTATION.value,
                    {
                        "action": "rotate",
                        "resource_uuid": resource["uuid"],
                        "resource_backend_id": resource["backend_id"],
                        "api_key_uuid": key["uuid"],
                        "client_id": key["client_id"],
                        "offering_uuid": self.offering_uuid,
                    },
                )
            )
            return 202, self.key_status(key)

    def add_fault(self, spec: dict) -> None:
        with self.lock:
            self.faults.append(Fault(spec))

    def release(self) -> None:
        with self.lock:
            for fault in self.faults:
                fault.released.set()
            self.faults = []
            self.held = []

    def state(self) -> dict:
        with self.lock:
            return json.loads(
                json.dumps(
                    {
                        "orders": list(self.orders.values()),
                        "resources": list(self.resources.values()),
                        "api_keys": self.api_keys,
                        "usages": {f"{r} {p}": a for (r, p), a in self.usages.items()},
                        "usage_reports": self.usage_reports,
                        "held": self.held,
                        "cycle_ends": self.cycle_ends,
                        "calls": self.calls,
                        "listed": self.listed,
                        "events": self.events.published if self.events else [],
                        "event_failures": self.events.failures if self.events else [],
                        "queue_registered": bool(self.events and self.events.object_types),
                    }
                )
            )

    # --- what the agent calls -------------------------------------------------

    def fault_for(self, method: str, path: str) -> Optional[Fault]:
        with self.lock:
            for fault in self.faults:
                if fault.matches(method, path):
                    if fault.action == "hold":
                        self.held.append(f"{method} {path}")
                    return fault
        return None

    def identity(self) -> dict:
        return shaped(
            AgentIdentity,
            {
                "uuid": self.identity_uuid,
                "url": "http://stand-in/identity/",
                "offering": self.offering_uuid,
                "created_by": None,
                "name": "agent-" + self.offering_uuid,
                "created": now(),
                "modified": now(),
                "services": [],
            },
        )

    def service(self, name: str) -> dict:
        return shaped(
            AgentService,
            {
                "uuid": hex_id(),
                "url": "http://stand-in/service/",
                "identity": self.identity_uuid,
                "identity_name": "agent",
                "name": name,
                "state": "Active",
                "created": now(),
                "modified": now(),
                "processors": [],
            },
        )

    def processor(self, body: dict) -> dict:
        return shaped(
            AgentProcessor,
            {
                "uuid": hex_id(),
                "url": "http://stand-in/processor/",
                "service": hex_id(),
                "service_name": "service",
                "name": body.get("name", "processor"),
                "backend_type": body.get("backend_type", ""),
                "created": now(),
                "modified": now(),
            },
        )

    def offering(self) -> dict:
        return shaped(
            ProviderOfferingDetails,
            {
                "uuid": self.offering_uuid,
                "customer_uuid": self.offering_customer_uuid,
                "partitions": [],
                "plugin_options": self.plugin_options,
                "components": COMPONENTS,
            },
        )

    def answer(  # noqa: PLR0912 (one branch per route, as Waldur's URL table)
        self, method: str, path: str, query: dict, body: Any
    ) -> Optional[tuple[int, Any]]:
        """(status, JSON) for one call of the agent's, or None if unknown."""
        one: Callable[[str], str] = lambda name: undash((query.get(name) or [""])[0])  # noqa: E731
        if path == "/api/marketplace-site-agent-identities/" and method == "GET":
            name = one("name")
            if name != f"agent-{self.offering_uuid}" and self.sentinel_uuid in name:
                # The agent is done with the offering under test.
                with self.lock:
                    self.cycle_ends += 1
                return 503, {"detail": "stand-in: end of cycle"}
        if path == "/api/version/":
            return 200, shaped(Version, {"version": "7.9.0"})
        if path == "/api/users/me/":
            return 200, shaped(
                UserMe,
                {
                    "uuid": hex_id(),
                    "username": "sitekit-agent",
                    "full_name": "Site agent",
                    "is_staff": False,
                    "permissions": [],
                },
            )
        if path == "/api/marketplace-site-agent-identities/":
            return (200, [self.identity()]) if method == "GET" else (201, self.identity())
        if re.fullmatch(r"/api/marketplace-site-agent-identities/\w+/", path):
            return 200, self.identity()
        if re.fullmatch(r"/api/marketplace-site-agent-identities/\w+/register_queue/", path):
            if self.events is None:
                return None
            return self.events.register(body.get("object_types") or [])
        if re.fullmatch(r"/api/marketplace-site-agent-identities/\w+/register_service/", path):
            return 201, self.service(body.get("name", "service"))
        if re.fullmatch(r"/api/marketplace-site-agent-services/\w+/register_processor/", path):
            return 201, self.processor(body)
        if re.fullmatch(r"/api/marketplace-provider-offerings/\w+/", path):
            return 200, self.offering()
        if re.fullmatch(r"/api/marketplace-provider-offerings/\w+/user-attribute-config/", path):
            return NOT_FOUND
        if re.fullmatch(r"/api/marketplace-provider-offerings/\w+/list_\w+_accounts/", path):
            return 200, []
        if path == "/api/marketplace-service-providers/":
            return 200, [shaped(ServiceProvider, {"uuid": self.provider_uuid})]
        if re.fullmatch(r"/api/marketplace-service-providers/\w+/keys/", path):
            return 200, []
        if path == "/api/marketplace-offering-users/":
            return 200, []
        if path in ("/api/component-user-usage-limits/", "/api/marketplace-component-user-usages/"):
            return 200, []
        with self.lock:
            return self.answer_state(method, path, query, body, one)

    def answer_state(
        self, method: str, path: str, query: dict, body: Any, one: Callable[[str], str]
    ) -> Optional[tuple[int, Any]]:
        if path == "/api/marketplace-orders/":
            states = query.get("state", [])
            before = one("modified_before")
            listed = [
                order
                for order in self.orders.values()
                if (not states or order["state"] in states)
                and one("offering_uuid") in ("", self.offering_uuid)
                and (not before or parse_time(order["modified"]) < parse_time(before))
            ]
            for order in listed:
                self.listed[order["uuid"]] = self.listed.get(order["uuid"], 0) + 1
            return 200, [shaped(OrderDetails, order) for order in listed]
        found = re.fullmatch(r"/api/marketplace-orders/(\w+)/(\w*)/?", path)
        if found:
            return self.order_action(method, found.group(1), found.group(2), body)
        if path == "/api/marketplace-provider-resources/":
            states = query.get("state", [])
            return 200, [
                shaped(Resource, resource)
                for resource in self.resources.values()
                if not states or resource["state"] in states
            ]
        found = re.fullmatch(r"/api/marketplace-provider-resources/(\w+)/(\w*)/?", path)
        if found:
            return self.resource_action(method, found.group(1), found.group(2), body)
        if path.startswith("/api/marketplace-resource-api-keys/"):
            return self.api_keys_answer(path, query, body, one)
        if path == "/api/marketplace-component-usages/":
            amounts = self.usages.get((one("resource_uuid"), one("billing_period")[:10]), {})
            return 200, [
                shaped(ComponentUsage, {"uuid": hex_id(), "type": kind, "usage": amount})
                for kind, amount in amounts.items()
            ]
        if path == "/api/marketplace-component-usages/set_usage/":
            resource_uuid = undash(body["resource"])
            if resource_uuid not in self.resources:
                return 400, {"resource": ["Not found."]}
            period = body["date"][:10]
            amounts = self.usages.setdefault((resource_uuid, period), {})
            for usage in body["usages"]:
                amounts[usage["type"]] = usage["amount"]
            self.usage_reports.append(
                {"resource": resource_uuid, "period": period, "usages": body["usages"]}
            )
            return 201, None
        return None

    def api_keys_answer(
        self, path: str, query: dict, body: Any, one: Callable[[str], str]
    ) -> Optional[tuple[int, Any]]:
        if path == "/api/marketplace-resource-api-keys/":
            resource_uuid, offering_uuid = one("resource_uuid"), one("offering_uuid")
            states, before = query.get("state", []), one("modified_before")
            return 200, [
                shaped(ResourceApiKeyStatus, self.key_status(key))
                for key in self.api_keys
                if (resource_uuid or offering_uuid)
                and resource_uuid in ("", key["resource_uuid"])
                and offering_uuid in ("", self.offering_uuid)
                and (not states or key["state"] in states)
                and (not before or parse_time(key["modified"]) < parse_time(before))
            ]
        found = re.fullmatch(r"/api/marketplace-resource-api-keys/(\w+)/(set_key|set_erred)/", path)
        if found:
            return self.key_action(found.group(1), found.group(2), body)
        if path == "/api/marketplace-resource-api-keys/report_created/":
            resource = self.resources.get(undash(body["resource"]))
            if resource is None:
                return NOT_FOUND
            key = {
                "uuid": hex_id(),
                "resource_uuid": resource["uuid"],
                "resource_backend_id": resource["backend_id"],
                "modified": now(),
                "client_id": body["client_id"],
                "api_key": body["api_key"],
                "state": ResourceApiKeyState.OK.value,
            }
            self.api_keys.append(key)
            return 201, shaped(ResourceApiKeyStatus, self.key_status(key))
        return None

    @staticmethod
    def key_status(key: dict) -> dict:
        # Waldur never shows a stored key's value again.
        return {name: value for name, value in key.items() if name != "api_key"}

    def key_action(self, key_uuid: str, action: str, body: Any) -> tuple[int, Any]:
        """The agent's answer to a rotation: the new key (set_key) or its failure (set_erred)."""
        key = next((k for k in self.api_keys if k["uuid"] == key_uuid), None)
        if key is None:
            return NOT_FOUND
        if action == "set_key":
            if key["state"] not in (ResourceApiKeyState.UPDATING, ResourceApiKeyState.ERRED):
                return 400, {"detail": f"stand-in: cannot set the key of a {key['state']} key"}
            client_id = body.get("client_id") or key["client_id"]
            if any(
                other is not key
                and other["resource_uuid"] == key["resource_uuid"]
                and other["client_id"] == client_id
                for other in self.api_keys
            ):
                return 400, {"client_id": ["Another key of this resource has it."]}
            key.update(
                {
                    "api_key": body["api_key"],
                    "client_id": client_id,
                    "state": ResourceApiKeyState.OK.value,
                    "error_message": "",
                }
            )
        else:
            # Waldur refuses a stale failure report for a key applied since.
            if key["state"] not in (ResourceApiKeyState.CREATING, ResourceApiKeyState.UPDATING):
                return 400, {"detail": f"stand-in: cannot err a {key['state']} key"}
            key["state"] = ResourceApiKeyState.ERRED.value
            key["error_message"] = body.get("error_message", "")
        key["modified"] = now()
        return 200, shaped(ResourceApiKeyStatus, self.key_status(key))

    def order_action(self, method: str, order_uuid: str, action: str, body: Any) -> tuple[int, Any]:
        order = self.orders.get(order_uuid)
        if order is None:
            return NOT_FOUND
        resource = self.resources[order["marketplace_resource_uuid"]]
        if action == "" and method == "GET":
            return 200, shaped(OrderDetails, order)
        if action == "approve_by_provider" and order["state"] == "pending-provider":
            order["state"] = "executing"
            order["modified"] = now()
            if order["type"] == "Terminate":
                resource["state"] = "Terminating"
            if order["type"] == "Update":
                resource["state"] = "Updating"
            return 200, shaped(OrderInfoResponse, {"detail": "Order has been approved."})
        if action == "set_state_done" and order["state"] == "executing":
            order["state"] = "done"
            order["modified"] = now()
            self.announce_order(order)
            if order["type"] == "Terminate":
                resource["state"] = "Terminated"
            else:
                resource["state"] = "OK"
            if order["type"] == "Update" and order.get("limits"):
                # Waldur applies an update order's limits itself once it is done.
                resource["limits"] = order["limits"]
            return 200, None
        if action == "set_state_erred":
            order["state"] = "erred"
            order["modified"] = now()
            order["error_message"] = body.get("error_message", "")
            resource["state"] = "Erred"
            return 200, None
        return 400, {"detail": f"stand-in: cannot {action or method} a {order['state']} order"}

    def resource_action(
        self, method: str, resource_uuid: str, action: str, body: Any
    ) -> tuple[int, Any]:
        resource = self.resources.get(resource_uuid)
        if resource is None:
            return NOT_FOUND
        if action == "" and method == "GET":
            return 200, shaped(Resource, resource)
        if action == "team":
            return 200, []
        if action in ("set_backend_id", "set_limits", "set_backend_metadata", "set_endpoints"):
            field = action[len("set_") :]
            resource[field] = body[field]
            return 200, shaped(Status, {"status": "OK"})
        if action in ("refresh_last_sync", "set_as_ok", "set_as_erred"):
            if action == "set_as_erred":
                resource["error_message"] = body.get("error_message", "")
            return 200, None
        return NOT_FOUND


def handler_for(market: Marketplace, token: str) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def reply(self, status: int, data: Any) -> None:
            raw = b"" if data is None else json.dumps(data).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def handle_method(self, method: str) -> None:
            url = urlparse(self.path)
            length = min(int(self.headers.get("Content-Length") or 0), 1 << 20)
            raw = self.rfile.read(length) if length else b""
            body = json.loads(raw) if raw else {}
            path = undash(url.path)
            if path.startswith("/_test/"):
                return self.test_route(method, path, body)
            if self.headers.get("Authorization") != f"Token {token}":
                return self.reply(401, {"detail": "Invalid token."})
            with market.lock:
                market.calls.append(f"{method} {path}")
            fault = market.fault_for(method, path)
            if fault is not None:
                if fault.action == "fail":
                    return self.reply(fault.status, {"detail": "stand-in: planned failure"})
                fault.released.wait(HOLD_SECONDS)
                if fault.then == "drop":
                    # As if the agent had died before it sent this call.
                    self.close_connection = True
                    return None
            answered = market.answer(method, path, parse_qs(url.query), body)
            market.flush_events()
            if answered is None:
                return self.reply(404, {"detail": f"stand-in: no {method} {path}"})
            return self.reply(*answered)

        def test_route(self, method: str, path: str, body: dict) -> None:
            # Events are published before the answer: once the test's call
            # returns, the agent's queue holds them.
            if path == "/_test/orders" and method == "POST":
                placed = market.place_order(body)
                market.flush_events()
                return self.reply(400 if "error" in placed else 201, placed)
            if path.startswith("/_test/resources/") and method == "PATCH":
                resource = market.update_resource(path.rsplit("/", 1)[1], body)
                market.flush_events()
                return self.reply(200, resource) if resource else self.reply(*NOT_FOUND)
            found = re.fullmatch(r"/_test/api-keys/(\w+)/rotate", path)
            if found and method == "POST":
                answered = market.rotate_key(found.group(1))
                market.flush_events()
                return self.reply(*answered)
            if path == "/_test/faults" and method == "POST":
                market.add_fault(body)
                return self.reply(201, {})
            if path == "/_test/release" and method == "POST":
                market.release()
                return self.reply(200, {})
            if path == "/_test/state" and method == "GET":
                return self.reply(200, market.state())
            return self.reply(404, {"detail": "stand-in: no such test route"})

        def do_GET(self) -> None:
            self.handle_method("GET")

        def do_POST(self) -> None:
            self.handle_method("POST")

        def do_PUT(self) -> None:
            self.handle_method("PUT")

        def do_PATCH(self) -> None:
            self.handle_method("PATCH")

    return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--token", required=True)
    parser.add_argument("--offering-uuid", required=True)
    parser.add_argument("--sentinel-offering-uuid", required=True)
    parser.add_argument("--plugin-options", default="{}")
    parser.add_argument("--broker-host", default="127.0.0.1")
    parser.add_argument("--broker-stomp-port", type=int, help="RabbitMQ's STOMP (TCP) port")
    parser.add_argument("--broker-vhost", help="the vhost of the agent's queue")
    parser.add_argument("--broker-user", help="the user Waldur publishes as")
    parser.add_argument("--broker-rmq-username", help="the agent's RabbitMQ login")
    parser.add_argument("--broker-queue", help="the agent's queue (consumer_<uuid>)")
    args = parser.parse_args()
    events = None
    if args.broker_stomp_port:
        events = Events(
            BrokerAccess(
                args.broker_host,
                args.broker_stomp_port,
                args.broker_vhost,
                args.broker_user,
                os.environ.get("WALDUR_STAND_IN_BROKER_PASSWORD", ""),
                args.broker_rmq_username,
                args.broker_queue,
            )
        )
    market = Marketplace(
        args.offering_uuid, args.sentinel_offering_uuid, json.loads(args.plugin_options), events
    )
    server = ThreadingHTTPServer(("127.0.0.1", args.port), handler_for(market, args.token))
    server.daemon_threads = True
    # The first line tells the test where to find it (the port may be chosen by the OS).
    print(f"waldur stand-in on http://127.0.0.1:{server.server_address[1]}/api/", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
