//! Verifying a token: decoding it ([`jwt`]), the verification keys ([`keys`], fetched by
//! [`jwks`]), the checks in Clerk's order ([`verifier`]) and the cache of tokens that passed
//! them ([`cache`]).

pub(crate) mod cache;
pub(crate) mod jwks;
pub(crate) mod jwt;
pub(crate) mod keys;
pub(crate) mod machine;
pub(crate) mod token_type;
pub(crate) mod verifier;
