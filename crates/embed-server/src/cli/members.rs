//! `sitekit members`: an organisation's people and their roles, on the local
//! database: how the operator gives an organisation its first owner, who
//! signs in with the identity provider from then on.

use anyhow::{Result, bail};
use serde::Serialize;
use sitekit_embed_server::db::{Db, now_unix};
use sitekit_embed_server::people::{Joining, Member};

use crate::cli::args::MemberCommand;
use crate::cli::commands::print;

pub async fn run(db: &Db, command: MemberCommand) -> Result<()> {
    match command {
        MemberCommand::Add {
            tenant,
            subject,
            email,
            name,
            role,
            json,
        } => {
            if !db.tenant_exists(&tenant).await? {
                bail!("no tenant {tenant} (`sitekit tenants list` shows them)");
            }
            if subject.trim().is_empty() || subject.len() > 255 {
                bail!(
                    "--subject must be the identity provider's `sub` for the person (1 to 255 characters)"
                );
            }
            let member = Member {
                tenant_id: tenant,
                subject,
                email,
                name,
                role,
                created_at: now_unix(),
                from_claim: false,
            };
            db.add_member(&member, Joining::ByOperator).await?;
            let shown = MemberView::from(
                &db.member(&member.tenant_id, &member.subject)
                    .await?
                    .unwrap_or(member),
            );
            print(json, &shown, |member| {
                println!(
                    "{} is {} of {}; they sign in to the dashboard with the identity provider",
                    member.subject, member.role, member.organisation_id
                );
            })
        }
        MemberCommand::List { tenant, json } => {
            let members: Vec<MemberView> = db
                .members(&tenant)
                .await?
                .iter()
                .map(MemberView::from)
                .collect();
            print(json, &MemberList { members }, |list| {
                if list.members.is_empty() {
                    println!("no members yet (`sitekit members add` makes the first)");
                }
                for member in &list.members {
                    let source = if member.from_identity_provider {
                        "  (from the identity provider)"
                    } else {
                        ""
                    };
                    println!(
                        "{}  {}  {}  {}{source}",
                        member.subject, member.role, member.email, member.name
                    );
                }
            })
        }
    }
}

/// A member as `--json` prints it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct MemberView {
    organisation_id: String,
    subject: String,
    email: String,
    name: String,
    role: &'static str,
    /// The identity provider's organisations claim gives the membership.
    from_identity_provider: bool,
}

impl From<&Member> for MemberView {
    fn from(member: &Member) -> Self {
        MemberView {
            organisation_id: member.tenant_id.clone(),
            subject: member.subject.clone(),
            email: member.email.clone(),
            name: member.name.clone(),
            role: member.role.as_str(),
            from_identity_provider: member.from_claim,
        }
    }
}

#[derive(Serialize)]
struct MemberList {
    members: Vec<MemberView>,
}
