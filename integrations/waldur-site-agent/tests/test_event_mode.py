"""The site agent's event mode, end to end, through a real RabbitMQ.

The real `waldur_site_agent -m event_process` runs for the whole module: it
registers its queue with the Waldur stand-in, subscribes to it over STOMP on
a WebSocket (RabbitMQ's web_stomp, as behind Waldur's /rmqws-stomp), and acts
on what the stand-in publishes as Waldur does: orders, pause and restore,
key rotations. Each test acts as a buyer, a member or Waldur would, and
checks what they would see, once the agent is only listening (its start-up
pass over): nothing is found by polling, every change arrives as an event.

Needs RabbitMQ (Debian package rabbitmq-server; the tests fail without it)
and what the other tests need (see harness.py).

Run from integrations/waldur-site-agent: python -m unittest discover -s tests -v
"""

from __future__ import annotations

import datetime as dt
import sys
import time
import unittest
import uuid
from typing import Any, Optional

from harness import EVENT_TIMEOUT, Chat, World, chat, session, wait_until

ORIGIN = "https://shop.example.com"
QUESTION = "How do I install the snippet?"
# The agent's polling loop wakes once a minute at best; event mode should
# beat it by far. Printed for comparison, never asserted on: a timing
# assertion measures the machine, not the agent.
POLLING_FLOOR_SECONDS = 60

world: World


def setUpModule() -> None:
    global world  # noqa: PLW0603 (one world for the module's tests: starting it is slow)
    world = World(events=True)
    assert world.event_agent is not None
    world.event_agent.start()


def tearDownModule() -> None:
    world.close()


def this_month() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m")


class EventModeTest(unittest.TestCase):
    def setUp(self) -> None:
        # Every test starts with the agent listening and nothing queued for it.
        self.assertIsNotNone(world.event_agent)
        self.assertEqual(world.events.queue_state(), {"messages": 0, "consumers": 1})

    # --- Waldur ------------------------------------------------------------

    def place_create(self, limits: Optional[dict] = None) -> dict:
        resource_uuid = str(uuid.uuid4())
        order = world.templates.order(
            "create/basic.json",
            resource_name=f"chat-{uuid.uuid4().hex[:6]}",
            marketplace_resource_uuid=resource_uuid,
            customer_uuid=str(uuid.uuid4()),
            attributes={"allowed_origins": [ORIGIN], "title": "Shop help", "locale": "en"},
        )
        order["limits"] = limits or {}
        return world.stand_in.place(order)

    def place(self, template: str, resource_uuid: str, **fields: Any) -> dict:
        resource = world.stand_in.resource(resource_uuid)
        order = world.templates.order(
            template,
            marketplace_resource_uuid=resource_uuid,
            resource_name=resource["name"],
            **fields,
        )
        return world.stand_in.place(order)

    def wait_order_finished(self, order_uuid: str) -> dict:
        """The order once the agent has finished it, and that it is done."""
        order = wait_until(
            f"order {order_uuid} to be done",
            lambda: (
                (found := world.stand_in.order(order_uuid))["state"] in ("done", "erred") and found
            ),
            timeout=EVENT_TIMEOUT,
        )
        self.assertEqual(order["state"], "done", order.get("error_message"))
        return order

    def keys(self, resource_uuid: str) -> dict[str, dict]:
        """Waldur's resource API keys by kind: {"pub": ..., "sec": ...}."""
        keys = world.stand_in.api_keys(resource_uuid)
        by_kind = {key["api_key"].split("_")[1]: key for key in keys}
        self.assertEqual(len(by_kind), len(keys), "two keys of one kind in Waldur")
        return by_kind

    def assert_found_by_event_alone(self, order_uuid: str) -> None:
        """The agent learnt of the order from its queue, not from a list of orders."""
        state = world.stand_in.state()
        self.assertEqual(state["event_failures"], [])
        self.assertNotIn(order_uuid.replace("-", ""), state["listed"])
        self.assertIn(
            ("order", order_uuid.replace("-", ""), "pending-provider"),
            [
                (e["object_type"], e.get("order_uuid"), e.get("order_state"))
                for e in state["events"]
            ],
        )

    def assert_queue_drained(self) -> None:
        # Waldur's messages about the order (pending, then done) were all taken.
        wait_until(
            "the agent's queue to be empty",
            lambda: world.events.queue_state() == {"messages": 0, "consumers": 1},
            timeout=EVENT_TIMEOUT,
        )

    # --- the embed server ----------------------------------------------------

    def widget(self, widget_id: str) -> dict:
        answer = world.operator("GET", f"/v1/operator/widgets/{widget_id}")
        return {"status": answer.status, **(answer.json() or {})}

    def widgets_seen_with(self, secret_key: str) -> list[str]:
        listed = world.sitekit.operator("GET", "/v1/widgets", secret_key)
        self.assertEqual(listed.status, 200, listed.body)
        return [widget["id"] for widget in listed.json()["widgets"]]

    def chat_answers(self, publishable_key: str, text: str = QUESTION) -> Chat:
        answered = chat(world.sitekit.url, ORIGIN, publishable_key, text)
        self.assertEqual(answered.status, 200, answered.error_code)
        self.assertTrue(answered.finished, answered.events[-3:])
        # The echo flow (flows/echo.py) answers with the question itself.
        self.assertEqual(answered.text, text)
        return answered

    def provisioned(self, limits: Optional[dict] = None) -> tuple[str, str]:
        """(resource uuid, widget id) of a purchase the agent made from its event."""
        placed = self.place_create(limits)
        self.wait_order_finished(placed["order"])
        return placed["resource"], world.stand_in.resource(placed["resource"])["backend_id"]


class OrdersByEvents(EventModeTest):
    def test_an_order_placed_while_the_agent_listens_is_a_widget_that_answers_in_seconds(
        self,
    ) -> None:
        assert world.event_agent is not None
        started = time.monotonic()
        placed = self.place_create()
        self.wait_order_finished(placed["order"])
        provisioned = time.monotonic() - started
        self.assert_found_by_event_alone(placed["order"])

        resource = world.stand_in.resource(placed["resource"])
        self.assertEqual(resource["state"], "OK")
        self.assertTrue(resource["backend_id"].startswith("wgt_"), resource["backend_id"])
        keys = self.keys(placed["resource"])
        self.assertEqual(sorted(keys), ["pub", "sec"])
        snippet = next(e["url"] for e in resource["endpoints"] if e["name"].startswith("Chat"))
        self.assertIn(f'data-key="{keys["pub"]["api_key"]}"', snippet)

        self.chat_answers(keys["pub"]["api_key"])
        answered = time.monotonic() - started
        print(
            f"\npurchase -> first streamed answer (event mode): {answered:.1f} s "
            f"(order done in {provisioned:.2f} s; the polling agent's floor is "
            f"{POLLING_FLOOR_SECONDS} s)",
            file=sys.stderr,
        )
        self.assert_queue_drained()
        self.assertNotIn("Failed to process order", world.event_agent.log_text())

    def test_an_update_and_a_terminate_are_applied_as_they_are_ordered(self) -> None:
        resource_uuid, widget_id = self.provisioned(limits={"messages": 100})
        self.assertEqual(self.widget(widget_id)["widget"]["monthlyMessageBudget"], 100)
        key = self.keys(resource_uuid)["pub"]["api_key"]

        order = world.templates.order(
            "update/attributes-and-limits.json",
            marketplace_resource_uuid=resource_uuid,
            resource_name=world.stand_in.resource(resource_uuid)["name"],
        )
        # The shipped update templates only know SLURM's limits.
        order["limits"] = {"messages": 1}
        updated = world.stand_in.place(order)
        self.wait_order_finished(updated["order"])
        self.assert_found_by_event_alone(updated["order"])
        self.assertEqual(self.widget(widget_id)["widget"]["monthlyMessageBudget"], 1)
        # The visitor notices: one message this month, then the chat is over budget.
        self.chat_answers(key)
        usage = wait_until(
            "the message to be counted",
            lambda: (
                u
                if (
                    u := world.operator(
                        "GET", f"/v1/operator/widgets/{widget_id}/usage?month={this_month()}"
                    ).json()
                )["messages"]
                >= 1
                else None
            ),
        )
        refused = chat(world.sitekit.url, ORIGIN, key, "One more?")
        self.assertEqual((refused.status, refused.error_code), (429, "budget_exhausted"))

        ended = self.place("terminate/basic.json", resource_uuid)
        self.wait_order_finished(ended["order"])
        self.assert_found_by_event_alone(ended["order"])
        self.assertEqual(world.stand_in.resource(resource_uuid)["state"], "Terminated")
        self.assertEqual(self.widget(widget_id)["status"], 404)
        self.assertNotEqual(session(world.sitekit.url, ORIGIN, key).status, 200)
        # The final usage is billed by the terminate itself (event mode does
        # not report; the plugin reads the event agent's own configuration).
        held = world.stand_in.state()["usages"][
            f"{resource_uuid.replace('-', '')} {this_month()}-01"
        ]
        self.assertEqual(float(held["messages"]), usage["messages"])

    def test_an_order_placed_while_the_agent_is_down_is_done_once_it_is_back(self) -> None:
        assert world.event_agent is not None
        world.event_agent.stop()
        try:
            placed = self.place_create()
            # Waldur's message waits in the agent's queue.
            self.assertEqual(world.events.queue_state(), {"messages": 1, "consumers": 0})
            self.assertEqual(world.stand_in.order(placed["order"])["state"], "pending-provider")
        finally:
            world.event_agent.start()
        # The start-up pass did it (it lists the offering's orders), then the
        # waiting message arrived for an order already done: one of everything.
        self.wait_order_finished(placed["order"])
        self.assertGreaterEqual(world.stand_in.state()["listed"].get(placed["order"], 0), 1)
        self.assert_queue_drained()
        keys = self.keys(placed["resource"])
        self.assertEqual(sorted(keys), ["pub", "sec"])
        widget_id = world.stand_in.resource(placed["resource"])["backend_id"]
        self.assertEqual(self.widgets_seen_with(keys["sec"]["api_key"]), [widget_id])
        self.chat_answers(keys["pub"]["api_key"])


class PauseByEvents(EventModeTest):
    def test_a_resource_paused_in_waldur_stops_its_chat_at_once_and_restored_answers_again(
        self,
    ) -> None:
        resource_uuid, widget_id = self.provisioned()
        key = self.keys(resource_uuid)["pub"]["api_key"]

        world.stand_in.set_paused(resource_uuid, True)
        wait_until(
            "the widget to be paused",
            lambda: self.widget(widget_id)["widget"]["paused"],
            timeout=EVENT_TIMEOUT,
        )
        refused = chat(world.sitekit.url, ORIGIN, key, QUESTION)
        self.assertEqual((refused.status, refused.error_code), (403, "widget_paused"))

        world.stand_in.set_paused(resource_uuid, False)
        wait_until(
            "the widget to be restored",
            lambda: not self.widget(widget_id)["widget"]["paused"],
            timeout=EVENT_TIMEOUT,
        )
        self.chat_answers(key)
        sent = [e for e in world.stand_in.state()["events"] if e["object_type"] == "resource"]
        self.assertEqual([e["paused"] for e in sent[-2:]], [True, False])


class KeyRotationByEvents(EventModeTest):
    def test_rotating_the_secret_key_in_waldur_replaces_it_and_the_old_one_stops_working(
        self,
    ) -> None:
        resource_uuid, widget_id = self.provisioned()
        keys = self.keys(resource_uuid)
        old = keys["sec"]

        rotating = world.stand_in.rotate_key(old["uuid"])
        self.assertEqual(rotating["state"], "Updating")
        rotated = wait_until(
            "the rotated key to be in Waldur",
            lambda: (k := world.stand_in.api_key(old["uuid"]))["state"] != "Updating" and k,
            timeout=EVENT_TIMEOUT,
        )
        self.assertEqual(rotated["state"], "OK", rotated.get("error_message"))
        # The key id is the client id: both change, and Waldur holds the new pair.
        self.assertNotEqual(rotated["client_id"], old["client_id"])
        self.assertNotEqual(rotated["api_key"], old["api_key"])
        self.assertEqual(self.widgets_seen_with(rotated["api_key"]), [widget_id])
        wait_until(
            "the old secret key to stop working",
            lambda: world.sitekit.operator("GET", "/v1/widgets", old["api_key"]).status == 401,
            timeout=15,
        )

        # The publishable key is the snippet's, on the buyer's pages: Waldur
        # shows the rotation as failed, with why, and the chat goes on.
        pub = keys["pub"]
        world.stand_in.rotate_key(pub["uuid"])
        failed = wait_until(
            "the publishable key's rotation to be answered",
            lambda: (k := world.stand_in.api_key(pub["uuid"]))["state"] != "Updating" and k,
            timeout=EVENT_TIMEOUT,
        )
        self.assertEqual(failed["state"], "Erred")
        self.assertIn("rotated on the Site Kit dashboard", failed["error_message"])
        self.assertEqual(failed["api_key"], pub["api_key"])
        self.chat_answers(pub["api_key"])


if __name__ == "__main__":
    unittest.main()
