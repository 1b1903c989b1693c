"""The final usage report of a terminated resource.

Why this exists: once a terminate order is done, Waldur marks the resource
Terminated and the agent's report mode only reads OK and Erred resources, so
whatever a widget used since the last report cycle would never be billed.
The usage must be sent while the terminate order is processed, and the
plugin backend has no Waldur client of its own.

How, and why this way: the plugin runs the agent's own usage report for this
one resource, `OfferingReportProcessor._process_resource`, with the offering
configuration the agent was started with (its `-c` file, read again without
the agent's logging and Sentry side effects). That gives exactly the rules of
report mode: month-to-date totals per billing period (the current one and the
`reporting_periods` before it), components unknown to the offering dropped,
nothing sent when Waldur already holds the same amounts (so a report mode
cycle that ran just before changes nothing), the same timezone, and the same
authentication (token or OIDC). The alternatives were worse: posting
`set_usage` from the plugin would copy those rules and drift from them, and
leaving the widget alive for a later cycle would never be reported at all.
`_process_resource` is private to the agent, which is why the plugin pins
waldur-site-agent to the version it was built against.
"""

from __future__ import annotations

import argparse
import sys
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

import httpx
import yaml
from waldur_api_client.errors import UnexpectedStatus
from waldur_site_agent.backend import logger
from waldur_site_agent.backend.backends import BaseBackend
from waldur_site_agent.backend.exceptions import BackendError, BackendNotReadyError

from . import __version__

if TYPE_CHECKING:
    from waldur_site_agent.common import processors, structures

# The agent's own default (common/utils.py, init_configuration).
DEFAULT_CONFIG_FILE = "waldur-site-agent-config.yaml"
SERVER_ERROR = 500


def agent_config_path(argv: Optional[list[str]] = None) -> str:
    """The configuration file the running agent was started with (`-c`)."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--config-file", "-c", dest="config_file_path", default=DEFAULT_CONFIG_FILE)
    args, _ = parser.parse_known_args(sys.argv[1:] if argv is None else argv)
    return args.config_file_path


def load_agent_configuration(path: str) -> structures.WaldurAgentConfiguration:
    """The agent's configuration, parsed as the agent parses it, with no side effects."""
    # Imported here, not at the top: the agent imports every backend plugin
    # while its common.utils module is still loading, and these import it.
    from waldur_site_agent.common import structures  # noqa: PLC0415

    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        return structures.RootConfiguration(**raw).to_agent_configuration()
    except Exception as exc:
        raise BackendError(
            f"Cannot report the final usage: the agent's configuration {path} cannot be "
            f"read ({type(exc).__name__})"
        ) from exc


class FinalUsageReporter:
    """Reports one resource's usage to Waldur as report mode would."""

    def __init__(self, processor: processors.OfferingReportProcessor) -> None:
        """Use `for_resource`, which finds the offering and connects to Waldur."""
        self._processor = processor

    @classmethod
    def for_resource(cls, waldur_resource: Any, backend: BaseBackend) -> FinalUsageReporter:
        """A reporter for the offering of `waldur_resource`, reading usage through `backend`.

        Connects to Waldur now (the processor reads the offering's components),
        so a terminate fails before it changes anything if Waldur cannot be read.
        """
        from waldur_site_agent.common import processors, utils  # noqa: PLC0415 (see above)

        configuration = load_agent_configuration(agent_config_path())
        offering = _offering_of(configuration, waldur_resource)
        try:
            client = utils.get_client_for_offering(
                offering,
                f"waldur-site-agent-sitekit/{__version__} (final usage)",
                configuration.global_proxy,
            )
            processor = processors.OfferingReportProcessor(
                offering,
                client,
                configuration.timezone,
                resource_backend=backend,
                resource_backend_version=__version__,
                reporting_periods=configuration.reporting_periods,
                expose_backend_error_details=configuration.expose_backend_error_details,
            )
        except Exception as exc:
            raise _as_backend_exception(exc, "reach Waldur to report the final usage") from exc
        return cls(processor)

    def report(self, waldur_resource: Any) -> None:
        """Send the resource's usage of every reporting period Waldur lacks."""
        logger.info(
            "Reporting the final usage of %s (%s)", waldur_resource.name, waldur_resource.backend_id
        )
        try:
            # Private to the agent; see the module docstring.
            self._processor._process_resource(waldur_resource, self._processor.waldur_offering)
        except Exception as exc:
            raise _as_backend_exception(exc, "report the final usage to Waldur") from exc


def _offering_of(configuration: structures.WaldurAgentConfiguration, resource: Any) -> Any:
    """The configured offering of the resource: by uuid, else the only sitekit one."""
    wanted = _uuid_hex(getattr(resource, "offering_uuid", None))
    sitekit = []
    for offering in configuration.waldur_offerings:
        if wanted and _uuid_hex(offering.uuid) == wanted:
            return offering
        if offering.order_processing_backend == "sitekit":
            sitekit.append(offering)
    if len(sitekit) == 1:
        return sitekit[0]
    raise BackendError(
        "Cannot report the final usage: no offering of the agent's configuration is "
        f"the resource's offering ({wanted or 'unknown'})"
    )


def _uuid_hex(value: Any) -> Optional[str]:
    if value is None:
        return None
    try:
        return uuid.UUID(str(value)).hex
    except ValueError:
        return None


def _as_backend_exception(exc: Exception, what: str) -> Exception:
    """Waldur unreachable or failing → retry next cycle; anything else → the order errs."""
    transient = isinstance(exc, (httpx.TransportError, BackendNotReadyError)) or (
        isinstance(exc, UnexpectedStatus)
        and (exc.status_code >= SERVER_ERROR or exc.status_code == 429)
    )
    if transient:
        return BackendNotReadyError(f"Could not {what} yet ({type(exc).__name__}); will retry")
    if isinstance(exc, BackendError):
        return exc
    return BackendError(f"Could not {what}: {type(exc).__name__}: {exc}")
