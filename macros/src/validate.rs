//! Checks on the parsed rule: value formats, empty combinators, conflicts. Every problem is
//! pushed into `Errors`; nothing stops at the first one.

use crate::args::{Args, Errors, Leaf, Node, Value};

pub(crate) fn rule(args: &Args, errors: &mut Errors) {
    for node in &args.nodes {
        check_node(node, errors);
    }
    if let Some(url) = &args.unauthorized_url {
        if args.nodes.is_empty() {
            errors.at(
                url.span(),
                "`unauthorized_url` conflicts with a rule that only requires signing in: nobody signed in can be \
                 unauthorized; add `permission`, `role`, … or remove it",
            );
        }
    }
    let mut machines = false;
    for lit in args.token.iter().flatten() {
        match lit.value().as_str() {
            "session_token" => {}
            "api_key" | "m2m_token" | "oauth_token" | "any" => machines = true,
            other => errors.at(
                lit.span(),
                format_args!(
                    "unknown token type `{other}`; expected `session_token`, `api_key`, `m2m_token`, `oauth_token` or `any`"
                ),
            ),
        }
    }
    for scope in &args.scopes {
        if let Err(problem) = scope_token(&scope.value()) {
            errors.at(scope.span(), problem);
        } else if !machines {
            errors.at(
                scope.span(),
                "`scope` is checked on machine tokens, and this rule takes none: add `token = \"oauth_token\"` (or \
                 another machine type)",
            );
        }
    }
    for url in [&args.unauthorized_url, &args.unauthenticated_url].into_iter().flatten() {
        if let Err(problem) = redirect_target(&url.value()) {
            errors.at(url.span(), problem);
        }
    }
}

fn check_node(node: &Node, errors: &mut Errors) {
    match node {
        Node::Leaf(leaf) => check_leaf(leaf, errors),
        Node::Any(children, span) | Node::All(children, span) | Node::Not(children, span) => {
            let name = match node {
                Node::Any(..) => "any",
                Node::All(..) => "all",
                _ => "not",
            };
            if children.is_empty() {
                errors.at(*span, format_args!("empty `{name}()`: give it at least one requirement"));
            } else if name == "not" && children.len() > 1 {
                errors.at(*span, "`not(…)` takes exactly one requirement; wrap several in `any(…)` or `all(…)`");
            }
            for child in children {
                check_node(child, errors);
            }
        }
    }
}

fn check_leaf(leaf: &Leaf, errors: &mut Errors) {
    match leaf {
        Leaf::Permission(Value::Lit(lit)) => {
            if let Err(problem) = permission(&lit.value()) {
                errors.at(lit.span(), problem);
            }
        }
        Leaf::Role(Value::Lit(lit)) => {
            if let Err(problem) = role(&lit.value()) {
                errors.at(lit.span(), problem);
            }
        }
        Leaf::Feature(lit) | Leaf::Plan(lit) => {
            if let Err(problem) = scoped(&lit.value(), leaf.key()) {
                errors.at(lit.span(), problem);
            }
        }
        Leaf::Reverification(lit) => {
            if !matches!(lit.value().as_str(), "strict_mfa" | "strict" | "moderate" | "lax") {
                errors.at(
                    lit.span(),
                    format_args!(
                        "unknown reverification preset {:?}; expected \"strict_mfa\", \"strict\", \"moderate\" or \"lax\"",
                        lit.value()
                    ),
                );
            }
        }
        // Paths are checked by a generated const assertion; predicates by the type checker.
        Leaf::Permission(Value::Path(_)) | Leaf::Role(Value::Path(_)) | Leaf::Has(_) => {}
    }
}

fn is_key_segment(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

/// `org:<feature>:<action>`, lowercase, no spaces, not a system permission.
pub(crate) fn permission(value: &str) -> Result<(), String> {
    let parts: Vec<&str> = value.split(':').collect();
    if parts.len() != 3 || parts[0] != "org" || !parts[1..].iter().all(|p| is_key_segment(p)) {
        return Err(format!(
            "permission {value:?} is not of the form \"org:<feature>:<action>\" (lowercase letters, digits, `_`, `-`; \
             e.g. \"org:team_settings:manage\")"
        ));
    }
    if parts[1].starts_with("sys_") {
        return Err(format!(
            "{value:?} is a system permission: Clerk never puts `org:sys_*` permissions in session tokens, so this \
             check could never pass on the server; require a role (e.g. role = \"org:admin\") or a custom permission"
        ));
    }
    Ok(())
}

/// `org:<role>`, lowercase, no spaces.
pub(crate) fn role(value: &str) -> Result<(), String> {
    match value.strip_prefix("org:") {
        Some(name) if is_key_segment(name) => Ok(()),
        _ => Err(format!("role {value:?} is not of the form \"org:<role>\" (lowercase, e.g. \"org:admin\")")),
    }
}

/// A feature or plan: `name`, or `<scope>:name` with scope `o`, `org`, `organization`, `u`, `user`.
fn scoped(value: &str, key: &str) -> Result<(), String> {
    let (scope, name) = value.split_once(':').map_or((None, value), |(s, n)| (Some(s), n));
    let scope_ok = scope.is_none_or(|s| matches!(s, "o" | "org" | "organization" | "u" | "user"));
    if scope_ok && is_key_segment(name) {
        Ok(())
    } else {
        Err(format!("{key} {value:?} is not a {key} key, optionally scoped (\"o:…\", \"org:…\", \"u:…\", \"user:…\")"))
    }
}

/// An absolute path (`/no-access`) or an absolute http(s) URL, with nothing a browser would read
/// differently (whitespace, controls, backslashes, userinfo).
fn redirect_target(value: &str) -> Result<(), String> {
    let problem = || Err(format!("{value:?} is neither an absolute path (\"/no-access\") nor an absolute http(s) URL"));
    if value.chars().any(|c| c.is_whitespace() || c.is_control() || c == '\\') {
        return problem();
    }
    if let Some(path) = value.strip_prefix('/') {
        return if path.starts_with('/') { problem() } else { Ok(()) };
    }
    let Some(rest) = value.strip_prefix("https://").or_else(|| value.strip_prefix("http://")) else {
        return problem();
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.is_empty() || authority.contains('@') || authority.starts_with(':') {
        return problem();
    }
    Ok(())
}

/// An OAuth scope token (RFC 6749 §3.3): one or more of `!`, `#`–`[`, `]`–`~`; no spaces, quotes
/// or backslashes.
fn scope_token(scope: &str) -> Result<(), String> {
    if scope.is_empty() {
        return Err("empty `scope`".to_owned());
    }
    match scope.chars().find(|&c| !(c == '!' || ('#'..='[').contains(&c) || (']'..='~').contains(&c))) {
        Some(c) => Err(format!(
            "`{scope}` is not a scope: {c:?} is not allowed (a scope is one word of visible ASCII, no quotes or \
             backslashes; give several scopes as several `scope = …`)"
        )),
        None => Ok(()),
    }
}
