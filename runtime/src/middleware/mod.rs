//! The tower layers: [`clerk_layer`] authenticates every request (Clerk's `clerkMiddleware()`),
//! [`protect_layer`] enforces a rule on a route tree (`auth.protect()` in a `layout.tsx`).

pub(crate) mod clerk_layer;
pub(crate) mod protect_layer;
