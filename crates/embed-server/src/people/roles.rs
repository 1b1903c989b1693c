//! A member's role: a named set of scopes, checked exactly as a key's are.

use std::fmt;
use std::str::FromStr;

use crate::keys::KeyKind;
use crate::keys::scopes::{Scope, Scopes};

/// What a member of an organisation may do there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Everything, members included: what a secret key may do.
    Owner,
    /// Widgets, agents, subscriptions, keys and webhooks, and reading usage
    /// and conversations.
    Admin,
    /// Reading widgets and usage.
    Viewer,
    /// A seller's catalog and its versions, and how buyers use them.
    Publisher,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Owner, Role::Admin, Role::Viewer, Role::Publisher];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::Viewer => "viewer",
            Role::Publisher => "publisher",
        }
    }

    pub fn scopes(self) -> Scopes {
        match self {
            Role::Owner => Scopes::SECRET_KEY,
            Role::Admin => Scopes::of(&[
                Scope::UsageRead,
                Scope::UsageWrite,
                Scope::WidgetsRead,
                Scope::WidgetsWrite,
                Scope::KeysWrite,
                Scope::AgentsWrite,
                Scope::ConversationsRead,
                Scope::WebhooksWrite,
            ]),
            // Not conversations: what visitors wrote is for those who run
            // the widgets.
            Role::Viewer => Scopes::of(&[Scope::UsageRead, Scope::WidgetsRead]),
            Role::Publisher => {
                Scopes::of(&[Scope::CatalogWrite, Scope::SellerRead, Scope::WidgetsRead])
            }
        }
    }

    /// The kind of key a member acts as when the grant rules apply (who may
    /// make which key): an owner as a secret key, everyone else as a
    /// restricted key with the role's scopes.
    pub fn acts_as(self) -> KeyKind {
        match self {
            Role::Owner => KeyKind::Secret,
            Role::Admin | Role::Viewer | Role::Publisher => KeyKind::Restricted,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;

    fn from_str(name: &str) -> Result<Role, String> {
        Role::ALL
            .into_iter()
            .find(|role| role.as_str() == name)
            .ok_or_else(|| {
                format!("unknown role `{name}`; roles are: owner, admin, viewer, publisher")
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_role_is_a_subset_of_an_owners_and_only_an_owner_manages_members() {
        for role in Role::ALL {
            assert!(
                role.scopes().missing_from(Role::Owner.scopes()).is_empty(),
                "{role}"
            );
            assert_eq!(
                role.scopes().contains(Scope::MembersWrite),
                role == Role::Owner,
                "{role}"
            );
            assert!(!role.scopes().contains(Scope::Chat), "{role}");
        }
    }

    #[test]
    fn what_visitors_wrote_is_read_by_owners_and_admins_only() {
        for role in Role::ALL {
            assert_eq!(
                role.scopes().contains(Scope::ConversationsRead),
                matches!(role, Role::Owner | Role::Admin),
                "{role}"
            );
        }
    }

    #[test]
    fn a_viewer_reads_and_writes_nothing() {
        let viewer = Role::Viewer.scopes();
        assert!(viewer.contains(Scope::UsageRead) && viewer.contains(Scope::WidgetsRead));
        for write in [
            Scope::WidgetsWrite,
            Scope::KeysWrite,
            Scope::AgentsWrite,
            Scope::CatalogWrite,
        ] {
            assert!(!viewer.contains(write), "{write}");
        }
    }

    #[test]
    fn names_round_trip_and_an_unknown_one_lists_the_roles() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
        let error = "root".parse::<Role>().unwrap_err();
        assert!(error.contains("owner, admin, viewer, publisher"), "{error}");
    }
}
