//! The `sitekit` binary's own modules: the command line (`args`), what each
//! admin command prints (`commands`, and `catalog`, `subscriptions` and
//! `seller` for theirs), where it acts (`backend`: the local
//! database in `local`, or a server's admin API), the operator's `tenants`
//! (local or through the operator's API), `operator_keys` and `members`
//! (local), the
//! master key's source, and `serve`'s setup. The library never imports these.

pub mod args;
pub mod backend;
pub mod catalog;
pub mod commands;
pub mod local;
pub mod master_key_source;
pub mod members;
pub mod operator_keys;
pub mod seller;
pub mod serve;
pub mod subscriptions;
pub mod tenants;
