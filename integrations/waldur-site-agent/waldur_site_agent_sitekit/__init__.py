"""Site Kit embed backend for waldur-site-agent.

Waldur marketplace orders provision a buyer's chat widget on a Site Kit embed
server (organisation, subscription to a published agent, widget, keys), and
the widget's month-to-date usage flows back to Waldur for billing. The plugin
talks to the embed server's operator API only.
"""

__version__ = "0.1.0"
