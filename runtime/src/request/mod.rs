//! Reading a request: the `Authorization` header ([`authorization`]), the cookies
//! ([`cookies`], [`suffix`]), Clerk's decisions over them ([`flow`]), the handshake's reading and
//! writing ([`handshake`]), and what an `Auth` keeps of the request for later ([`info`]).
//! Imports go one way: `authorization`, `cookies`, `info` → `suffix` → `handshake` → `flow`.

pub(crate) mod authorization;
pub(crate) mod cookies;
pub(crate) mod flow;
pub(crate) mod handshake;
pub(crate) mod info;
pub(crate) mod suffix;

use http::{HeaderMap, Method, Uri};

use crate::error::TokenError;
use crate::verify::jwt::Peek;
use crate::verify::token_type::AcceptsToken;

/// What the decisions read of one request, and when.
#[derive(Clone, Copy)]
pub(crate) struct Input<'r> {
    pub(crate) method: &'r Method,
    pub(crate) uri: &'r Uri,
    pub(crate) headers: &'r HeaderMap,
    pub(crate) now_ms: i64,
    /// Reads a cookie token's routing claims: [`crate::verify::jwt::peek`], or the same claims kept for a token
    /// that verified before (a token's claims are the same however they are read).
    pub(crate) peek: &'r (dyn Fn(&str) -> Result<Peek, TokenError> + Sync),
    /// The token types verified (Clerk's `acceptsToken`; session tokens by default).
    pub(crate) accepts: AcceptsToken,
}
