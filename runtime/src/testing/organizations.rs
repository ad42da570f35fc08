//! The issuer's organisation roles and permissions, as the Backend API lists them
//! (`GET /v1/organization_roles`, `GET /v1/organization_permissions`, paginated with `limit` and
//! `offset`, secret key required): what a generator of typed constants reads.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use serde_json::{json, Value};
use std::sync::PoisonError;

use super::{clerk_error, json_response, TestIssuer};
use crate::request::info::query_value;

/// An organisation role: its key (`org:admin`), name, and the permissions it grants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrganizationRole {
    /// `org:<role>`.
    pub key: String,
    /// The role's display name.
    pub name: String,
    /// The permission keys it grants.
    pub permissions: Vec<String>,
}

/// An organisation permission: its key (`org:<feature>:<action>`) and name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrganizationPermission {
    /// `org:<feature>:<action>` (or a system permission, `org:sys_…`).
    pub key: String,
    /// The permission's display name.
    pub name: String,
}

/// Clerk's default roles and permissions of a new instance, plus the demo's team settings.
pub(super) fn defaults() -> (Vec<OrganizationRole>, Vec<OrganizationPermission>) {
    let permission = |key: &str, name: &str| OrganizationPermission { key: key.to_owned(), name: name.to_owned() };
    let permissions = vec![
        permission("org:sys_profile:manage", "Manage organization"),
        permission("org:sys_profile:delete", "Delete organization"),
        permission("org:sys_memberships:read", "Read members"),
        permission("org:sys_memberships:manage", "Manage members"),
        permission("org:team_settings:manage", "Manage team settings"),
        permission("org:team_settings:read", "Read team settings"),
    ];
    let all: Vec<String> = permissions.iter().map(|p| p.key.clone()).collect();
    let roles = vec![
        OrganizationRole { key: "org:admin".to_owned(), name: "Admin".to_owned(), permissions: all },
        OrganizationRole {
            key: "org:member".to_owned(),
            name: "Member".to_owned(),
            permissions: vec!["org:sys_memberships:read".to_owned(), "org:team_settings:read".to_owned()],
        },
    ];
    (roles, permissions)
}

impl TestIssuer {
    /// Replaces the instance's organisation roles and permissions (by default Clerk's default
    /// roles and the demo's `org:team_settings:*` permissions).
    pub fn set_organization_roles(&self, roles: Vec<OrganizationRole>, permissions: Vec<OrganizationPermission>) {
        *self.0.organizations.lock().unwrap_or_else(PoisonError::into_inner) = (roles, permissions);
    }
}

/// `limit` (default 10, at most 500) and `offset` (default 0) of a list request.
fn page(uri: &Uri) -> (usize, usize) {
    let number = |name: &str, default: usize| query_value(uri, name).and_then(|v| v.parse().ok()).unwrap_or(default);
    (number("limit", 10).clamp(1, 500), number("offset", 0))
}

fn list(items: Vec<Value>, uri: &Uri) -> Response {
    let (limit, offset) = page(uri);
    let total = items.len();
    let data: Vec<Value> = items.into_iter().skip(offset).take(limit).collect();
    json_response(StatusCode::OK, &json!({ "data": data, "total_count": total }))
}

/// `GET /v1/organization_roles`.
pub(super) async fn roles(State(issuer): State<TestIssuer>, uri: Uri, headers: HeaderMap) -> Response {
    if !issuer.authorized(&headers) {
        return clerk_error(StatusCode::UNAUTHORIZED, "clerk_key_invalid", "The provided secret key is invalid.");
    }
    let roles = issuer.0.organizations.lock().unwrap_or_else(PoisonError::into_inner).0.clone();
    let items = roles
        .iter()
        .map(|r| json!({ "object": "role", "id": format!("role_{}", r.key.trim_start_matches("org:")), "key": r.key, "name": r.name, "permissions": r.permissions.iter().map(|p| json!({"object": "permission", "key": p})).collect::<Vec<_>>() }))
        .collect();
    list(items, &uri)
}

/// `GET /v1/organization_permissions`.
pub(super) async fn permissions(State(issuer): State<TestIssuer>, uri: Uri, headers: HeaderMap) -> Response {
    if !issuer.authorized(&headers) {
        return clerk_error(StatusCode::UNAUTHORIZED, "clerk_key_invalid", "The provided secret key is invalid.");
    }
    let permissions = issuer.0.organizations.lock().unwrap_or_else(PoisonError::into_inner).1.clone();
    let items = permissions
        .iter()
        .map(|p| json!({ "object": "permission", "id": format!("perm_{}", p.key.replace(':', "_")), "key": p.key, "name": p.name, "type": if p.key.starts_with("org:sys_") { "system" } else { "user" } }))
        .collect();
    list(items, &uri)
}
