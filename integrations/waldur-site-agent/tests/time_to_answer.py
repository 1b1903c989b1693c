"""Time from a Waldur purchase to the first streamed answer, for the benchmark.

Starts what the tests start (harness.World: a real `sitekit serve`, the Waldur
stand-in, the real site agent and, in event mode, a private RabbitMQ), then:

1. event mode (the default): starts `waldur_site_agent -m event_process` and
   waits until it listens on its queue (its start-up is not measured: a
   production agent is already running when a buyer orders);
   polling mode (`--mode polling`): nothing is running yet;
2. places a Create order in the stand-in: the clock starts;
3. event mode: waits for the order to be done (the agent acts on Waldur's
   message); polling mode: runs one `order_process` cycle (its best case: the
   agent's first cycle runs as it starts; a running one wakes once a minute);
4. as a visitor of an allowed site, over HTTP as the widget does
   (`POST /v1/sessions`, then `POST /v1/chat`, read as a stream), asks a
   question with the publishable key Waldur shows the buyer;
5. prints one JSON line on stdout and exits 0:

     {"mode": "event", "provisionedMs": 412, "firstAnswerMs": 780}

   provisionedMs: order placed -> order done in Waldur; firstAnswerMs: order
   placed -> the first text of the answer arrived. On failure it prints
   {"error": "..."}, says the error on stderr too, and exits 1. Progress goes
   to stderr; no key is printed.

Run: .venv-waldur/bin/python integrations/waldur-site-agent/tests/time_to_answer.py
     [--mode event|polling]
Environment: SITEKIT_TEST_LANGFLOW_URL and SITEKIT_TEST_LANGFLOW_KEY (a
Langflow serving the repository's flows/), SITEKIT_BIN, SITEKIT_ASSETS_DIR (as
the tests). Event mode needs RabbitMQ (Debian package rabbitmq-server).
"""

from __future__ import annotations

import argparse
import http.client
import json
import sys
import time
import uuid
from urllib.parse import urlparse

from harness import EVENT_TIMEOUT, World, session, wait_until

ORIGIN = "https://shop.example.com"
QUESTION = "How do I install the snippet?"
# The longest a visitor's answer may take to start and finish streaming.
CHAT_TIMEOUT = 120


def first_streamed_text(server_url: str, publishable_key: str, text: str) -> float:
    """Ask `text` as a visitor; the monotonic time the answer's first text arrived."""
    started = session(server_url, ORIGIN, publishable_key)
    if started.status != 200:
        raise RuntimeError(f"the visitor's session was refused: {started.error_code}")
    url = urlparse(server_url)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=CHAT_TIMEOUT)
    run = uuid.uuid4().hex
    body = {
        "threadId": f"thread-{run}",
        "runId": f"run-{run}",
        "messages": [{"id": f"m-{run}", "role": "user", "content": text}],
    }
    try:
        connection.request(
            "POST",
            "/v1/chat",
            json.dumps(body),
            {
                "Content-Type": "application/json",
                "Authorization": f"Bearer {started.json()['token']}",
                "Origin": ORIGIN,
            },
        )
        response = connection.getresponse()
        if response.status != 200:
            raise RuntimeError(f"the chat was refused: {response.status}")
        while True:
            line = response.readline()
            if not line:
                raise RuntimeError("the answer ended without any text")
            if not line.startswith(b"data: "):
                continue
            event = json.loads(line[len(b"data: ") :])
            if event.get("type") == "TEXT_MESSAGE_CONTENT" and event.get("delta"):
                return time.monotonic()
            if event.get("type") in ("RUN_ERROR", "RUN_FINISHED"):
                raise RuntimeError(f"the answer ended without any text: {event.get('type')}")
    finally:
        connection.close()


def measure(world: World, mode: str) -> dict:
    """Buy, wait for the widget, chat: the two times, in milliseconds from the order."""
    order = world.templates.order(
        "create/basic.json",
        resource_name=f"chat-{uuid.uuid4().hex[:6]}",
        marketplace_resource_uuid=str(uuid.uuid4()),
        customer_uuid=str(uuid.uuid4()),
        attributes={"allowed_origins": [ORIGIN], "title": "Shop help", "locale": "en"},
    )
    started = time.monotonic()
    placed = world.stand_in.place(order)
    if mode == "event":
        wait_until(
            "the order to be finished",
            lambda: world.stand_in.order(placed["order"])["state"] in ("done", "erred"),
            timeout=EVENT_TIMEOUT,
            every=0.05,
        )
    else:
        world.agent.run("order_process")
    state = world.stand_in.order(placed["order"])
    if state["state"] != "done":
        raise RuntimeError(f"the order is {state['state']}: {state.get('error_message', '')}")
    provisioned = time.monotonic()
    keys = world.stand_in.api_keys(placed["resource"])
    publishable = next(k["api_key"] for k in keys if k["api_key"].startswith("skt_pub_"))
    answered = first_streamed_text(world.sitekit.url, publishable, QUESTION)
    return {
        "mode": mode,
        "provisionedMs": round((provisioned - started) * 1000),
        "firstAnswerMs": round((answered - started) * 1000),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--mode", choices=("event", "polling"), default="event")
    args = parser.parse_args()
    world = None
    try:
        print(f"starting ({args.mode} mode) ...", file=sys.stderr)
        world = World(events=args.mode == "event")
        if world.event_agent is not None:
            world.event_agent.start()
        result = measure(world, args.mode)
    except Exception as error:  # one JSON line for the caller, whatever failed
        message = f"{type(error).__name__}: {error}"
        # stderr too: a caller that only reads stdout on success shows it to the reader.
        print(f"error: {message}", file=sys.stderr)
        print(json.dumps({"error": message}), flush=True)
        return 1
    finally:
        if world is not None:
            world.close()
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
