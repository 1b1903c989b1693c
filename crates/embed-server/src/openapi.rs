//! `GET /openapi.json`: the server's OpenAPI 3.1 spec, generated from the route
//! handlers' `#[utoipa::path]` annotations and the SDK's wire types. The router
//! in `lib.rs` registers every route through those annotations, so a route cannot
//! exist without appearing here.

use std::sync::OnceLock;

use axum::http::header;
use axum::response::IntoResponse;
use sitekit_sdk::agui::Event;
use sitekit_sdk::wire::ErrorBody;
use utoipa::openapi::extensions::Extensions;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, Http, HttpAuthScheme, SecurityRequirement, SecurityScheme,
};
use utoipa::openapi::{Ref, RefOr};
use utoipa::{IntoResponses, Modify, OpenApi, PartialSchema, ToSchema};

/// What the spec says before the routes add themselves.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Site Kit embed API",
        description = "Embeddable AI-agent chat: the browser routes a widget uses \
            (publishable key and Origin, then a session token), the admin API \
            (secret or restricted keys, scoped to one tenant) and the operator's API \
            (operator keys: organisations, their keys, and what a marketplace provisions \
            for a purchase). Every error is \
            `{\"error\":{\"code\",\"message\"}}` with a stable code."
    ),
    modifiers(&SecuritySchemes),
    tags(
        (name = "browser", description = "Used by the loader and widget on customers' pages"),
        (name = "agents", description = "Agent runtime bindings"),
        (name = "catalog", description = "Agents sellers publish, and their versions"),
        (name = "subscriptions", description = "A buyer's published agents and the version each runs"),
        (name = "widgets", description = "Widgets, their settings and snippets"),
        (name = "keys", description = "Secret, restricted and publishable keys"),
        (name = "usage", description = "What the widgets were used for"),
        (name = "conversations", description = "What visitors asked: the inbox, transcripts, exports and deletion"),
        (name = "webhooks", description = "Outgoing webhooks: endpoints, signed events, the delivery log"),
        (name = "seller", description = "How buyers use a seller's published agents"),
        (name = "dashboard", description = "The site owner's dashboard page, on the admin API, and signing people in to it"),
        (name = "members", description = "An organisation's people, their roles and invitations"),
        (name = "operators", description = "For whoever runs the server"),
    )
)]
pub struct ApiDoc;

/// What every admin route may answer besides its own answers.
#[derive(IntoResponses)]
#[allow(dead_code)] // Only its OpenAPI description is used.
pub enum AdminErrors {
    /// No key, or a malformed, unknown, revoked or expired one; or no
    /// dashboard session, or one that ended
    #[response(status = 401)]
    Unauthorized(ErrorBody),
    /// The key, or the signed-in person's role, lacks the scope the route
    /// needs (the message names it); or a session's write without its CSRF
    /// token or from another site (`csrf_rejected`)
    #[response(status = 403)]
    MissingScope(ErrorBody),
    /// Too many admin requests from this address (counted before the key is
    /// looked up) or with this key; see Retry-After
    #[response(status = 429)]
    TooManyRequests(ErrorBody),
}

/// One server-sent event of a chat's answer, described the way OpenAPI
/// describes an event stream: its fields, `data` being one AG-UI event as JSON.
pub struct ChatSseEvent;

impl PartialSchema for ChatSseEvent {
    fn schema() -> RefOr<Schema> {
        let text = |description: &str| {
            ObjectBuilder::new()
                .schema_type(Type::String)
                .description(Some(description))
        };
        // JSON Schema's `contentSchema`, which utoipa has no setter for.
        let event = Ref::from_schema_name(Event::name());
        let content_schema = Extensions::from_iter([(
            "contentSchema",
            serde_json::to_value(event).expect("a reference serializes"),
        )]);
        ObjectBuilder::new()
            .property("id", text("The event's number in the run, from 0"))
            .property("event", text("Always the default, `message`"))
            .property(
                "data",
                text("One AG-UI event")
                    .content_media_type("application/json")
                    .extensions(Some(content_schema)),
            )
            .required("data")
            .into()
    }
}

impl ToSchema for ChatSseEvent {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        schemas.push((Event::name().into(), Event::schema()));
        Event::schemas(schemas);
    }
}

/// Spells each response link's target `operationId`, as OpenAPI names it:
/// utoipa 5.5 writes the field as `operation_id`, which no tool reads, so the
/// name moves to the link's extensions, which are written as they are keyed.
pub fn spell_link_targets(spec: &mut utoipa::openapi::OpenApi) {
    for item in spec.paths.paths.values_mut() {
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ];
        for operation in operations.into_iter().flatten() {
            for response in operation.responses.responses.values_mut() {
                let RefOr::T(response) = response else {
                    continue;
                };
                for link in response.links.values_mut() {
                    let RefOr::T(link) = link else { continue };
                    let target = std::mem::take(&mut link.operation_id);
                    link.extensions
                        .get_or_insert_with(Default::default)
                        .insert("operationId".to_owned(), target.into());
                }
            }
        }
    }
}

/// The kinds of credential the API takes.
struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let bearer = |format: &str, description: &str| {
            let mut http = Http::new(HttpAuthScheme::Bearer);
            http.bearer_format = Some(format.to_owned());
            http.description = Some(description.to_owned());
            SecurityScheme::Http(http)
        };
        components.add_security_scheme(
            "session",
            bearer(
                "session token",
                "A token from POST /v1/sessions; short-lived, bound to one widget, visitor and origin.",
            ),
        );
        // For navigator.sendBeacon, which cannot set headers; only the usage
        // events route takes it.
        components.add_security_scheme(
            "session_query",
            SecurityScheme::ApiKey(ApiKey::Query(ApiKeyValue::with_description(
                "access_token",
                "A session token as the `access_token` query parameter.",
            ))),
        );
        components.add_security_scheme(
            "admin_key",
            bearer(
                "skt_sec_… or skt_rst_…",
                "A secret key (every admin scope of a tenant) or a restricted key (its listed scopes).",
            ),
        );
        components.add_security_scheme(
            "operator_key",
            bearer(
                "skt_op_…",
                "An operator key, made only on the server's machine (`sitekit operator-keys \
                 create`); it opens the operator's API alone, with its operator scopes: \
                 `organisations:read`, `organisations:write`, `organisation-keys:write`.",
            ),
        );
        // The dashboard of a signed-in person: the admin routes take it in place
        // of a key, with the member's role's scopes; writes also need the
        // session's CSRF token in `X-CSRF-Token`.
        components.add_security_scheme(
            "dashboard_session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                "__Host-sitekit_session",
                "A signed-in person's dashboard session (GET /v1/auth/login); writes also \
                 send the session's CSRF token (GET /v1/auth/me) as `X-CSRF-Token`.",
            ))),
        );
    }
}

/// Every admin route takes a signed-in person's dashboard session as it takes
/// a key: each operation that names `admin_key` names `dashboard_session` as
/// the other way in. Run on the whole spec, once the routes are in it.
pub fn admit_dashboard_sessions(openapi: &mut utoipa::openapi::OpenApi) {
    let names = |requirement: &SecurityRequirement, name: &str| {
        serde_json::to_value(requirement).is_ok_and(|value| value.get(name).is_some())
    };
    for item in openapi.paths.paths.values_mut() {
        let operations = [
            &mut item.get,
            &mut item.post,
            &mut item.patch,
            &mut item.put,
            &mut item.delete,
        ];
        for operation in operations.into_iter().flatten() {
            let Some(security) = operation.security.as_mut() else {
                continue;
            };
            let takes_key = security.iter().any(|r| names(r, "admin_key"));
            let takes_person = security.iter().any(|r| names(r, "dashboard_session"));
            if takes_key && !takes_person {
                security.push(SecurityRequirement::new(
                    "dashboard_session",
                    Vec::<String>::new(),
                ));
            }
        }
    }
}

#[utoipa::path(
    get,
    path = "/openapi.json",
    operation_id = "getOpenApi",
    tag = "operators",
    summary = "This spec",
    responses((status = 200, description = "The OpenAPI document", content_type = "application/json"))
)]
pub async fn spec() -> impl IntoResponse {
    // Built once: the routes cannot change while the process runs.
    static SPEC: OnceLock<String> = OnceLock::new();
    let json = SPEC.get_or_init(|| {
        crate::openapi_spec()
            .to_pretty_json()
            .expect("the spec serializes")
    });
    ([(header::CONTENT_TYPE, "application/json")], json.as_str())
}
