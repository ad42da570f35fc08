//! Which functions the attributes accept: `async fn` without a `self` receiver.

use syn::{FnArg, ItemFn, Pat, Type};

use crate::args::Errors;

pub(crate) fn check(func: &ItemFn, attribute: &str, errors: &mut Errors) {
    if func.sig.asyncness.is_none() {
        errors.at(func.sig.fn_token.span, format_args!("`#[{attribute}]` requires an `async fn` (an axum handler)"));
    }
    for input in &func.sig.inputs {
        if let FnArg::Receiver(receiver) = input {
            errors.at(
                receiver.self_token.span,
                format_args!(
                    "`#[{attribute}]` cannot be used on a method with `self`: axum handlers are free functions"
                ),
            );
        }
    }
    let others = ["auth", "protect", "public"].into_iter().filter(|other| *other != attribute);
    for other in others {
        if let Some(attr) = func.attrs.iter().find(|a| a.path().segments.last().is_some_and(|s| s.ident == other)) {
            let message = if [attribute, other].contains(&"public") {
                format!("`#[{attribute}]` and `#[{other}]` conflict: a handler is public or it is not; use one of them")
            } else {
                "`#[auth]` and `#[protect]` conflict: `#[protect]` already binds `auth` (signed in); use one of them"
                    .to_owned()
            };
            errors.at(syn::spanned::Spanned::span(attr), message);
        }
    }
}

/// True when the handler already reads the auth state: a parameter of type `Auth`,
/// `SignedIn` or `Option<Auth>` (any path ending so), or one named `auth`. `#[auth]` then adds
/// nothing, rather than a second extractor.
pub(crate) fn takes_auth(func: &ItemFn) -> bool {
    fn is_auth(ty: &Type) -> bool {
        let Type::Path(p) = ty else { return false };
        let Some(last) = p.path.segments.last() else { return false };
        if last.ident == "Auth" || last.ident == "SignedIn" {
            return true;
        }
        let syn::PathArguments::AngleBracketed(args) = &last.arguments else { return false };
        last.ident == "Option"
            && args.args.len() == 1
            && matches!(args.args.first(), Some(syn::GenericArgument::Type(inner)) if is_auth(inner))
    }
    binds_auth(func)
        || func.sig.inputs.iter().any(|input| match input {
            FnArg::Typed(pat) => is_auth(&pat.ty),
            FnArg::Receiver(_) => false,
        })
}

/// True when a parameter binds the name `auth`.
pub(crate) fn binds_auth(func: &ItemFn) -> bool {
    func.sig.inputs.iter().any(|input| match input {
        FnArg::Typed(pat) => matches!(&*pat.pat, Pat::Ident(id) if id.ident == "auth"),
        FnArg::Receiver(_) => false,
    })
}
