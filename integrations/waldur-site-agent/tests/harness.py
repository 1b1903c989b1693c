"""What the end-to-end tests run against, all of it real but Waldur.

- a `sitekit serve` on a fresh SQLite database, seeded through the real
  `sitekit` CLI with a seller whose published agent runs a Langflow flow;
- the Waldur stand-in (waldur_stand_in.py), the only double;
- the real site agent CLI (`waldur_site_agent -m <mode> -c <config>`) of this
  virtual environment, with the plugin installed: the polling modes one cycle
  at a time, and event mode (`event_process`) running until stopped;
- for event mode, a private RabbitMQ (broker.py) that the stand-in publishes
  Waldur's events to and the agent consumes over STOMP on a WebSocket;
- visitors' chats over HTTP, as the widget makes them (`POST /v1/sessions`
  with an `Origin`, then `POST /v1/chat`, AG-UI server-sent events).

Environment: SITEKIT_BIN (default: the repository's target/debug/sitekit),
SITEKIT_ASSETS_DIR (default: the repository's dist/), SITEKIT_TEST_LANGFLOW_URL
and SITEKIT_TEST_LANGFLOW_KEY (a Langflow serving the repository's flows/).
Secrets (the operator key, the keys the plugin makes) are never printed.
No process started here reads the caller's stdin (marketplace_session.py
reads its commands there).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any, Optional

import yaml
from broker import WEB_STOMP_PATH, Broker

REPO = Path(__file__).resolve().parents[3]
HERE = Path(__file__).resolve().parent
BIN_DIR = Path(sys.executable).parent
HTTP_TIMEOUT = 30
# A cycle of the agent is a few HTTP round trips, plus the agent's own 5 s
# pauses when it retries; this is the most a test waits for one.
CYCLE_TIMEOUT = 120
# Event mode's start: the agent's imports, its initial order and membership
# pass, registering its queue and subscribing to it.
LISTEN_TIMEOUT = 120
# How long a test waits for the agent to act on one event (a few REST round
# trips and operator API calls; the agent's own retries pause 5 s each).
EVENT_TIMEOUT = 60
OPERATOR_KEY_ENV = "SITEKIT_OPERATOR_KEY"


def require_env(name: str) -> str:
    value = os.environ.get(name, "")
    if not value:
        raise RuntimeError(
            f"{name} is not set: the tests need a Langflow serving flows/ "
            "(see integrations/waldur-site-agent/README.md, Tests)"
        )
    return value


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- HTTP ---------------------------------------------------------------------


class Answer:
    """An HTTP answer: status, headers and body, read whole (bounded by the timeout)."""

    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    @property
    def error_code(self) -> Optional[str]:
        try:
            return (self.json() or {}).get("error", {}).get("code")
        except (ValueError, AttributeError):
            return None


def http(
    method: str,
    url: str,
    body: Any = None,
    headers: Optional[dict[str, str]] = None,
    timeout: float = HTTP_TIMEOUT,
) -> Answer:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    for name, value in {"Content-Type": "application/json", **(headers or {})}.items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return Answer(response.status, dict(response.headers), response.read())
    except urllib.error.HTTPError as error:
        return Answer(error.code, dict(error.headers), error.read())


def wait_until(what: str, check: Any, timeout: float = 30, every: float = 0.2) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(every)


# --- the embed server -----------------------------------------------------------


class Sitekit:
    """A `sitekit serve` on a database of its own, and its CLI on that database."""

    def __init__(self, workdir: Path) -> None:
        self.bin = os.environ.get("SITEKIT_BIN") or str(REPO / "target/debug/sitekit")
        self.assets = os.environ.get("SITEKIT_ASSETS_DIR") or str(REPO / "dist")
        self.dir = workdir / "sitekit"
        self.dir.mkdir()
        self.database_url = f"sqlite://{self.dir}/sitekit.db"
        key_file = self.dir / "master.key"
        key_file.write_text(secrets.token_hex(32) + "\n")
        key_file.chmod(0o600)
        self.env = {
            **{k: v for k, v in os.environ.items() if k != "SITEKIT_MASTER_KEY"},
            "SITEKIT_LOG": "warn",
            "SITEKIT_MASTER_KEY_FILE": str(key_file),
        }
        # A fixed port, so the server can be stopped and started again at the
        # address the site agent is configured with.
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: Optional[subprocess.Popen] = None
        self.log = self.dir / "serve.log"

    def cli(self, *args: str, env: Optional[dict[str, str]] = None) -> Any:
        out = subprocess.run(
            [
                self.bin,
                "--database-url",
                self.database_url,
                "--runtime-allow",
                "127.0.0.1",
                *args,
                "--json",
            ],
            env={**self.env, **(env or {})},
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=60,
            check=False,
        )
        if out.returncode != 0:
            raise RuntimeError(f"sitekit {args[0]} {args[1]} failed: {out.stderr.decode()[-2000:]}")
        return json.loads(out.stdout)

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = self._serve(log)
        wait_until("the embed server to answer /healthz", self.healthy, timeout=60)

    def _serve(self, log: Any) -> subprocess.Popen:
        return subprocess.Popen(
            [
                self.bin,
                "serve",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--database-url",
                self.database_url,
                "--assets-dir",
                self.assets,
                "--runtime-allow",
                "127.0.0.1",
                "--public-url",
                self.url,
                # The tests' visitors all come from 127.0.0.1, and a revoked key
                # should stop working within a second.
                "--requests-per-ip-per-minute",
                "100000",
                "--sessions-per-ip-per-minute",
                "100000",
                "--admin-requests-per-ip-per-minute",
                "100000",
                "--key-refresh-secs",
                "1",
            ],
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
        )

    def healthy(self) -> bool:
        if self.process is not None and self.process.poll() is not None:
            raise RuntimeError(f"sitekit serve exited with {self.process.returncode}")
        try:
            return http("GET", f"{self.url}/healthz", timeout=2).status == 200
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=15)
        self.process = None

    # The operator API, as the tests check what the plugin made.

    def operator(self, method: str, path: str, key: str, body: Any = None) -> Answer:
        return http(method, self.url + path, body, {"Authorization": f"Bearer {key}"})


def langflow_flow_id(langflow_url: str, langflow_key: str, file: str) -> str:
    request = urllib.request.Request(f"{langflow_url}/flows", headers={"x-api-key": langflow_key})
    with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT) as response:
        flows = json.load(response)
    for flow in flows:
        if str(flow.get("relative_path", "")).endswith(file):
            return flow["id"]
    raise RuntimeError(f"Langflow does not serve {file}")


# --- a visitor --------------------------------------------------------------------


def session(server_url: str, origin: str, publishable_key: str) -> Answer:
    """`POST /v1/sessions` from a page on `origin`, as the widget does."""
    return http(
        "POST", f"{server_url}/v1/sessions", {"publishableKey": publishable_key}, {"Origin": origin}
    )


class Chat:
    """One visitor message and what came back: the answer text, or the refusal."""

    def __init__(self, answer: Answer) -> None:
        self.status = answer.status
        self.error_code = answer.error_code
        self.events: list[dict] = []
        if answer.status == 200:
            for line in answer.body.decode().splitlines():
                if line.startswith("data: "):
                    self.events.append(json.loads(line[len("data: ") :]))
        self.text = "".join(
            event.get("delta", "")
            for event in self.events
            if event.get("type") == "TEXT_MESSAGE_CONTENT"
        )

    @property
    def finished(self) -> bool:
        return bool(self.events) and self.events[-1].get("type") == "RUN_FINISHED"


def chat(server_url: str, origin: str, publishable_key: str, text: str) -> Chat:
    """A visitor on `origin` sends `text` through the widget of `publishable_key`."""
    started = session(server_url, origin, publishable_key)
    if started.status != 200:
        return Chat(started)
    token = started.json()["token"]
    run = uuid.uuid4().hex
    return Chat(
        http(
            "POST",
            f"{server_url}/v1/chat",
            {
                "threadId": f"thread-{run}",
                "runId": f"run-{run}",
                "messages": [{"id": f"m-{run}", "role": "user", "content": text}],
            },
            {"Authorization": f"Bearer {token}", "Origin": origin},
            timeout=120,
        )
    )


# --- Waldur -----------------------------------------------------------------------


class Events:
    """Waldur's side of the broker: the agent's queue, its login, and the publisher.

    Waldur makes these when the agent calls register_queue (a vhost named
    after the Waldur user, a RabbitMQ user for the agent whose password is
    the agent's API token, a queue `consumer_<uuid>`); here they are made
    before the stand-in starts, and the stand-in answers register_queue with
    them. The agent's user may only read its own queue.
    """

    def __init__(self, broker: Broker, agent_token: str) -> None:
        self.broker = broker
        self.vhost = uuid.uuid4().hex
        self.rmq_username = uuid.uuid4().hex
        self.queue = f"consumer_{uuid.uuid4().hex}"
        self.publisher = "waldur"
        self.publisher_password = secrets.token_hex(16)
        broker.add_vhost(self.vhost)
        broker.add_user(self.vhost, self.publisher, self.publisher_password)
        broker.add_user(self.vhost, self.rmq_username, agent_token, read=f"^{self.queue}$")

    def stand_in_args(self) -> list[str]:
        return [
            "--broker-host",
            self.broker.host,
            "--broker-stomp-port",
            str(self.broker.stomp_port),
            "--broker-vhost",
            self.vhost,
            "--broker-user",
            self.publisher,
            "--broker-rmq-username",
            self.rmq_username,
            "--broker-queue",
            self.queue,
        ]

    def queue_state(self) -> Optional[dict[str, int]]:
        """{"messages": waiting, "consumers": n} of the agent's queue, as RabbitMQ counts them."""
        return self.broker.queue(self.vhost, self.queue)


class StandIn:
    """The Waldur stand-in process and its test routes."""

    def __init__(
        self,
        workdir: Path,
        offering_uuid: str,
        sentinel_uuid: str,
        plugin_options: dict,
        token: Optional[str] = None,
        events: Optional[Events] = None,
    ) -> None:
        self.token = token or secrets.token_hex(16)
        env = dict(os.environ)
        if events is not None:
            env["WALDUR_STAND_IN_BROKER_PASSWORD"] = events.publisher_password
        with (workdir / "stand-in.log").open("wb") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    str(HERE / "waldur_stand_in.py"),
                    "--token",
                    self.token,
                    "--offering-uuid",
                    offering_uuid,
                    "--sentinel-offering-uuid",
                    sentinel_uuid,
                    "--plugin-options",
                    json.dumps(plugin_options),
                    *(events.stand_in_args() if events is not None else []),
                ],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=log,
                env=env,
            )
        assert self.process.stdout is not None
        first = self.process.stdout.readline().decode().strip()
        prefix = "waldur stand-in on "
        if not first.startswith(prefix):
            raise RuntimeError(f"the stand-in did not start: {first!r}")
        self.api_url = first[len(prefix) :]
        self.base = self.api_url[: -len("/api/")]

    def call(self, method: str, path: str, body: Any = None) -> Any:
        answer = http(method, self.base + path, body)
        if answer.status >= 300:
            raise RuntimeError(f"stand-in {method} {path}: {answer.status} {answer.body[:500]!r}")
        return answer.json()

    def state(self) -> dict:
        return self.call("GET", "/_test/state")

    def place(self, order: dict, customer_name: str = "Buyer Ltd") -> dict:
        return self.call("POST", "/_test/orders", {"order": order, "customer_name": customer_name})

    def order(self, order_uuid: str) -> dict:
        return next(o for o in self.state()["orders"] if o["uuid"] == order_uuid.replace("-", ""))

    def resource(self, resource_uuid: str) -> dict:
        wanted = resource_uuid.replace("-", "")
        return next(r for r in self.state()["resources"] if r["uuid"] == wanted)

    def api_keys(self, resource_uuid: str) -> list[dict]:
        wanted = resource_uuid.replace("-", "")
        return [k for k in self.state()["api_keys"] if k["resource_uuid"] == wanted]

    def usage_reports(self, resource_uuid: str) -> list[dict]:
        wanted = resource_uuid.replace("-", "")
        return [r for r in self.state()["usage_reports"] if r["resource"] == wanted]

    def set_paused(self, resource_uuid: str, paused: bool) -> None:
        self.call("PATCH", f"/_test/resources/{resource_uuid.replace('-', '')}", {"paused": paused})

    def rotate_key(self, key_uuid: str) -> dict:
        """A member rotates a resource API key in Waldur (the key becomes Updating)."""
        return self.call("POST", f"/_test/api-keys/{key_uuid.replace('-', '')}/rotate", {})

    def api_key(self, key_uuid: str) -> dict:
        wanted = key_uuid.replace("-", "")
        return next(k for k in self.state()["api_keys"] if k["uuid"] == wanted)

    def fault(self, **spec: Any) -> None:
        self.call("POST", "/_test/faults", spec)

    def release(self) -> None:
        self.call("POST", "/_test/release", {})

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=15)
        if self.process.stdout is not None:
            self.process.stdout.close()


def render_order(template: str, workdir: Path, **variables: Any) -> dict:
    """An OrderDetails from the agent's own template harness (`waldur_site_test_order`).

    The harness imports the whole agent (5 s), so the tests render each
    template once and vary its fields (see OrderTemplates).
    """
    out = workdir / f"order-{uuid.uuid4().hex}.json"
    args = [
        str(BIN_DIR / "waldur_site_test_order"),
        "--template",
        template,
        "--generate-only",
        "-o",
        str(out),
    ]
    for name, value in variables.items():
        # The harness reads a value that looks like JSON as JSON; a quoted
        # JSON text stays a string, which the templates' `from_json` expects.
        text = json.dumps(json.dumps(value)) if isinstance(value, (dict, list)) else str(value)
        args += ["--var", f"{name}={text}"]
    done = subprocess.run(
        args,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=60,
        check=False,
        cwd=workdir,
    )
    if done.returncode != 0 or not out.exists():
        raise RuntimeError(
            f"waldur_site_test_order failed: {done.stdout[-1500:]!r} {done.stderr[-1500:]!r}"
        )
    return json.loads(out.read_text())


class OrderTemplates:
    """Orders rendered by the agent's harness, one run of it per template.

    Each order is the template's rendering with the fields the test chooses
    set on it (new uuids, the resource, attributes, limits): the shape and
    every other field stay the template's.
    """

    def __init__(self, workdir: Path, offering_uuid: str) -> None:
        self.workdir = workdir
        self.offering_uuid = offering_uuid
        self.rendered: dict[str, dict] = {}

    def order(self, template: str, **fields: Any) -> dict:
        if template not in self.rendered:
            self.rendered[template] = render_order(
                template,
                self.workdir,
                offering_uuid=self.offering_uuid,
                resource_name="site-chat",
                marketplace_resource_uuid=str(uuid.uuid4()),
                state="pending-provider",
            )
        order = json.loads(json.dumps(self.rendered[template]))
        order["uuid"] = str(uuid.uuid4())
        order.update(fields)
        return order


class Agent:
    """The real site agent CLI, one cycle of a mode at a time."""

    def __init__(
        self,
        workdir: Path,
        stand_in: StandIn,
        offering_uuid: str,
        sentinel_uuid: str,
        sitekit_url: str,
        operator_key: str,
    ) -> None:
        self.workdir = workdir
        self.stand_in = stand_in
        self.operator_key = operator_key
        self.config = workdir / "waldur-site-agent-config.yaml"
        offering = {
            "name": "Site chat",
            "waldur_api_url": stand_in.api_url,
            "waldur_api_token": stand_in.token,
            "waldur_offering_uuid": offering_uuid,
            "backend_type": "sitekit",
            "order_processing_backend": "sitekit",
            "membership_sync_backend": "sitekit",
            "reporting_backend": "sitekit",
            "backend_settings": {
                "sitekit_url": sitekit_url,
                "operator_key_env": OPERATOR_KEY_ENV,
            },
            "backend_components": {
                "messages": {
                    "measured_unit": "messages",
                    "accounting_type": "usage",
                    "label": "Messages",
                },
                "input_tokens": {
                    "measured_unit": "tokens",
                    "accounting_type": "usage",
                    "label": "Input tokens",
                },
                "output_tokens": {
                    "measured_unit": "tokens",
                    "accounting_type": "usage",
                    "label": "Output tokens",
                },
            },
        }
        # The agent runs its modes forever; it reaching this second offering
        # tells the stand-in (and so the test) that the first one's cycle is over.
        sentinel = {**offering, "name": "End of cycle", "waldur_offering_uuid": sentinel_uuid}
        self.config.write_text(
            yaml.safe_dump({"timezone": "UTC", "offerings": [offering, sentinel]}, sort_keys=False)
        )
        self.offering = offering
        self.event_config = workdir / "waldur-site-agent-event-config.yaml"
        self.runs = 0

    def write_event_config(self, broker: Broker) -> None:
        """The configuration of event mode: the same offering, its events on `broker`.

        One offering only: event mode has no cycles to end. The polling modes
        keep their own file, because they skip an offering with stomp_enabled.
        """
        offering = {
            **self.offering,
            "stomp_enabled": True,
            # RabbitMQ's web_stomp, dialled directly: plain WebSocket on its
            # own port and path (Waldur's proxy serves it as
            # wss://<waldur host>/rmqws-stomp, the agent's defaults).
            "stomp_ws_host": broker.host,
            "stomp_ws_port": broker.web_stomp_port,
            "stomp_ws_path": WEB_STOMP_PATH,
            "websocket_use_tls": False,
        }
        self.event_config.write_text(
            yaml.safe_dump({"timezone": "UTC", "offerings": [offering]}, sort_keys=False)
        )

    def start(self, mode: str, config: Optional[Path] = None) -> tuple[subprocess.Popen, Path]:
        self.runs += 1
        log = self.workdir / f"agent-{self.runs:02d}-{mode}.log"
        env = {**os.environ, OPERATOR_KEY_ENV: self.operator_key}
        with log.open("wb") as out:
            process = subprocess.Popen(
                [
                    str(BIN_DIR / "waldur_site_agent"),
                    "-m",
                    mode,
                    "-c",
                    str(config or self.config),
                ],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=self.workdir,
            )
        return process, log

    def run(self, mode: str) -> str:
        """One cycle of `mode`; its log."""
        cycles = self.stand_in.state()["cycle_ends"]
        process, log = self.start(mode)
        try:
            self.wait_cycle(process, log, cycles)
        finally:
            self.stop(process)
        return log.read_text()

    def wait_cycle(self, process: subprocess.Popen, log: Path, cycles_before: int) -> None:
        def ended() -> bool:
            if process.poll() is not None:
                raise AssertionError(f"the agent exited: {tail(log)}")
            return self.stand_in.state()["cycle_ends"] > cycles_before

        try:
            wait_until("the agent's cycle to end", ended, timeout=CYCLE_TIMEOUT)
        except AssertionError as error:
            raise AssertionError(f"{error}\n--- agent log ---\n{tail(log)}") from None

    @staticmethod
    def stop(process: subprocess.Popen) -> None:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=15)


def tail(log: Path, lines: int = 40) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


class EventAgent:
    """The real site agent in event mode (`event_process`), running until stopped."""

    def __init__(self, agent: Agent, events: Events) -> None:
        self.agent = agent
        self.events = events
        self.process: Optional[subprocess.Popen] = None
        self.log: Optional[Path] = None

    def start(self) -> None:
        """Start it and return once it listens: its start-up pass is over."""
        self.process, self.log = self.agent.start("event_process", self.agent.event_config)
        self.wait_consumers("the agent to subscribe to its queue", 1, LISTEN_TIMEOUT)

    def wait_consumers(self, what: str, count: int, timeout: float) -> None:
        def reached() -> bool:
            if count and self.process is not None and self.process.poll() is not None:
                raise AssertionError(f"the event agent exited: {self.log_tail()}")
            queue = self.events.queue_state()
            return (queue["consumers"] if queue else 0) == count

        try:
            wait_until(what, reached, timeout=timeout, every=0.5)
        except AssertionError as error:
            raise AssertionError(f"{error}\n--- agent log ---\n{self.log_tail()}") from None

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log else ""

    def log_tail(self) -> str:
        return tail(self.log) if self.log else ""

    def stop(self) -> None:
        """SIGTERM, as a service manager stops it: it disconnects from the broker and exits."""
        if self.process is None:
            return
        Agent.stop(self.process)
        self.process = None
        # Its connection is gone once the broker counts no consumer: a new
        # agent started next is the only one listening.
        self.wait_consumers("the agent to leave its queue", 0, 30)


class World:
    """Everything the tests share: embed server, seller, stand-in, agent.

    With `events=True`, also a RabbitMQ, the stand-in publishing Waldur's
    events to it, and `event_agent` (not started: see EventAgent.start).
    """

    def __init__(self, events: bool = False) -> None:
        langflow_url = require_env("SITEKIT_TEST_LANGFLOW_URL").rstrip("/")
        langflow_key = require_env("SITEKIT_TEST_LANGFLOW_KEY")
        self.workdir = Path(tempfile.mkdtemp(prefix="sitekit-waldur-"))
        self.broker: Optional[Broker] = None
        self.stand_in: Optional[StandIn] = None
        self.event_agent: Optional[EventAgent] = None
        try:
            self._start(langflow_url, langflow_key, events)
        except BaseException:
            self.close()
            raise

    def _start(self, langflow_url: str, langflow_key: str, events: bool) -> None:
        self.sitekit = Sitekit(self.workdir)
        # The seller and its published agent, through the real CLI, before the
        # server starts (as an operator would set up the catalogue).
        seller = self.sitekit.cli("tenants", "create", "--name", "Agent Works", "--role", "seller")
        agent = self.sitekit.cli(
            "catalog", "create", "--tenant", seller["id"], "--name", "Echo agent"
        )
        self.published_agent_id = agent["id"]
        self.sitekit.cli(
            "catalog",
            "publish",
            agent["id"],
            "--base-url",
            langflow_url,
            "--flow-id",
            langflow_flow_id(langflow_url, langflow_key, "echo.py"),
            "--release-notes",
            "Echoes the visitor.",
            env={"SITEKIT_RUNTIME_KEY": langflow_key},
        )
        # The agent's key holds only the scopes the plugin needs (SECURITY.md
        # says so); the tests check what it made with a key of every scope.
        agent_key = self.sitekit.cli(
            "operator-keys",
            "create",
            "--note",
            "Waldur site agent (tests)",
            "--scopes",
            "organisations:write organisation-keys:write provisioning:write",
        )["key"]
        self.operator_key = self.sitekit.cli(
            "operator-keys", "create", "--note", "The tests' checks"
        )["key"]
        self.sitekit.start()
        self.offering_uuid = str(uuid.uuid4())
        sentinel_uuid = str(uuid.uuid4())
        token = secrets.token_hex(16)
        self.events: Optional[Events] = None
        if events:
            self.broker = Broker(self.workdir)
            self.broker.start()
            self.events = Events(self.broker, token)
        self.stand_in = StandIn(
            self.workdir,
            self.offering_uuid,
            sentinel_uuid,
            {"published_agent_id": self.published_agent_id, "version": "latest"},
            token,
            self.events,
        )
        self.templates = OrderTemplates(self.workdir, self.offering_uuid)
        self.agent = Agent(
            self.workdir,
            self.stand_in,
            self.offering_uuid,
            sentinel_uuid,
            self.sitekit.url,
            agent_key,
        )
        if self.broker is not None and self.events is not None:
            self.agent.write_event_config(self.broker)
            self.event_agent = EventAgent(self.agent, self.events)

    def operator(self, method: str, path: str, body: Any = None) -> Answer:
        return self.sitekit.operator(method, path, self.operator_key, body)

    def close(self) -> None:
        # Each part is stopped even if one before it fails to stop.
        for stop in (
            self.event_agent.stop if self.event_agent else None,
            self.stand_in.stop if self.stand_in else None,
            self.sitekit.stop if hasattr(self, "sitekit") else None,
            self.broker.stop if self.broker else None,
        ):
            if stop is not None:
                try:
                    stop()
                except Exception as error:  # reported; the next part is still stopped
                    print(f"stopping: {type(error).__name__}: {error}", file=sys.stderr)
        if os.environ.get("SITEKIT_TEST_KEEP_DIR"):
            print(f"kept {self.workdir}", file=sys.stderr)
        else:
            shutil.rmtree(self.workdir, ignore_errors=True)
