//! The rules a widget's settings follow, shared by the CLI and the admin API so
//! both refuse the same things with the same words.

use crate::origin::{OriginAllowlist, OriginPattern};

pub const DEFAULT_TITLE: &str = "Chat with us";
pub const DEFAULT_GREETING: &str = "Hi! How can I help you today?";
pub const DEFAULT_LOCALE: &str = "en";
pub const DEFAULT_COLOUR: &str = "#2563eb";

/// A setting that breaks a rule, said so a person can fix it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SettingsError(pub String);

/// Parses allowed origins; `localhost:*` only for test-mode widgets.
pub fn allowlist(texts: &[String], test_mode: bool) -> Result<OriginAllowlist, SettingsError> {
    if texts.is_empty() {
        return Err(SettingsError("name at least one allowed origin".into()));
    }
    let patterns = texts
        .iter()
        .map(|text| OriginPattern::parse(text))
        .collect::<Result<Vec<_>, _>>()
        .map_err(SettingsError)?;
    if !test_mode && let Some(pattern) = patterns.iter().find(|p| p.needs_test_mode()) {
        return Err(SettingsError(format!(
            "the origin {} is only allowed for test-mode widgets (--test-mode)",
            pattern.to_text()
        )));
    }
    Ok(OriginAllowlist::new(patterns))
}

pub fn check_colour(colour: &str) -> Result<(), SettingsError> {
    let valid = colour.len() == 7
        && colour.starts_with('#')
        && colour[1..].bytes().all(|b| b.is_ascii_hexdigit());
    if valid {
        Ok(())
    } else {
        Err(SettingsError(format!(
            "the colour `{colour}` must look like #2563eb"
        )))
    }
}

pub fn check_locale(locale: &str) -> Result<(), SettingsError> {
    let valid = (2..=10).contains(&locale.len())
        && locale.bytes().all(|b| b.is_ascii_alphabetic() || b == b'-');
    if valid {
        Ok(())
    } else {
        Err(SettingsError(format!(
            "the locale `{locale}` must be a language tag such as en or pt-BR"
        )))
    }
}

pub fn check_title(title: &str) -> Result<(), SettingsError> {
    match title.trim().chars().count() {
        0 => Err(SettingsError("the title must not be empty".into())),
        1..=80 => Ok(()),
        _ => Err(SettingsError(
            "the title may have at most 80 characters".into(),
        )),
    }
}

pub fn check_greeting(greeting: &str) -> Result<(), SettingsError> {
    if greeting.chars().count() <= 500 {
        Ok(())
    } else {
        Err(SettingsError(
            "the greeting may have at most 500 characters".into(),
        ))
    }
}

pub fn check_position(position: &str) -> Result<(), SettingsError> {
    match position {
        "left" | "right" => Ok(()),
        other => Err(SettingsError(format!(
            "the position `{other}` must be left or right"
        ))),
    }
}
