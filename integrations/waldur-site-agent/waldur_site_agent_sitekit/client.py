"""A small HTTP client for the Site Kit embed server's operator API.

The plugin talks to the embed server only through these routes
(`/v1/operator/...`, authorised by an operator key `skt_op_...`), never to its
database. Every call has bounded timeouts and a bounded answer size.

Failures are turned into the two exceptions the site agent understands:

- `SitekitUnavailable` (a `BackendNotReadyError`): the server cannot be reached
  or says it is temporarily unable to answer. The agent leaves the order as it
  is and tries again on its next cycle, so an order placed while the server is
  down succeeds once it is back.
- `SitekitApiError` (a `BackendError`): the server answered with an error. Its
  message is the server's own (`{"error": {"code", "message"}}`), which the
  agent writes into the erred order for the operator and the buyer to read.
"""

from __future__ import annotations

import json
from typing import Any, Optional
from urllib.parse import quote

import httpx
from waldur_site_agent.backend import logger
from waldur_site_agent.backend.exceptions import BackendError, BackendNotReadyError

# Connecting is quick or it is not happening; an answer may take a little
# longer on a busy server (find-or-create runs a transaction), but a site
# agent cycle must never hang on it.
DEFAULT_TIMEOUT_SECONDS = 15.0
CONNECT_TIMEOUT_SECONDS = 5.0
# The operator API's answers are small JSON documents (a key list of an
# organisation is the largest); anything bigger is not an answer of ours.
MAX_ANSWER_BYTES = 2 * 1024 * 1024
# Statuses that mean "not now" rather than "no": a proxy in front of a server
# that is starting or restarting answers these.
UNAVAILABLE_STATUSES = frozenset({502, 503, 504})
HTTP_NOT_FOUND = 404


class SitekitUnavailable(BackendNotReadyError):
    """The embed server cannot be reached now; the agent retries next cycle."""


class SitekitApiError(BackendError):
    """The embed server refused a call; the message is the server's."""

    def __init__(self, method: str, path: str, status: int, code: str, message: str) -> None:
        """Keep the parts, so callers can tell a 404 or a code apart."""
        super().__init__(f"Site Kit embed server refused {method} {path}: {message} ({code})")
        self.status = status
        self.code = code
        self.server_message = message


class OperatorClient:
    """The operator routes the plugin needs, one method each."""

    def __init__(
        self,
        base_url: str,
        operator_key: str,
        timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
        user_agent: str = "waldur-site-agent-sitekit",
    ) -> None:
        """Make no connection yet: the agent builds backends often (per event)."""
        self.base_url = base_url.rstrip("/")
        self._headers = {
            # The key goes in a header only; it is never logged or put in a message.
            "Authorization": f"Bearer {operator_key}",
            "Accept": "application/json",
            "User-Agent": user_agent,
        }
        self._timeout = httpx.Timeout(timeout_seconds, connect=CONNECT_TIMEOUT_SECONDS)

    # --- transport ---------------------------------------------------------

    def _request(
        self,
        method: str,
        path: str,
        body: Optional[dict] = None,
        params: Optional[dict] = None,
    ) -> tuple[int, Any]:
        """One call: (status, parsed JSON or None) for a 2xx, else an exception."""
        url = self.base_url + path
        try:
            # follow_redirects stays off: a redirect would carry the operator
            # key to wherever it points.
            with (
                httpx.Client(timeout=self._timeout, follow_redirects=False) as http,
                http.stream(
                    method, url, headers=self._headers, json=body, params=params
                ) as response,
            ):
                raw = _read_bounded(response, method, path)
        except httpx.TransportError as exc:
            # Connection refused, reset, DNS, timeouts: the server is not there now.
            raise SitekitUnavailable(
                f"Site Kit embed server at {self.base_url} is unreachable "
                f"({type(exc).__name__}); will retry on the next cycle"
            ) from exc
        status = response.status_code
        if status in UNAVAILABLE_STATUSES:
            raise SitekitUnavailable(
                f"Site Kit embed server at {self.base_url} answered {status} to {method} "
                f"{path}; will retry on the next cycle"
            )
        data = _parse_json(raw) if raw else None
        if 200 <= status < 300:
            return status, data
        code, message = _error_parts(data, status)
        raise SitekitApiError(method, path, status, code, message)

    def _json(
        self,
        method: str,
        path: str,
        body: Optional[dict] = None,
        params: Optional[dict] = None,
    ) -> dict:
        """A call whose 2xx answer must be a JSON object."""
        _, data = self._request(method, path, body, params)
        if not isinstance(data, dict):
            raise BackendError(
                f"Site Kit embed server answered {method} {path} with something "
                "other than a JSON object"
            )
        return data

    # --- the routes ----------------------------------------------------------

    def healthy(self) -> bool:
        """`GET /healthz` answers 200."""
        try:
            status, _ = self._request("GET", "/healthz")
        except (SitekitUnavailable, BackendError) as exc:
            logger.warning("Site Kit embed server health check failed: %s", exc)
            return False
        return status == 200

    def find_or_create_organisation(self, name: str, external_id: str) -> dict:
        """The buyer organisation with this external id, made if there is none."""
        return self._json(
            "POST",
            "/v1/operator/organisations",
            {"name": name, "roles": ["buyer"], "externalId": external_id},
        )

    def find_or_create_subscription(
        self, organisation_id: str, published_agent_id: str, version: Any, external_id: str
    ) -> dict:
        """The organisation's subscription with this external id, made if there is none."""
        return self._json(
            "POST",
            f"/v1/operator/organisations/{_seg(organisation_id)}/subscriptions",
            {
                "externalId": external_id,
                # Exactly what the organisation would send to POST /v1/subscriptions.
                "subscription": {"publishedAgentId": published_agent_id, "version": version},
            },
        )

    def find_or_create_widget(
        self,
        organisation_id: str,
        external_id: str,
        widget: dict,
        monthly_message_budget: Optional[int] = None,
    ) -> dict:
        """The organisation's widget with this external id, made if there is none.

        `widget` is what the organisation would send to `POST /v1/widgets`.
        Answers an operator widget: `{"organisationId", "widget",
        "publishableKey", "snippet"}`.
        """
        body: dict[str, Any] = {"externalId": external_id, "widget": widget}
        if monthly_message_budget is not None:
            body["monthlyMessageBudget"] = monthly_message_budget
        return self._json(
            "POST", f"/v1/operator/organisations/{_seg(organisation_id)}/widgets", body
        )

    def get_widget(self, widget_id: str) -> Optional[dict]:
        """The operator widget (as find_or_create_widget), or None: never made, or deleted."""
        try:
            return self._json("GET", f"/v1/operator/widgets/{_seg(widget_id)}")
        except SitekitApiError as exc:
            if exc.status == HTTP_NOT_FOUND:
                return None
            raise

    def update_widget(self, widget_id: str, **fields: Any) -> dict:
        """PATCH the widget's `paused` and/or `monthlyMessageBudget`; the operator widget."""
        return self._json("PATCH", f"/v1/operator/widgets/{_seg(widget_id)}", fields)

    def delete_widget(self, widget_id: str) -> bool:
        """Delete the widget; False if it was gone already."""
        try:
            self._request("DELETE", f"/v1/operator/widgets/{_seg(widget_id)}")
        except SitekitApiError as exc:
            if exc.status == HTTP_NOT_FOUND:
                return False
            raise
        return True

    def widget_usage(self, widget_id: str, month: str) -> Optional[dict]:
        """Month-to-date totals (`YYYY-MM`, UTC); None for a widget never seen."""
        try:
            return self._json(
                "GET",
                f"/v1/operator/widgets/{_seg(widget_id)}/usage",
                params={"month": month},
            )
        except SitekitApiError as exc:
            if exc.status == HTTP_NOT_FOUND:
                return None
            raise

    def list_keys(self, organisation_id: str) -> list[dict]:
        """The organisation's keys, in display form only."""
        data = self._json("GET", f"/v1/operator/organisations/{_seg(organisation_id)}/keys")
        keys = data.get("keys")
        if not isinstance(keys, list):
            raise BackendError("Site Kit embed server answered a key list without `keys`")
        return [key for key in keys if isinstance(key, dict)]

    def create_secret_key(self, organisation_id: str, name: str) -> dict:
        """A new secret key of the organisation: `{"id", "key", "scopes"}`."""
        return self._json(
            "POST",
            f"/v1/operator/organisations/{_seg(organisation_id)}/keys",
            {"kind": "secret", "name": name},
        )

    def revoke_key(self, organisation_id: str, key_id: str) -> bool:
        """Revoke a key; False if it was revoked already or is unknown."""
        try:
            self._request(
                "POST",
                f"/v1/operator/organisations/{_seg(organisation_id)}/keys/{_seg(key_id)}/revoke",
            )
        except SitekitApiError as exc:
            if exc.status == HTTP_NOT_FOUND or exc.code == "key_revoked":
                return False
            raise
        return True


def _seg(value: str) -> str:
    """An id as one path segment, whatever it holds."""
    return quote(str(value), safe="")


def _read_bounded(response: httpx.Response, method: str, path: str) -> bytes:
    """The body, refusing to read more than MAX_ANSWER_BYTES."""
    chunks = []
    size = 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > MAX_ANSWER_BYTES:
            raise BackendError(
                f"Site Kit embed server's answer to {method} {path} is larger than "
                f"{MAX_ANSWER_BYTES} bytes"
            )
        chunks.append(chunk)
    return b"".join(chunks)


def _parse_json(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return None


def _error_parts(data: Any, status: int) -> tuple[str, str]:
    """(code, message) of an error answer `{"error": {"code", "message"}}`."""
    error = data.get("error") if isinstance(data, dict) else None
    if isinstance(error, dict):
        code = str(error.get("code") or f"http_{status}")
        message = str(error.get("message") or f"HTTP {status}")
        # One line and bounded: it ends up in a Waldur order's error message.
        return code[:100], " ".join(message.split())[:500]
    return f"http_{status}", f"HTTP {status}"
