"""A private RabbitMQ for the event-mode tests: the broker Waldur publishes to.

Waldur's site agent in event mode consumes its queue over STOMP on a
WebSocket (RabbitMQ's `rabbitmq_web_stomp`), so the tests run the real
broker: Debian's `rabbitmq-server` (3.10), started as a node of its own in a
temporary directory, on free ports, with nothing installed as a service and
no root needed. Its Erlang port mapper (epmd) is private too, on a port of
its own, so stopping the tests' node never touches another RabbitMQ on the
machine, and the epmd it started is the only one it stops.

Listeners: AMQP (unused, but RabbitMQ always opens it), web_stomp (what the
agent dials, path `/ws`, plain WebSocket) and plain STOMP over TCP (what the
Waldur stand-in publishes with).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path
from typing import Optional

RABBITMQ_BIN = Path("/usr/lib/rabbitmq/bin")
# Not /usr/sbin/rabbitmq-server: that wrapper switches to the rabbitmq user.
SERVER = RABBITMQ_BIN / "rabbitmq-server"
CTL = RABBITMQ_BIN / "rabbitmqctl"
EPMD = "epmd"
# RabbitMQ boots in about five seconds; a loaded CI machine may take longer.
START_TIMEOUT = 90
CTL_TIMEOUT = 60
STOP_TIMEOUT = 30
# rabbitmq_web_stomp's default WebSocket path (Waldur's proxy serves it as /rmqws-stomp).
WEB_STOMP_PATH = "/ws"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def require_rabbitmq() -> None:
    """Fail (never skip) when the broker is not installed."""
    if not SERVER.exists():
        raise RuntimeError(
            f"{SERVER} is missing: the event-mode tests need RabbitMQ "
            "(install the Debian package rabbitmq-server)"
        )


def rabbitmq_installed() -> bool:
    return SERVER.exists()


class Broker:
    """One RabbitMQ node, its vhosts and users, and its stop."""

    def __init__(self, workdir: Optional[Path] = None) -> None:
        require_rabbitmq()
        self.dir = Path(tempfile.mkdtemp(prefix="rabbitmq-", dir=workdir))
        # A directory of the caller's is the caller's to remove (or keep, with its logs).
        self.owns_dir = workdir is None
        self.node = f"sitekit-test-{uuid.uuid4().hex[:10]}@localhost"
        self.amqp_port = free_port()
        self.web_stomp_port = free_port()
        self.stomp_port = free_port()
        self.dist_port = free_port()
        self.epmd_port = free_port()
        self.host = "127.0.0.1"
        self.log = self.dir / "server.log"
        self.process: Optional[subprocess.Popen] = None
        (self.dir / "mnesia").mkdir()
        (self.dir / "log").mkdir()
        (self.dir / "enabled_plugins").write_text("[rabbitmq_web_stomp].\n")
        (self.dir / "rabbitmq.conf").write_text(
            f"listeners.tcp.default = {self.amqp_port}\n"
            f"web_stomp.tcp.port = {self.web_stomp_port}\n"
            f"stomp.listeners.tcp.1 = {self.stomp_port}\n"
            # The tests connect from 127.0.0.1 with users of their own.
            "loopback_users = none\n"
        )
        d = str(self.dir)
        self.env = {
            **os.environ,
            "HOME": d,
            "RABBITMQ_BASE": d,
            "RABBITMQ_MNESIA_BASE": f"{d}/mnesia",
            "RABBITMQ_LOG_BASE": f"{d}/log",
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "RABBITMQ_ENABLED_PLUGINS_FILE": f"{d}/enabled_plugins",
            "RABBITMQ_CONFIG_FILE": f"{d}/rabbitmq",
            "RABBITMQ_FEATURE_FLAGS_FILE": f"{d}/feature_flags",
            "RABBITMQ_PLUGINS_EXPAND_DIR": f"{d}/plugins-expand",
            # A port mapper of our own: see the module docstring.
            "ERL_EPMD_PORT": str(self.epmd_port),
        }

    def start(self) -> None:
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [str(SERVER)],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                # Its own process group, so stop() can end beam and its helpers.
                start_new_session=True,
            )
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"rabbitmq-server exited with {self.process.returncode}: {self.tail()}"
                )
            booted = "Starting broker... completed" in self.log.read_text(errors="replace")
            if booted and accepts(self.web_stomp_port) and accepts(self.stomp_port):
                return
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"RabbitMQ did not start in {START_TIMEOUT} s: {self.tail()}")
            time.sleep(0.2)

    def tail(self, lines: int = 30) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def ctl(self, *args: str, stdin: Optional[str] = None) -> str:
        done = subprocess.run(
            [str(CTL), "-n", self.node, *args],
            env=self.env,
            # Never the caller's stdin: the Erlang VM reads whatever it is given.
            input=stdin if stdin is not None else "",
            capture_output=True,
            text=True,
            timeout=CTL_TIMEOUT,
            check=False,
        )
        if done.returncode != 0:
            # The arguments are printed, never stdin (it holds passwords).
            raise RuntimeError(f"rabbitmqctl {' '.join(args)}: {done.stderr.strip()[-800:]}")
        return done.stdout

    def add_vhost(self, vhost: str) -> None:
        self.ctl("add_vhost", vhost)

    def add_user(self, vhost: str, user: str, password: str, read: str = ".*") -> None:
        """A user of `vhost`; `read` limits what it may consume (a regex of queue names)."""
        # Without a password argument rabbitmqctl reads it from stdin, so it
        # never shows in a process list.
        self.ctl("add_user", user, stdin=password + "\n")
        configure, write = (".*", ".*") if read == ".*" else ("^$", "^$")
        self.ctl("set_permissions", "-p", vhost, user, configure, write, read)

    def queue(self, vhost: str, name: str) -> Optional[dict[str, int]]:
        """{"messages": ready, "consumers": n} of a queue, or None if it does not exist."""
        out = self.ctl(
            "list_queues",
            "-p",
            vhost,
            "-q",
            "--no-table-headers",
            "name",
            "messages_ready",
            "consumers",
        )
        for line in out.splitlines():
            fields = line.split()
            if len(fields) == 3 and fields[0] == name:
                return {"messages": int(fields[1]), "consumers": int(fields[2])}
        return None

    def stop(self) -> None:
        """Stop the node, then anything left of its process group, then its epmd."""
        # returncode is None until the process is reaped: until then its pid
        # (the group id) cannot be reused, so the group signalled is ours.
        if self.process is not None and self.process.returncode is None:
            with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
                self.ctl("stop")
            self.wait_exited(STOP_TIMEOUT)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=STOP_TIMEOUT)
        self.stop_epmd()
        if self.owns_dir:
            shutil.rmtree(self.dir, ignore_errors=True)

    def wait_exited(self, timeout: float) -> None:
        """Wait for rabbitmq-server to exit, without reaping it (see stop)."""
        assert self.process is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            flags = os.WEXITED | os.WNOWAIT | os.WNOHANG
            if os.waitid(os.P_PID, self.process.pid, flags) is not None:
                return
            time.sleep(0.1)

    def stop_epmd(self) -> None:
        """Stop the epmd this node started on its private port.

        It outlives the node unless told to stop, and refuses while it still
        lists the node, which it forgets a moment after the node is gone.
        """
        deadline = time.monotonic() + STOP_TIMEOUT
        while accepts(self.epmd_port) and time.monotonic() < deadline:
            subprocess.run(
                [EPMD, "-port", str(self.epmd_port), "-kill"],
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=CTL_TIMEOUT,
                check=False,
            )
            time.sleep(0.2)
