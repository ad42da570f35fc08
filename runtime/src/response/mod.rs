//! Every HTTP shape of a refusal, in one place: rejections ([`rejection`]), sign-in redirects and
//! return-URL validation ([`sign_in`]), and Clerk's `x-clerk-auth-*` headers ([`auth_headers`]).

pub(crate) mod auth_headers;
pub(crate) mod rejection;
pub(crate) mod sign_in;
