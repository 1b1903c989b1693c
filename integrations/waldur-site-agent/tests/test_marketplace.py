"""A Waldur buyer's purchase, end to end, through the real site agent.

Orders are placed in the Waldur stand-in (rendered by the agent's own
`waldur_site_test_order` templates), the real `waldur_site_agent` CLI
processes them with the plugin against a real `sitekit serve` and a real
Langflow, and every test checks what a buyer, a visitor or the service
provider's bill would show. These run the polling modes one cycle at a time;
test_event_mode.py runs event mode (and key rotation, which only it has).

Run from integrations/waldur-site-agent: python -m unittest discover -s tests -v
"""

from __future__ import annotations

import datetime as dt
import sys
import time
import unittest
import uuid
from typing import Any, Optional

from harness import World, chat, session, wait_until

ORIGIN = "https://shop.example.com"
OTHER_ORIGIN = "https://elsewhere.example.net"
QUESTION = "How do I install the snippet?"

world: World


def setUpModule() -> None:
    global world  # noqa: PLW0603 (one world for the module's tests: starting it is slow)
    world = World()


def tearDownModule() -> None:
    world.close()


def this_month() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m")


class Purchase:
    """One resource bought in the stand-in, and what the plugin made of it."""

    def __init__(self, resource_uuid: str, customer_uuid: str, order_uuid: str) -> None:
        self.resource_uuid = resource_uuid
        self.customer_uuid = customer_uuid
        self.order_uuid = order_uuid

    @property
    def resource(self) -> dict:
        return world.stand_in.resource(self.resource_uuid)

    @property
    def widget_id(self) -> str:
        return self.resource["backend_id"]

    def keys(self) -> dict[str, dict]:
        """Waldur's resource API keys by kind: {"pub": ..., "sec": ...}."""
        keys = world.stand_in.api_keys(self.resource_uuid)
        by_kind = {key["api_key"].split("_")[1]: key for key in keys}
        assert len(by_kind) == len(keys), "two keys of one kind in Waldur"
        return by_kind

    def endpoint(self, name_start: str) -> str:
        found = [e["url"] for e in self.resource["endpoints"] if e["name"].startswith(name_start)]
        assert len(found) == 1, self.resource["endpoints"]
        return found[0]


class MarketplaceTest(unittest.TestCase):
    def order(self, template: str, purchase: Optional[Purchase] = None, **fields: Any) -> dict:
        """An order of the agent's harness template, pending as a buyer's would be."""
        if purchase is not None:
            fields.setdefault("marketplace_resource_uuid", purchase.resource_uuid)
            fields.setdefault("resource_name", purchase.resource["name"])
        return world.templates.order(template, **fields)

    def place_create(
        self,
        customer_uuid: Optional[str] = None,
        attributes: Optional[dict] = None,
        limits: Optional[dict] = None,
        customer_name: str = "Buyer Ltd",
    ) -> Purchase:
        customer_uuid = customer_uuid or str(uuid.uuid4())
        order = self.order(
            "create/basic.json",
            resource_name=f"chat-{uuid.uuid4().hex[:6]}",
            marketplace_resource_uuid=str(uuid.uuid4()),
            customer_uuid=customer_uuid,
            attributes=attributes
            if attributes is not None
            else {
                "allowed_origins": [ORIGIN],
                "title": "Shop help",
                "greeting": "Hi!",
                "locale": "en",
            },
        )
        if limits:
            # The shipped create templates only know SLURM's limits.
            order["limits"] = limits
        placed = world.stand_in.place(order, customer_name)
        return Purchase(placed["resource"], customer_uuid, placed["order"])

    def provisioned(self, **kwargs: Any) -> Purchase:
        purchase = self.place_create(**kwargs)
        world.agent.run("order_process")
        self.assert_order_state(purchase.order_uuid, "done")
        return purchase

    def assert_order_state(self, order_uuid: str, state: str) -> dict:
        order = world.stand_in.order(order_uuid)
        self.assertEqual(order["state"], state, order.get("error_message"))
        return order

    def organisations_of(self, customer_uuid: str) -> list[dict]:
        listed = world.operator("GET", "/v1/operator/organisations")
        self.assertEqual(listed.status, 200, listed.body)
        return [
            o
            for o in listed.json()["organisations"]
            if o.get("externalId") == uuid.UUID(customer_uuid).hex
        ]

    def server_keys(self, organisation_id: str) -> list[dict]:
        listed = world.operator("GET", f"/v1/operator/organisations/{organisation_id}/keys")
        self.assertEqual(listed.status, 200, listed.body)
        return listed.json()["keys"]

    def widgets_seen_with(self, secret_key: str) -> list[str]:
        listed = world.sitekit.operator("GET", "/v1/widgets", secret_key)
        self.assertEqual(listed.status, 200, listed.body)
        return [widget["id"] for widget in listed.json()["widgets"]]

    def server_usage(self, widget_id: str) -> dict:
        answer = world.operator(
            "GET", f"/v1/operator/widgets/{widget_id}/usage?month={this_month()}"
        )
        self.assertEqual(answer.status, 200, answer.body)
        return answer.json()

    def chat_answers(self, publishable_key: str, text: str = QUESTION) -> None:
        answered = chat(world.sitekit.url, ORIGIN, publishable_key, text)
        self.assertEqual(answered.status, 200, answered.error_code)
        self.assertTrue(answered.finished, answered.events[-3:])
        # The echo flow (flows/echo.py) answers with the question itself.
        self.assertEqual(answered.text, text)

    def wait_usage_messages(self, widget_id: str, messages: int) -> dict:
        """The server's usage once it counts `messages` (records follow a run's end)."""

        def counted() -> Optional[dict]:
            usage = self.server_usage(widget_id)
            return usage if usage["messages"] >= messages else None

        return wait_until(f"{messages} messages in the usage of {widget_id}", counted, timeout=30)

    def assert_reported(self, purchase: Purchase, usage: dict) -> None:
        """Waldur holds exactly the server's month-to-date totals for this month."""
        period = f"{this_month()}-01"
        held = world.stand_in.state()["usages"][
            f"{purchase.resource_uuid.replace('-', '')} {period}"
        ]
        self.assertEqual(
            {kind: float(amount) for kind, amount in held.items()},
            {
                "messages": usage["messages"],
                "input_tokens": usage["inputTokens"],
                "output_tokens": usage["outputTokens"],
            },
        )


class CreateOrder(MarketplaceTest):
    def test_a_purchase_becomes_a_widget_that_answers_with_the_keys_reported_to_waldur(
        self,
    ) -> None:
        purchase = self.place_create()
        # From the moment the order is in Waldur, with the agent polling (its
        # first cycle runs as it starts; test_event_mode.py measures event mode).
        started = time.monotonic()
        world.agent.run("order_process")
        self.assert_order_state(purchase.order_uuid, "done")
        resource = purchase.resource
        self.assertTrue(purchase.widget_id.startswith("wgt_"), resource["backend_id"])
        self.assertEqual(resource["state"], "OK")

        # Endpoints: the dashboard, and the snippet to paste, holding the key
        # Waldur reported as the publishable one.
        self.assertEqual(purchase.endpoint("Site Kit dashboard"), f"{world.sitekit.url}/dashboard")
        snippet = purchase.endpoint("Chat widget snippet")
        keys = purchase.keys()
        self.assertEqual(sorted(keys), ["pub", "sec"])
        self.assertIn(f'data-key="{keys["pub"]["api_key"]}"', snippet)
        self.assertIn(f"{world.sitekit.url}/v1/loader.js", snippet)
        self.assertEqual(resource["backend_metadata"]["widget_id"], purchase.widget_id)
        self.assertEqual(resource["backend_metadata"]["snippet"], snippet)

        # A visitor of the allowed site chats through the publishable key ...
        self.chat_answers(keys["pub"]["api_key"])
        elapsed = time.monotonic() - started
        print(
            f"\npurchase -> first streamed answer: {elapsed:.1f} s (polling agent, "
            "one order_process cycle)",
            file=sys.stderr,
        )
        # ... a page on another site cannot start a session with it ...
        self.assertNotEqual(
            session(world.sitekit.url, OTHER_ORIGIN, keys["pub"]["api_key"]).status, 200
        )
        # ... and the secret key opens the buyer's admin API, on its own widget.
        self.assertEqual(self.widgets_seen_with(keys["sec"]["api_key"]), [purchase.widget_id])

        # Client ids are the server's key ids, so the buyer can match them.
        organisation = self.organisations_of(purchase.customer_uuid)[0]
        server_keys = {key["id"]: key for key in self.server_keys(organisation["id"])}
        self.assertEqual(server_keys[keys["pub"]["client_id"]]["kind"], "pub")
        self.assertEqual(server_keys[keys["sec"]["client_id"]]["kind"], "sec")
        self.assertEqual(organisation["name"], "Buyer Ltd")
        self.assertEqual(organisation["roles"], ["buyer"])

    def test_a_second_purchase_of_the_same_customer_reuses_its_organisation(self) -> None:
        customer = str(uuid.uuid4())
        first = self.provisioned(customer_uuid=customer)
        second = self.provisioned(customer_uuid=customer)
        self.assertNotEqual(first.widget_id, second.widget_id)
        self.assertEqual(len(self.organisations_of(customer)), 1)
        # Each resource's secret key sees the organisation's widgets.
        self.assertEqual(
            sorted(self.widgets_seen_with(second.keys()["sec"]["api_key"])),
            sorted([first.widget_id, second.widget_id]),
        )


class Idempotency(MarketplaceTest):
    def assert_one_of_everything(self, purchase: Purchase) -> None:
        organisations = self.organisations_of(purchase.customer_uuid)
        self.assertEqual(len(organisations), 1)
        keys = purchase.keys()
        self.assertEqual(sorted(keys), ["pub", "sec"])
        self.assertEqual(self.widgets_seen_with(keys["sec"]["api_key"]), [purchase.widget_id])
        live = [key for key in self.server_keys(organisations[0]["id"]) if not key["revoked"]]
        self.assertEqual(
            sorted(key["id"] for key in live),
            sorted([keys["pub"]["client_id"], keys["sec"]["client_id"]]),
        )
        self.chat_answers(keys["pub"]["api_key"])

    def test_an_order_processed_twice_leaves_one_of_everything(self) -> None:
        purchase = self.place_create()
        # Waldur fails the first "done": the agent retries the order in the
        # same run and processes it a second time from the start.
        world.stand_in.fault(
            method="POST", path_suffix="/set_state_done/", action="fail", status=503
        )
        world.agent.run("order_process")
        self.assert_order_state(purchase.order_uuid, "done")
        self.assert_one_of_everything(purchase)

    def test_an_agent_that_dies_between_the_two_keys_is_resumed_with_one_set_of_keys(self) -> None:
        purchase = self.place_create()
        # The agent dies after making the secret key, before Waldur learns it.
        world.stand_in.fault(
            method="POST", path_suffix="/report_created/", skip=1, action="hold", then="drop"
        )
        process, _ = world.agent.start("order_process")
        try:
            wait_until("the second key report", lambda: world.stand_in.state()["held"], timeout=60)
        finally:
            process.kill()
            process.wait(timeout=15)
            world.stand_in.release()
        self.assertEqual(len(purchase.keys()), 1)
        self.assert_order_state(purchase.order_uuid, "executing")

        world.agent.run("order_process")
        self.assert_order_state(purchase.order_uuid, "done")
        self.assert_one_of_everything(purchase)


class EmbedServerDown(MarketplaceTest):
    def test_an_order_placed_while_the_server_is_down_waits_then_succeeds(self) -> None:
        purchase = self.place_create()
        world.sitekit.stop()
        try:
            # Down before the cycle: the order is not even taken.
            world.agent.run("order_process")
            self.assert_order_state(purchase.order_uuid, "pending-provider")

            # Down in the middle of the order: taken, then left for later.
            world.sitekit.start()
            resource_hex = purchase.resource_uuid.replace("-", "")
            world.stand_in.fault(
                method="GET",
                path_suffix=f"/marketplace-provider-resources/{resource_hex}/",
                action="hold",
            )
            process, log = world.agent.start("order_process")
            cycles = world.stand_in.state()["cycle_ends"]
            try:
                wait_until(
                    "the order to be taken", lambda: world.stand_in.state()["held"], timeout=60
                )
                world.sitekit.stop()
                world.stand_in.release()
                world.agent.wait_cycle(process, log, cycles)
            finally:
                world.agent.stop(process)
            self.assertIn("will retry on the next cycle", log.read_text())
            self.assert_order_state(purchase.order_uuid, "executing")
            self.assertEqual(purchase.resource["backend_id"], "")
        finally:
            if world.sitekit.process is None:
                world.sitekit.start()

        world.agent.run("order_process")
        self.assert_order_state(purchase.order_uuid, "done")
        self.chat_answers(purchase.keys()["pub"]["api_key"])


class UsageReport(MarketplaceTest):
    def test_report_sends_the_servers_month_to_date_totals_once(self) -> None:
        purchase = self.provisioned()
        key = purchase.keys()["pub"]["api_key"]
        self.chat_answers(key)
        self.chat_answers(key, "And the second question?")
        usage = self.wait_usage_messages(purchase.widget_id, 2)
        self.assertEqual(usage["messages"], 2)

        world.agent.run("report")
        self.assert_reported(purchase, usage)
        sent = len(world.stand_in.usage_reports(purchase.resource_uuid))
        self.assertGreaterEqual(sent, 1)

        # Nothing new: a second report sends nothing.
        world.agent.run("report")
        self.assertEqual(len(world.stand_in.usage_reports(purchase.resource_uuid)), sent)

        # More chat: the next report sends the new totals, not the difference.
        self.chat_answers(key, "A third one")
        usage = self.wait_usage_messages(purchase.widget_id, 3)
        world.agent.run("report")
        self.assert_reported(purchase, usage)


class UpdateOrder(MarketplaceTest):
    def test_a_new_messages_limit_becomes_the_widgets_monthly_budget(self) -> None:
        purchase = self.provisioned(limits={"messages": 100})
        widget = world.operator("GET", f"/v1/operator/widgets/{purchase.widget_id}").json()
        self.assertEqual(widget["widget"]["monthlyMessageBudget"], 100)

        order = self.order("update/attributes-and-limits.json", purchase)
        # The shipped update templates only know SLURM's limits.
        order["limits"] = {"messages": 1}
        placed = world.stand_in.place(order)
        world.agent.run("order_process")
        self.assert_order_state(placed["order"], "done")
        widget = world.operator("GET", f"/v1/operator/widgets/{purchase.widget_id}").json()
        self.assertEqual(widget["widget"]["monthlyMessageBudget"], 1)

        # A visitor notices: one message a month, then the chat is over budget.
        key = purchase.keys()["pub"]["api_key"]
        self.chat_answers(key)
        self.wait_usage_messages(purchase.widget_id, 1)
        refused = chat(world.sitekit.url, ORIGIN, key, "One more?")
        self.assertEqual((refused.status, refused.error_code), (429, "budget_exhausted"))


class PauseAndRestore(MarketplaceTest):
    def test_a_paused_resource_stops_its_chat_until_restored(self) -> None:
        purchase = self.provisioned()
        key = purchase.keys()["pub"]["api_key"]
        world.stand_in.set_paused(purchase.resource_uuid, True)
        world.agent.run("membership_sync")
        refused = chat(world.sitekit.url, ORIGIN, key, QUESTION)
        self.assertEqual((refused.status, refused.error_code), (403, "widget_paused"))
        self.assertTrue(purchase.resource["backend_metadata"]["paused"])

        world.stand_in.set_paused(purchase.resource_uuid, False)
        world.agent.run("membership_sync")
        self.chat_answers(key)
        self.assertFalse(purchase.resource["backend_metadata"]["paused"])


class TerminateOrder(MarketplaceTest):
    def test_terminate_reports_the_final_usage_revokes_the_keys_and_deletes_the_widget(
        self,
    ) -> None:
        purchase = self.provisioned()
        keys = purchase.keys()
        self.chat_answers(keys["pub"]["api_key"])
        usage = self.wait_usage_messages(purchase.widget_id, 1)

        placed = world.stand_in.place(self.order("terminate/basic.json", purchase))
        world.agent.run("order_process")
        self.assert_order_state(placed["order"], "done")
        self.assertEqual(purchase.resource["state"], "Terminated")

        # The usage since the last report (there was none) is billed.
        self.assert_reported(purchase, usage)
        # The widget is gone, and so is every way in.
        gone = world.operator("GET", f"/v1/operator/widgets/{purchase.widget_id}")
        self.assertEqual(gone.status, 404)
        wait_until(
            "the secret key to stop working",
            lambda: (
                world.sitekit.operator("GET", "/v1/widgets", keys["sec"]["api_key"]).status == 401
            ),
            timeout=15,
        )
        self.assertNotEqual(session(world.sitekit.url, ORIGIN, keys["pub"]["api_key"]).status, 200)

    def test_terminate_of_a_widget_deleted_already_completes(self) -> None:
        purchase = self.provisioned()
        deleted = world.operator("DELETE", f"/v1/operator/widgets/{purchase.widget_id}")
        self.assertEqual(deleted.status, 204)
        placed = world.stand_in.place(self.order("terminate/basic.json", purchase))
        world.agent.run("order_process")
        self.assert_order_state(placed["order"], "done")
        self.assertEqual(purchase.resource["state"], "Terminated")


class HostileOrder(MarketplaceTest):
    def assert_refused(self, attributes: dict, *expected: str) -> Purchase:
        purchase = self.place_create(attributes=attributes)
        world.agent.run("order_process")
        order = self.assert_order_state(purchase.order_uuid, "erred")
        for text in expected:
            self.assertIn(text, order["error_message"])
        self.assertEqual(purchase.resource["backend_id"], "")
        self.assertEqual(world.stand_in.api_keys(purchase.resource_uuid), [])
        return purchase

    def test_an_origin_that_is_not_an_origin_errs_the_order_before_anything_is_made(self) -> None:
        for bad in (
            "javascript:alert(1)",
            "https://shop.example.com/path?x=<script>",
            "https://a.example\n.com",
        ):
            with self.subTest(origin=bad):
                purchase = self.assert_refused(
                    {"allowed_origins": [bad]}, "allowed_origins", "is not a website origin"
                )
                # Not even the customer's organisation was made.
                self.assertEqual(self.organisations_of(purchase.customer_uuid), [])

    def test_attributes_of_the_wrong_shape_err_the_order(self) -> None:
        self.assert_refused({"allowed_origins": {"url": ORIGIN}}, "allowed_origins must be a list")
        self.assert_refused({"allowed_origins": []}, "no allowed_origins")
        self.assert_refused({"allowed_origins": [ORIGIN], "title": "x" * 81}, "title")
        self.assert_refused({"allowed_origins": [ORIGIN], "locale": "en<script>"}, "locale")

    def test_an_origin_the_server_refuses_errs_the_order_with_its_message(self) -> None:
        # A wildcard below a public suffix: the embed server's own rule.
        purchase = self.assert_refused({"allowed_origins": "https://*.co.uk"}, "too broad")
        # The customer's organisation (which its next purchase reuses) and a
        # subscription exist; no widget, so no key and nothing to bill.
        organisations = self.organisations_of(purchase.customer_uuid)
        self.assertEqual(len(organisations), 1)
        self.assertEqual(self.server_keys(organisations[0]["id"]), [])


if __name__ == "__main__":
    unittest.main()
