//! The bounded values of the API's requests, each stated once: the embed server
//! checks requests against these bounds, and (feature `openapi`) each value is a
//! named schema of the server's OpenAPI spec, so the spec says exactly what the
//! server enforces. Fields of the wire types name them with
//! `#[schema(value_type = …)]`; the types themselves stay plain strings and
//! numbers.
//!
//! Only what one value can say is here (lengths, ranges, patterns, names).
//! Rules between fields, such as a timeout no longer than the total, are stated
//! in the operations' descriptions, which is all JSON Schema allows.

/// A text of one line: no control character (Unicode's Cc, U+0000 to U+001F
/// and U+007F to U+009F: no line break, tab or NUL) and at least one character
/// that is not white space (Unicode's White_Space, which Rust's `trim` removes,
/// spelt out so that every regular-expression engine reads it alike). Texts held
/// to it count their characters as they are sent, white space included, and
/// are stored trimmed.
pub const LINE_PATTERN: &str = "^[^\\u0000-\\u001f\\u007f-\\u009f]*[^\\u0000-\\u001f\\u007f-\\u009f \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000][^\\u0000-\\u001f\\u007f-\\u009f]*$";

/// A text without control characters, which may be empty: ids, names and
/// credentials that travel in headers or are compared in the database.
pub const NO_CONTROL_PATTERN: &str = "^[^\\u0000-\\u001f\\u007f-\\u009f]*$";

/// A text of several lines: line breaks (`\n`, `\r`) and tabs, but no other
/// control character.
pub const LINES_PATTERN: &str = "^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f]*$";

/// A widget's title: 1 to 80 characters, not only white space.
pub struct WidgetTitle;

impl WidgetTitle {
    pub const MAX_CHARS: usize = 80;
}

/// A widget's greeting: at most 500 characters.
pub struct Greeting;

impl Greeting {
    pub const MAX_CHARS: usize = 500;
}

/// A language tag such as `en` or `pt-BR`: 2 to 10 ASCII letters and hyphens.
pub struct Locale;

impl Locale {
    pub const PATTERN: &str = "^[A-Za-z-]{2,10}$";

    /// Whether `text` matches [`Locale::PATTERN`].
    pub fn is_valid(text: &str) -> bool {
        (2..=10).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_alphabetic() || b == b'-')
    }
}

/// A colour as `#rrggbb`.
pub struct Colour;

impl Colour {
    pub const PATTERN: &str = "^#[0-9A-Fa-f]{6}$";

    /// Whether `text` matches [`Colour::PATTERN`].
    pub fn is_valid(text: &str) -> bool {
        text.len() == 7 && text.starts_with('#') && text[1..].bytes().all(|b| b.is_ascii_hexdigit())
    }
}

/// One entry of a widget's allowlist: an origin (`https://shop.example.com`,
/// `http://127.0.0.1:8788`) or every subdomain of a domain of one's own
/// (`https://*.example.com`, never below a public suffix such as `co.uk`).
/// Test-mode widgets may also list `http://localhost:*`. The server reads more
/// spellings (upper case, a trailing `/`, IPv6 addresses, international names)
/// and stores them in the canonical form this pattern describes.
pub struct AllowedOrigin;

impl AllowedOrigin {
    /// A host name ending in a label that starts with a letter (so no number
    /// is taken for an IPv4 address), or an IPv4 address; a wildcard only
    /// before a name of two or more labels whose last has three letters or
    /// more (two-letter country domains may be public suffixes themselves).
    pub const PATTERN: &str = concat!(
        "^https?://(?:",
        "(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\\.)*[a-z](?:[a-z0-9-]*[a-z0-9])?",
        "|(?:(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])",
        "|\\*\\.(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\\.)+[a-z]{3,}",
        ")(?::(?:6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3}))?$",
    );
}

/// A widget's allowed origins: at least one.
pub struct AllowedOrigins;

/// A suggestion shown before the first message: 1 to 120 characters, not only
/// white space.
pub struct StarterPrompt;

impl StarterPrompt {
    pub const MAX_CHARS: usize = 120;
}

/// A widget's starter prompts: at most four (more would crowd the empty panel
/// on a phone).
pub struct StarterPrompts;

impl StarterPrompts {
    pub const MAX_COUNT: usize = 4;
}

/// An `https://` image beside the agent's answers: at most 500 characters, no
/// white space, quotes, `<`, `>`, backslashes or square brackets (it goes into
/// an `<img>`; anything but HTTPS would be mixed content on the pages it is
/// shown on; and a bracket makes `https://[x` look like an unfinished IPv6
/// host to URL parsers that read it back).
pub struct AvatarUrl;

impl AvatarUrl {
    pub const MAX_LEN: usize = 500;
    /// `https://`, a host, then a path, query or fragment, in printable ASCII
    /// without `"`, `'`, `<`, `>`, `\`, `[` or `]`.
    pub const PATTERN: &str = "^https://[!$-&(-.0-;=@-Z^-~][!#-&(-;=?-Z^-~]*$";

    /// Whether `text` matches [`AvatarUrl::PATTERN`] and is short enough.
    pub fn is_valid(text: &str) -> bool {
        let plain = |c: char| {
            c.is_ascii_graphic() && !matches!(c, '"' | '\'' | '<' | '>' | '\\' | '[' | ']')
        };
        let has_host = text
            .strip_prefix("https://")
            .and_then(|rest| rest.split(['/', '?', '#']).next())
            .is_some_and(|host| !host.is_empty());
        has_host && text.chars().all(plain) && text.len() <= AvatarUrl::MAX_LEN
    }
}

/// A new avatar for a widget: an [`AvatarUrl`], or `""` to remove it.
pub struct AvatarUrlChange;

/// Messages a widget answers a day over all its visitors: any `u32`.
pub struct DailyMessageBudget;

/// Messages one visitor may send a minute: at most 600 (a person typing sends
/// far fewer); 0 uses the server's limit.
pub struct VisitorRate;

impl VisitorRate {
    pub const MAX: u32 = 600;
}

/// Days a visitor's conversation is kept without activity: 0 to 365; 0 starts
/// a new conversation on every page load.
pub struct ConversationDays;

impl ConversationDays {
    pub const MAX: u32 = 365;
}

/// An agent's name: 1 to 80 characters, not only white space.
pub struct AgentName;

impl AgentName {
    pub const MAX_CHARS: usize = 80;
}

/// What a published agent does, for buyers choosing one: at most 1,000
/// characters; line breaks and tabs, no other control character.
pub struct AgentDescription;

impl AgentDescription {
    pub const MAX_CHARS: usize = 1_000;
}

/// What changed in a version, for its buyers: at most 4,000 characters; line
/// breaks and tabs, no other control character.
pub struct ReleaseNotes;

impl ReleaseNotes {
    pub const MAX_CHARS: usize = 4_000;
}

/// The adapters the server has: `langflow`, `openai` or `agui`.
pub struct RuntimeKind;

impl RuntimeKind {
    pub const NAMES: [&str; 3] = ["langflow", "openai", "agui"];
}

/// Where an agent's runtime is: an `http://` or `https://` URL naming a host,
/// without user name, password, query or fragment (a credential goes in
/// `runtimeKey`), at most 2,000 characters. The server's egress policy refuses
/// loopback, private, link-local and other non-public addresses unless its
/// operator allows them (`--runtime-allow`).
pub struct RuntimeUrl;

impl RuntimeUrl {
    pub const MAX_CHARS: usize = 2_000;
    /// A host name ending in a label that starts with a letter (a number would
    /// be an IPv4 address, which the egress policy may refuse), a port, a path.
    pub const PATTERN: &str = concat!(
        "^https?://(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\\.)*[a-z](?:[a-z0-9-]*[a-z0-9])?",
        "(?::(?:6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3}))?",
        "(?:/[!$-.0-;=@-~]*)*$",
    );
}

/// A Langflow flow id: at most 2,000 characters.
pub struct FlowId;

impl FlowId {
    pub const MAX_CHARS: usize = 2_000;
}

/// The model an OpenAI-compatible runtime runs: at most 2,000 characters.
pub struct ModelName;

impl ModelName {
    pub const MAX_CHARS: usize = 2_000;
}

/// Sent first in every conversation with an OpenAI-compatible runtime: at most
/// 8,000 characters.
pub struct SystemPrompt;

impl SystemPrompt {
    pub const MAX_CHARS: usize = 8_000;
}

/// A runtime's credential: at most 2,000 characters; empty for none.
pub struct RuntimeKey;

impl RuntimeKey {
    pub const MAX_CHARS: usize = 2_000;
}

/// A run's time limits, in milliseconds: the least and most each may be.
pub struct ConnectTimeout;

impl ConnectTimeout {
    pub const MIN_MS: u32 = 100;
    pub const MAX_MS: u32 = 60_000;
}

pub struct FirstEventTimeout;

impl FirstEventTimeout {
    pub const MIN_MS: u32 = 100;
    pub const MAX_MS: u32 = 600_000;
}

pub struct IdleTimeout;

impl IdleTimeout {
    pub const MIN_MS: u32 = 100;
    pub const MAX_MS: u32 = 600_000;
}

pub struct TotalTimeout;

impl TotalTimeout {
    pub const MIN_MS: u32 = 1_000;
    pub const MAX_MS: u32 = 3_600_000;
}

/// An organisation's name: 1 to 200 characters on one line, not only white
/// space.
pub struct OrganisationName;

impl OrganisationName {
    pub const MAX_CHARS: usize = 200;
}

/// An organisation's id in the marketplace that provisions it (e.g. a Waldur
/// customer's uuid): 1 to 200 characters on one line, not only white space.
pub struct ExternalId;

impl ExternalId {
    pub const MAX_CHARS: usize = 200;
}

/// What an operator key (`skt_op_…`) may do, on the operator's API only.
pub struct OperatorScope;

impl OperatorScope {
    /// Every operator scope, as written in keys and errors.
    pub const NAMES: [&str; 4] = [
        "organisations:read",
        "organisations:write",
        "organisation-keys:write",
        "provisioning:write",
    ];
}

/// Messages a UTC calendar month over all of a widget's visitors, as a
/// marketplace purchase covers them; 0 for no budget.
pub struct MonthlyMessageBudget;

/// A key's label: 1 to 100 characters on one line, not only white space.
pub struct KeyName;

impl KeyName {
    pub const MAX_CHARS: usize = 100;
}

/// A calendar month, `YYYY-MM`.
pub struct Month;

impl Month {
    pub const PATTERN: &str = r"^[0-9]{4}-(0[1-9]|1[0-2])$";
}

/// What a key may do.
pub struct Scope;

impl Scope {
    /// Every scope, as written in keys, tokens and errors.
    pub const NAMES: [&str; 12] = [
        "chat",
        "usage:write",
        "usage:read",
        "widgets:read",
        "widgets:write",
        "keys:write",
        "agents:write",
        "catalog:write",
        "seller:read",
        "members:write",
        "conversations:read",
        "webhooks:write",
    ];
}

/// A canary's share of the subscriptions that follow the latest version, in
/// percent: 1 to 99 (0 ends a canary).
pub struct CanaryPercent;

impl CanaryPercent {
    pub const MAX: u8 = 99;
}

/// Days until a new key expires: any `u32`.
pub struct KeyLifetimeDays;

/// How long a rotated key keeps working, in seconds: at most 30 days.
pub struct GraceSeconds;

impl GraceSeconds {
    pub const MAX: u32 = 30 * 86_400;
}

/// The visitor credential an earlier session answered (`<public id>.<signature>`):
/// at most 128 characters. Any other text of that length (made up, from an older
/// version, damaged in storage) names a new visitor rather than an error, so a
/// page never loses its chat over what it stored.
pub struct VisitorId;

impl VisitorId {
    pub const MAX_CHARS: usize = 128;

    /// Whether `text` is within [`VisitorId::MAX_CHARS`].
    pub fn is_valid(text: &str) -> bool {
        text.chars().count() <= VisitorId::MAX_CHARS
    }
}

/// A chat's thread or run id: 1 to 128 characters.
pub struct ChatId;

impl ChatId {
    pub const MAX_CHARS: usize = 128;
}

/// What a visitor asks in a chat: 1 to 4,000 characters, not only white space.
pub struct ChatMessage;

impl ChatMessage {
    pub const MAX_CHARS: usize = 4_000;
}

/// A UTC day, `YYYY-MM-DD`.
pub struct Day;

/// What the inbox searches messages for: 1 to 200 characters.
pub struct SearchText;

impl SearchText {
    pub const MAX_CHARS: usize = 200;
}

/// Where a webhook endpoint receives events: an `https://` URL (`http://`
/// only to a host the server's operator allows with `--runtime-allow`),
/// without user name or password, at most 2,000 characters. The server's
/// egress policy holds for it as for an agent's runtime.
pub struct WebhookUrl;

impl WebhookUrl {
    pub const MAX_CHARS: usize = 2_000;
    /// An `https://` URL of [`RuntimeUrl::PATTERN`]'s shape (`http://` is for
    /// the hosts an operator allows, which no schema can know).
    pub const PATTERN: &str = concat!(
        "^https://(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\\.)*[a-z](?:[a-z0-9-]*[a-z0-9])?",
        "(?::(?:6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3}))?",
        "(?:/[!$-.0-;=@-~]*)*$",
    );
}

/// An event type a webhook endpoint may subscribe to.
pub struct WebhookEvent;

impl WebhookEvent {
    /// Every event type, as the payloads' `type` names them.
    pub const NAMES: [&str; 6] = [
        "conversation.started",
        "conversation.rated",
        "lead.created",
        "run.failed",
        "usage.daily",
        "handoff.requested",
    ];
}

/// The events an endpoint subscribes to: 1 to 6 of them.
pub struct WebhookEvents;

/// Webhook endpoints an organisation may have: at most 10.
pub struct WebhookEndpoints;

impl WebhookEndpoints {
    pub const MAX_COUNT: usize = 10;
}

/// Where the next page of conversations starts: a page's `nextCursor`.
pub struct ConversationCursor;

impl ConversationCursor {
    pub const PATTERN: &str = "^[0-9]{1,15}\\.cnv_[A-Za-z0-9]{1,60}$";
}

/// A page's `nextCursor` in the list of leads.
pub struct LeadCursor;

impl LeadCursor {
    pub const PATTERN: &str = "^[0-9]{1,15}\\.lead_[A-Za-z0-9]{1,60}$";
}

/// How many items a page of a list holds: 1 to 200 (default 50).
pub struct PageLimit;

impl PageLimit {
    pub const MAX: u32 = 200;
    pub const DEFAULT: u32 = 50;
}

/// A batch of usage events: at most 100 of them.
pub struct UsageEventBatch;

impl UsageEventBatch {
    pub const MAX_EVENTS: usize = 100;
}

#[cfg(feature = "openapi")]
mod schemas {
    //! Each bounded value as a named OpenAPI schema.

    use utoipa::openapi::RefOr;
    use utoipa::openapi::schema::{
        AnyOfBuilder, ArrayBuilder, KnownFormat, ObjectBuilder, Schema, SchemaFormat, SchemaType,
        Type,
    };
    use utoipa::{PartialSchema, ToSchema};

    use super::*;
    use crate::subscriptions::VersionPolicy;
    use crate::wire::UsageEvent;

    fn text(description: &str) -> ObjectBuilder {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some(description))
    }

    fn integer(description: &str, min: u32, max: u32) -> ObjectBuilder {
        // `int32` is a bound too: a `u32` above it needs `int64`.
        let format = if i32::try_from(max).is_ok() {
            KnownFormat::Int32
        } else {
            KnownFormat::Int64
        };
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .format(Some(SchemaFormat::KnownFormat(format)))
            .minimum(Some(min))
            .maximum(Some(max))
            .description(Some(description))
    }

    fn reference<T: ToSchema>() -> RefOr<Schema> {
        RefOr::Ref(utoipa::openapi::Ref::from_schema_name(T::name()))
    }

    /// `impl PartialSchema` and a named `ToSchema` for a value; after `uses`,
    /// the named schemas it refers to, which the spec then defines too.
    macro_rules! named {
        ($($value:ident $(uses $($used:ident),+)? => $schema:expr;)*) => {$(
            impl PartialSchema for $value {
                fn schema() -> RefOr<Schema> {
                    $schema.into()
                }
            }
            impl ToSchema for $value {
                $(fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
                    $(
                        schemas.push((<$used>::name().into(), <$used>::schema()));
                        <$used>::schemas(schemas);
                    )+
                })?
            }
        )*};
    }

    named! {
        WidgetTitle => text("1 to 80 characters on one line, not only white space")
            .min_length(Some(1))
            .max_length(Some(WidgetTitle::MAX_CHARS))
            .pattern(Some(LINE_PATTERN));
        Greeting => text("At most 500 characters; line breaks and tabs, no other control character")
            .max_length(Some(Greeting::MAX_CHARS))
            .pattern(Some(LINES_PATTERN));
        Locale => text("A language tag such as `en` or `pt-BR`").pattern(Some(Locale::PATTERN));
        Colour => text("A colour as `#rrggbb`").pattern(Some(Colour::PATTERN));
        AllowedOrigin => text(
            "An origin (`https://shop.example.com`, `http://127.0.0.1:8788`) or every subdomain \
             of a domain of one's own (`https://*.example.com`; never below a public suffix such \
             as `co.uk`). Test-mode widgets may also list `http://localhost:*`.",
        )
        .pattern(Some(AllowedOrigin::PATTERN));
        AllowedOrigins uses AllowedOrigin => ArrayBuilder::new()
            .items(reference::<AllowedOrigin>())
            .min_items(Some(1))
            .description(Some("At least one origin"));
        StarterPrompt => text("1 to 120 characters on one line, not only white space")
            .min_length(Some(1))
            .max_length(Some(StarterPrompt::MAX_CHARS))
            .pattern(Some(LINE_PATTERN));
        StarterPrompts uses StarterPrompt => ArrayBuilder::new()
            .items(reference::<StarterPrompt>())
            .max_items(Some(StarterPrompts::MAX_COUNT))
            .description(Some("At most four"));
        AvatarUrl => text("An `https://` image: printable ASCII without quotes, `<`, `>` or `\\`")
            .max_length(Some(AvatarUrl::MAX_LEN))
            .pattern(Some(AvatarUrl::PATTERN));
        AvatarUrlChange uses AvatarUrl => AnyOfBuilder::new()
            .item(reference::<AvatarUrl>())
            .item(text("Removes the avatar").enum_values(Some([""])))
            .description(Some("A new avatar, or `\"\"` to remove it"));
        DailyMessageBudget => integer("Messages a day over all visitors", 0, u32::MAX);
        MonthlyMessageBudget => integer(
            "Messages a UTC calendar month over all visitors; 0 for no budget",
            0,
            u32::MAX,
        );
        KeyName => text("1 to 100 characters on one line, not only white space")
            .min_length(Some(1))
            .max_length(Some(KeyName::MAX_CHARS))
            .pattern(Some(LINE_PATTERN));
        Month => text("`YYYY-MM`").pattern(Some(Month::PATTERN));
        KeyLifetimeDays => integer("Days until the key expires", 0, u32::MAX);
        CanaryPercent => integer(
            "A canary's share of the subscriptions that follow the latest version, in percent \
             (0 ends a canary)",
            0,
            u32::from(CanaryPercent::MAX),
        );
        VersionPolicy => AnyOfBuilder::new()
            .item(integer("Pinned to this version", 1, u32::MAX))
            .item(
                text("Follows the newest version")
                    .enum_values(Some([crate::subscriptions::VersionPolicy::LATEST])),
            )
            .description(Some("A version number, or `\"latest\"`"));
        VisitorRate => integer(
            "Messages a minute from one visitor, at most 600; 0 uses the server's limit",
            0,
            VisitorRate::MAX,
        );
        ConversationDays => integer(
            "Days (0 to 365) a visitor's conversation is kept without activity; 0 starts a new \
             conversation on every page load",
            0,
            ConversationDays::MAX,
        );
        AgentName => text("1 to 80 characters on one line, not only white space")
            .min_length(Some(1))
            .max_length(Some(AgentName::MAX_CHARS))
            .pattern(Some(LINE_PATTERN));
        AgentDescription => text("At most 1,000 characters; line breaks and tabs, no other control character")
            .max_length(Some(AgentDescription::MAX_CHARS))
            .pattern(Some(LINES_PATTERN));
        ReleaseNotes => text("At most 4,000 characters; line breaks and tabs, no other control character")
            .max_length(Some(ReleaseNotes::MAX_CHARS))
            .pattern(Some(LINES_PATTERN));
        RuntimeKind => text("The adapter").enum_values(Some(RuntimeKind::NAMES));
        RuntimeUrl => text(
            "An http:// or https:// URL naming a host, without user name, password, query or \
             fragment. Loopback, private, link-local and other non-public addresses are refused \
             (`runtime_not_allowed`) unless the server's operator allows them.",
        )
        .max_length(Some(RuntimeUrl::MAX_CHARS))
        .pattern(Some(RuntimeUrl::PATTERN));
        FlowId => text("At most 2,000 characters, no control character")
            .max_length(Some(FlowId::MAX_CHARS))
            .pattern(Some(NO_CONTROL_PATTERN));
        ModelName => text("At most 2,000 characters, no control character")
            .max_length(Some(ModelName::MAX_CHARS))
            .pattern(Some(NO_CONTROL_PATTERN));
        SystemPrompt => text("At most 8,000 characters; line breaks and tabs, no other control character")
            .max_length(Some(SystemPrompt::MAX_CHARS))
            .pattern(Some(LINES_PATTERN));
        RuntimeKey => text("At most 2,000 characters, no control character; empty for none")
            .max_length(Some(RuntimeKey::MAX_CHARS))
            .pattern(Some(NO_CONTROL_PATTERN));
        ConnectTimeout => integer(
            "Milliseconds until the runtime answers the request",
            ConnectTimeout::MIN_MS,
            ConnectTimeout::MAX_MS,
        );
        FirstEventTimeout => integer(
            "Milliseconds until the runtime's first event; no longer than the total",
            FirstEventTimeout::MIN_MS,
            FirstEventTimeout::MAX_MS,
        );
        IdleTimeout => integer(
            "Milliseconds between two events; no longer than the total",
            IdleTimeout::MIN_MS,
            IdleTimeout::MAX_MS,
        );
        TotalTimeout => integer(
            "Milliseconds for the whole run",
            TotalTimeout::MIN_MS,
            TotalTimeout::MAX_MS,
        );
        Scope => text("A scope").enum_values(Some(Scope::NAMES));
        OrganisationName => text("1 to 200 characters on one line, not only white space")
            .min_length(Some(1))
            .max_length(Some(OrganisationName::MAX_CHARS))
            .pattern(Some(LINE_PATTERN));
        ExternalId => text("1 to 200 characters on one line, not only white space")
            .min_length(Some(1))
            .max_length(Some(ExternalId::MAX_CHARS))
            .pattern(Some(LINE_PATTERN));
        GraceSeconds => integer(
            "Seconds the old key keeps working, at most 30 days",
            0,
            GraceSeconds::MAX,
        );
        VisitorId => text("The `visitorId` an earlier session answered; any other names a new visitor")
            .max_length(Some(VisitorId::MAX_CHARS));
        ChatId => text("1 to 128 characters, no control character")
            .min_length(Some(1))
            .max_length(Some(ChatId::MAX_CHARS))
            .pattern(Some(NO_CONTROL_PATTERN));
        SearchText => text("1 to 200 characters: words, each of which a message must hold")
            .min_length(Some(1))
            .max_length(Some(SearchText::MAX_CHARS));
        WebhookUrl => text(
            "An https:// URL (http:// only to a host the server's operator allows), without user \
             name or password. Loopback, private, link-local and other non-public addresses are \
             refused (`webhook_url_not_allowed`) unless the operator allows them.",
        )
        .max_length(Some(WebhookUrl::MAX_CHARS))
        .pattern(Some(WebhookUrl::PATTERN));
        WebhookEvent => text("An event type").enum_values(Some(WebhookEvent::NAMES));
        WebhookEvents uses WebhookEvent => ArrayBuilder::new()
            .items(reference::<WebhookEvent>())
            .min_items(Some(1))
            .max_items(Some(WebhookEvent::NAMES.len()))
            .unique_items(true)
            .description(Some("At least one event type, each once"));
        PageLimit => integer("Items on a page", 1, PageLimit::MAX);
        ConversationCursor => text("A page's `nextCursor`")
            .pattern(Some(ConversationCursor::PATTERN));
        LeadCursor => text("A page's `nextCursor`").pattern(Some(LeadCursor::PATTERN));
        Day => text("`YYYY-MM-DD`").format(Some(SchemaFormat::KnownFormat(KnownFormat::Date)));
        UsageEventBatch uses UsageEvent => ArrayBuilder::new()
            .items(
                AnyOfBuilder::new()
                    .item(reference::<UsageEvent>())
                    .item(ObjectBuilder::new().schema_type(SchemaType::AnyValue))
                    .description(Some(
                        "A CloudEvent; anything else is answered `rejected` with a reason, alone",
                    )),
            )
            .max_items(Some(UsageEventBatch::MAX_EVENTS))
            .description(Some("At most 100 events"));
    }
}
