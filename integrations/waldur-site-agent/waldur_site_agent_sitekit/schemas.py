"""The `backend_settings` schema the site agent validates the offering against.

The agent looks it up by the offering's `backend_type` (`sitekit`). A failed
validation only logs a warning in the agent, so `settings.py` checks again
and refuses to run with settings it cannot use.
"""

from __future__ import annotations

from typing import Optional

from pydantic import ConfigDict, Field
from waldur_site_agent.common.plugin_schemas import PluginBackendSettingsSchema


class SitekitBackendSettingsSchema(PluginBackendSettingsSchema):
    """`backend_settings` of a `sitekit` offering."""

    # The same dict also carries the agent core's own keys (allocation_prefix,
    # check_backend_id_uniqueness, ...), which are not ours to refuse.
    model_config = ConfigDict(extra="allow")

    sitekit_url: str = Field(
        ..., description="Base URL of the Site Kit embed server, e.g. https://embed.example.com"
    )
    operator_key_env: Optional[str] = Field(
        default=None,
        description="Name of the environment variable holding the operator key (skt_op_...); "
        "preferred over operator_key, which puts the key in the configuration file",
    )
    operator_key: Optional[str] = Field(
        default=None, description="The operator key (skt_op_...) itself"
    )
    dashboard_url: Optional[str] = Field(
        default=None,
        description="Where buyers manage their widget; default {sitekit_url}/dashboard",
    )
    request_timeout_seconds: Optional[float] = Field(
        default=None, gt=0, le=120, description="Timeout of one operator API call (default 15)"
    )
