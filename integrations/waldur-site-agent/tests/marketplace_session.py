"""One marketplace purchase, driven by a caller in another language.

The Playwright end-to-end test (tests/e2e/waldur.spec.js) and the benchmark
need what harness.World starts (a real embed server, the Waldur stand-in, the
real site agent) but drive it from JavaScript or Rust, so this reads one JSON
command a line on stdin and answers each with one JSON line on stdout:

  {"do": "buy", "origins": [...], "limits": {...}}  a Create order, provisioned
  {"do": "report"}                                  one report cycle
  {"do": "pause", "paused": true|false}             Waldur pauses or restores it
  {"do": "update", "limits": {...}}                 an Update order, processed
  {"do": "terminate"}                               a Terminate order, processed
  {"do": "stop"}                                    stop everything and exit

Times are Unix milliseconds, so the caller can measure from the purchase.
Nothing secret is printed but the keys Waldur holds, which the caller's
visitor needs (the publishable key is in the snippet anyway).
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
import uuid
from typing import Any

from harness import World


def now_ms() -> int:
    return int(time.time() * 1000)


class Session:
    def __init__(self) -> None:
        self.world = World()
        self.resource_uuid = ""
        self.customer_uuid = str(uuid.uuid4())

    def state_of(self, order_uuid: str) -> dict:
        return self.world.stand_in.order(order_uuid)

    def resource(self) -> dict:
        return self.world.stand_in.resource(self.resource_uuid)

    def widget(self) -> dict:
        backend_id = self.resource()["backend_id"]
        answer = self.world.operator("GET", f"/v1/operator/widgets/{backend_id}")
        return {"status": answer.status, **(answer.json() or {})}

    def buy(self, origins: list[str], limits: dict) -> dict:
        self.resource_uuid = str(uuid.uuid4())
        order = self.world.templates.order(
            "create/basic.json",
            resource_name="site-chat",
            marketplace_resource_uuid=self.resource_uuid,
            customer_uuid=self.customer_uuid,
            attributes={"allowed_origins": origins, "title": "Shop help", "locale": "en"},
        )
        order["limits"] = limits
        placed_at = now_ms()
        placed = self.world.stand_in.place(order, "Buyer Ltd")
        self.world.agent.run("order_process")
        resource = self.resource()
        return {
            "placedAt": placed_at,
            "provisionedAt": now_ms(),
            "order": self.state_of(placed["order"])["state"],
            "resource": resource,
            "apiKeys": self.world.stand_in.api_keys(self.resource_uuid),
        }

    def report(self) -> dict:
        before = len(self.world.stand_in.usage_reports(self.resource_uuid))
        self.world.agent.run("report")
        month = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m")
        backend_id = self.resource()["backend_id"]
        usage = self.world.operator(
            "GET", f"/v1/operator/widgets/{backend_id}/usage?month={month}"
        ).json()
        held = self.world.stand_in.state()["usages"].get(
            f"{self.resource_uuid.replace('-', '')} {month}-01", {}
        )
        reports = self.world.stand_in.usage_reports(self.resource_uuid)
        return {"sent": len(reports) - before, "held": held, "server": usage}

    def pause(self, paused: bool) -> dict:
        self.world.stand_in.set_paused(self.resource_uuid, paused)
        self.world.agent.run("membership_sync")
        return {"widget": self.widget()}

    def order_of(self, template: str, **fields: Any) -> dict:
        return self.world.templates.order(
            template,
            marketplace_resource_uuid=self.resource_uuid,
            resource_name=self.resource()["name"],
            **fields,
        )

    def update(self, limits: dict) -> dict:
        order = self.order_of("update/attributes-and-limits.json")
        order["limits"] = limits
        placed = self.world.stand_in.place(order)
        self.world.agent.run("order_process")
        return {"order": self.state_of(placed["order"])["state"], "widget": self.widget()}

    def terminate(self) -> dict:
        placed = self.world.stand_in.place(self.order_of("terminate/basic.json"))
        self.world.agent.run("order_process")
        return {
            "order": self.state_of(placed["order"])["state"],
            "resource": self.resource(),
            "widget": self.widget(),
        }


def main() -> None:
    session = Session()
    print(json.dumps({"ready": True, "sitekit": session.world.sitekit.url}), flush=True)
    try:
        for line in sys.stdin:
            command = json.loads(line)
            what = command.get("do")
            if what == "stop":
                break
            try:
                if what == "buy":
                    answer = session.buy(command["origins"], command.get("limits", {}))
                elif what == "report":
                    answer = session.report()
                elif what == "pause":
                    answer = session.pause(bool(command["paused"]))
                elif what == "update":
                    answer = session.update(command["limits"])
                elif what == "terminate":
                    answer = session.terminate()
                else:
                    answer = {"error": f"unknown command {what!r}"}
            except Exception as error:  # the caller shows it
                answer = {"error": f"{type(error).__name__}: {error}"}
            print(json.dumps(answer), flush=True)
    finally:
        session.world.close()


if __name__ == "__main__":
    main()
