//! The protection matrix: every route of an app driven as a set of personas — signed out, signed
//! in without an organisation, a member, an admin, a pending session, an expired token, a
//! machine — each as a page request and as an API request, and what the app answered. Snapshot
//! it in a test: a rule that changes shows up in review as a diff of the table.

use axum::body::Body;
use axum::Router;
use http::{header, Method, Request};
use serde_json::{json, Value};
use std::fmt::Write as _;
use std::time::Duration;
use tower_service::Service;

use super::TestIssuer;

/// Who makes the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Persona {
    /// No token at all.
    SignedOut,
    /// A session without an active organisation.
    NoOrganization,
    /// A member of the organisation, with the member permissions given.
    Member,
    /// An admin of the organisation, with the admin permissions given.
    Admin,
    /// A session with tasks to finish (`sts: pending`).
    Pending,
    /// An admin's session token that expired.
    Expired,
    /// An M2M token (JWT) — a machine, not a session.
    Machine,
}

impl Persona {
    /// Every persona, in the table's order.
    pub const ALL: [Self; 7] =
        [Self::SignedOut, Self::NoOrganization, Self::Member, Self::Admin, Self::Pending, Self::Expired, Self::Machine];

    /// The column heading.
    #[must_use]
    pub const fn label(self) -> &'static str {
        match self {
            Self::SignedOut => "signed out",
            Self::NoOrganization => "no org",
            Self::Member => "member",
            Self::Admin => "admin",
            Self::Pending => "pending",
            Self::Expired => "expired",
            Self::Machine => "machine",
        }
    }
}

/// What a request got: the status, and where a redirect sends it (the target's path, or its
/// origin and path when it leaves the app).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The HTTP status.
    pub status: u16,
    /// `Location`, without its query, for a redirect.
    pub location: Option<String>,
}

impl Outcome {
    fn cell(&self) -> String {
        match &self.location {
            Some(to) => format!("{} → {to}", self.status),
            None => self.status.to_string(),
        }
    }
}

/// One route's outcomes: per persona, as a page request and as an API request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatrixRow {
    /// The method.
    pub method: Method,
    /// The path.
    pub path: String,
    /// `(persona, page outcome, API outcome)`, in [`Persona::ALL`] order.
    pub outcomes: Vec<(Persona, Outcome, Outcome)>,
}

/// The table of outcomes; see [`ProtectionMatrix`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matrix {
    /// One row per route, in the order given.
    pub rows: Vec<MatrixRow>,
}

impl Matrix {
    /// The outcome of `persona` on `method path` (`page` or API).
    #[must_use]
    pub fn outcome(&self, method: &Method, path: &str, persona: Persona, page: bool) -> Option<&Outcome> {
        let row = self.rows.iter().find(|r| r.method == *method && r.path == path)?;
        let (_, page_outcome, api_outcome) = row.outcomes.iter().find(|(p, _, _)| *p == persona)?;
        Some(if page { page_outcome } else { api_outcome })
    }

    /// The table in Markdown: a row per route, a column per persona, each cell `page · API`.
    #[must_use]
    pub fn to_markdown(&self) -> String {
        let mut out = String::from("| route |");
        for persona in Persona::ALL {
            let _ = write!(out, " {} |", persona.label());
        }
        out.push_str("\n|---|");
        out.push_str(&"---|".repeat(Persona::ALL.len()));
        out.push('\n');
        for row in &self.rows {
            let _ = write!(out, "| `{} {}` |", row.method, row.path);
            for (_, page, api) in &row.outcomes {
                let _ = write!(out, " {} · {} |", page.cell(), api.cell());
            }
            out.push('\n');
        }
        out
    }

    /// The table as JSON: `[{"method", "path", "outcomes": {persona: {"page", "api"}}}]`.
    #[must_use]
    pub fn to_json(&self) -> Value {
        let outcome = |o: &Outcome| json!({ "status": o.status, "location": o.location });
        Value::Array(
            self.rows
                .iter()
                .map(|row| {
                    let outcomes: serde_json::Map<String, Value> = row
                        .outcomes
                        .iter()
                        .map(|(p, page, api)| {
                            (p.label().to_owned(), json!({ "page": outcome(page), "api": outcome(api) }))
                        })
                        .collect();
                    json!({ "method": row.method.as_str(), "path": row.path, "outcomes": outcomes })
                })
                .collect(),
        )
    }
}

/// Builds the protection matrix of an app whose [`ClerkLayer`](crate::ClerkLayer) verifies
/// this issuer's tokens (for instance configured with [`TestIssuer::config`] or its PEM key).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use axum::{routing::get, Router};
/// use axum_clerk::testing::{Persona, ProtectionMatrix, TestIssuer};
/// use axum_clerk::{protect, Clerk, ClerkConfig, ClerkLayer};
///
/// #[protect(permission = "org:reports:read")]
/// async fn reports() -> &'static str { "reports" }
///
/// let issuer = TestIssuer::new();
/// let clerk = Clerk::new(ClerkConfig::builder().jwt_key(issuer.public_key_pem()).build().unwrap()).unwrap();
/// let app = Router::new().route("/reports", get(reports)).layer(ClerkLayer::new(clerk));
///
/// let matrix = ProtectionMatrix::new(&issuer).admin_permissions(["org:reports:read"]).get("/reports").run(&app).await;
/// let get = http::Method::GET;
/// assert_eq!(matrix.outcome(&get, "/reports", Persona::Admin, false).unwrap().status, 200);
/// assert_eq!(matrix.outcome(&get, "/reports", Persona::Member, false).unwrap().status, 404);
/// assert_eq!(matrix.outcome(&get, "/reports", Persona::SignedOut, true).unwrap().location.as_deref(), Some("/sign-in"));
/// println!("{}", matrix.to_markdown());
/// # }
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct ProtectionMatrix {
    issuer: TestIssuer,
    /// Method, path, and a JSON body to send.
    routes: Vec<(Method, String, Option<Value>)>,
    member_permissions: Vec<String>,
    admin_permissions: Vec<String>,
    host: String,
}

impl ProtectionMatrix {
    /// A matrix of tokens minted by `issuer`; add routes with [`Self::get`] or [`Self::route`].
    pub fn new(issuer: &TestIssuer) -> Self {
        Self {
            issuer: issuer.clone(),
            routes: Vec::new(),
            member_permissions: Vec::new(),
            admin_permissions: Vec::new(),
            host: "app.test".to_owned(),
        }
    }

    /// A `GET` route.
    pub fn get(self, path: &str) -> Self {
        self.route(Method::GET, path)
    }

    /// A route with any method (the request has an empty body).
    pub fn route(mut self, method: Method, path: &str) -> Self {
        self.routes.push((method, path.to_owned(), None));
        self
    }

    /// A `POST` route sent `body` as JSON, so that a handler which reads one gets past it.
    pub fn post_json(mut self, path: &str, body: Value) -> Self {
        self.routes.push((Method::POST, path.to_owned(), Some(body)));
        self
    }

    /// The member's permissions in the organisation (default: none).
    pub fn member_permissions<I: IntoIterator<Item = S>, S: Into<String>>(mut self, permissions: I) -> Self {
        self.member_permissions = permissions.into_iter().map(Into::into).collect();
        self
    }

    /// The admin's permissions in the organisation (default: none).
    pub fn admin_permissions<I: IntoIterator<Item = S>, S: Into<String>>(mut self, permissions: I) -> Self {
        self.admin_permissions = permissions.into_iter().map(Into::into).collect();
        self
    }

    /// The `Host` the requests carry (default `app.test`), so redirects inside the app read as
    /// paths.
    pub fn host(mut self, host: &str) -> Self {
        self.host = host.to_owned();
        self
    }

    /// Drives every route as every persona, page and API request.
    pub async fn run(&self, app: &Router) -> Matrix {
        let mut rows = Vec::new();
        for (method, path, body) in &self.routes {
            let mut outcomes = Vec::new();
            for persona in Persona::ALL {
                let token = self.token(persona);
                let page = self.send(app, (method, path, body.as_ref()), token.as_deref(), true).await;
                let api = self.send(app, (method, path, body.as_ref()), token.as_deref(), false).await;
                outcomes.push((persona, page, api));
            }
            rows.push(MatrixRow { method: method.clone(), path: path.clone(), outcomes });
        }
        Matrix { rows }
    }

    fn token(&self, persona: Persona) -> Option<String> {
        let issuer = &self.issuer;
        let admin = || {
            issuer
                .session("user_matrix_admin")
                .org("org_matrix", "matrix", "org:admin")
                .permissions(self.admin_permissions.clone())
        };
        Some(match persona {
            Persona::SignedOut => return None,
            Persona::NoOrganization => issuer.session("user_matrix_solo").mint(),
            Persona::Member => issuer
                .session("user_matrix_member")
                .org("org_matrix", "matrix", "org:member")
                .permissions(self.member_permissions.clone())
                .mint(),
            Persona::Admin => admin().mint(),
            Persona::Pending => issuer.session("user_matrix_pending").pending().mint(),
            Persona::Expired => {
                let now = issuer.0.clock.now_ms() / 1000;
                admin()
                    .claim("iat", json!(now - 3600))
                    .claim("nbf", json!(now - 3600))
                    .claim("exp", json!(now - 1800))
                    .mint()
            }
            Persona::Machine => issuer.m2m_jwt("mch_matrix", &[]),
        })
    }

    async fn send(
        &self,
        app: &Router,
        (method, path, body): (&Method, &str, Option<&Value>),
        token: Option<&str>,
        page: bool,
    ) -> Outcome {
        let mut request = Request::builder().method(method.clone()).uri(path).header(header::HOST, &self.host);
        if body.is_some() {
            request = request.header(header::CONTENT_TYPE, "application/json");
        }
        request = if page {
            request.header("sec-fetch-dest", "document").header(header::ACCEPT, "text/html")
        } else {
            request.header("sec-fetch-dest", "empty").header(header::ACCEPT, "application/json")
        };
        if let Some(token) = token {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        let body = body.map_or_else(Body::empty, |b| Body::from(b.to_string()));
        let Ok(request) = request.body(body) else {
            return Outcome { status: 0, location: Some("(the request could not be built)".to_owned()) };
        };
        let mut service = app.clone();
        let response = tokio::time::timeout(Duration::from_secs(30), async {
            std::future::poll_fn(|cx| Service::<Request<Body>>::poll_ready(&mut service, cx)).await?;
            service.call(request).await
        })
        .await;
        let Ok(Ok(response)) = response else {
            return Outcome { status: 0, location: Some("(no answer)".to_owned()) };
        };
        let location = response.headers().get(header::LOCATION).and_then(|l| l.to_str().ok()).map(|l| self.short(l));
        Outcome { status: response.status().as_u16(), location }
    }

    /// A location without its query; inside the app, just the path.
    fn short(&self, location: &str) -> String {
        let without_query = location.split(['?', '#']).next().unwrap_or_default();
        let own = [format!("http://{}", self.host), format!("https://{}", self.host)];
        own.iter()
            .find_map(|origin| without_query.strip_prefix(origin.as_str()))
            .map_or_else(|| without_query.to_owned(), str::to_owned)
    }
}
