//! What every setting's text answers to, whatever it sets (a widget, an agent,
//! a usage query): [`SettingsError`], a rule broken, said so a person can fix
//! it; one-line texts; control characters.

/// A setting that breaks a rule, said so a person can fix it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SettingsError(pub String);

/// A one-line text (`what` names it in errors, e.g. "the title"): not blank, at
/// most `max_chars` as sent, no control character; returned trimmed, as stored.
pub fn one_line_text(what: &str, text: &str, max_chars: usize) -> Result<String, SettingsError> {
    if text.trim().is_empty() {
        Err(SettingsError(format!("{what} must not be empty")))
    } else if text.chars().count() > max_chars {
        Err(SettingsError(format!(
            "{what} may have at most {max_chars} characters"
        )))
    } else if has_control(text, &[]) {
        Err(SettingsError(format!(
            "{what} may not contain control characters"
        )))
    } else {
        Ok(text.trim().to_owned())
    }
}

/// Whether `text` has a control character other than those `allowed`. None is
/// anything a visitor can read; PostgreSQL cannot store NUL, and an escape
/// sequence would reach the terminal of whoever lists the widgets with the CLI.
pub fn has_control(text: &str, allowed: &[char]) -> bool {
    text.chars()
        .any(|c| c.is_control() && !allowed.contains(&c))
}
