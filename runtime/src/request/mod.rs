//! Reading a request: the `Authorization` header ([`authorization`]), the cookies
//! ([`cookies`], [`suffix`]), Clerk's decisions over them ([`flow`]), and what an `Auth` keeps of
//! the request for later ([`info`]).

pub(crate) mod authorization;
pub(crate) mod cookies;
pub(crate) mod flow;
pub(crate) mod info;
pub(crate) mod suffix;
