//! The rules a widget's settings follow, shared by the CLI and the admin API so
//! both refuse the same things with the same words: a create request becomes a
//! checked [`WidgetSettings`], an update is checked in full before anything changes.

use sitekit_sdk::admin::{DEFAULT_DAILY_MESSAGE_BUDGET, NewWidgetRequest, WidgetUpdate};
use sitekit_sdk::fields::{
    AvatarUrl, Colour, ConversationDays, Greeting, Locale, StarterPrompt, StarterPrompts,
    VisitorRate, WidgetTitle,
};
use sitekit_sdk::wire::{DEFAULT_CONVERSATION_DAYS, Engagement, LauncherIcon, LeadField, Position};

use crate::setting_rules::{SettingsError, has_control, one_line_text};
use crate::widgets::Widget;
use crate::widgets::origin::{OriginAllowlist, OriginPattern};

pub const DEFAULT_TITLE: &str = "Chat with us";
pub const DEFAULT_GREETING: &str = "Hi! How can I help you today?";
pub const DEFAULT_LOCALE: &str = "en";
pub const DEFAULT_COLOUR: &str = "#2563eb";
pub const DEFAULT_TEXT_COLOUR: &str = "#ffffff";

// The bounds are the SDK's (`sitekit_sdk::fields`), which the OpenAPI spec
// states too: what is checked here is what the spec says.
pub const MAX_STARTER_PROMPTS: usize = StarterPrompts::MAX_COUNT;
const MAX_STARTER_PROMPT_CHARS: usize = StarterPrompt::MAX_CHARS;
const MAX_AVATAR_URL_LEN: usize = AvatarUrl::MAX_LEN;
pub const MAX_MESSAGES_PER_VISITOR_PER_MINUTE: u32 = VisitorRate::MAX;
pub const MAX_CONVERSATION_DAYS: u32 = ConversationDays::MAX;
pub const MAX_LEAD_AFTER_MESSAGES: u32 = 50;
pub const MAX_CONSENT_CHARS: usize = 500;

/// Everything a new widget needs, checked.
#[derive(Debug, Clone)]
pub struct WidgetSettings {
    pub title: String,
    pub greeting: String,
    pub locale: String,
    pub primary_color: String,
    pub primary_text_color: String,
    pub position: &'static str,
    pub allowed_origins: OriginAllowlist,
    pub daily_message_budget: i64,
    pub starter_prompts: Vec<String>,
    pub avatar_url: Option<String>,
    pub messages_per_visitor_per_minute: i64,
    pub show_tool_events: bool,
    pub launcher_icon: LauncherIcon,
    /// Days the widget keeps a visitor's conversation without activity; 0: none.
    pub conversation_days: u32,
    pub engagement: Engagement,
}

impl WidgetSettings {
    /// Checks a create request, filling in the defaults for what it leaves out.
    pub fn from_request(request: &NewWidgetRequest) -> Result<Self, SettingsError> {
        let title = request.title.as_deref().unwrap_or(DEFAULT_TITLE);
        let greeting = request.greeting.as_deref().unwrap_or(DEFAULT_GREETING);
        let locale = request.locale.as_deref().unwrap_or(DEFAULT_LOCALE);
        let colour = request.primary_color.as_deref().unwrap_or(DEFAULT_COLOUR);
        let text_colour = request
            .primary_text_color
            .as_deref()
            .unwrap_or(DEFAULT_TEXT_COLOUR);
        check_title(title)?;
        check_greeting(greeting)?;
        check_locale(locale)?;
        check_colour(colour)?;
        check_colour(text_colour)?;
        Ok(WidgetSettings {
            title: title.trim().to_owned(),
            greeting: greeting.trim().to_owned(),
            locale: locale.to_owned(),
            primary_color: colour.to_owned(),
            primary_text_color: text_colour.to_owned(),
            position: position_text(request.position.unwrap_or(Position::Right)),
            allowed_origins: allowlist(&request.allowed_origins, request.test_mode)?,
            daily_message_budget: i64::from(
                request
                    .daily_message_budget
                    .unwrap_or(DEFAULT_DAILY_MESSAGE_BUDGET),
            ),
            starter_prompts: starter_prompts(&request.starter_prompts)?,
            avatar_url: avatar_url(request.avatar_url.as_deref())?,
            messages_per_visitor_per_minute: visitor_rate(request.messages_per_visitor_per_minute)?,
            show_tool_events: request.show_tool_events,
            launcher_icon: request.launcher_icon.unwrap_or_default(),
            conversation_days: conversation_days(
                request
                    .conversation_days
                    .unwrap_or(DEFAULT_CONVERSATION_DAYS),
            )?,
            engagement: request
                .engagement
                .clone()
                .map(engagement)
                .transpose()?
                .unwrap_or_default(),
        })
    }
}

/// Applies an update to `widget` only if every field in it is valid: a bad field
/// changes nothing. `test_mode` is the mode of the widget's publishable key.
pub fn apply_update(
    widget: &mut Widget,
    update: WidgetUpdate,
    test_mode: bool,
) -> Result<(), SettingsError> {
    let mut next = widget.clone();
    if let Some(title) = update.title {
        check_title(&title)?;
        next.title = title.trim().to_owned();
    }
    if let Some(greeting) = update.greeting {
        check_greeting(&greeting)?;
        next.greeting = greeting.trim().to_owned();
    }
    if let Some(locale) = update.locale {
        check_locale(&locale)?;
        next.locale = locale;
    }
    if let Some(colour) = update.primary_color {
        check_colour(&colour)?;
        next.primary_color = colour;
    }
    if let Some(colour) = update.primary_text_color {
        check_colour(&colour)?;
        next.primary_text_color = colour;
    }
    if let Some(position) = update.position {
        next.position = position_text(position).to_owned();
    }
    if let Some(origins) = update.allowed_origins {
        next.allowed_origins = allowlist(&origins, test_mode)?;
    }
    if let Some(enabled) = update.enabled {
        next.enabled = enabled;
    }
    if let Some(budget) = update.daily_message_budget {
        next.daily_message_budget = i64::from(budget);
    }
    if let Some(prompts) = update.starter_prompts {
        next.starter_prompts = starter_prompts(&prompts)?;
    }
    if let Some(url) = update.avatar_url {
        // An empty string removes the avatar.
        next.avatar_url = avatar_url(Some(url.as_str()).filter(|url| !url.is_empty()))?;
    }
    if let Some(show) = update.show_tool_events {
        next.show_tool_events = show;
    }
    if let Some(rate) = update.messages_per_visitor_per_minute {
        next.messages_per_visitor_per_minute = visitor_rate(rate)?;
    }
    if let Some(icon) = update.launcher_icon {
        next.launcher_icon = icon;
    }
    if let Some(days) = update.conversation_days {
        next.conversation_days = conversation_days(days)?;
    }
    if let Some(settings) = update.engagement {
        next.engagement = engagement(settings)?;
    }
    *widget = next;
    Ok(())
}

pub fn position_text(position: Position) -> &'static str {
    match position {
        Position::Left => "left",
        Position::Right => "right",
    }
}

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

fn check_colour(colour: &str) -> Result<(), SettingsError> {
    if Colour::is_valid(colour) {
        Ok(())
    } else {
        Err(SettingsError(format!(
            "the colour `{colour}` must look like #2563eb"
        )))
    }
}

fn check_locale(locale: &str) -> Result<(), SettingsError> {
    if Locale::is_valid(locale) {
        Ok(())
    } else {
        Err(SettingsError(format!(
            "the locale `{locale}` must be a language tag such as en or pt-BR"
        )))
    }
}

fn check_title(title: &str) -> Result<(), SettingsError> {
    one_line_text("the title", title, WidgetTitle::MAX_CHARS).map(drop)
}

/// Checked trimmed, as it is stored, whether it comes with a new widget or an update.
fn check_greeting(greeting: &str) -> Result<(), SettingsError> {
    if greeting.chars().count() > Greeting::MAX_CHARS {
        Err(SettingsError(format!(
            "the greeting may have at most {} characters",
            Greeting::MAX_CHARS
        )))
    } else if has_control(greeting, &['\n', '\r', '\t']) {
        // A greeting is Markdown, so it may have lines.
        Err(SettingsError(
            "the greeting may not contain control characters other than line breaks and tabs"
                .into(),
        ))
    } else {
        Ok(())
    }
}

fn starter_prompts(prompts: &[String]) -> Result<Vec<String>, SettingsError> {
    if prompts.len() > MAX_STARTER_PROMPTS {
        return Err(SettingsError(format!(
            "a widget may have at most {MAX_STARTER_PROMPTS} starter prompts"
        )));
    }
    prompts
        .iter()
        .map(|prompt| one_line_text("a starter prompt", prompt, MAX_STARTER_PROMPT_CHARS))
        .collect()
}

/// Only `https://` images: the widget runs on HTTPS pages, where anything else is
/// mixed content, and no other scheme (`javascript:`, `data:`) belongs in an `<img>`.
fn avatar_url(url: Option<&str>) -> Result<Option<String>, SettingsError> {
    let Some(url) = url else { return Ok(None) };
    if AvatarUrl::is_valid(url) {
        Ok(Some(url.to_owned()))
    } else {
        Err(SettingsError(format!(
            "the avatar URL must be an https:// address of at most {MAX_AVATAR_URL_LEN} characters"
        )))
    }
}

fn visitor_rate(rate: u32) -> Result<i64, SettingsError> {
    if rate <= MAX_MESSAGES_PER_VISITOR_PER_MINUTE {
        Ok(i64::from(rate))
    } else {
        Err(SettingsError(format!(
            "messagesPerVisitorPerMinute may be at most {MAX_MESSAGES_PER_VISITOR_PER_MINUTE} (0 uses the server's default)"
        )))
    }
}

fn conversation_days(days: u32) -> Result<u32, SettingsError> {
    if days <= MAX_CONVERSATION_DAYS {
        Ok(days)
    } else {
        Err(SettingsError(format!(
            "conversationDays may be at most {MAX_CONVERSATION_DAYS} (0 starts a new conversation on every page load)"
        )))
    }
}

/// The lead form's rules: its fields once each, in the form's order, with
/// the e-mail address among them (a lead is a way to reach the visitor); a
/// count of messages in range; a consent text to agree to.
fn engagement(mut settings: Engagement) -> Result<Engagement, SettingsError> {
    if let Some(form) = &mut settings.lead_form {
        form.fields.sort();
        form.fields.dedup();
        if !form.fields.contains(&LeadField::Email) {
            return Err(SettingsError("a lead form's fields include `email`".into()));
        }
        if !(1..=MAX_LEAD_AFTER_MESSAGES).contains(&form.after_messages) {
            return Err(SettingsError(format!(
                "a lead form's afterMessages is 1 to {MAX_LEAD_AFTER_MESSAGES}"
            )));
        }
        form.consent_text = one_line_text(
            "a lead form's consentText",
            &form.consent_text,
            MAX_CONSENT_CHARS,
        )?;
    }
    Ok(settings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn avatar_urls_must_be_plain_https() {
        let ok = "https://cdn.example.com/bot.png";
        assert_eq!(avatar_url(Some(ok)), Ok(Some(ok.to_owned())));
        for bad in [
            "http://cdn.example.com/bot.png",
            "javascript:alert(1)",
            "data:image/png;base64,AAAA",
            "https:///bot.png",
            "https://cdn.example.com/a b.png",
            "https://cdn.example.com/\"onerror=\"x",
            "https://[x",
            "https://cdn.example.com/a]",
        ] {
            assert!(avatar_url(Some(bad)).is_err(), "{bad} was accepted");
        }
    }

    #[test]
    fn conversations_are_kept_from_0_to_365_days() {
        for days in [0, 1, 30, MAX_CONVERSATION_DAYS] {
            assert_eq!(conversation_days(days), Ok(days));
        }
        assert!(conversation_days(MAX_CONVERSATION_DAYS + 1).is_err());
    }

    #[test]
    fn control_characters_are_refused_but_greetings_keep_line_breaks_and_tabs() {
        for bad in ["a\u{0}b", "\u{1b}[31mred", "a\nb", "a\u{7f}", "a\u{85}b"] {
            assert!(check_title(bad).is_err(), "title {bad:?} was accepted");
            assert!(
                starter_prompts(&[bad.to_owned()]).is_err(),
                "prompt {bad:?} was accepted"
            );
        }
        for bad in ["a\u{0}b", "\u{1b}[31mred", "a\u{8}b", "a\u{85}b"] {
            assert!(
                check_greeting(bad).is_err(),
                "greeting {bad:?} was accepted"
            );
        }
        assert_eq!(check_greeting("Hi!\r\n\n- one\n- two\tthree"), Ok(()));
        // A one-line text has no line break or tab, even at its ends, as the
        // spec's pattern says; spaces around it are trimmed.
        assert!(check_title("\tHelp\r\n").is_err());
        assert_eq!(check_title("  Help  "), Ok(()));
        // Characters are counted as sent, white space included (as the spec's
        // maxLength does).
        assert_eq!(check_greeting(&format!("{}\n\n", "x".repeat(498))), Ok(()));
        assert!(check_greeting(&format!("{}\n\n", "x".repeat(499))).is_err());
    }

    #[test]
    fn starter_prompts_are_trimmed_counted_and_never_empty() {
        let prompts = |texts: &[&str]| texts.iter().map(|t| t.to_string()).collect::<Vec<_>>();
        assert_eq!(
            starter_prompts(&prompts(&["  Opening hours? "])),
            Ok(prompts(&["Opening hours?"]))
        );
        assert!(starter_prompts(&prompts(&["a", "b", "c", "d", "e"])).is_err());
        assert!(starter_prompts(&prompts(&["  "])).is_err());
        assert!(starter_prompts(&[("x".repeat(121))]).is_err());
    }
}
