//! Every HTTP shape of a refusal, in one place: rejections ([`rejection`]), sign-in redirects and
//! return-URL validation ([`sign_in`]), Clerk's `x-clerk-auth-*` headers ([`auth_headers`]), and
//! the layer's answers to a handshake and the cookies of a new session ([`state_response`]).

pub(crate) mod auth_headers;
pub(crate) mod rejection;
pub(crate) mod sign_in;
pub(crate) mod state_response;
