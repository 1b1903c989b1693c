//! What a key may do. Publishable keys carry `chat` and `usage:write`; secret keys
//! every admin scope of their tenant; restricted keys the scopes they list.

use crate::keys::KeyKind;

/// Every scope, as written in keys, tokens and errors.
pub const ALL: &[&str] = &sitekit_sdk::fields::Scope::NAMES;

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

/// Why a caller may not hand out a key: it would grant what the caller lacks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GrantError {
    /// Secret keys hold every admin scope of their tenant, now and later: only
    /// a secret key may make, rotate or revoke one.
    #[error("only a secret key may create, rotate or revoke a secret key")]
    SecretKeyOnly,
    #[error("this key lacks the scopes it would grant: {}", .0.join(", "))]
    Missing(Vec<String>),
}

/// Whether a caller holding `caller` (its kind and scopes) may create or rotate
/// a key of `target` kind with `target_scopes`: only scopes it holds itself,
/// and a secret key only if it is one. A widget's publishable key grants only
/// what its widget offers every page (`chat`, `usage:write`), so managing the
/// widget (`widgets:write`) is what it takes.
pub fn may_grant(
    (caller_kind, caller_scopes): (KeyKind, &str),
    target: KeyKind,
    target_scopes: &str,
) -> Result<(), GrantError> {
    let needed = match target {
        KeyKind::Secret if caller_kind != KeyKind::Secret => {
            return Err(GrantError::SecretKeyOnly);
        }
        KeyKind::Publishable => "widgets:write",
        KeyKind::Secret | KeyKind::Restricted => target_scopes,
    };
    let missing: Vec<String> = needed
        .split(' ')
        .filter(|scope| !scope.is_empty() && !includes(caller_scopes, scope))
        .map(str::to_owned)
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(GrantError::Missing(missing))
    }
}

/// Whether a caller of `caller_kind` may revoke a key of `target` kind:
/// anything but a secret key, which only a secret key may revoke.
pub fn may_revoke(caller_kind: KeyKind, target: KeyKind) -> Result<(), GrantError> {
    if target == KeyKind::Secret && caller_kind != KeyKind::Secret {
        Err(GrantError::SecretKeyOnly)
    } else {
        Ok(())
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

    #[test]
    fn a_caller_grants_only_scopes_it_holds_and_secret_keys_only_if_it_is_one() {
        let restricted = (KeyKind::Restricted, "keys:write widgets:read");
        assert_eq!(
            may_grant(restricted, KeyKind::Restricted, "keys:write widgets:read"),
            Ok(())
        );
        assert_eq!(
            may_grant(
                restricted,
                KeyKind::Restricted,
                "widgets:read agents:write usage:read"
            ),
            Err(GrantError::Missing(vec![
                "agents:write".into(),
                "usage:read".into()
            ]))
        );
        assert_eq!(
            may_grant(restricted, KeyKind::Secret, SECRET_KEY_SCOPES),
            Err(GrantError::SecretKeyOnly)
        );
        let everything = (KeyKind::Restricted, SECRET_KEY_SCOPES);
        assert_eq!(
            may_grant(everything, KeyKind::Secret, SECRET_KEY_SCOPES),
            Err(GrantError::SecretKeyOnly)
        );
        let secret = (KeyKind::Secret, SECRET_KEY_SCOPES);
        assert_eq!(
            may_grant(secret, KeyKind::Secret, SECRET_KEY_SCOPES),
            Ok(())
        );
        assert_eq!(
            may_grant(secret, KeyKind::Publishable, "chat usage:write"),
            Ok(())
        );
        assert_eq!(
            may_grant(restricted, KeyKind::Publishable, "chat usage:write"),
            Err(GrantError::Missing(vec!["widgets:write".into()]))
        );
        assert_eq!(
            may_revoke(KeyKind::Restricted, KeyKind::Secret),
            Err(GrantError::SecretKeyOnly)
        );
        assert_eq!(may_revoke(KeyKind::Restricted, KeyKind::Restricted), Ok(()));
        assert_eq!(may_revoke(KeyKind::Secret, KeyKind::Secret), Ok(()));
    }
}
