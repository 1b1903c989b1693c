//! The rules a visitor's contact details follow, the same as the widget's
//! form checks before it sends them: what the form asks for and nothing
//! else, a name when it asks for one, an address that looks like one, text
//! of a bounded length without control characters, and consent given.

use sitekit_sdk::engagement::{
    MAX_LEAD_EMAIL_CHARS, MAX_LEAD_MESSAGE_CHARS, MAX_LEAD_NAME_CHARS, NewLead,
};
use sitekit_sdk::wire::{LeadField, LeadForm};

/// Contact details that follow the rules, trimmed as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedLead {
    pub name: Option<String>,
    pub email: String,
    /// None when the visitor wrote none.
    pub message: Option<String>,
}

/// Checks `lead` against the widget's `form`; the error says which rule broke.
pub fn check(form: &LeadForm, lead: NewLead) -> Result<CheckedLead, String> {
    if !lead.consent {
        return Err("`consent` must be true: the visitor agrees to be contacted".into());
    }
    let asks = |field| form.fields.contains(&field);
    let name = match (asks(LeadField::Name), lead.name) {
        (true, Some(name)) => Some(one_line("name", &name, MAX_LEAD_NAME_CHARS)?),
        (true, None) => return Err("this form asks for a `name`".into()),
        (false, Some(_)) => return Err("this form asks for no `name`".into()),
        (false, None) => None,
    };
    let message = match (asks(LeadField::Message), lead.message) {
        (true, Some(message)) => text("message", &message, MAX_LEAD_MESSAGE_CHARS)?,
        (false, Some(_)) => return Err("this form asks for no `message`".into()),
        (_, None) => None,
    };
    Ok(CheckedLead {
        name,
        email: email(&lead.email)?,
        message,
    })
}

fn one_line(field: &str, value: &str, max_chars: usize) -> Result<String, String> {
    let value = value.trim();
    if value.is_empty() {
        return Err(format!("`{field}` must not be empty"));
    }
    if value.chars().count() > max_chars {
        return Err(format!("`{field}` has at most {max_chars} characters"));
    }
    if value.chars().any(char::is_control) {
        return Err(format!("`{field}` has no control characters"));
    }
    Ok(value.to_owned())
}

/// A message may have lines; an empty one is no message.
fn text(field: &str, value: &str, max_chars: usize) -> Result<Option<String>, String> {
    let value = value.trim();
    if value.chars().count() > max_chars {
        return Err(format!("`{field}` has at most {max_chars} characters"));
    }
    if value
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r'))
    {
        return Err(format!(
            "`{field}` has no control characters other than line breaks"
        ));
    }
    Ok((!value.is_empty()).then(|| value.to_owned()))
}

/// `local@domain.tld` without spaces: a shape check, as forms make it; only
/// writing to the address proves it.
fn email(value: &str) -> Result<String, String> {
    let value = one_line("email", value, MAX_LEAD_EMAIL_CHARS)?;
    let looks_right = value.split_once('@').is_some_and(|(local, domain)| {
        !local.is_empty()
            && !domain.contains('@')
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
    }) && !value.chars().any(char::is_whitespace);
    if looks_right {
        Ok(value)
    } else {
        Err("`email` must look like name@example.com".into())
    }
}

#[cfg(test)]
mod tests {
    use sitekit_sdk::wire::LeadFormWhen;

    use super::*;

    fn form(fields: &[LeadField]) -> LeadForm {
        LeadForm {
            fields: fields.to_vec(),
            when: LeadFormWhen::Before,
            after_messages: 3,
            consent_text: "I agree".into(),
        }
    }

    fn lead(name: Option<&str>, email: &str, message: Option<&str>) -> NewLead {
        NewLead {
            name: name.map(str::to_owned),
            email: email.into(),
            message: message.map(str::to_owned),
            consent: true,
        }
    }

    #[test]
    fn a_full_lead_is_kept_trimmed_and_an_empty_message_is_none() {
        let all = form(&[LeadField::Name, LeadField::Email, LeadField::Message]);
        let checked = check(&all, lead(Some(" Ada "), "ada@example.com ", Some("  "))).unwrap();
        assert_eq!(checked.name.as_deref(), Some("Ada"));
        assert_eq!(checked.email, "ada@example.com");
        assert_eq!(checked.message, None);
        let with_lines = check(&all, lead(Some("Ada"), "a@b.co", Some("line 1\nline 2"))).unwrap();
        assert_eq!(with_lines.message.as_deref(), Some("line 1\nline 2"));
    }

    #[test]
    fn addresses_that_are_not_addresses_are_refused() {
        let only_email = form(&[LeadField::Email]);
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "ada@.com",
            "ada@example.",
            "a da@example.com",
            "ada@ex@ample.com",
            "ada\u{0}@example.com",
        ] {
            assert!(
                check(&only_email, lead(None, bad, None)).is_err(),
                "{bad:?} was accepted"
            );
        }
        let long = format!("{}@example.com", "a".repeat(250));
        assert!(check(&only_email, lead(None, &long, None)).is_err());
    }

    #[test]
    fn the_form_decides_which_fields_come_and_consent_is_required() {
        let only_email = form(&[LeadField::Email]);
        assert!(check(&only_email, lead(Some("Ada"), "a@b.co", None)).is_err());
        assert!(check(&only_email, lead(None, "a@b.co", Some("hi"))).is_err());
        let with_name = form(&[LeadField::Name, LeadField::Email]);
        assert!(check(&with_name, lead(None, "a@b.co", None)).is_err());
        assert!(check(&with_name, lead(Some(" "), "a@b.co", None)).is_err());
        assert!(check(&with_name, lead(Some(&"x".repeat(201)), "a@b.co", None)).is_err());
        let mut refused = lead(Some("Ada"), "a@b.co", None);
        refused.consent = false;
        assert!(check(&with_name, refused).is_err());
    }
}
