//! The operator's API (`/v1/operator/…`, operator keys only): the
//! organisations on the server, and their keys, for a control plane that
//! provisions without a shell on the server. Each route names the operator
//! scope it needs in its security requirement and its description.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use sitekit_sdk::admin::{CreatedKey, KeyEventList, KeyList, NewKeyRequest, RotateKeyRequest};
use sitekit_sdk::operator::{NewOrganisation, Organisation, OrganisationList};
use sitekit_sdk::wire::ErrorBody;

use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath};
use crate::openapi::AdminErrors;
use crate::operator::{OperatorCaller, ops};
use crate::state::AppState;

#[utoipa::path(
    get,
    path = "/v1/operator/organisations",
    operation_id = "listOrganisations",
    tag = "operators",
    summary = "Every organisation on the server, oldest first",
    description = "Needs an operator key with the `organisations:read` scope.",
    security(("operator_key" = ["organisations:read"])),
    responses(
        (status = 200, body = OrganisationList),
        AdminErrors,
    )
)]
pub async fn list(
    State(state): State<AppState>,
    caller: OperatorCaller,
) -> Result<Json<OrganisationList>, ApiError> {
    let organisations = ops::organisations(&state.db, &caller).await?;
    Ok(Json(OrganisationList { organisations }))
}

#[utoipa::path(
    post,
    path = "/v1/operator/organisations",
    operation_id = "createOrganisation",
    tag = "operators",
    summary = "Create an organisation that buys agents, sells them, or both",
    description = "Needs an operator key with the `organisations:write` scope.",
    request_body = NewOrganisation,
    security(("operator_key" = ["organisations:write"])),
    responses(
        (status = 201, body = Organisation, links(
            ("getOrganisation" = (operation_id = "getOrganisation", parameters(("organisation" = "$response.body#/id")))),
            ("createOrganisationKey" = (operation_id = "createOrganisationKey", parameters(("organisation" = "$response.body#/id")))),
            ("listOrganisationKeys" = (operation_id = "listOrganisationKeys", parameters(("organisation" = "$response.body#/id")))),
        )),
        (status = 200, description = "The organisation made before with this `externalId`", body = Organisation),
        (status = 400, description = "Malformed JSON, unknown fields or a setting that breaks a rule", body = ErrorBody),
        (status = 409, description = "An organisation with other roles has this `externalId` (`external_id_in_use`)", body = ErrorBody),
        (status = 413, description = "The body is too large", body = ErrorBody),
        (status = 415, description = "The body is not JSON", body = ErrorBody),
        AdminErrors,
    )
)]
pub async fn create(
    State(state): State<AppState>,
    caller: OperatorCaller,
    ApiJson(request): ApiJson<NewOrganisation>,
) -> Result<(StatusCode, Json<Organisation>), ApiError> {
    let (organisation, made) = ops::create_organisation(&state.db, &caller, request).await?;
    let status = if made {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(organisation)))
}

#[utoipa::path(
    get,
    path = "/v1/operator/organisations/{organisation}",
    operation_id = "getOrganisation",
    tag = "operators",
    summary = "One organisation",
    description = "Needs an operator key with the `organisations:read` scope.",
    params(
        ("organisation" = String, Path, description = "Organisation id (`ten_…`)"),
    ),
    security(("operator_key" = ["organisations:read"])),
    responses(
        (status = 200, body = Organisation),
        (status = 404, description = "No such organisation", body = ErrorBody),
        AdminErrors,
    )
)]
pub async fn get(
    State(state): State<AppState>,
    caller: OperatorCaller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Organisation>, ApiError> {
    Ok(Json(ops::organisation(&state.db, &caller, &id).await?))
}

#[utoipa::path(
    get,
    path = "/v1/operator/organisations/{organisation}/keys",
    operation_id = "listOrganisationKeys",
    tag = "operators",
    summary = "An organisation's keys, in display form only",
    description = "Needs an operator key with the `organisation-keys:write` scope.",
    params(
        ("organisation" = String, Path, description = "Organisation id (`ten_…`)"),
    ),
    security(("operator_key" = ["organisation-keys:write"])),
    responses(
        (status = 200, body = KeyList),
        (status = 404, description = "No such organisation", body = ErrorBody),
        AdminErrors,
    )
)]
pub async fn keys(
    State(state): State<AppState>,
    caller: OperatorCaller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<KeyList>, ApiError> {
    let keys = ops::keys(&state.db, &caller, &id).await?;
    Ok(Json(KeyList { keys }))
}

#[utoipa::path(
    post,
    path = "/v1/operator/organisations/{organisation}/keys",
    operation_id = "createOrganisationKey",
    tag = "operators",
    summary = "Create a secret or restricted key of an organisation; the key is shown only in this answer",
    description = "Needs an operator key with the `organisation-keys:write` scope. The key \
        acts for the organisation on the admin API and records the operator key as its maker; \
        it does not expire with the operator key.",
    params(
        ("organisation" = String, Path, description = "Organisation id (`ten_…`)"),
    ),
    request_body = NewKeyRequest,
    security(("operator_key" = ["organisation-keys:write"])),
    responses(
        (status = 201, body = CreatedKey, links(
            ("revokeOrganisationKey" = (operation_id = "revokeOrganisationKey", parameters(
                ("organisation" = "$request.path.organisation"),
                ("key" = "$response.body#/id"),
            ))),
            ("rotateOrganisationKey" = (operation_id = "rotateOrganisationKey", parameters(
                ("organisation" = "$request.path.organisation"),
                ("key" = "$response.body#/id"),
            ))),
            ("listOrganisationKeyEvents" = (operation_id = "listOrganisationKeyEvents", parameters(
                ("organisation" = "$request.path.organisation"),
                ("key" = "$response.body#/id"),
            ))),
        )),
        (status = 400, description = "Malformed JSON, unknown fields or a setting that breaks a rule", body = ErrorBody),
        (status = 404, description = "No such organisation", body = ErrorBody),
        (status = 413, description = "The body is too large", body = ErrorBody),
        (status = 415, description = "The body is not JSON", body = ErrorBody),
        AdminErrors,
    )
)]
pub async fn create_key(
    State(state): State<AppState>,
    caller: OperatorCaller,
    ApiPath(id): ApiPath<String>,
    ApiJson(request): ApiJson<NewKeyRequest>,
) -> Result<(StatusCode, Json<CreatedKey>), ApiError> {
    let created = ops::create_key(&state.db, &caller, &id, request).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

#[utoipa::path(
    post,
    path = "/v1/operator/organisations/{organisation}/keys/{key}/revoke",
    operation_id = "revokeOrganisationKey",
    tag = "operators",
    summary = "Revoke a key of an organisation; its sessions end",
    description = "Needs an operator key with the `organisation-keys:write` scope.",
    params(
        ("organisation" = String, Path, description = "Organisation id (`ten_…`)"),
        ("key" = String, Path, description = "Key id (`key_…`)"),
    ),
    security(("operator_key" = ["organisation-keys:write"])),
    responses(
        (status = 204, description = "Revoked"),
        (status = 404, description = "No such organisation, or no such key of it", body = ErrorBody),
        (status = 409, description = "The key was revoked already (`key_revoked`)", body = ErrorBody),
        AdminErrors,
    )
)]
pub async fn revoke_key(
    State(state): State<AppState>,
    caller: OperatorCaller,
    ApiPath((organisation, key)): ApiPath<(String, String)>,
) -> Result<StatusCode, ApiError> {
    ops::revoke_key(&state.db, &caller, &organisation, &key).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    post,
    path = "/v1/operator/organisations/{organisation}/keys/{key}/rotate",
    operation_id = "rotateOrganisationKey",
    tag = "operators",
    summary = "Replace a key of an organisation; the old one works for the grace period. The new key is shown only in this answer",
    description = "Needs an operator key with the `organisation-keys:write` scope.",
    params(
        ("organisation" = String, Path, description = "Organisation id (`ten_…`)"),
        ("key" = String, Path, description = "Key id (`key_…`)"),
    ),
    request_body = RotateKeyRequest,
    security(("operator_key" = ["organisation-keys:write"])),
    responses(
        (status = 201, body = CreatedKey),
        (status = 400, description = "Malformed JSON, unknown fields or a setting that breaks a rule", body = ErrorBody),
        (status = 404, description = "No such organisation, or no such key of it", body = ErrorBody),
        (status = 409, description = "The key was revoked (`key_revoked`) or has expired (`key_expired`)", body = ErrorBody),
        (status = 413, description = "The body is too large", body = ErrorBody),
        (status = 415, description = "The body is not JSON", body = ErrorBody),
        AdminErrors,
    )
)]
pub async fn rotate_key(
    State(state): State<AppState>,
    caller: OperatorCaller,
    ApiPath((organisation, key)): ApiPath<(String, String)>,
    ApiJson(request): ApiJson<RotateKeyRequest>,
) -> Result<(StatusCode, Json<CreatedKey>), ApiError> {
    let created = ops::rotate_key(&state.db, &caller, &organisation, &key, request).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

#[utoipa::path(
    get,
    path = "/v1/operator/organisations/{organisation}/keys/{key}/events",
    operation_id = "listOrganisationKeyEvents",
    tag = "operators",
    summary = "A key of an organisation's audit trail: created, rotated, revoked, by whom, when",
    description = "Needs an operator key with the `organisation-keys:write` scope.",
    params(
        ("organisation" = String, Path, description = "Organisation id (`ten_…`)"),
        ("key" = String, Path, description = "Key id (`key_…`)"),
    ),
    security(("operator_key" = ["organisation-keys:write"])),
    responses(
        (status = 200, body = KeyEventList),
        (status = 404, description = "No such organisation, or no such key of it", body = ErrorBody),
        AdminErrors,
    )
)]
pub async fn key_events(
    State(state): State<AppState>,
    caller: OperatorCaller,
    ApiPath((organisation, key)): ApiPath<(String, String)>,
) -> Result<Json<KeyEventList>, ApiError> {
    Ok(Json(
        ops::key_events(&state.db, &caller, &organisation, &key).await?,
    ))
}
