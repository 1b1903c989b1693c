//! An organisation's people: `GET /v1/members` (members and open
//! invitations), `PATCH|DELETE /v1/members/{subject}` (role, removal),
//! `POST /v1/invitations` (an invitation link, shown once) and
//! `DELETE /v1/invitations/{id}`. All need `members:write`: owners and secret
//! keys.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use sitekit_sdk::wire::ErrorBody;
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath};
use crate::keys::Caller;
use crate::openapi::AdminErrors;
use crate::people::members::{self, NewInvitation};
use crate::people::{Invitation, Member, Role};
use crate::state::AppState;

/// A role, as requests name it.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum RoleName {
    /// Everything, members included.
    Owner,
    /// Widgets, agents, subscriptions and keys; reading usage.
    Admin,
    /// Reading widgets and usage.
    Viewer,
    /// The catalog and its versions, and how buyers use them.
    Publisher,
}

impl From<RoleName> for Role {
    fn from(name: RoleName) -> Role {
        match name {
            RoleName::Owner => Role::Owner,
            RoleName::Admin => Role::Admin,
            RoleName::Viewer => Role::Viewer,
            RoleName::Publisher => Role::Publisher,
        }
    }
}

/// A member of the organisation.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MemberView {
    /// The identity provider's id for the person.
    subject: String,
    email: String,
    name: String,
    /// `owner`, `admin`, `viewer` or `publisher`.
    role: &'static str,
    /// When they became a member (Unix seconds).
    created_at: i64,
    /// Whether the identity provider's organisations claim gives the
    /// membership; such a membership changes only at the provider.
    from_identity_provider: bool,
}

impl From<Member> for MemberView {
    fn from(member: Member) -> Self {
        MemberView {
            role: member.role.as_str(),
            subject: member.subject,
            email: member.email,
            name: member.name,
            created_at: member.created_at,
            from_identity_provider: member.from_claim,
        }
    }
}

/// An invitation not accepted yet.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct InvitationView {
    /// `inv_…`
    id: String,
    email: String,
    role: &'static str,
    /// Who invited (`person:<subject>` or `key:<id>`).
    invited_by: String,
    /// When the link stops working (Unix seconds).
    expires_at: i64,
}

impl From<Invitation> for InvitationView {
    fn from(invitation: Invitation) -> Self {
        InvitationView {
            role: invitation.role.as_str(),
            id: invitation.id,
            email: invitation.email,
            invited_by: invitation.invited_by,
            expires_at: invitation.expires_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MemberList {
    members: Vec<MemberView>,
    invitations: Vec<InvitationView>,
}

#[utoipa::path(
    get,
    path = "/v1/members",
    operation_id = "listMembers",
    tag = "members",
    summary = "The organisation's members and open invitations",
    description = "Needs the `members:write` scope (owners, secret keys).",
    security(("admin_key" = [])),
    responses((status = 200, body = MemberList), AdminErrors)
)]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<MemberList>, ApiError> {
    let (members, invitations) = members::list(&state.db, &caller).await?;
    Ok(Json(MemberList {
        members: members.into_iter().map(MemberView::from).collect(),
        invitations: invitations.into_iter().map(InvitationView::from).collect(),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewInvitationRequest {
    /// Who to invite; the link works only for a sign-in with this address.
    #[schema(
        max_length = 254,
        pattern = r"^[^@\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+@[^@\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+\.[^@\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+$"
    )]
    email: String,
    role: RoleName,
}

/// A new invitation with its link: send the link to the address; it is
/// shown only now.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreatedInvitation {
    #[serde(flatten)]
    invitation: InvitationView,
    /// Signs the invitee in with the identity provider and makes them a
    /// member; works once, for a week.
    link: String,
}

#[utoipa::path(
    post,
    path = "/v1/invitations",
    operation_id = "createInvitation",
    tag = "members",
    summary = "Invite a person by email: a sign-in link that makes them a member",
    description = "Needs the `members:write` scope, and every scope of the role given (only \
        a secret key or an owner invites an owner). The link is shown once.",
    request_body = NewInvitationRequest,
    security(("admin_key" = [])),
    responses(
        (status = 201, body = CreatedInvitation),
        (status = 400, description = "Not an email address, or not a role", body = ErrorBody),
        (status = 415, description = "The body is not JSON", body = ErrorBody),
        AdminErrors,
    )
)]
pub async fn invite(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(request): ApiJson<NewInvitationRequest>,
) -> Result<(StatusCode, Json<CreatedInvitation>), ApiError> {
    let NewInvitation { invitation, link } = members::invite(
        &state.db,
        &caller,
        &request.email,
        request.role.into(),
        &state.public_url,
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedInvitation {
            invitation: invitation.into(),
            link,
        }),
    ))
}

#[utoipa::path(
    delete,
    path = "/v1/invitations/{invitation}",
    operation_id = "withdrawInvitation",
    tag = "members",
    summary = "Withdraw an invitation: its link stops working",
    description = "Needs the `members:write` scope.",
    params(("invitation" = String, Path, description = "Invitation id (`inv_…`)")),
    security(("admin_key" = [])),
    responses(
        (status = 204, description = "Withdrawn"),
        (status = 404, description = "No open invitation of the caller's organisation", body = ErrorBody),
        AdminErrors,
    )
)]
pub async fn withdraw(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    members::withdraw(&state.db, &caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MemberUpdate {
    role: RoleName,
}

#[utoipa::path(
    patch,
    path = "/v1/members/{subject}",
    operation_id = "updateMember",
    tag = "members",
    summary = "Give a member another role",
    description = "Needs the `members:write` scope, and every scope of the new role. The \
        organisation's last owner stays an owner.",
    params(("subject" = String, Path, description = "The identity provider's id for the person")),
    request_body = MemberUpdate,
    security(("admin_key" = [])),
    responses(
        (status = 200, body = MemberView),
        (status = 400, description = "Not a role", body = ErrorBody),
        (status = 415, description = "The body is not JSON", body = ErrorBody),
        (status = 404, description = "No such member of the caller's organisation", body = ErrorBody),
        (status = 409, description = "The last owner would be left out (`last_owner`), or the identity provider gives the membership (`managed_by_identity_provider`)", body = ErrorBody),
        AdminErrors,
    )
)]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(subject): ApiPath<String>,
    ApiJson(update): ApiJson<MemberUpdate>,
) -> Result<Json<MemberView>, ApiError> {
    let member = members::change_role(&state.db, &caller, &subject, update.role.into()).await?;
    Ok(Json(member.into()))
}

#[utoipa::path(
    delete,
    path = "/v1/members/{subject}",
    operation_id = "removeMember",
    tag = "members",
    summary = "Remove a member; their dashboard sessions end at once",
    description = "Needs the `members:write` scope. The organisation's last owner cannot be \
        removed.",
    params(("subject" = String, Path, description = "The identity provider's id for the person")),
    security(("admin_key" = [])),
    responses(
        (status = 204, description = "Removed"),
        (status = 404, description = "No such member of the caller's organisation", body = ErrorBody),
        (status = 409, description = "The organisation's last owner (`last_owner`), or the identity provider gives the membership (`managed_by_identity_provider`)", body = ErrorBody),
        AdminErrors,
    )
)]
pub async fn remove(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(subject): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    members::remove(&state.db, &caller, &subject).await?;
    Ok(StatusCode::NO_CONTENT)
}
