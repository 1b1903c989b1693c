//! The widget's own words: which language a locale picks, which way it is
//! written, and that every language has every sentence.

use sitekit_widget::i18n::{Lang, Texts};

const ALL: [Lang; 5] = [Lang::En, Lang::De, Lang::Fr, Lang::Es, Lang::Ar];

#[test]
fn a_locale_picks_its_language_and_auto_follows_the_browser() {
    assert_eq!(Lang::from_tag("de"), Lang::De);
    assert_eq!(Lang::from_tag("fr-CA"), Lang::Fr);
    assert_eq!(Lang::from_tag("ES_mx"), Lang::Es);
    assert_eq!(Lang::from_tag("ar-EG"), Lang::Ar);
    assert_eq!(
        Lang::from_tag("pt-BR"),
        Lang::En,
        "one the widget does not speak"
    );
    assert_eq!(Lang::resolve("auto", Some("de-AT")), Lang::De);
    assert_eq!(Lang::resolve("auto", None), Lang::En);
    assert_eq!(
        Lang::resolve("fr", Some("de-AT")),
        Lang::Fr,
        "the owner's choice wins"
    );
}

#[test]
fn arabic_is_written_right_to_left_and_the_others_left_to_right() {
    for lang in ALL {
        let expected = if lang == Lang::Ar { "rtl" } else { "ltr" };
        assert_eq!(lang.dir(), expected, "{lang:?}");
        assert_eq!(Lang::from_tag(lang.tag()), lang);
    }
}

fn sentences(texts: &Texts) -> [&'static str; 24] {
    [
        texts.placeholder,
        texts.message_label,
        texts.send,
        texts.stop,
        texts.close_chat,
        texts.try_again,
        texts.rate_answer,
        texts.helpful,
        texts.not_helpful,
        texts.origin_not_allowed,
        texts.widget_disabled,
        texts.paused,
        texts.key_gone,
        texts.budget_exhausted,
        texts.unavailable,
        texts.offline,
        texts.broken_answer,
        texts.something_wrong,
        texts.rate_limited.0,
        texts.rate_limited.1,
        texts.a_moment,
        texts.one_second,
        texts.seconds,
        texts.minutes,
    ]
}

#[test]
fn every_language_has_every_sentence_and_says_how_long_to_wait() {
    for lang in ALL {
        let texts = lang.text();
        for sentence in sentences(texts) {
            assert!(!sentence.trim().is_empty(), "{lang:?}");
        }
        let wait = texts.rate_limited(Some(30));
        assert!(
            wait.contains(&format!("30{}", texts.seconds)),
            "{lang:?}: {wait}"
        );
        let long = texts.rate_limited(Some(150));
        assert!(
            long.contains(&format!("3{}", texts.minutes)),
            "{lang:?}: {long}"
        );
    }
    // Translated, not copied: each language's labels differ from English.
    for lang in [Lang::De, Lang::Fr, Lang::Es, Lang::Ar] {
        assert_ne!(lang.text().send, Lang::En.text().send, "{lang:?}");
        assert_ne!(lang.text().offline, Lang::En.text().offline, "{lang:?}");
    }
}
