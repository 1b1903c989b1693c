//! The host page's `SiteKit(name, arg)` calls the widget understands, and
//! those it leaves alone.

use sitekit_sdk::wire::usage_types;
use sitekit_widget::commands::Command;

#[test]
fn what_a_visitor_gives_besides_chat_becomes_the_usage_event_of_its_kind() {
    let lead = r#"{"email":"ada@example.com","consent":true}"#;
    assert_eq!(
        Command::parse("lead", Some(lead.into())),
        Some(Command::Engage(usage_types::LEAD, lead.into()))
    );
    assert_eq!(
        Command::parse("handoff", None),
        Some(Command::Engage(usage_types::HANDOFF, String::new()))
    );
    assert_eq!(
        Command::parse("csat", Some("4".into())),
        Some(Command::Engage(usage_types::CSAT, "4".into()))
    );
    // Without what they carry, there is nothing to send.
    assert_eq!(Command::parse("lead", None), None);
    assert_eq!(Command::parse("csat", None), None);
    assert_eq!(Command::parse("rate", Some("4".into())), None);
}
