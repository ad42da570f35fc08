//! Code generation for `#[auth]` and `#[protect]`. On any error the user's function is emitted
//! unchanged next to the errors, so routes naming it still resolve and IDEs keep working.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned, ToTokens};
use syn::spanned::Spanned as _;
use syn::{ItemFn, LitStr};

use crate::args::{Args, Errors, Leaf, Node, Value};
use crate::{item, validate};

fn with_error(mut tokens: TokenStream, err: syn::Error) -> TokenStream {
    tokens.extend(err.into_compile_error());
    tokens
}

/// The handler of an attribute that takes no arguments (`#[auth]`, `#[public]`): parsed and
/// checked, or the user's function unchanged next to every error.
fn argumentless_handler(
    args: TokenStream,
    item: TokenStream,
    attribute: &str,
    no_arguments: &str,
) -> Result<ItemFn, TokenStream> {
    let func: ItemFn = match syn::parse2(item.clone()) {
        Ok(func) => func,
        Err(err) => return Err(with_error(item, err)),
    };
    let mut errors = Errors::default();
    if let Some(first) = args.into_iter().next() {
        errors.at(first.span(), no_arguments);
    }
    item::check(&func, attribute, &mut errors);
    match errors.finish() {
        Ok(()) => Ok(func),
        Err(err) => Err(with_error(func.into_token_stream(), err)),
    }
}

pub(crate) fn auth(args: TokenStream, item: TokenStream) -> TokenStream {
    let no_arguments = "`#[auth]` takes no arguments; use `#[protect(…)]` to require a permission, role, …";
    let func = match argumentless_handler(args, item, "auth", no_arguments) {
        Ok(func) => func,
        Err(tokens) => return tokens,
    };
    let registration = register(&func, "Auth", "");
    if item::takes_auth(&func) {
        let mut out = func.into_token_stream();
        out.extend(registration);
        return out;
    }
    let auth = syn::Ident::new("auth", Span::call_site());
    let param = quote!(#auth: ::axum_clerk::__private::Auth);
    let mut out = rewrite(&func, &param, &TokenStream::new());
    out.extend(registration);
    out
}

pub(crate) fn public(args: TokenStream, item: TokenStream) -> TokenStream {
    let no_arguments = "`#[public]` takes no arguments: it marks the handler as open to everyone";
    let func = match argumentless_handler(args, item, "public", no_arguments) {
        Ok(func) => func,
        Err(tokens) => return tokens,
    };
    let marker = syn::Ident::new("__axum_clerk_public", Span::mixed_site());
    let param = quote!(#marker: ::axum_clerk::__private::Public);
    let mut out = rewrite(&func, &param, &TokenStream::new());
    out.extend(register(&func, "Public", ""));
    out
}

/// Registers the handler in the link-time inventory (`axum_clerk::declared_routes`): module,
/// name, file and line, how it declared its access, and its rule.
fn register(func: &ItemFn, access: &str, rule: &str) -> TokenStream {
    let private = quote!(::axum_clerk::__private);
    let name = LitStr::new(&func.sig.ident.to_string(), func.sig.ident.span());
    let access = format_ident!("{}", access);
    let rule = LitStr::new(rule, Span::call_site());
    let line = quote_spanned!(func.sig.ident.span()=> ::core::line!());
    quote! {
        #private::inventory::submit! {
            #private::DeclaredRoute::new(::core::module_path!(), #name, ::core::file!(), #line, #private::Access::#access, #rule)
        }
    }
}

pub(crate) fn protect(args: TokenStream, item: TokenStream) -> TokenStream {
    let func: ItemFn = match syn::parse2(item.clone()) {
        Ok(func) => func,
        Err(err) => return with_error(item, err),
    };
    let mut errors = Errors::default();
    let description = args.to_string();
    let parsed = Args::parse(args, &mut errors);
    validate::rule(&parsed, &mut errors);
    item::check(&func, "protect", &mut errors);
    if let Err(err) = errors.finish() {
        return with_error(func.into_token_stream(), err);
    }

    let vis = &func.vis;
    let rule_ty = format_ident!("__axum_clerk_protect_{}", func.sig.ident);
    let private = quote!(::axum_clerk::__private);
    let rule = rule_expr(&parsed);
    let description = LitStr::new(if description.is_empty() { "signed in" } else { &description }, Span::call_site());
    let mut assertions = TokenStream::new();
    for node in &parsed.nodes {
        const_assertions(node, &mut assertions);
    }
    let guard = syn::Ident::new("__axum_clerk_guard", Span::mixed_site());
    let param = quote!(#guard: #private::Guard<#rule_ty>);
    let prelude = if item::binds_auth(&func) {
        quote!(let _ = #guard;)
    } else {
        let auth = syn::Ident::new("auth", Span::call_site());
        quote!(let #auth: #private::SignedIn = #guard.into_signed_in();)
    };
    let handler = rewrite(&func, &param, &prelude);
    let registration = register(&func, "Protect", &description.value());
    quote! {
        #registration

        #[doc(hidden)]
        #[allow(non_camel_case_types)]
        #vis struct #rule_ty;

        #[automatically_derived]
        impl #private::ProtectRule for #rule_ty {
            fn rule() -> &'static #private::Protect {
                static RULE: #private::LazyLock<#private::Protect> =
                    #private::LazyLock::new(|| (#rule).describe(#description));
                &RULE
            }
        }

        #assertions
        #handler
    }
}

/// Re-emits the function with `param` first and `prelude` before the body's statements,
/// keeping attributes, visibility, generics, `where` clause and return type as written.
fn rewrite(func: &ItemFn, param: &TokenStream, prelude: &TokenStream) -> TokenStream {
    let attrs = &func.attrs;
    let vis = &func.vis;
    let sig = &func.sig;
    let (constness, asyncness, unsafety, abi, fn_token, ident) =
        (&sig.constness, &sig.asyncness, &sig.unsafety, &sig.abi, &sig.fn_token, &sig.ident);
    let generics = &sig.generics;
    let where_clause = &sig.generics.where_clause;
    let inputs = &sig.inputs;
    let output = &sig.output;
    let stmts = &func.block.stmts;
    let body = quote_spanned!(func.block.span()=> { #prelude #(#stmts)* });
    quote! {
        #(#attrs)*
        #vis #constness #asyncness #unsafety #abi #fn_token #ident #generics (#param, #inputs) #output #where_clause
        #body
    }
}

fn value_tokens(value: &Value) -> TokenStream {
    match value {
        Value::Lit(lit) => lit.to_token_stream(),
        Value::Path(path) => path.to_token_stream(),
    }
}

/// The argument of `Check::<key>(…)` / `.and_<key>(…)` for a `has` dimension; `None` for `has = …`.
fn leaf_value(leaf: &Leaf) -> Option<TokenStream> {
    Some(match leaf {
        Leaf::Permission(v) | Leaf::Role(v) => value_tokens(v),
        Leaf::Feature(lit) | Leaf::Plan(lit) => lit.to_token_stream(),
        Leaf::Reverification(lit) => {
            let preset = match lit.value().as_str() {
                "strict_mfa" => quote!(StrictMfa),
                "strict" => quote!(Strict),
                "moderate" => quote!(Moderate),
                _ => quote!(Lax),
            };
            quote!(::axum_clerk::__private::Reverification::#preset)
        }
        Leaf::Has(_) => return None,
    })
}

/// A boolean expression of a node over the auth in scope as `auth_ident`.
fn node_expr(node: &Node, auth: &syn::Ident) -> TokenStream {
    match node {
        Node::Leaf(Leaf::Has(expr)) => {
            quote_spanned!(expr.span()=> (::axum_clerk::__private::predicate(#expr))(#auth))
        }
        Node::Leaf(leaf) => {
            let key = format_ident!("{}", leaf.key());
            let value = leaf_value(leaf);
            quote!(#auth.has(&::axum_clerk::__private::Check::#key(#value)))
        }
        Node::Any(children, _) => {
            let parts = children.iter().map(|c| node_expr(c, auth));
            quote!((false #(|| #parts)*))
        }
        Node::All(children, _) => {
            let parts = children.iter().map(|c| node_expr(c, auth));
            quote!((true #(&& #parts)*))
        }
        Node::Not(children, _) => {
            let parts = children.iter().map(|c| node_expr(c, auth));
            quote!((!(true #(&& #parts)*)))
        }
    }
}

/// The `Protect` value: top-level `has` dimensions become one `Check` (all must hold, as
/// Clerk's `has({ role, permission })`); combinators and predicates are ANDed with it.
fn rule_expr(args: &Args) -> TokenStream {
    let protect = quote!(::axum_clerk::__private::Protect);
    let mut check: Option<TokenStream> = None;
    let mut others = Vec::new();
    for node in &args.nodes {
        match node {
            Node::Leaf(leaf) if leaf_value(leaf).is_some() => {
                let and = format_ident!("and_{}", leaf.key());
                let value = leaf_value(leaf);
                let base = check.take().unwrap_or_else(|| quote!(::axum_clerk::__private::Check::default()));
                check = Some(quote!(#base.#and(#value)));
            }
            other => others.push(other),
        }
    }
    let mut rule = match (check, others.is_empty()) {
        (None, true) => quote!(#protect::signed_in()),
        (Some(check), true) => quote!(#protect::check(#check)),
        (check, false) => {
            let auth = syn::Ident::new("__axum_clerk_auth", Span::mixed_site());
            let check = check.map(|c| quote!(#auth.has(&(#c)) &&));
            let parts = others.iter().map(|n| node_expr(n, &auth));
            quote!(#protect::predicate(move |#auth: &::axum_clerk::__private::Auth| #check true #(&& #parts)*))
        }
    };
    if let Some(types) = &args.token {
        let private = quote!(::axum_clerk::__private);
        let accepts = if types.iter().any(|t| t.value() == "any") {
            quote!(#private::AcceptsToken::ANY)
        } else {
            let variant = |t: &syn::LitStr| match t.value().as_str() {
                "api_key" => format_ident!("ApiKey"),
                "m2m_token" => format_ident!("M2mToken"),
                "oauth_token" => format_ident!("OAuthToken"),
                _ => format_ident!("SessionToken"),
            };
            let mut types = types.iter().map(variant);
            let first = types.next().unwrap_or_else(|| format_ident!("SessionToken"));
            quote!(#private::AcceptsToken::only(#private::TokenType::#first) #(.or(#private::TokenType::#types))*)
        };
        rule = quote!(#rule.token(#accepts));
    }
    for scope in &args.scopes {
        rule = quote!(#rule.scope(#scope));
    }
    if let Some(url) = &args.unauthorized_url {
        rule = quote!(#rule.unauthorized_url(#url));
    }
    if let Some(url) = &args.unauthenticated_url {
        rule = quote!(#rule.unauthenticated_url(#url));
    }
    rule
}

/// `const _: () = assert_permission(PATH);` for every permission/role given as a path, so a
/// malformed constant fails the build like a malformed literal.
fn const_assertions(node: &Node, out: &mut TokenStream) {
    match node {
        Node::Leaf(Leaf::Permission(Value::Path(path))) => out.extend(quote_spanned! {path.span()=>
            const _: () = ::axum_clerk::__private::assert_permission(#path);
        }),
        Node::Leaf(Leaf::Role(Value::Path(path))) => out.extend(quote_spanned! {path.span()=>
            const _: () = ::axum_clerk::__private::assert_role(#path);
        }),
        Node::Leaf(_) => {}
        Node::Any(children, _) | Node::All(children, _) | Node::Not(children, _) => {
            for child in children {
                const_assertions(child, out);
            }
        }
    }
}
