//! What a key may do. Publishable keys carry `chat` and `usage:write`; secret keys
//! every admin scope of their tenant; restricted keys the scopes they list.

use crate::keys::KeyKind;

/// Every scope, as written in keys, tokens and errors.
pub const ALL: &[&str] = &[
    "chat",
    "usage:write",
    "usage:read",
    "widgets:read",
    "widgets:write",
    "keys:write",
    "agents:write",
];

/// The one scope of a session's usage token: writing usage events and nothing
/// else. No key carries it; it is the only token a URL may carry (a beacon's).
pub const USAGE_BEACON: &str = "usage:beacon";

/// The scopes of a secret (`sec`) key.
pub const SECRET_KEY_SCOPES: &str =
    "usage:write usage:read widgets:read widgets:write keys:write agents:write";

/// Checks a space- or comma-separated scope list and returns it normalised
/// (space-separated, deduplicated, in the canonical order).
pub fn normalise(list: &str) -> Result<String, String> {
    let wanted: Vec<&str> = list
        .split([' ', ','])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    if let Some(unknown) = wanted.iter().find(|s| !ALL.contains(s)) {
        return Err(format!(
            "unknown scope `{unknown}`; scopes are: {}",
            ALL.join(", ")
        ));
    }
    if wanted.is_empty() {
        return Err("name at least one scope".into());
    }
    let scopes: Vec<&str> = ALL.iter().copied().filter(|s| wanted.contains(s)).collect();
    Ok(scopes.join(" "))
}

/// The scopes a new server-side key gets: all admin scopes for a secret key, the
/// listed ones for a restricted key.
pub fn for_new_key(kind: KeyKind, listed: Option<&str>) -> Result<String, String> {
    match (kind, listed) {
        (KeyKind::Secret, None) => Ok(SECRET_KEY_SCOPES.to_owned()),
        (KeyKind::Secret, Some(_)) => Err(
            "secret keys carry every admin scope; make a restricted key to choose scopes".into(),
        ),
        (KeyKind::Restricted, Some(list)) => normalise(list),
        (KeyKind::Restricted, None) => Err("restricted keys need a list of scopes".into()),
        (KeyKind::Publishable, _) => Err("publishable keys are made with their widget".into()),
    }
}

/// Whether a space-separated scope list includes `scope`.
pub fn includes(scopes: &str, scope: &str) -> bool {
    scopes.split(' ').any(|s| s == scope)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_lists_are_checked_and_normalised() {
        assert_eq!(
            normalise("widgets:write, widgets:read widgets:read").unwrap(),
            "widgets:read widgets:write"
        );
        assert!(
            normalise("widgets:admin")
                .unwrap_err()
                .contains("widgets:admin")
        );
        assert!(normalise(" , ").is_err());
        assert!(includes(SECRET_KEY_SCOPES, "keys:write"));
        assert!(!includes(SECRET_KEY_SCOPES, "chat"));
    }
}
