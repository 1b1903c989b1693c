//! Integration tests, each on a fresh database (SQLite, or PostgreSQL with
//! `SITEKIT_TEST_DATABASE=postgres`): the server in the test's own process
//! where no agent needs to answer, and the real `sitekit` binary with a real
//! Langflow runtime (`lfx serve`) behind it where one does (see `support/`).

mod admin;
mod agents;
mod agui;
mod assets;
mod at_rest;
mod audit;
mod canary;
mod catalog;
mod chat;
mod claimed_memberships;
mod cli;
mod cluster;
mod config;
mod connections;
mod conversations;
mod dashboard;
mod egress;
#[cfg(feature = "embed-assets")]
mod embedded;
mod engagement;
mod fake_langflow;
mod faults;
mod kept_releases;
mod key_grants;
mod launcher_and_retention;
mod ledger_outage;
mod limits;
mod master_key;
mod members;
mod metering;
mod openai;
mod openapi;
mod operator;
mod provisioning;
mod readiness;
mod remote_cli;
mod request_shapes;
mod retention;
mod runtime_bounds;
mod sdk;
mod sdk_usage;
mod seller_usage;
mod sessions;
mod shared_limits;
mod sign_in;
mod signing;
mod snippet;
mod storage;
mod stream_caps;
mod subscriptions;
mod support;
mod tenant_isolation;
mod usage;
mod usage_by_agent;
mod usage_events;
mod usage_exactly_once;
mod usage_exports;
mod usage_recount;
mod visitors;
mod webhooks;
mod widget_admin;
