//! The `sitekit` command line: `serve`, the local-only `operator-keys` and
//! `secrets`, the operator's `tenants` (on the local database or, with an
//! operator key, a server's operator API), and the admin commands (`agents`,
//! `widgets`, `keys`, `usage`, …) that work on the local database or, with
//! `--server` and `--key`, on a server's admin API.

use std::num::NonZeroU32;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use sitekit_embed_server::agents::RuntimeKind;
use sitekit_embed_server::client_ip::TrustedProxies;
use sitekit_embed_server::egress::EgressPolicy;
use sitekit_embed_server::keys;
use sitekit_embed_server::people::Role;
use sitekit_embed_server::people::claims::ClaimPath;
use sitekit_embed_server::widgets::settings as widget_settings;
use sitekit_sdk::admin;
use sitekit_sdk::admin::AgentTimeouts;
use sitekit_sdk::subscriptions::VersionPolicy;
use sitekit_sdk::wire::{LauncherIcon, Position};

#[derive(Debug, Parser)]
#[command(
    name = "sitekit",
    version,
    about = "Site Kit embed server and admin CLI",
    after_help = "The admin commands (agents, widgets, keys, usage) work on the local database, \
                  or with --server and --key on a running server through its admin API."
)]
pub struct Cli {
    /// Database URL: sqlite://PATH (created if missing) or postgres://…
    /// (its password never shows in --help).
    #[arg(
        long,
        global = true,
        env = "SITEKIT_DATABASE_URL",
        hide_env_values = true,
        default_value = "sqlite://data/sitekit.db"
    )]
    pub database_url: String,
    /// Where agent runtimes may be besides the public internet: host names, IP
    /// addresses or CIDR networks, comma separated (e.g. 127.0.0.1 for a local
    /// Langflow). Loopback, private, link-local and other non-public addresses
    /// are refused unless listed here, both when an agent is saved and when
    /// the server connects.
    #[arg(
        long,
        global = true,
        env = "SITEKIT_RUNTIME_ALLOW",
        default_value = "",
        value_parser = EgressPolicy::parse
    )]
    pub runtime_allow: EgressPolicy,
    #[command(flatten)]
    pub remote: RemoteArgs,
    #[command(flatten)]
    pub master_key: MasterKeyArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Where the admin commands act: with both set, a server's admin API for the
/// key's tenant; with neither, the local database, as its operator.
#[derive(Args)]
pub struct RemoteArgs {
    /// Manage a running server through its admin API instead of the local
    /// database, e.g. https://embed.example.com
    #[arg(long, global = true, env = "SITEKIT_SERVER", value_parser = server_url)]
    pub server: Option<String>,
    /// The secret (skt_sec_…) or restricted (skt_rst_…) key for --server; for
    /// `tenants`, an operator key (skt_op_…). Prefer the environment variable:
    /// arguments are visible to other users of the machine.
    #[arg(long, global = true, env = "SITEKIT_ADMIN_KEY", hide_env_values = true)]
    pub key: Option<String>,
}

impl std::fmt::Debug for RemoteArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The key opens the whole tenant: never print it.
        f.debug_struct("RemoteArgs")
            .field("server", &self.server)
            .finish_non_exhaustive()
    }
}

/// Where the master key comes from: it encrypts agents' runtime keys and the
/// server's own secrets in the database, and is kept outside it.
#[derive(Args)]
pub struct MasterKeyArgs {
    /// The master key that encrypts the secrets stored in the database: 64 hex
    /// characters (e.g. `openssl rand -hex 32`). Prefer the environment variable
    /// or a key file: arguments are visible to other users of the machine.
    #[arg(
        long,
        global = true,
        env = "SITEKIT_MASTER_KEY",
        hide_env_values = true,
        conflicts_with = "master_key_file"
    )]
    pub master_key: Option<String>,
    /// A file holding the master key, readable by its owner only (chmod 600).
    /// Default: data/master.key, which `serve` and the admin commands create
    /// on a database that holds nothing encrypted yet.
    #[arg(long, global = true, env = "SITEKIT_MASTER_KEY_FILE")]
    pub master_key_file: Option<PathBuf>,
}

impl std::fmt::Debug for MasterKeyArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The key opens every stored secret: never print it.
        f.debug_struct("MasterKeyArgs")
            .field("master_key_file", &self.master_key_file)
            .finish_non_exhaustive()
    }
}

fn server_url(text: &str) -> Result<String, String> {
    if text.starts_with("http://") || text.starts_with("https://") {
        Ok(text.trim_end_matches('/').to_owned())
    } else {
        Err("the server's base URL starts with http:// or https://".into())
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the embed server.
    Serve(ServeArgs),
    /// Manage tenants (organisations that buy or sell agents) and their keys,
    /// as the operator: on the local database, or with --server and an
    /// operator key (skt_op_…) through the operator's API.
    #[command(subcommand)]
    Tenants(TenantCommand),
    /// The operator's keys (skt_op_…), which open the operator's API
    /// (/v1/operator/…) to a control plane. Local database only.
    #[command(subcommand)]
    OperatorKeys(OperatorKeyCommand),
    #[command(flatten)]
    Admin(AdminCommand),
    /// The server's own secrets. Local database only.
    #[command(subcommand)]
    Secrets(SecretCommand),
    /// People who sign in to the dashboard with the identity provider, and
    /// their roles: how an organisation gets its first owner. Local database
    /// only.
    #[command(subcommand)]
    Members(MemberCommand),
}

#[derive(Debug, Subcommand)]
pub enum MemberCommand {
    /// Make a person a member of a tenant with a role, or give a member a new
    /// role. The person is named by the identity provider's `sub` for them
    /// (Keycloak: the user's ID), never by a username, which can change.
    Add {
        #[arg(long)]
        tenant: String,
        /// The identity provider's `sub` for the person.
        #[arg(long)]
        subject: String,
        /// Shown until their first sign-in brings the provider's.
        #[arg(long, default_value = "")]
        email: String,
        #[arg(long, default_value = "")]
        name: String,
        /// owner (everything, members too), admin (widgets, agents, keys),
        /// viewer (read widgets and usage) or publisher (catalog and versions).
        #[arg(long)]
        role: Role,
        #[arg(long)]
        json: bool,
    },
    /// A tenant's members and their roles.
    List {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        json: bool,
    },
}

/// The commands that work on the local database and, with --server, remotely.
#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Manage agents (runtime bindings).
    #[command(subcommand)]
    Agents(AgentCommand),
    /// Browse the catalog; as a seller, publish agents and their versions.
    #[command(subcommand)]
    Catalog(CatalogCommand),
    /// As a seller, see how buyers use your published agents.
    #[command(subcommand)]
    Seller(SellerCommand),
    /// As a buyer, subscribe to published agents and choose the version each
    /// runs.
    #[command(subcommand)]
    Subscriptions(SubscriptionCommand),
    /// Manage widgets and print their snippets.
    #[command(subcommand)]
    Widgets(WidgetCommand),
    /// Create, list, rotate and revoke keys, and read their audit trail.
    #[command(subcommand)]
    Keys(KeyCommand),
    /// Usage per UTC day, agent, widget and key: conversations, runs, messages,
    /// characters, tokens, errors, feedback, loads and opens. `usage by-agent`:
    /// every agent across all tenants (local database only).
    Usage(UsageArgs),
}

#[derive(Debug, Subcommand)]
pub enum SecretCommand {
    /// Replace the stored session signing key. Sessions signed with the old key
    /// stay valid until they expire; running servers switch within their key
    /// refresh interval. Rotate twice to end the old sessions at once.
    RotateSessionKey,
    /// Re-encrypt every stored secret under a new master key, in one
    /// transaction (safe to run again if cut short), then restart every node
    /// with the new key. The current key comes from --master-key,
    /// --master-key-file or data/master.key, as for `serve`.
    RotateMasterKey {
        /// The new key's file; made, with a new random key (mode 0600), if missing.
        #[arg(long)]
        new_key_file: PathBuf,
    },
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, env = "SITEKIT_BIND", default_value = "127.0.0.1:8787")]
    pub bind: String,
    /// The server's base URL as web pages reach it (behind a proxy or CDN, its
    /// public address), used in snippets. Default: http:// plus the bound address.
    #[arg(long, env = "SITEKIT_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Directory with the built browser assets (`cargo xtask build` writes dist/).
    /// Without it, assets baked into the binary are used, else ./dist.
    #[arg(long, env = "SITEKIT_ASSETS_DIR")]
    pub assets_dir: Option<PathBuf>,
    /// The session signing secret (at least 32 characters). Without it, a secret
    /// generated once and stored in the database is used (`sitekit secrets
    /// rotate-session-key` replaces that one). Give every node the same value.
    #[arg(long, env = "SITEKIT_SESSION_SECRET", hide_env_values = true)]
    pub session_secret: Option<String>,
    /// The secret before the last rotation of --session-secret: sessions it
    /// signed stay valid until they expire.
    #[arg(
        long,
        env = "SITEKIT_PREVIOUS_SESSION_SECRET",
        hide_env_values = true,
        requires = "session_secret"
    )]
    pub previous_session_secret: Option<String>,
    /// Lifetime of session tokens, in seconds.
    #[arg(long, env = "SITEKIT_SESSION_TTL_SECS", default_value_t = 600, value_parser = clap::value_parser!(u64).range(30..=86_400))]
    pub session_ttl_secs: u64,
    /// Browser requests (config, sessions, chat) one IP address may make a minute.
    #[arg(
        long,
        env = "SITEKIT_REQUESTS_PER_IP_PER_MINUTE",
        default_value = "120"
    )]
    pub requests_per_ip_per_minute: NonZeroU32,
    /// New sessions one widget may start a minute, over all its visitors.
    #[arg(
        long,
        env = "SITEKIT_SESSIONS_PER_KEY_PER_MINUTE",
        default_value = "600"
    )]
    pub sessions_per_key_per_minute: NonZeroU32,
    /// How often each node reloads key revocations, in seconds; a revoked key's
    /// sessions end within this time.
    #[arg(long, env = "SITEKIT_KEY_REFRESH_SECS", default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=300))]
    pub key_refresh_secs: u64,
    /// Chat messages one visitor may send a minute.
    #[arg(
        long,
        env = "SITEKIT_MESSAGES_PER_VISITOR_PER_MINUTE",
        default_value = "20"
    )]
    pub messages_per_visitor_per_minute: NonZeroU32,
    /// Admin API requests one secret or restricted key may make a minute.
    #[arg(
        long,
        env = "SITEKIT_ADMIN_REQUESTS_PER_KEY_PER_MINUTE",
        default_value = "600"
    )]
    pub admin_requests_per_key_per_minute: NonZeroU32,
    /// Admin API requests one IP address may make a minute, counted before the
    /// key is looked up.
    #[arg(
        long,
        env = "SITEKIT_ADMIN_REQUESTS_PER_IP_PER_MINUTE",
        default_value = "600"
    )]
    pub admin_requests_per_ip_per_minute: NonZeroU32,
    /// The load balancers and proxies in front of this server (addresses or
    /// CIDR networks, comma separated). Only from these peers is
    /// X-Forwarded-For read, for the right-most address that is not one of
    /// them; from any other peer the connection's address is the client's.
    #[arg(
        long,
        env = "SITEKIT_TRUSTED_PROXIES",
        default_value = "",
        value_parser = TrustedProxies::parse
    )]
    pub trusted_proxies: TrustedProxies,
    /// New chat sessions one IP address may start a minute, over all widgets.
    #[arg(long, env = "SITEKIT_SESSIONS_PER_IP_PER_MINUTE", default_value = "30")]
    pub sessions_per_ip_per_minute: NonZeroU32,
    /// Days a thread's messages are kept (for history and returning visitors).
    #[arg(long, env = "SITEKIT_THREAD_RETENTION_DAYS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3650))]
    pub thread_retention_days: u64,
    /// Days the visitors' usage events (loads, opens, feedback, a page's own
    /// events) are kept; the daily usage roll-ups keep what they added.
    #[arg(long, env = "SITEKIT_USAGE_EVENT_RETENTION_DAYS", default_value_t = 90, value_parser = clap::value_parser!(u64).range(1..=3650))]
    pub usage_event_retention_days: u64,
    /// Days the keys' audit trail (created, rotated, revoked, by whom) is kept.
    #[arg(long, env = "SITEKIT_KEY_EVENT_RETENTION_DAYS", default_value_t = 400, value_parser = clap::value_parser!(u64).range(1..=3650))]
    pub key_event_retention_days: u64,
    /// Usage events one widget may have accepted a UTC day; past it, the day's
    /// further events are rejected (`daily_limit_reached`).
    #[arg(
        long,
        env = "SITEKIT_USAGE_EVENTS_PER_WIDGET_PER_DAY",
        default_value_t = 100_000,
        value_parser = clap::value_parser!(u32).range(1..)
    )]
    pub usage_events_per_widget_per_day: u32,
    /// Seconds open chat streams may run on after SIGTERM or Ctrl-C.
    #[arg(long, env = "SITEKIT_SHUTDOWN_GRACE_SECS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(0..=3600))]
    pub shutdown_grace_secs: u64,
    /// Seconds the server goes on serving after SIGTERM or Ctrl-C while
    /// GET /readyz answers 503, before it stops accepting connections: behind
    /// a load balancer, as long as the balancer takes to notice (its health
    /// check interval times the failures it waits for), so no new chat is
    /// sent to a node that is going away.
    #[arg(long, env = "SITEKIT_DRAIN_SECS", default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=600))]
    pub drain_secs: u64,
    /// Milliseconds a webhook delivery waits after its first failed attempt;
    /// later pauses grow from it (×6, ×24, … up to 8 hours at the default).
    /// For tests, which cannot wait minutes for a retry.
    #[arg(long, env = "SITEKIT_WEBHOOK_FIRST_RETRY_MS", default_value_t = 5_000, hide = true, value_parser = clap::value_parser!(u64).range(1..=3_600_000))]
    pub webhook_first_retry_ms: u64,
    /// Releases whose pinned loader and widget files stay servable, this one
    /// included: each server keeps its release in the database (about 0.5 MB),
    /// so pinned snippets survive upgrades; older ones are forgotten.
    #[arg(long, env = "SITEKIT_KEPT_RELEASES", default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub kept_releases: u32,
    /// Chat streams this server keeps open at once; past it a new chat gets 429.
    #[arg(long, env = "SITEKIT_MAX_STREAMS", default_value_t = 10_000, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_streams: u32,
    /// Chat streams one widget may have open at once on this server.
    #[arg(long, env = "SITEKIT_MAX_STREAMS_PER_WIDGET", default_value_t = 2_000, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_streams_per_widget: u32,
    /// A Redis (redis://[:password@]host:port[/db]) that every node of the
    /// install counts its rate limits in, so N nodes together allow each
    /// limit once, not N times. While it does not answer, each node limits
    /// on its own (logged once) and goes back to it when it answers.
    #[arg(long, env = "SITEKIT_REDIS_URL", hide_env_values = true)]
    pub redis_url: Option<String>,
    /// The OpenID Connect provider people sign in to the dashboard with, by its
    /// issuer URL (discovery reads <issuer>/.well-known/openid-configuration),
    /// e.g. https://keycloak.example.com/realms/marketplace. Its client must
    /// allow the redirect URI <public URL>/v1/auth/callback.
    #[arg(long, env = "SITEKIT_OIDC_ISSUER", requires_all = ["oidc_client_id", "oidc_client_secret"])]
    pub oidc_issuer: Option<String>,
    /// The dashboard's client id at the provider.
    #[arg(long, env = "SITEKIT_OIDC_CLIENT_ID", requires = "oidc_issuer")]
    pub oidc_client_id: Option<String>,
    /// The dashboard's client secret at the provider (a confidential client).
    #[arg(
        long,
        env = "SITEKIT_OIDC_CLIENT_SECRET",
        hide_env_values = true,
        requires = "oidc_issuer"
    )]
    pub oidc_client_secret: Option<String>,
    /// The ID token claim that names a person's organisations, by a dotted
    /// path (e.g. waldur.organisations): a list of organisation external ids
    /// (each a viewer), a list of {"id", "role"}, or an object of roles by id.
    /// People then land in those organisations without an invitation, and
    /// leave them when the claim stops naming them.
    #[arg(
        long,
        env = "SITEKIT_OIDC_ORGANISATIONS_CLAIM",
        requires = "oidc_issuer"
    )]
    pub oidc_organisations_claim: Option<ClaimPath>,
    /// With --oidc-issuer, also offer signing in to the dashboard with a secret
    /// key (off by default: people sign in with the identity provider; the
    /// admin API takes keys from programs either way). Without an identity
    /// provider, the dashboard always takes keys.
    #[arg(long, env = "SITEKIT_DASHBOARD_KEY_SIGN_IN")]
    pub dashboard_key_sign_in: bool,
    /// Minutes a signed-in person's dashboard session may go unused before it ends.
    #[arg(long, env = "SITEKIT_DASHBOARD_IDLE_MINUTES", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=1440))]
    pub dashboard_idle_minutes: u64,
    /// Hours after sign-in a dashboard session ends, used or not.
    #[arg(long, env = "SITEKIT_DASHBOARD_SESSION_HOURS", default_value_t = 12, value_parser = clap::value_parser!(u64).range(1..=720))]
    pub dashboard_session_hours: u64,
}

/// A role of an organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OrgRole {
    /// Puts agents on its sites.
    Buyer,
    /// Publishes agents to the catalog.
    Seller,
}

#[derive(Debug, Subcommand)]
pub enum TenantCommand {
    /// Create a tenant: an organisation that buys agents, sells them, or both.
    Create {
        #[arg(long)]
        name: String,
        /// What it does on the marketplace; repeat for both.
        #[arg(long = "role", value_enum, default_value = "buyer")]
        roles: Vec<OrgRole>,
        /// Its id in the marketplace that provisions it: if a tenant has it
        /// already, that tenant is shown instead of a new one made.
        #[arg(long)]
        external_id: Option<String>,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// List every tenant, oldest first.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Show one tenant.
    Show {
        /// The tenant id (`ten_…`).
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// Create a secret or restricted key of a tenant. The key is printed once
    /// and never again.
    CreateKey {
        /// The tenant id (`ten_…`).
        id: String,
        #[command(flatten)]
        key: NewKeyArgs,
        #[arg(long)]
        json: bool,
    },
    /// List a tenant's keys (display form only).
    Keys {
        /// The tenant id (`ten_…`).
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// Replace a key of a tenant; the old one keeps working for the grace
    /// period. The new key is printed once.
    RotateKey {
        /// The tenant id (`ten_…`).
        id: String,
        /// The key id (`key_…`).
        #[arg(value_name = "KEY_ID")]
        key_id: String,
        #[command(flatten)]
        grace: RotationGrace,
        #[arg(long)]
        json: bool,
    },
    /// The audit trail of a key of a tenant.
    KeyEvents {
        /// The tenant id (`ten_…`).
        id: String,
        /// The key id (`key_…`).
        #[arg(value_name = "KEY_ID")]
        key_id: String,
        #[arg(long)]
        json: bool,
    },
    /// Revoke a key of a tenant: it stops working and its live sessions end.
    RevokeKey {
        /// The tenant id (`ten_…`).
        id: String,
        /// The key id (`key_…`).
        #[arg(value_name = "KEY_ID")]
        key_id: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum OperatorKeyCommand {
    /// Create an operator key: every operator scope (organisations:read,
    /// organisations:write, organisation-keys:write, provisioning:write)
    /// unless --scopes lists fewer. The key is printed once and never again.
    Create {
        /// What the key is for, e.g. "Waldur site agent".
        #[arg(long, default_value = "")]
        note: String,
        /// E.g. "organisations:read".
        #[arg(long)]
        scopes: Option<String>,
        /// Days until the key stops working (default: never).
        #[arg(long)]
        expires_in_days: Option<u32>,
        #[arg(long)]
        json: bool,
    },
    /// List the operator keys (display form only).
    List {
        #[arg(long)]
        json: bool,
    },
    /// Revoke an operator key: it stops working at once.
    Revoke {
        /// The key id (`opk_…`).
        id: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum AgentCommand {
    /// Bind an agent runtime to a tenant.
    Create {
        /// The tenant (local database only; with --server, the key's tenant).
        #[arg(long)]
        tenant: Option<String>,
        #[arg(long)]
        name: String,
        #[arg(long, value_enum, default_value_t = RuntimeKind::Langflow)]
        runtime: RuntimeKind,
        /// Langflow: the server, e.g. http://127.0.0.1:7860; openai: the API base,
        /// e.g. https://api.openai.com/v1; agui: the agent's endpoint.
        #[arg(long)]
        base_url: String,
        /// The Langflow flow id (langflow only).
        #[arg(long, default_value = "")]
        flow_id: String,
        /// The model (openai only), e.g. gpt-4o-mini.
        #[arg(long)]
        model: Option<String>,
        /// Sent first in every conversation (openai only).
        #[arg(long)]
        system_prompt: Option<String>,
        #[command(flatten)]
        timeouts: TimeoutArgs,
        /// The runtime credential (Langflow or OpenAI API key, AG-UI bearer token).
        /// Prefer the environment variable: arguments are visible to other users
        /// of the machine.
        #[arg(
            long,
            env = "SITEKIT_RUNTIME_KEY",
            hide_env_values = true,
            default_value = ""
        )]
        runtime_key: String,
        #[arg(long)]
        json: bool,
    },
    /// List agents.
    List {
        /// Only this tenant's (local database only).
        #[arg(long)]
        tenant: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Show one agent (never its runtime credential).
    Show {
        /// The agent id (`agt_…`).
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// Change an agent's name, runtime address, flow or credential.
    Update {
        /// The agent id (`agt_…`).
        id: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        base_url: Option<String>,
        #[arg(long)]
        flow_id: Option<String>,
        #[arg(long)]
        model: Option<String>,
        #[arg(long)]
        system_prompt: Option<String>,
        #[command(flatten)]
        timeouts: TimeoutArgs,
        /// A new runtime credential; when the environment variable is set, it is
        /// sent too.
        #[arg(long, env = "SITEKIT_RUNTIME_KEY", hide_env_values = true)]
        runtime_key: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Delete an agent no widget uses any more.
    Delete {
        /// The agent id (`agt_…`).
        id: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum CatalogCommand {
    /// List the published agents: every seller's not withdrawn, and your own.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Show one published agent and its versions.
    Show {
        /// The published agent id (`pag_…`).
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// Add an agent to the catalog (a seller's); buyers see it once a version
    /// is published.
    Create {
        /// The selling tenant (local database only; with --server, the key's).
        #[arg(long)]
        tenant: Option<String>,
        #[arg(long)]
        name: String,
        #[arg(long, default_value = "")]
        description: String,
        /// An https:// image.
        #[arg(long)]
        icon_url: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Change a published agent's name, description or icon.
    Update {
        /// The published agent id (`pag_…`).
        id: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        description: Option<String>,
        /// A new https:// image, or "" to remove it.
        #[arg(long)]
        icon_url: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Tell buyers to move on; nothing stops working.
    Deprecate {
        /// The published agent id (`pag_…`).
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// Take no new subscriptions; buyers who have one keep it.
    Withdraw {
        /// The published agent id (`pag_…`).
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// Make a deprecated or withdrawn agent active again.
    Restore {
        /// The published agent id (`pag_…`).
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// Publish the next version. The first names its runtime as `agents
    /// create` does; a later one keeps what it does not name from the latest.
    Publish {
        /// The published agent id (`pag_…`).
        id: String,
        /// A new kind of runtime (then name its address and credential too).
        #[arg(long, value_enum)]
        runtime: Option<RuntimeKind>,
        #[arg(long)]
        base_url: Option<String>,
        #[arg(long)]
        flow_id: Option<String>,
        #[arg(long)]
        model: Option<String>,
        #[arg(long)]
        system_prompt: Option<String>,
        #[command(flatten)]
        timeouts: TimeoutArgs,
        /// The runtime credential; the latest version's when left out. Prefer
        /// the environment variable: arguments are visible to other users of
        /// the machine.
        #[arg(long, env = "SITEKIT_RUNTIME_KEY", hide_env_values = true)]
        runtime_key: Option<String>,
        /// What changed, for buyers.
        #[arg(long, default_value = "")]
        release_notes: String,
        /// Let buyers add to the system prompt.
        #[arg(long)]
        buyer_prompt_addendum: bool,
        /// Release it as a canary to this share (1 to 99 percent) of the
        /// subscriptions that follow the latest; the rest keep the released
        /// version until `catalog release` or `catalog canary … 0`.
        #[arg(long)]
        canary_percent: Option<u8>,
        #[arg(long)]
        json: bool,
    },
    /// Release a version to every subscription that follows the latest: the
    /// canary's promotes it, an earlier one rolls back.
    Release {
        /// The published agent id (`pag_…`).
        id: String,
        version: u32,
        #[arg(long)]
        json: bool,
    },
    /// Change the canary's share of the subscriptions that follow the latest;
    /// 0 rolls it back (they all run the released version again).
    Canary {
        /// The published agent id (`pag_…`).
        id: String,
        percent: u8,
        #[arg(long)]
        json: bool,
    },
}

/// A run's time limits, in milliseconds; those left out keep their value (or
/// the default, for a new agent).
#[derive(Debug, Clone, Copy, Default, Args)]
pub struct TimeoutArgs {
    /// Until the runtime answers.
    #[arg(long)]
    pub connect_timeout_ms: Option<u32>,
    /// Until its first event.
    #[arg(long)]
    pub first_event_timeout_ms: Option<u32>,
    /// Between two events.
    #[arg(long)]
    pub idle_timeout_ms: Option<u32>,
    /// For the whole run.
    #[arg(long)]
    pub total_timeout_ms: Option<u32>,
}

impl TimeoutArgs {
    /// `base` with the limits given here; None when none was given.
    pub fn over(self, base: AgentTimeouts) -> Option<AgentTimeouts> {
        let given = self.connect_timeout_ms.is_some()
            || self.first_event_timeout_ms.is_some()
            || self.idle_timeout_ms.is_some()
            || self.total_timeout_ms.is_some();
        given.then(|| AgentTimeouts {
            connect_ms: self.connect_timeout_ms.unwrap_or(base.connect_ms),
            first_event_ms: self.first_event_timeout_ms.unwrap_or(base.first_event_ms),
            idle_ms: self.idle_timeout_ms.unwrap_or(base.idle_ms),
            total_ms: self.total_timeout_ms.unwrap_or(base.total_ms),
        })
    }
}

#[derive(Debug, Subcommand)]
pub enum SellerCommand {
    /// Per version, buyer and UTC day: runs, conversations, tokens, errors,
    /// ratings, time to the first event and duration (p50/p95), and who
    /// subscribes. No visitor, thread or text.
    Usage {
        /// The selling tenant (local database only; with --server, the key's).
        #[arg(long)]
        tenant: Option<String>,
        /// First day, YYYY-MM-DD (default: 29 days before --to).
        #[arg(long)]
        from: Option<String>,
        /// Last day, YYYY-MM-DD, inclusive (default: today, UTC).
        #[arg(long)]
        to: Option<String>,
        /// Only this published agent (`pag_…`).
        #[arg(long)]
        published_agent: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum SubscriptionCommand {
    /// List the subscriptions and the version each runs now.
    List {
        /// One tenant's (local database only).
        #[arg(long)]
        tenant: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Show one subscription.
    Show {
        /// The subscription id (`sub_…`).
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// Subscribe to a published agent (see `catalog list`).
    Create {
        /// The buying tenant (local database only; with --server, the key's).
        #[arg(long)]
        tenant: Option<String>,
        /// The published agent id (`pag_…`).
        #[arg(long)]
        published_agent: String,
        /// A version number to pin, or `latest` to follow each new version.
        #[arg(long, default_value = "latest", value_parser = parse_version_policy)]
        version: VersionPolicy,
        #[arg(long)]
        json: bool,
    },
    /// Pin a version (to upgrade or roll back) or follow the latest; the next
    /// chat runs it.
    SetVersion {
        /// The subscription id (`sub_…`).
        id: String,
        /// A version number, or `latest`.
        #[arg(value_parser = parse_version_policy)]
        version: VersionPolicy,
        #[arg(long)]
        json: bool,
    },
}

fn parse_version_policy(text: &str) -> Result<VersionPolicy, String> {
    VersionPolicy::parse(text)
        .ok_or_else(|| format!("`{text}` is neither a version number from 1 nor `latest`"))
}

#[derive(Debug, Subcommand)]
pub enum WidgetCommand {
    /// Create a widget for an agent or a subscription and print its snippet.
    Create {
        /// An agent of your own (`agt_…`).
        #[arg(
            long,
            required_unless_present = "subscription",
            conflicts_with = "subscription"
        )]
        agent: Option<String>,
        /// A subscription to a published agent (`sub_…`); each chat runs the
        /// version it resolves to.
        #[arg(long)]
        subscription: Option<String>,
        /// A website allowed to embed the widget, e.g. https://shop.example.com
        /// (repeat for more).
        #[arg(long = "origin", required = true)]
        origins: Vec<String>,
        #[arg(long, default_value = widget_settings::DEFAULT_TITLE)]
        title: String,
        #[arg(long, default_value = widget_settings::DEFAULT_GREETING)]
        greeting: String,
        #[arg(long, default_value = widget_settings::DEFAULT_LOCALE)]
        locale: String,
        /// Primary colour as #rrggbb.
        #[arg(long, default_value = widget_settings::DEFAULT_COLOUR)]
        color: String,
        /// Colour of text on the primary colour, as #rrggbb.
        #[arg(long, default_value = widget_settings::DEFAULT_TEXT_COLOUR)]
        text_color: String,
        #[arg(long, value_enum, default_value_t = PositionArg::Right)]
        position: PositionArg,
        /// Messages a day the widget answers over all its visitors (0: no budget).
        #[arg(long, default_value_t = admin::DEFAULT_DAILY_MESSAGE_BUDGET)]
        daily_messages: u32,
        /// A suggestion shown before the first message (repeat for up to four).
        #[arg(long = "starter-prompt")]
        starter_prompts: Vec<String>,
        /// An https:// image shown for the agent.
        #[arg(long)]
        avatar_url: Option<String>,
        /// Messages one visitor may send a minute (0: the server's default).
        #[arg(long, default_value_t = 0)]
        messages_per_visitor_per_minute: u32,
        /// Show visitors the agent's tool calls.
        #[arg(long)]
        show_tool_events: bool,
        /// The launcher bubble's icon.
        #[arg(long, value_enum, default_value_t = LauncherIconArg::Chat)]
        launcher_icon: LauncherIconArg,
        /// Days a visitor's conversation is kept without activity, across reloads
        /// and pages (0 to 365; 0: a new conversation on every page load).
        #[arg(long, default_value_t = sitekit_sdk::wire::DEFAULT_CONVERSATION_DAYS)]
        conversation_days: u32,
        /// What the widget asks visitors besides chat, as the admin API's
        /// `engagement` JSON, e.g. '{"csat":true,"handoff":true,"leadForm":
        /// {"fields":["name","email"],"when":"onFailure","consentText":"…"}}'.
        #[arg(long, value_parser = engagement_json)]
        engagement: Option<sitekit_sdk::wire::Engagement>,
        /// Issue a test-mode key (skt_pub_test_…) instead of a live one.
        #[arg(long)]
        test_mode: bool,
        /// The server's public base URL, used in the snippet (local database
        /// only; with --server, the server's own).
        #[arg(
            long,
            env = "SITEKIT_PUBLIC_URL",
            default_value = "http://127.0.0.1:8787"
        )]
        public_url: String,
        #[arg(long)]
        json: bool,
    },
    /// List widgets.
    List {
        /// Only this tenant's (local database only).
        #[arg(long)]
        tenant: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Show one widget's settings.
    Show {
        /// The widget id (`wgt_…`).
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// Change a widget's settings; what you leave out stays as it is.
    Update {
        /// The widget id (`wgt_…`).
        id: String,
        #[arg(long)]
        title: Option<String>,
        #[arg(long)]
        greeting: Option<String>,
        #[arg(long)]
        locale: Option<String>,
        /// Primary colour as #rrggbb.
        #[arg(long)]
        color: Option<String>,
        /// Colour of text on the primary colour, as #rrggbb.
        #[arg(long)]
        text_color: Option<String>,
        #[arg(long, value_enum)]
        position: Option<PositionArg>,
        /// The allowed origins, replacing the current ones (repeat for more).
        #[arg(long = "origin")]
        origins: Vec<String>,
        /// Answer visitors again.
        #[arg(long, conflicts_with = "disable")]
        enable: bool,
        /// Stop answering visitors (the snippet stays on the pages, silent).
        #[arg(long)]
        disable: bool,
        /// Messages a day over all visitors (0: no budget).
        #[arg(long)]
        daily_messages: Option<u32>,
        /// The starter prompts, replacing the current ones (repeat for up to four).
        #[arg(long = "starter-prompt")]
        starter_prompts: Vec<String>,
        /// Remove every starter prompt.
        #[arg(long, conflicts_with = "starter_prompts")]
        no_starter_prompts: bool,
        /// An https:// image shown for the agent; "" removes it.
        #[arg(long)]
        avatar_url: Option<String>,
        /// Messages one visitor may send a minute (0: the server's default).
        #[arg(long)]
        messages_per_visitor_per_minute: Option<u32>,
        /// Show visitors the agent's tool calls (--show-tool-events true|false).
        #[arg(long)]
        show_tool_events: Option<bool>,
        /// The launcher bubble's icon.
        #[arg(long, value_enum)]
        launcher_icon: Option<LauncherIconArg>,
        /// Days a visitor's conversation is kept without activity, across reloads
        /// and pages (0 to 365; 0: a new conversation on every page load).
        #[arg(long)]
        conversation_days: Option<u32>,
        /// What the widget asks visitors besides chat, as the admin API's
        /// `engagement` JSON, e.g. '{"csat":true,"handoff":true,"leadForm":
        /// {"fields":["name","email"],"when":"onFailure","consentText":"…"}}'.
        #[arg(long, value_parser = engagement_json)]
        engagement: Option<sitekit_sdk::wire::Engagement>,
        #[arg(long)]
        json: bool,
    },
    /// Delete a widget: its publishable key is revoked and its sessions end.
    Delete {
        /// The widget id (`wgt_…`).
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// Print a widget's snippets: auto-updating, and pinned to this release's
    /// loader with Subresource Integrity.
    Snippet {
        /// The widget id (`wgt_…`).
        id: String,
        /// The server's public base URL, used in the snippets (local database
        /// only; with --server, the server's own).
        #[arg(
            long,
            env = "SITEKIT_PUBLIC_URL",
            default_value = "http://127.0.0.1:8787"
        )]
        public_url: String,
        /// The built browser assets the server serves (as for `serve`): without
        /// it, assets baked into the binary, else ./dist (local database only).
        #[arg(long, env = "SITEKIT_ASSETS_DIR")]
        assets_dir: Option<PathBuf>,
        /// Print the same JSON as `GET /v1/widgets/<id>/snippet`.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum PositionArg {
    Left,
    Right,
}

impl From<PositionArg> for Position {
    fn from(position: PositionArg) -> Self {
        match position {
            PositionArg::Left => Position::Left,
            PositionArg::Right => Position::Right,
        }
    }
}

/// [`LauncherIcon`] for clap, which lists the names in `--help` and refuses others.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LauncherIconArg {
    /// A speech bubble.
    Chat,
    /// A question mark.
    Help,
    Sparkles,
    Headset,
}

impl From<LauncherIconArg> for LauncherIcon {
    fn from(icon: LauncherIconArg) -> Self {
        match icon {
            LauncherIconArg::Chat => LauncherIcon::Chat,
            LauncherIconArg::Help => LauncherIcon::Help,
            LauncherIconArg::Sparkles => LauncherIcon::Sparkles,
            LauncherIconArg::Headset => LauncherIcon::Headset,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Create a secret key (every admin scope of a tenant) or a restricted key
    /// (the scopes you list). The key is printed once and never again.
    Create {
        /// The tenant (local database only; with --server, the key's tenant).
        #[arg(long)]
        tenant: Option<String>,
        #[command(flatten)]
        key: NewKeyArgs,
        #[arg(long)]
        json: bool,
    },
    /// List keys (display form only; secrets are never shown again).
    List {
        /// Only this tenant's (local database only).
        #[arg(long)]
        tenant: Option<String>,
        /// Only the keys of this widget.
        #[arg(long)]
        widget: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Replace a secret or restricted key; the old one keeps working for the grace
    /// period. The new key is printed once.
    Rotate {
        id: String,
        #[command(flatten)]
        grace: RotationGrace,
        #[arg(long)]
        json: bool,
    },
    /// Revoke a key: it stops working and its live sessions end.
    Revoke {
        /// The key id (`key_…`), as `keys list` shows it.
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// The audit trail of a key.
    Events {
        /// The key id (`key_…`), as `keys list` shows it.
        id: String,
        #[arg(long)]
        json: bool,
    },
}

/// How long a rotated key keeps working.
#[derive(Debug, Args)]
pub struct RotationGrace {
    /// Seconds the old key keeps working (at most 30 days).
    #[arg(
        long,
        default_value_t = keys::DEFAULT_ROTATION_GRACE_SECS,
        value_parser = clap::value_parser!(u32).range(0..=i64::from(keys::MAX_ROTATION_GRACE_SECS))
    )]
    pub grace_secs: u32,
}

/// A new secret or restricted key.
#[derive(Debug, Args)]
pub struct NewKeyArgs {
    #[arg(long, value_enum)]
    pub kind: AdminKeyKind,
    /// For restricted keys: e.g. "widgets:read usage:read".
    #[arg(long)]
    pub scopes: Option<String>,
    /// Days until the key stops working (default: never).
    #[arg(long)]
    pub expires_in_days: Option<u32>,
    /// Issue a test-mode key (skt_…_test_…).
    #[arg(long)]
    pub test_mode: bool,
    /// A label to tell keys apart, e.g. where the key is used.
    #[arg(long)]
    pub name: Option<String>,
}

impl From<NewKeyArgs> for admin::NewKeyRequest {
    fn from(args: NewKeyArgs) -> Self {
        admin::NewKeyRequest {
            kind: args.kind.into(),
            scopes: args.scopes.map(|list| {
                list.split([' ', ','])
                    .filter(|scope| !scope.is_empty())
                    .map(str::to_owned)
                    .collect()
            }),
            expires_in_days: args.expires_in_days,
            test_mode: args.test_mode,
            name: args.name,
        }
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum AdminKeyKind {
    Secret,
    Restricted,
}

impl From<AdminKeyKind> for admin::AdminKeyKind {
    fn from(kind: AdminKeyKind) -> Self {
        match kind {
            AdminKeyKind::Secret => admin::AdminKeyKind::Secret,
            AdminKeyKind::Restricted => admin::AdminKeyKind::Restricted,
        }
    }
}

/// `sitekit usage`: the report (filters as flags), or a view given as a subcommand.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct UsageArgs {
    #[command(subcommand)]
    pub view: Option<UsageView>,
    #[command(flatten)]
    pub report: UsageReportArgs,
}

#[derive(Debug, Subcommand)]
pub enum UsageView {
    /// Every agent's usage across all tenants, for whoever runs the server.
    /// Local database only.
    ByAgent(UsageByAgentArgs),
}

#[derive(Debug, Args)]
pub struct UsageReportArgs {
    /// First day, YYYY-MM-DD (default: 29 days before --to).
    #[arg(long)]
    pub from: Option<String>,
    /// Last day, YYYY-MM-DD, inclusive (default: today, UTC).
    #[arg(long)]
    pub to: Option<String>,
    /// Only this agent's usage.
    #[arg(long)]
    pub agent: Option<String>,
    /// Only this widget's usage.
    #[arg(long)]
    pub widget: Option<String>,
    /// Only the usage of sessions from this publishable key (its id, key_…;
    /// `--key` is the admin key for --server).
    #[arg(long)]
    pub key_id: Option<String>,
    /// Rows per UTC day (the only granularity so far).
    #[arg(long, value_enum)]
    pub granularity: Option<GranularityArg>,
    /// Only this tenant's usage (local database only).
    #[arg(long)]
    pub tenant: Option<String>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct UsageByAgentArgs {
    /// First day, YYYY-MM-DD (default: 29 days before --to).
    #[arg(long)]
    pub from: Option<String>,
    /// Last day, YYYY-MM-DD, inclusive (default: today, UTC).
    #[arg(long)]
    pub to: Option<String>,
    #[arg(long)]
    pub json: bool,
}

/// [`admin::UsageGranularity`] for clap.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum GranularityArg {
    Day,
}

impl From<GranularityArg> for admin::UsageGranularity {
    fn from(granularity: GranularityArg) -> Self {
        match granularity {
            GranularityArg::Day => admin::UsageGranularity::Day,
        }
    }
}

/// `--engagement`: the admin API's JSON, checked as the API checks it later.
fn engagement_json(text: &str) -> Result<sitekit_sdk::wire::Engagement, String> {
    serde_json::from_str(text).map_err(|error| format!("not engagement settings: {error}"))
}
