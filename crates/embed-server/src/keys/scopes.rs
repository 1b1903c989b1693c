//! What a key may do. Publishable keys carry `chat` and `usage:write`; secret keys
//! every admin scope of their tenant; restricted keys the scopes they list.
//!
//! A scope list is read into [`Scopes`] once, where it enters (a request, a
//! stored key, a session token), and compared as a set from then on.

use std::fmt;

use crate::keys::KeyKind;

/// One thing a key or token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    Chat,
    UsageWrite,
    UsageRead,
    WidgetsRead,
    WidgetsWrite,
    KeysWrite,
    AgentsWrite,
    /// Publishing agents and their versions, for an organisation that sells.
    CatalogWrite,
    /// How buyers use the organisation's published agents, for a seller.
    SellerRead,
    /// Reading the organisations on the server (operator keys only).
    OrganisationsRead,
    /// Creating organisations (operator keys only).
    OrganisationsWrite,
    /// Creating, listing and revoking organisations' keys (operator keys only).
    OrganisationKeysWrite,
    /// The one scope of a session's usage token: writing usage events and
    /// nothing else. No key carries it; it is the only token a URL may carry
    /// (a beacon's).
    UsageBeacon,
    /// Provisioning marketplace purchases: organisations' subscriptions and
    /// widgets, their pause and monthly budget, and reading their monthly
    /// usage (operator keys only). After the scopes before it, so that their
    /// bits stay as tokens already carry them.
    ProvisioningWrite,
    /// Managing the organisation's members and their roles, and reading its
    /// audit trail: an owner's, and a secret key's. After the scopes before
    /// it, for the same reason.
    MembersWrite,
    /// Reading the conversations visitors had with the organisation's widgets
    /// (their text and the leads they left), and, with `widgets:write`,
    /// deleting them. After the scopes before it, for the same reason.
    ConversationsRead,
    /// Registering, changing and removing the organisation's webhook
    /// endpoints, rotating their secrets and reading their delivery logs.
    /// Last, for the same reason.
    WebhooksWrite,
}

impl Scope {
    /// The scopes a key may carry, in their canonical order (the spec's).
    pub const OF_KEYS: [Scope; 12] = [
        Scope::Chat,
        Scope::UsageWrite,
        Scope::UsageRead,
        Scope::WidgetsRead,
        Scope::WidgetsWrite,
        Scope::KeysWrite,
        Scope::AgentsWrite,
        Scope::CatalogWrite,
        Scope::SellerRead,
        Scope::MembersWrite,
        Scope::ConversationsRead,
        Scope::WebhooksWrite,
    ];

    /// The scopes an operator key may carry: no organisation's, and no key of
    /// an organisation may carry these.
    pub const OF_OPERATOR_KEYS: [Scope; 4] = [
        Scope::OrganisationsRead,
        Scope::OrganisationsWrite,
        Scope::OrganisationKeysWrite,
        Scope::ProvisioningWrite,
    ];

    /// As written in keys, tokens and errors.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Chat => "chat",
            Scope::UsageWrite => "usage:write",
            Scope::UsageRead => "usage:read",
            Scope::WidgetsRead => "widgets:read",
            Scope::WidgetsWrite => "widgets:write",
            Scope::KeysWrite => "keys:write",
            Scope::AgentsWrite => "agents:write",
            Scope::CatalogWrite => "catalog:write",
            Scope::SellerRead => "seller:read",
            Scope::OrganisationsRead => "organisations:read",
            Scope::OrganisationsWrite => "organisations:write",
            Scope::OrganisationKeysWrite => "organisation-keys:write",
            Scope::UsageBeacon => "usage:beacon",
            Scope::ProvisioningWrite => "provisioning:write",
            Scope::MembersWrite => "members:write",
            Scope::ConversationsRead => "conversations:read",
            Scope::WebhooksWrite => "webhooks:write",
        }
    }

    fn parse(name: &str) -> Option<Scope> {
        Scope::all().find(|scope| scope.as_str() == name)
    }

    /// Every scope, in canonical order.
    fn all() -> impl Iterator<Item = Scope> {
        Scope::OF_KEYS
            .into_iter()
            .chain(Scope::OF_OPERATOR_KEYS)
            .chain([Scope::UsageBeacon])
    }

    fn bit(self) -> u32 {
        1 << self as u32
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A set of scopes, written space-separated in the canonical order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Scopes(u32);

impl Scopes {
    /// The operator on the local database holds every scope of every tenant.
    pub const EVERYTHING: Scopes = Scopes::of(&Scope::OF_KEYS);

    /// Every scope an operator key may carry, which one does unless the
    /// operator lists fewer.
    pub const OPERATOR: Scopes = Scopes::of(&Scope::OF_OPERATOR_KEYS);

    /// The scopes of a secret (`sec`) key: every admin scope of its tenant,
    /// which is all but the pages' `chat`.
    pub const SECRET_KEY: Scopes = Scopes(Scopes::EVERYTHING.0 & !(1 << Scope::Chat as u32));

    pub const fn of(scopes: &[Scope]) -> Scopes {
        let mut bits = 0;
        let mut at = 0;
        while at < scopes.len() {
            bits |= 1 << scopes[at] as u32;
            at += 1;
        }
        Scopes(bits)
    }

    /// Reads a space- or comma-separated list a person or program wrote: every
    /// name must be a scope an organisation's key may carry, and at least one
    /// must be named.
    pub fn parse_list(list: &str) -> Result<Scopes, String> {
        Scopes::parse_list_of(list, &Scope::OF_KEYS)
    }

    /// [`Scopes::parse_list`] for an operator key's scopes.
    pub fn parse_operator_list(list: &str) -> Result<Scopes, String> {
        Scopes::parse_list_of(list, &Scope::OF_OPERATOR_KEYS)
    }

    fn parse_list_of(list: &str, allowed: &[Scope]) -> Result<Scopes, String> {
        let mut scopes = Scopes::default();
        for name in list
            .split([' ', ','])
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            match Scope::parse(name).filter(|scope| allowed.contains(scope)) {
                Some(scope) => scopes.0 |= scope.bit(),
                None => {
                    let names: Vec<&str> = allowed.iter().map(|s| s.as_str()).collect();
                    return Err(format!(
                        "unknown scope `{name}`; scopes are: {}",
                        names.join(", ")
                    ));
                }
            }
        }
        if scopes.is_empty() {
            return Err("name at least one scope".into());
        }
        Ok(scopes)
    }

    /// Reads a list this server wrote (a stored key, a session token); a name
    /// it does not know grants nothing.
    pub fn from_stored(list: &str) -> Scopes {
        let named = list.split(' ').filter_map(Scope::parse);
        Scopes(named.fold(0, |bits, scope| bits | scope.bit()))
    }

    pub fn contains(self, scope: Scope) -> bool {
        self.0 & scope.bit() != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The scopes of `self` that `holder` lacks, in canonical order: empty when
    /// `self` is a subset of `holder`.
    pub fn missing_from(self, holder: Scopes) -> Vec<Scope> {
        self.iter()
            .filter(|scope| !holder.contains(*scope))
            .collect()
    }

    pub fn iter(self) -> impl Iterator<Item = Scope> {
        Scope::all().filter(move |scope| self.contains(*scope))
    }

    /// Each scope's name, as the admin API lists them.
    pub fn names(self) -> Vec<String> {
        self.iter().map(|scope| scope.as_str().to_owned()).collect()
    }
}

impl fmt::Display for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (at, scope) in self.iter().enumerate() {
            if at > 0 {
                f.write_str(" ")?;
            }
            f.write_str(scope.as_str())?;
        }
        Ok(())
    }
}

/// As this server writes it: the space-separated text.
impl serde::Serialize for Scopes {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Scopes {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Ok(Scopes::from_stored(&text))
    }
}

/// The scopes a new server-side key gets: all admin scopes for a secret key, the
/// listed ones for a restricted key.
pub fn for_new_key(kind: KeyKind, listed: Option<&str>) -> Result<Scopes, String> {
    match (kind, listed) {
        (KeyKind::Secret, None) => Ok(Scopes::SECRET_KEY),
        (KeyKind::Secret, Some(_)) => Err(
            "secret keys carry every admin scope; make a restricted key to choose scopes".into(),
        ),
        (KeyKind::Restricted, Some(list)) => Scopes::parse_list(list),
        (KeyKind::Restricted, None) => Err("restricted keys need a list of scopes".into()),
        (KeyKind::Publishable, _) => Err("publishable keys are made with their widget".into()),
        (KeyKind::Operator, _) => Err(
            "operator keys are made only on the server's machine (`sitekit operator-keys create`)"
                .into(),
        ),
    }
}

/// Why a caller may not hand out a key: it would grant what the caller lacks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GrantError {
    /// Secret keys hold every admin scope of their tenant, now and later: only
    /// a secret key may make, rotate or revoke one.
    #[error("only a secret key may create, rotate or revoke a secret key")]
    SecretKeyOnly,
    #[error("this key lacks the scopes it would grant: {}", names(.0))]
    Missing(Vec<Scope>),
}

fn names(scopes: &[Scope]) -> String {
    let names: Vec<&str> = scopes.iter().map(|scope| scope.as_str()).collect();
    names.join(", ")
}

/// Whether a caller holding `caller` (its kind and scopes) may create or rotate
/// a key of `target` kind with `target_scopes`: only scopes it holds itself,
/// and a secret key only if it is one. A widget's publishable key grants only
/// what its widget offers every page (`chat`, `usage:write`), so managing the
/// widget (`widgets:write`) is what it takes.
pub fn may_grant(
    (caller_kind, caller_scopes): (KeyKind, Scopes),
    target: KeyKind,
    target_scopes: Scopes,
) -> Result<(), GrantError> {
    let needed = match target {
        KeyKind::Secret if caller_kind != KeyKind::Secret => {
            return Err(GrantError::SecretKeyOnly);
        }
        KeyKind::Publishable => Scopes::of(&[Scope::WidgetsWrite]),
        // No caller of the API makes an operator key; `for_new_key` says so.
        KeyKind::Operator => return Err(GrantError::Missing(Scope::OF_OPERATOR_KEYS.to_vec())),
        KeyKind::Secret | KeyKind::Restricted => target_scopes,
    };
    let missing = needed.missing_from(caller_scopes);
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

#[cfg(test)]
mod tests {
    use super::*;

    fn list(text: &str) -> Scopes {
        Scopes::parse_list(text).unwrap()
    }

    #[test]
    fn scope_lists_are_checked_and_normalised() {
        assert_eq!(
            list("widgets:write, widgets:read widgets:read").to_string(),
            "widgets:read widgets:write"
        );
        assert!(
            Scopes::parse_list("widgets:admin")
                .unwrap_err()
                .contains("widgets:admin")
        );
        assert!(Scopes::parse_list(" , ").is_err());
        // Only the server writes the beacon scope, into usage tokens.
        assert!(Scopes::parse_list("usage:beacon").is_err());
        assert_eq!(
            Scopes::from_stored("usage:beacon")
                .iter()
                .collect::<Vec<_>>(),
            [Scope::UsageBeacon]
        );
        assert!(Scopes::SECRET_KEY.contains(Scope::KeysWrite));
        assert!(!Scopes::SECRET_KEY.contains(Scope::Chat));
        assert_eq!(
            Scopes::SECRET_KEY.to_string(),
            "usage:write usage:read widgets:read widgets:write keys:write agents:write \
             catalog:write seller:read members:write conversations:read webhooks:write"
        );
        let names: Vec<&str> = Scope::OF_KEYS.iter().map(|scope| scope.as_str()).collect();
        assert_eq!(names, sitekit_sdk::fields::Scope::NAMES);
        let names: Vec<&str> = Scope::OF_OPERATOR_KEYS
            .iter()
            .map(|scope| scope.as_str())
            .collect();
        assert_eq!(names, sitekit_sdk::fields::OperatorScope::NAMES);
    }

    #[test]
    fn organisations_and_the_operator_list_only_their_own_scopes() {
        assert!(
            Scopes::parse_list("organisations:write")
                .unwrap_err()
                .contains("unknown scope")
        );
        assert!(Scopes::parse_operator_list("keys:write").is_err());
        let operator = Scopes::parse_operator_list("organisations:read").unwrap();
        assert_eq!(operator.to_string(), "organisations:read");
        assert_eq!(
            Scopes::OPERATOR.to_string(),
            "organisations:read organisations:write organisation-keys:write provisioning:write"
        );
        assert!(Scopes::OPERATOR.missing_from(Scopes::SECRET_KEY).len() == 4);
        assert_eq!(
            Scopes::from_stored(&Scopes::OPERATOR.to_string()),
            Scopes::OPERATOR
        );
    }

    #[test]
    fn a_caller_grants_only_scopes_it_holds_and_secret_keys_only_if_it_is_one() {
        let restricted = (KeyKind::Restricted, list("keys:write widgets:read"));
        assert_eq!(
            may_grant(
                restricted,
                KeyKind::Restricted,
                list("keys:write widgets:read")
            ),
            Ok(())
        );
        assert_eq!(
            may_grant(
                restricted,
                KeyKind::Restricted,
                list("widgets:read agents:write usage:read")
            ),
            Err(GrantError::Missing(vec![
                Scope::UsageRead,
                Scope::AgentsWrite
            ]))
        );
        assert_eq!(
            may_grant(restricted, KeyKind::Secret, Scopes::SECRET_KEY),
            Err(GrantError::SecretKeyOnly)
        );
        let everything = (KeyKind::Restricted, Scopes::SECRET_KEY);
        assert_eq!(
            may_grant(everything, KeyKind::Secret, Scopes::SECRET_KEY),
            Err(GrantError::SecretKeyOnly)
        );
        let secret = (KeyKind::Secret, Scopes::SECRET_KEY);
        assert_eq!(
            may_grant(secret, KeyKind::Secret, Scopes::SECRET_KEY),
            Ok(())
        );
        assert_eq!(
            may_grant(secret, KeyKind::Publishable, list("chat usage:write")),
            Ok(())
        );
        assert_eq!(
            may_grant(restricted, KeyKind::Publishable, list("chat usage:write")),
            Err(GrantError::Missing(vec![Scope::WidgetsWrite]))
        );
        assert_eq!(
            may_revoke(KeyKind::Restricted, KeyKind::Secret),
            Err(GrantError::SecretKeyOnly)
        );
        assert_eq!(may_revoke(KeyKind::Restricted, KeyKind::Restricted), Ok(()));
        assert_eq!(may_revoke(KeyKind::Secret, KeyKind::Secret), Ok(()));
    }
}
