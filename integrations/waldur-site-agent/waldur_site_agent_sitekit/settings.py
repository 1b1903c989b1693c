"""The plugin's settings, read from the offering's `backend_settings`.

Resolved once per backend instance. The operator key may come from an
environment variable (`operator_key_env`), which keeps it out of the agent's
configuration file, or from `operator_key`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from waldur_site_agent.backend.exceptions import BackendError

from .client import DEFAULT_TIMEOUT_SECONDS

OPERATOR_KEY_PREFIX = "skt_op_"


@dataclass(frozen=True)
class Settings:
    """What the plugin needs to reach the embed server."""

    sitekit_url: str
    operator_key: str
    dashboard_url: str
    timeout_seconds: float

    def __repr__(self) -> str:
        """Never show the key, whatever prints the settings."""
        return f"Settings(sitekit_url={self.sitekit_url!r}, dashboard_url={self.dashboard_url!r})"


def load_settings(backend_settings: dict[str, Any]) -> Settings:
    """Settings from `backend_settings`, or a BackendError naming what is wrong."""
    url = _web_url(backend_settings.get("sitekit_url"), "sitekit_url")
    dashboard = backend_settings.get("dashboard_url")
    dashboard_url = _web_url(dashboard, "dashboard_url") if dashboard else f"{url}/dashboard"
    timeout = backend_settings.get("request_timeout_seconds") or DEFAULT_TIMEOUT_SECONDS
    try:
        timeout = float(timeout)
    except (TypeError, ValueError):
        raise BackendError("backend_settings.request_timeout_seconds must be a number") from None
    if not 0 < timeout <= 120:
        raise BackendError("backend_settings.request_timeout_seconds must be in (0, 120]")
    return Settings(url, _operator_key(backend_settings), dashboard_url, timeout)


def _web_url(value: Any, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise BackendError(f"backend_settings.{name} is required (e.g. https://embed.example.com)")
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise BackendError(f"backend_settings.{name} must be an http(s) URL, not {value!r}")
    return value.strip().rstrip("/")


def _operator_key(backend_settings: dict[str, Any]) -> str:
    env_name = backend_settings.get("operator_key_env")
    if env_name:
        key = os.environ.get(str(env_name), "")
        where = f"the environment variable {env_name} (backend_settings.operator_key_env)"
    else:
        key = backend_settings.get("operator_key") or ""
        where = "backend_settings.operator_key"
    key = str(key).strip()
    if not key:
        raise BackendError(
            f"No Site Kit operator key: set {where} "
            "(made with `sitekit operator-keys create` on the server's machine)"
        )
    if not key.startswith(OPERATOR_KEY_PREFIX):
        # Say where it came from, never what it is.
        raise BackendError(f"The key in {where} is not an operator key ({OPERATOR_KEY_PREFIX}...)")
    return key
