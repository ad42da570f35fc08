//! Verifying a machine token presented in `Authorization` (`verifyMachineAuthToken`, HEAD): a
//! JWT one with the instance's keys, an opaque one through the Backend API — whose answers are
//! kept for a short, bounded time (`machine_token_cache_ttl`, never past the token's expiry).

use std::sync::Arc;

use super::Clerk;
use crate::auth::AuthData;
use crate::backend::BackendError;
use crate::error::{Reason, TokenError};
use crate::request::flow::SignedOut;
use crate::verify::cache::Lifetime;
use crate::verify::machine::MachineIdentity;
use crate::verify::token_type::{Form, TokenType};

impl Clerk {
    /// The auth of a machine token of type `kind`, or why it is refused (Clerk's machine error
    /// codes and messages: `token-invalid`, `token-verification-failed`, `secret-key-invalid`,
    /// `unexpected-error`). A Backend API that cannot answer is an outage (503), never an
    /// acceptance.
    pub(super) async fn machine(
        &self,
        token: &str,
        kind: TokenType,
        form: Form,
        now_ms: i64,
    ) -> Result<Arc<AuthData>, SignedOut> {
        match form {
            Form::Jwt => {
                let claims = self.0.verifier.verify_machine_jwt(token, kind, now_ms).await.map_err(refused)?;
                let identity = match kind {
                    TokenType::M2mToken => MachineIdentity::from_m2m_claims(&claims),
                    _ => MachineIdentity::from_oauth_claims(&claims),
                };
                Ok(AuthData::machine(identity.map_err(refused)?, token))
            }
            Form::Opaque => self.opaque_machine(token, kind, now_ms).await,
        }
    }

    async fn opaque_machine(&self, token: &str, kind: TokenType, now_ms: i64) -> Result<Arc<AuthData>, SignedOut> {
        let now = now_ms as f64;
        if let Some(hit) = self.0.machine_cache.get(token.as_bytes(), now, 0.0, 0) {
            return Ok(hit);
        }
        let (segments, field, not_found): (&[&str], _, _) = match kind {
            TokenType::ApiKey => (&["api_keys", "verify"], "secret", "API key not found"),
            TokenType::M2mToken => (&["m2m_tokens", "verify"], "token", "Machine token not found"),
            _ => (&["oauth_applications", "access_tokens", "verify"], "access_token", "OAuth token not found"),
        };
        let machine = kind == TokenType::M2mToken;
        let answer = self.0.backend.verify_machine(segments, field, token, machine).await.map_err(|err| {
            let (reason, message, status) = match &err {
                BackendError::Api { status: 404, .. } => (Reason::TokenInvalid, not_found.to_owned(), Some(404)),
                BackendError::Api { status: 401, message, .. } => {
                    (Reason::SecretKeyInvalid, message.clone(), Some(401))
                }
                BackendError::Api { status, .. } => {
                    (Reason::UnexpectedError, "Unexpected error".to_owned(), Some(*status))
                }
                BackendError::Unreachable(_) => (Reason::UnexpectedError, "Unexpected error".to_owned(), None),
                BackendError::NoSecretKey => {
                    (Reason::SecretKeyInvalid, "No secret key is configured.".to_owned(), None)
                }
            };
            if reason != Reason::TokenInvalid {
                tracing::warn!(token_type = kind.as_str(), "the Backend API could not verify a machine token: {err:?}");
            }
            // Only "not found" is the token's fault; everything else is ours or Clerk's.
            let infrastructure = reason != Reason::TokenInvalid;
            SignedOut { reason, message: full_message(&message, reason, status), infrastructure }
        })?;
        let identity = MachineIdentity::from_backend(kind, &answer).map_err(refused)?;
        let ttl = self.config().machine_token_cache_ttl.as_millis() as f64;
        let expires = identity.expires_ms.unwrap_or(f64::INFINITY);
        if expires <= now {
            return Err(refused(TokenError::new(Reason::TokenInvalid, "The token is expired.")));
        }
        let data = AuthData::machine(identity, token);
        if ttl > 0.0 {
            let lifetime = Lifetime { exp_ms: expires.min(now + ttl), nbf_ms: f64::MIN, iat_ms: f64::MIN };
            self.0.machine_cache.insert(token, Arc::clone(&data), lifetime, 0, now);
        }
        Ok(data)
    }
}

/// `MachineTokenVerificationError.getFullMessage()`.
fn full_message(message: &str, reason: Reason, status: Option<u16>) -> String {
    let status = status.map_or_else(|| "n/a".to_owned(), |s| s.to_string());
    format!("{message} (code={reason}, status={status})")
}

fn refused(err: TokenError) -> SignedOut {
    SignedOut {
        reason: err.reason(),
        message: full_message(err.message(), err.reason(), None),
        infrastructure: err.is_infrastructure(),
    }
}
