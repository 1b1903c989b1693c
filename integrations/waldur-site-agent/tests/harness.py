"""What the end-to-end tests run against, all of it real but Waldur.

- a `sitekit serve` on a fresh SQLite database, seeded through the real
  `sitekit` CLI with a seller whose published agent runs a Langflow flow;
- the Waldur stand-in (waldur_stand_in.py), the only double;
- the real site agent CLI (`waldur_site_agent -m <mode> -c <config>`) of this
  virtual environment, with the plugin installed, one cycle at a time;
- visitors' chats over HTTP, as the widget makes them (`POST /v1/sessions`
  with an `Origin`, then `POST /v1/chat`, AG-UI server-sent events).

Environment: SITEKIT_BIN (default: the repository's target/debug/sitekit),
SITEKIT_ASSETS_DIR (default: the repository's dist/), SITEKIT_TEST_LANGFLOW_URL
and SITEKIT_TEST_LANGFLOW_KEY (a Langflow serving the repository's flows/).
Secrets (the operator key, the keys the plugin makes) are never printed.
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

REPO = Path(__file__).resolve().parents[3]
HERE = Path(__file__).resolve().parent
BIN_DIR = Path(sys.executable).parent
HTTP_TIMEOUT = 30
# A cycle of the agent is a few HTTP round trips, plus the agent's own 5 s
# pauses when it retries; this is the most a test waits for one.
CYCLE_TIMEOUT = 120
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


class StandIn:
    """The Waldur stand-in process and its test routes."""

    def __init__(
        self, workdir: Path, offering_uuid: str, sentinel_uuid: str, plugin_options: dict
    ) -> None:
        self.token = secrets.token_hex(16)
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
                ],
                stdout=subprocess.PIPE,
                stderr=log,
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
    done = subprocess.run(args, capture_output=True, timeout=60, check=False, cwd=workdir)
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
        self.runs = 0

    def start(self, mode: str) -> tuple[subprocess.Popen, Path]:
        self.runs += 1
        log = self.workdir / f"agent-{self.runs:02d}-{mode}.log"
        env = {**os.environ, OPERATOR_KEY_ENV: self.operator_key}
        with log.open("wb") as out:
            process = subprocess.Popen(
                [str(BIN_DIR / "waldur_site_agent"), "-m", mode, "-c", str(self.config)],
                env=env,
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


class World:
    """Everything the tests share: embed server, seller, stand-in, agent."""

    def __init__(self) -> None:
        langflow_url = require_env("SITEKIT_TEST_LANGFLOW_URL").rstrip("/")
        langflow_key = require_env("SITEKIT_TEST_LANGFLOW_KEY")
        self.workdir = Path(tempfile.mkdtemp(prefix="sitekit-waldur-"))
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
        self.operator_key = self.sitekit.cli(
            "operator-keys", "create", "--note", "Waldur site agent (tests)"
        )["key"]
        self.sitekit.start()
        self.offering_uuid = str(uuid.uuid4())
        sentinel_uuid = str(uuid.uuid4())
        self.stand_in = StandIn(
            self.workdir,
            self.offering_uuid,
            sentinel_uuid,
            {"published_agent_id": self.published_agent_id, "version": "latest"},
        )
        self.templates = OrderTemplates(self.workdir, self.offering_uuid)
        self.agent = Agent(
            self.workdir,
            self.stand_in,
            self.offering_uuid,
            sentinel_uuid,
            self.sitekit.url,
            self.operator_key,
        )

    def operator(self, method: str, path: str, body: Any = None) -> Answer:
        return self.sitekit.operator(method, path, self.operator_key, body)

    def close(self) -> None:
        self.stand_in.stop()
        self.sitekit.stop()
        if os.environ.get("SITEKIT_TEST_KEEP_DIR"):
            print(f"kept {self.workdir}", file=sys.stderr)
        else:
            shutil.rmtree(self.workdir, ignore_errors=True)
