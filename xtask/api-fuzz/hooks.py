"""Schemathesis hooks for the API fuzzing step of `cargo xtask test`.

The spec states every rule one value can carry (lengths, ranges, patterns,
names); a few rules tie fields together or depend on the server's state, and
JSON Schema cannot say them, so the operations' descriptions do. A request the
fuzzer generates as valid is made to follow those rules too, the way a real
client does, so that "valid data is accepted" checks what the spec promises.
Invalid requests are left as they are: the server must refuse them.

Each rule below names where the server enforces it.
"""

import datetime
import os

import schemathesis

# The defaults of `AgentTimeouts` (crates/sdk/src/admin.rs).
DEFAULT_TIMEOUTS = {
    "connectMs": 10_000,
    "firstEventMs": 60_000,
    "idleMs": 60_000,
    "totalMs": 300_000,
}
# `UsageRange::parse` (crates/embed-server/src/usage_report.rs).
MAX_REPORT_DAYS = 366
# `ChatMessage::MAX_CHARS` (crates/sdk/src/fields.rs).
MAX_MESSAGE_CHARS = 4_000

OWN_KEY_ID = os.environ["SITEKIT_FUZZ_ADMIN_KEY_ID"]
PUBLISHABLE_KEY = os.environ["SITEKIT_FUZZ_PUBLISHABLE_KEY"]
# A buyer organisation, subscribed to a published agent (api_fuzz.rs).
BUYER = os.environ["SITEKIT_FUZZ_BUYER"]
PUBLISHED_AGENT = os.environ["SITEKIT_FUZZ_PUBLISHED_AGENT"]
SUBSCRIPTION = os.environ["SITEKIT_FUZZ_SUBSCRIPTION"]


def is_blank(value):
    return not isinstance(value, str) or not value.strip()


def timeouts_within_total(timeouts):
    """`timeouts` (agent_settings.rs): first event and idle no longer than the total."""
    if not isinstance(timeouts, dict):
        return
    total = timeouts.get("totalMs", DEFAULT_TIMEOUTS["totalMs"])
    for name in ("firstEventMs", "idleMs"):
        if timeouts.get(name, DEFAULT_TIMEOUTS[name]) > total:
            timeouts[name] = total


def new_agent(body):
    """`AgentSettings::check_runtime_needs`: Langflow needs a flow, OpenAI a model."""
    runtime = body.get("runtime") or "langflow"
    if runtime == "langflow" and is_blank(body.get("flowId")):
        body["flowId"] = "flow"
    if runtime == "openai" and is_blank(body.get("model")):
        body["model"] = "model"
    timeouts_within_total(body.get("timeouts"))


def agent_update(body):
    """`apply_update` (agent_settings.rs): the agent still has what its runtime
    needs, whichever it is, and a base URL on another server comes with that
    server's credential (an empty one for a runtime that needs none)."""
    for name, value in (("flowId", "flow"), ("model", "model")):
        if name in body and body[name] is not None and is_blank(body[name]):
            body[name] = value
    if body.get("baseUrl") is not None and body.get("runtimeKey") is None:
        body["runtimeKey"] = ""
    timeouts_within_total(body.get("timeouts"))


def new_version(body):
    """`catalog::ops::binding`: a version names where it runs unless the latest
    one does, a base URL on another server comes with that server's credential
    (empty for none), and the runtime has what it needs."""
    if is_blank(body.get("baseUrl")):
        body["baseUrl"] = "https://runtime.example.com"
    if body.get("runtimeKey") is None:
        body["runtimeKey"] = ""
    new_agent(body)
    # A canary needs a released version before it, which the fuzzer's
    # entries may not have.
    body.pop("canaryPercent", None)


def catalog_update(body):
    """`catalog::ops::update`: a canary's share can change only while there is
    one (0, ending it, always can)."""
    if body.get("canaryPercent"):
        del body["canaryPercent"]


def new_widget(body):
    """`widgets::ops::what_runs`: a widget runs an agent or a subscription, one
    of the two; a blank id names neither."""
    for field in ("agentId", "subscriptionId"):
        if field in body and (body[field] is None or is_blank(body[field])):
            del body[field]
    if "agentId" not in body and "subscriptionId" not in body:
        body["agentId"] = "agt_fuzz"
    elif "agentId" in body and "subscriptionId" in body:
        del body["subscriptionId"]
    engagement(body)


def engagement(body):
    """`widgets::settings::engagement`: a lead form asks for the visitor's
    e-mail address, and its consent text is one line that is not blank."""
    form = (body.get("engagement") or {}).get("leadForm")
    if not isinstance(form, dict):
        return
    fields = form.get("fields")
    if isinstance(fields, list) and "email" not in fields:
        fields.append("email")
    text = form.get("consentText")
    if isinstance(text, str) and (is_blank(text) or any(ord(c) < 32 or 127 <= ord(c) < 160 for c in text)):
        form["consentText"] = "I agree."


def widget_update(body):
    engagement(body)


def new_subscription(body):
    """`subscriptions::ops::find_or_create`: a published agent that exists."""
    body["publishedAgentId"] = PUBLISHED_AGENT


def provisioned_subscription(case):
    """A marketplace subscribes an organisation that buys, to an agent that exists."""
    case.path_parameters["organisation"] = BUYER
    if isinstance(case.body.get("subscription"), dict):
        new_subscription(case.body["subscription"])


def provisioned_widget(case):
    """A marketplace puts an organisation's own subscription on a widget."""
    case.path_parameters["organisation"] = BUYER
    widget = case.body.get("widget")
    if isinstance(widget, dict):
        widget.pop("agentId", None)
        widget["subscriptionId"] = SUBSCRIPTION


def new_key(body):
    """`scopes::for_new_key`: a secret key carries every scope and lists none; a
    restricted key lists its scopes."""
    if body.get("kind") == "secret":
        body.pop("scopes", None)
    elif not body.get("scopes"):
        body["scopes"] = ["widgets:read"]


def day(text):
    try:
        return datetime.date.fromisoformat(text)
    except (TypeError, ValueError):
        return None


def usage_range(query):
    """`UsageRange::parse`: `from` not after `to`, at most 366 days. Leaving
    `from` out makes it 29 days before `to`."""
    today = datetime.datetime.now(datetime.timezone.utc).date()
    to = day(query.get("to")) or today
    first = day(query.get("from"))
    if first is not None and (first > to or (to - first).days >= MAX_REPORT_DAYS):
        del query["from"]


def list_range(query):
    """`usage::list_window` (the inbox, the leads): `from` not after `to`."""
    first, last = day(query.get("from")), day(query.get("to"))
    if first is not None and last is not None and first > last:
        del query["from"]


def chat(body):
    """`validate` (routes/chat.rs): the run answers the last user message, which
    has 1 to 4,000 characters, not only white space."""
    messages = body.get("messages")
    if not isinstance(messages, list):
        return
    users = [m for m in messages if isinstance(m, dict) and m.get("role") == "user"]
    text = users[-1].get("content") if users else None
    if is_blank(text) or len(text) > MAX_MESSAGE_CHARS:
        messages.append({"id": "fuzz-question", "role": "user", "content": "Hello?"})


def session(body):
    """A page presents its widget's publishable key."""
    body["publishableKey"] = PUBLISHABLE_KEY


BODY_RULES = {
    ("POST", "/v1/agents"): new_agent,
    ("PATCH", "/v1/agents/{agent}"): agent_update,
    ("POST", "/v1/catalog/agents/{publishedAgent}/versions"): new_version,
    ("PATCH", "/v1/catalog/agents/{publishedAgent}"): catalog_update,
    ("POST", "/v1/widgets"): new_widget,
    ("PATCH", "/v1/widgets/{widget}"): widget_update,
    ("POST", "/v1/keys"): new_key,
    ("POST", "/v1/operator/organisations/{organisation}/keys"): new_key,
    ("POST", "/v1/subscriptions"): new_subscription,
    ("POST", "/v1/chat"): chat,
    ("POST", "/v1/sessions"): session,
}
# Rules on a path parameter as well as the body: the rows the body names must
# be the organisation's.
CASE_RULES = {
    (
        "POST",
        "/v1/operator/organisations/{organisation}/subscriptions",
    ): provisioned_subscription,
    ("POST", "/v1/operator/organisations/{organisation}/widgets"): provisioned_widget,
}
QUERY_RULES = {
    ("GET", "/v1/usage"): usage_range,
    ("GET", "/v1/usage/export"): usage_range,
    ("GET", "/v1/seller/usage"): usage_range,
    ("GET", "/v1/conversations"): list_range,
    ("GET", "/v1/conversations/export"): list_range,
    ("GET", "/v1/leads"): list_range,
    ("GET", "/v1/leads/export"): list_range,
}


@schemathesis.hook
def map_case(context, case):
    # The fuzzer's own key stays: revoking or rotating it would leave every
    # later admin request unauthorised, testing nothing past the key check.
    if (case.path_parameters or {}).get("key") == OWN_KEY_ID:
        case.path_parameters["key"] = "key_notthefuzzersown"
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive:
        return case
    operation = (case.method.upper(), case.operation.path)
    if operation in BODY_RULES and isinstance(case.body, dict):
        BODY_RULES[operation](case.body)
    if operation in CASE_RULES and isinstance(case.body, dict):
        CASE_RULES[operation](case)
    if operation in QUERY_RULES and isinstance(case.query, dict):
        QUERY_RULES[operation](case.query)
    return case


@schemathesis.hook
def before_call(context, case, **kwargs):
    # Stateful tests fill in ids from earlier answers after `map_case`: a new
    # widget may then name both an agent and a subscription. Just before the
    # call, the widget's rule holds again.
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive:
        return
    if (case.method.upper(), case.operation.path) == (
        "POST",
        "/v1/widgets",
    ) and isinstance(case.body, dict):
        new_widget(case.body)
