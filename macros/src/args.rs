//! Parsing `#[protect(…)]` arguments into a rule tree. Problems are collected, not returned at
//! the first one, so every mistake of an attribute is reported in one compile.

use proc_macro2::{Span, TokenStream};
use syn::meta::ParseNestedMeta;
use syn::parse::Parser as _;
use syn::{Expr, ExprPath, LitStr, Token};

/// A permission or role value: a literal (checked now) or a path to a constant (checked by a
/// generated const assertion).
pub(crate) enum Value {
    Lit(LitStr),
    Path(ExprPath),
}

/// One `has` dimension or predicate.
pub(crate) enum Leaf {
    Permission(Value),
    Role(Value),
    Feature(LitStr),
    Plan(LitStr),
    Reverification(LitStr),
    Has(Box<Expr>),
}

impl Leaf {
    pub(crate) fn key(&self) -> &'static str {
        match self {
            Self::Permission(_) => "permission",
            Self::Role(_) => "role",
            Self::Feature(_) => "feature",
            Self::Plan(_) => "plan",
            Self::Reverification(_) => "reverification",
            Self::Has(_) => "has",
        }
    }
}

/// A node of the rule: a leaf or a combinator over nodes.
pub(crate) enum Node {
    Leaf(Leaf),
    Any(Vec<Node>, Span),
    All(Vec<Node>, Span),
    Not(Vec<Node>, Span),
}

/// Everything `#[protect(…)]` was given.
#[derive(Default)]
pub(crate) struct Args {
    /// Top-level requirements: all must hold.
    pub(crate) nodes: Vec<Node>,
    pub(crate) unauthorized_url: Option<LitStr>,
    pub(crate) unauthenticated_url: Option<LitStr>,
    /// `token = "api_key"` or `token = any("session_token", "oauth_token")`: the types taken.
    pub(crate) token: Option<Vec<LitStr>>,
    /// `scope = "read:reports"`, once per scope.
    pub(crate) scopes: Vec<LitStr>,
}

/// Collects every problem into one `syn::Error`.
#[derive(Default)]
pub(crate) struct Errors(Option<syn::Error>);

impl Errors {
    pub(crate) fn push(&mut self, err: syn::Error) {
        match &mut self.0 {
            Some(all) => all.combine(err),
            None => self.0 = Some(err),
        }
    }

    pub(crate) fn at(&mut self, span: Span, message: impl std::fmt::Display) {
        self.push(syn::Error::new(span, message));
    }

    pub(crate) fn finish(self) -> syn::Result<()> {
        self.0.map_or(Ok(()), Err)
    }
}

const KEYS: &str = "`permission`, `role`, `feature`, `plan`, `reverification`, `has`, `any(…)`, `all(…)`, `not(…)`, \
                    `unauthorized_url`, `unauthenticated_url`, `token`, `scope`";

impl Args {
    pub(crate) fn parse(tokens: TokenStream, errors: &mut Errors) -> Self {
        let mut args = Args::default();
        let parser = syn::meta::parser(|meta| {
            let span = meta.path.get_ident().map_or_else(Span::call_site, syn::Ident::span);
            for (key, slot) in [
                ("unauthorized_url", &mut args.unauthorized_url),
                ("unauthenticated_url", &mut args.unauthenticated_url),
            ] {
                if meta.path.is_ident(key) {
                    let lit: LitStr = meta.value()?.parse()?;
                    if slot.is_some() {
                        errors.at(span, format_args!("duplicate `{key}` argument"));
                    }
                    *slot = Some(lit);
                    return Ok(());
                }
            }
            if meta.path.is_ident("token") {
                let types = parse_token_types(&meta, errors)?;
                if args.token.is_some() {
                    errors.at(
                        span,
                        "duplicate `token` argument; to accept several types use `token = any(\"…\", \"…\")`",
                    );
                }
                args.token = Some(types);
                return Ok(());
            }
            if meta.path.is_ident("scope") {
                args.scopes.push(meta.value()?.parse()?);
                return Ok(());
            }
            if let Some(node) = parse_node(&meta, errors, true)? {
                if let Node::Leaf(leaf) = &node {
                    let key = leaf.key();
                    let seen = args.nodes.iter().any(|n| matches!(n, Node::Leaf(l) if l.key() == key));
                    if seen && key != "has" {
                        errors.at(
                            span,
                            format_args!(
                                "duplicate `{key}` argument; to accept either value use `any({key} = …, {key} = …)`"
                            ),
                        );
                    }
                }
                args.nodes.push(node);
            }
            Ok(())
        });
        if let Err(err) = parser.parse2(tokens) {
            errors.push(err);
        }
        args
    }
}

/// Parses one key of `#[protect]` or of a combinator. Unknown keys are reported and skipped so
/// the rest is still checked.
fn parse_node(meta: &ParseNestedMeta<'_>, errors: &mut Errors, top: bool) -> syn::Result<Option<Node>> {
    let span = meta.path.get_ident().map_or_else(|| syn::spanned::Spanned::span(&meta.path), syn::Ident::span);
    let name = meta.path.get_ident().map(ToString::to_string).unwrap_or_default();
    let leaf = match name.as_str() {
        "permission" => Leaf::Permission(parse_value(meta)?),
        "role" => Leaf::Role(parse_value(meta)?),
        "feature" => Leaf::Feature(meta.value()?.parse()?),
        "plan" => Leaf::Plan(meta.value()?.parse()?),
        "reverification" => Leaf::Reverification(meta.value()?.parse()?),
        "has" => Leaf::Has(Box::new(meta.value()?.parse()?)),
        "any" | "all" | "not" => {
            let mut children = Vec::new();
            let content;
            syn::parenthesized!(content in meta.input);
            let inner_tokens: TokenStream = content.parse()?;
            // `any()` is reported by validation as an empty combinator, not as a parse error.
            if !inner_tokens.is_empty() {
                let parser = syn::meta::parser(|inner| {
                    if inner.path.is_ident("unauthorized_url") || inner.path.is_ident("unauthenticated_url") {
                        let _: LitStr = inner.value()?.parse()?;
                        let key = inner.path.get_ident().map(ToString::to_string).unwrap_or_default();
                        errors.at(
                            inner.path.get_ident().map_or_else(Span::call_site, syn::Ident::span),
                            format_args!("`{key}` belongs at the top level of `#[protect]`, not inside `{name}(…)`"),
                        );
                        return Ok(());
                    }
                    if let Some(child) = parse_node(&inner, errors, false)? {
                        children.push(child);
                    }
                    Ok(())
                });
                parser.parse2(inner_tokens)?;
            }
            return Ok(Some(match name.as_str() {
                "any" => Node::Any(children, span),
                "all" => Node::All(children, span),
                _ => Node::Not(children, span),
            }));
        }
        _ => {
            skip_value(meta)?;
            let keys = if top {
                KEYS
            } else {
                "`permission`, `role`, `feature`, `plan`, `reverification`, `has`, `any(…)`, `all(…)`, `not(…)`"
            };
            errors.at(span, format_args!("unknown `#[protect]` argument `{name}`; expected one of {keys}"));
            return Ok(None);
        }
    };
    Ok(Some(Node::Leaf(leaf)))
}

/// `token = "…"` or `token = any("…", …)`: the string literals, checked by validation.
fn parse_token_types(meta: &ParseNestedMeta<'_>, errors: &mut Errors) -> syn::Result<Vec<LitStr>> {
    let input = meta.value()?;
    if input.peek(LitStr) {
        return Ok(vec![input.parse()?]);
    }
    let expr: Expr = input.parse()?;
    let expected =
        "expected a token type (`token = \"api_key\"`) or a list (`token = any(\"session_token\", \"oauth_token\")`)";
    let Expr::Call(call) = &expr else {
        errors.at(syn::spanned::Spanned::span(&expr), expected);
        return Ok(Vec::new());
    };
    if !matches!(&*call.func, Expr::Path(p) if p.path.is_ident("any")) {
        errors.at(syn::spanned::Spanned::span(&call.func), expected);
        return Ok(Vec::new());
    }
    let mut types = Vec::new();
    for arg in &call.args {
        match arg {
            Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(lit), .. }) => types.push(lit.clone()),
            other => {
                errors.at(syn::spanned::Spanned::span(other), "a token type is a string literal, e.g. \"api_key\"")
            }
        }
    }
    if types.is_empty() && call.args.is_empty() {
        errors.at(syn::spanned::Spanned::span(&expr), "empty `any()`: name at least one token type");
    }
    Ok(types)
}

fn parse_value(meta: &ParseNestedMeta<'_>) -> syn::Result<Value> {
    let input = meta.value()?;
    if input.peek(LitStr) {
        Ok(Value::Lit(input.parse()?))
    } else {
        Ok(Value::Path(input.parse()?))
    }
}

/// Consumes whatever follows an unknown key: `= expr` or `(…)`.
fn skip_value(meta: &ParseNestedMeta<'_>) -> syn::Result<()> {
    if meta.input.peek(Token![=]) {
        let _: Expr = meta.value()?.parse()?;
    } else if meta.input.peek(syn::token::Paren) {
        let content;
        syn::parenthesized!(content in meta.input);
        let _: TokenStream = content.parse()?;
    }
    Ok(())
}
