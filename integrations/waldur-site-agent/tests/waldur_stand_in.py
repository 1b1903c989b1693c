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
- `GET /_test/state`: everything, including each `set_usage` call.

The agent's modes run forever; a test knows a cycle is over when the agent
moves on to the next offering of its configuration, a sentinel offering
(`--sentinel-offering-uuid`) whose first call is counted in `cycle_ends`
and refused.

Run: python waldur_stand_in.py --port N --token T --offering-uuid U
     --sentinel-offering-uuid S --plugin-options JSON
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Optional
from urllib.parse import parse_qs, urlparse

from waldur_api_client.models.agent_identity import AgentIdentity
from waldur_api_client.models.agent_processor import AgentProcessor
from waldur_api_client.models.agent_service import AgentService
from waldur_api_client.models.component_usage import ComponentUsage
from waldur_api_client.models.order_details import OrderDetails
from waldur_api_client.models.order_info_response import OrderInfoResponse
from waldur_api_client.models.provider_offering_details import ProviderOfferingDetails
from waldur_api_client.models.resource import Resource
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


def now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat()


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


class Marketplace:
    """The stand-in's state, behind one lock."""

    def __init__(self, offering_uuid: str, sentinel_uuid: str, plugin_options: dict) -> None:
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

    # --- what the test does ------------------------------------------------

    def place_order(self, body: dict) -> dict:
        """Take an OrderDetails (e.g. rendered by the agent's template harness)."""
        order = shaped(OrderDetails, body["order"])
        order["uuid"] = undash(order["uuid"])
        order["marketplace_resource_uuid"] = undash(order["marketplace_resource_uuid"])
        order.setdefault("state", "pending-provider")
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
            return {"order": order["uuid"], "resource": resource_uuid}

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
            for field in ("paused", "downscaled"):
                if field in body:
                    resource[field] = bool(body[field])
            return resource

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
            return 200, [
                shaped(OrderDetails, order)
                for order in self.orders.values()
                if (not states or order["state"] in states)
                and one("offering_uuid") in ("", self.offering_uuid)
            ]
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
        if path == "/api/marketplace-resource-api-keys/":
            resource_uuid = one("resource_uuid")
            return 200, [
                shaped(ResourceApiKeyStatus, self.key_status(key))
                for key in self.api_keys
                if key["resource_uuid"] == resource_uuid
            ]
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
            }
            self.api_keys.append(key)
            return 201, shaped(ResourceApiKeyStatus, self.key_status(key))
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

    @staticmethod
    def key_status(key: dict) -> dict:
        # Waldur never shows a stored key's value again.
        return {name: value for name, value in key.items() if name != "api_key"}

    def order_action(self, method: str, order_uuid: str, action: str, body: Any) -> tuple[int, Any]:
        order = self.orders.get(order_uuid)
        if order is None:
            return NOT_FOUND
        resource = self.resources[order["marketplace_resource_uuid"]]
        if action == "" and method == "GET":
            return 200, shaped(OrderDetails, order)
        if action == "approve_by_provider" and order["state"] == "pending-provider":
            order["state"] = "executing"
            if order["type"] == "Terminate":
                resource["state"] = "Terminating"
            if order["type"] == "Update":
                resource["state"] = "Updating"
            return 200, shaped(OrderInfoResponse, {"detail": "Order has been approved."})
        if action == "set_state_done" and order["state"] == "executing":
            order["state"] = "done"
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
            if answered is None:
                return self.reply(404, {"detail": f"stand-in: no {method} {path}"})
            return self.reply(*answered)

        def test_route(self, method: str, path: str, body: dict) -> None:
            if path == "/_test/orders" and method == "POST":
                placed = market.place_order(body)
                return self.reply(400 if "error" in placed else 201, placed)
            if path.startswith("/_test/resources/") and method == "PATCH":
                resource = market.update_resource(path.rsplit("/", 1)[1], body)
                return self.reply(200, resource) if resource else self.reply(*NOT_FOUND)
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
    args = parser.parse_args()
    market = Marketplace(
        args.offering_uuid, args.sentinel_offering_uuid, json.loads(args.plugin_options)
    )
    server = ThreadingHTTPServer(("127.0.0.1", args.port), handler_for(market, args.token))
    server.daemon_threads = True
    # The first line tells the test where to find it (the port may be chosen by the OS).
    print(f"waldur stand-in on http://127.0.0.1:{server.server_address[1]}/api/", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
