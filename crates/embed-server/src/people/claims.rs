//! Organisation memberships read from a claim of the ID token, for identity
//! providers that know which organisations a person belongs to (Waldur's
//! Keycloak puts its customers' uuids into tokens): marketplace buyers then
//! land in their organisation without an invitation.
//!
//! The claim is found by a dotted path (`waldur.organisations` is the
//! `organisations` member of the `waldur` object, as Keycloak nests a claim
//! name with dots) and names organisations by their external id, the one the
//! marketplace provisioned them with. It may be
//! - a list of ids: `["<id>", …]`, each a `viewer` membership;
//! - a list of objects: `[{"id": "<id>", "role": "admin"}, …]`;
//! - an object of roles by id: `{"<id>": "owner", …}`.
//!
//! A role this server does not know gives no membership (least privilege);
//! a claim of any other shape is refused, so a misconfigured mapper is seen.

use serde_json::Value;
use sitekit_sdk::fields::ExternalId;

use crate::people::Role;

/// Organisations one claim may name; a token naming more is refused.
pub const MAX_ORGANISATIONS: usize = 100;
/// Segments a claim path may have.
const MAX_PATH_SEGMENTS: usize = 8;

/// Where the memberships claim is in the ID token, e.g. `waldur.organisations`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimPath(Vec<String>);

/// One organisation the claim names, and the person's role there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedMembership {
    pub external_id: String,
    pub role: Role,
}

impl std::str::FromStr for ClaimPath {
    type Err = String;

    fn from_str(path: &str) -> Result<ClaimPath, String> {
        let segments: Vec<String> = path.split('.').map(str::to_owned).collect();
        if segments.len() > MAX_PATH_SEGMENTS
            || segments
                .iter()
                .any(|segment| segment.is_empty() || segment.chars().any(char::is_control))
        {
            return Err(format!(
                "a claim path is up to {MAX_PATH_SEGMENTS} claim names joined by dots, \
                 e.g. waldur.organisations; not {path:?}"
            ));
        }
        Ok(ClaimPath(segments))
    }
}

impl std::fmt::Display for ClaimPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0.join("."))
    }
}

impl ClaimPath {
    /// The memberships the token's claims (its decoded, verified payload)
    /// give. A token without the claim gives none; one whose claim has
    /// another shape, too many entries or overlong ids is refused.
    pub fn memberships(&self, claims: &Value) -> Result<Vec<ClaimedMembership>, String> {
        let mut value = claims;
        for segment in &self.0 {
            match value.get(segment) {
                Some(inner) => value = inner,
                None => return Ok(Vec::new()),
            }
        }
        // Each entry: its id (None when not a string) and, for entries that
        // carry one, its role.
        let entries: Vec<(Option<&str>, Option<&Value>)> = match value {
            Value::Null => Vec::new(),
            Value::Array(items) => items
                .iter()
                .map(|item| match item {
                    Value::Object(fields) => (
                        fields.get("id").and_then(Value::as_str),
                        Some(fields.get("role").unwrap_or(&Value::Null)),
                    ),
                    id => (id.as_str(), None),
                })
                .collect(),
            Value::Object(roles) => roles
                .iter()
                .map(|(id, role)| (Some(id.as_str()), Some(role)))
                .collect(),
            _ => return Err(self.refusal("is neither a list nor an object")),
        };
        if entries.len() > MAX_ORGANISATIONS {
            return Err(self.refusal(&format!(
                "names more than {MAX_ORGANISATIONS} organisations"
            )));
        }
        let mut memberships = Vec::new();
        for (id, role) in entries {
            let Some(id) =
                id.filter(|id| !id.is_empty() && id.chars().count() <= ExternalId::MAX_CHARS)
            else {
                return Err(self.refusal(&format!(
                    "has an organisation id that is not a string of 1 to {} characters",
                    ExternalId::MAX_CHARS
                )));
            };
            let role = match role {
                None => Some(Role::Viewer),
                Some(Value::String(role)) => role.parse().ok(),
                Some(_) => return Err(self.refusal("has a role that is not a string")),
            };
            if let Some(role) = role {
                memberships.push(ClaimedMembership {
                    external_id: id.to_owned(),
                    role,
                });
            }
        }
        Ok(memberships)
    }

    fn refusal(&self, what: &str) -> String {
        format!("the ID token's claim {self} {what}")
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn path(text: &str) -> ClaimPath {
        text.parse().unwrap()
    }

    fn membership(id: &str, role: Role) -> ClaimedMembership {
        ClaimedMembership {
            external_id: id.into(),
            role,
        }
    }

    #[test]
    fn each_shape_of_the_claim_gives_its_memberships() {
        let organisations = path("waldur.organisations");
        let listed = json!({"waldur": {"organisations": ["c-1", "c-2"]}});
        assert_eq!(
            organisations.memberships(&listed).unwrap(),
            [
                membership("c-1", Role::Viewer),
                membership("c-2", Role::Viewer)
            ]
        );
        let with_roles = json!({"waldur": {"organisations": [
            {"id": "c-1", "role": "owner"}, {"id": "c-2", "role": "admin"}
        ]}});
        assert_eq!(
            organisations.memberships(&with_roles).unwrap(),
            [
                membership("c-1", Role::Owner),
                membership("c-2", Role::Admin)
            ]
        );
        let by_id = json!({"waldur": {"organisations": {"c-1": "publisher"}}});
        assert_eq!(
            organisations.memberships(&by_id).unwrap(),
            [membership("c-1", Role::Publisher)]
        );
    }

    #[test]
    fn no_claim_gives_no_membership_and_an_unknown_role_none_either() {
        let organisations = path("organisations");
        assert_eq!(organisations.memberships(&json!({"sub": "a"})), Ok(vec![]));
        assert_eq!(
            organisations.memberships(&json!({"organisations": null})),
            Ok(vec![])
        );
        let unknown_role = json!({"organisations": {"c-1": "superuser", "c-2": "viewer"}});
        assert_eq!(
            organisations.memberships(&unknown_role).unwrap(),
            [membership("c-2", Role::Viewer)]
        );
    }

    #[test]
    fn a_claim_of_another_shape_or_size_is_refused() {
        let organisations = path("organisations");
        let too_many: Vec<String> = (0..=MAX_ORGANISATIONS).map(|n| format!("c-{n}")).collect();
        for hostile in [
            json!({"organisations": "c-1"}),
            json!({"organisations": 7}),
            json!({"organisations": [7]}),
            json!({"organisations": [""]}),
            json!({"organisations": ["x".repeat(ExternalId::MAX_CHARS + 1)]}),
            json!({"organisations": [{"role": "owner"}]}),
            json!({"organisations": [{"id": "c-1", "role": ["owner"]}]}),
            json!({"organisations": too_many}),
        ] {
            let refusal = organisations.memberships(&hostile).unwrap_err();
            assert!(refusal.contains("claim organisations"), "{refusal}");
        }
    }

    #[test]
    fn a_claim_path_is_claim_names_joined_by_dots() {
        assert_eq!(path("a.b").to_string(), "a.b");
        for bad in ["", ".a", "a.", "a..b", "a.b.c.d.e.f.g.h.i", "a\nb"] {
            assert!(bad.parse::<ClaimPath>().is_err(), "{bad:?}");
        }
    }
}
