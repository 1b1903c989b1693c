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
  {"do": "time-to-answer"}                          a second purchase, timed (see
                                                    time_to_answer.py)
  {"do": "stop"}                                    stop everything and exit

The first line, once everything runs, is {"ready": true, "sitekit": <url>,
"mode": "event" | "polling"}.

Modes: in event mode (the default when RabbitMQ is installed) the site agent
runs `event_process` for the whole session, listening before "ready": buy,
update and terminate place the order and wait until the agent, told by
Waldur's message, has done it; pause waits until the widget shows the new
state. Report always runs one `report` cycle (event mode does not report).
In polling mode (SITEKIT_WALDUR_AGENT_MODE=polling, or no RabbitMQ) each of
them runs one cycle of the agent's polling mode instead.

Times are Unix milliseconds, so the caller can measure from the purchase.
Nothing secret is printed but the keys Waldur holds, which the caller's
visitor needs (the publishable key is in the snippet anyway).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import sys
import time
import uuid
from typing import Any

from broker import rabbitmq_installed
from harness import EVENT_TIMEOUT, World, wait_until
from time_to_answer import measure

MODE_ENV = "SITEKIT_WALDUR_AGENT_MODE"


def now_ms() -> int:
    return int(time.time() * 1000)


def chosen_mode() -> str:
    mode = os.environ.get(MODE_ENV) or ("event" if rabbitmq_installed() else "polling")
    if mode not in ("event", "polling"):
        raise SystemExit(f"{MODE_ENV} must be event or polling, not {mode!r}")
    return mode


class Session:
    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.world = World(events=mode == "event")
        try:
            if self.world.event_agent is not None:
                self.world.event_agent.start()
        except BaseException:
            self.world.close()
            raise
        self.resource_uuid = ""
        self.customer_uuid = str(uuid.uuid4())

    def process(self, order_uuid: str) -> None:
        """The agent processes the order just placed: by its event, or one polling cycle."""
        if self.mode == "event":
            wait_until(
                "the agent to finish the order",
                lambda: self.state_of(order_uuid)["state"] in ("done", "erred"),
                timeout=EVENT_TIMEOUT,
                every=0.05,
            )
        else:
            self.world.agent.run("order_process")

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
        self.process(placed["order"])
        resource = self.resource()
        return {
            "mode": self.mode,
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
        if self.mode == "event":
            # Waldur's resource message makes the agent sync this resource.
            wait_until(
                "the widget to follow Waldur",
                lambda: self.widget().get("widget", {}).get("paused") == paused,
                timeout=EVENT_TIMEOUT,
            )
        else:
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
        self.process(placed["order"])
        return {"order": self.state_of(placed["order"])["state"], "widget": self.widget()}

    def terminate(self) -> dict:
        placed = self.world.stand_in.place(self.order_of("terminate/basic.json"))
        self.process(placed["order"])
        return {
            "order": self.state_of(placed["order"])["state"],
            "resource": self.resource(),
            "widget": self.widget(),
        }


def main() -> None:
    # Stopped by a signal (the caller's test runner ending), it still stops
    # everything it started: SystemExit runs the `finally` below.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    session = Session(chosen_mode())
    print(
        json.dumps({"ready": True, "sitekit": session.world.sitekit.url, "mode": session.mode}),
        flush=True,
    )
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
                elif what == "time-to-answer":
                    answer = measure(session.world, session.mode)
                else:
                    answer = {"error": f"unknown command {what!r}"}
            except Exception as error:  # the caller shows it
                answer = {"error": f"{type(error).__name__}: {error}"}
            print(json.dumps(answer), flush=True)
    finally:
        session.world.close()


if __name__ == "__main__":
    main()
