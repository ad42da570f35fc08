//! Writes, or checks, a Rust module of the Clerk instance's organisation roles and permissions.
//!
//! ```not_rust
//! CLERK_SECRET_KEY=sk_… cargo run --example permissions -- --out src/clerk_permissions.rs
//! CLERK_SECRET_KEY=sk_… cargo run --example permissions -- --check src/clerk_permissions.rs
//! ```
//!
//! `CLERK_API_URL` defaults to `https://api.clerk.com`. `--check` exits with status 1 when the
//! file and the instance disagree (a CI step).

use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (mode, path) = match args.as_slice() {
        [mode, path] if mode == "--out" || mode == "--check" => (mode.as_str(), path.as_str()),
        _ => {
            eprintln!("usage: permissions (--out | --check) <file.rs>");
            return ExitCode::from(2);
        }
    };
    let Some(secret) = std::env::var("CLERK_SECRET_KEY").ok().filter(|s| !s.trim().is_empty()) else {
        eprintln!("permissions: CLERK_SECRET_KEY is not set");
        return ExitCode::from(2);
    };
    let api = std::env::var("CLERK_API_URL").unwrap_or_else(|_| "https://api.clerk.com".to_owned());
    let (roles, permissions) = match axum_clerk_examples::typed_permissions::fetch(&api, &secret, None).await {
        Ok(lists) => lists,
        Err(err) => {
            eprintln!("permissions: {err}");
            return ExitCode::from(2);
        }
    };
    if mode == "--out" {
        let module = axum_clerk_examples::typed_permissions::render(&roles, &permissions);
        return match std::fs::write(path, module) {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => {
                eprintln!("permissions: cannot write {path}: {err}");
                ExitCode::from(2)
            }
        };
    }
    match std::fs::read_to_string(path) {
        Ok(current) => match axum_clerk_examples::typed_permissions::check(&current, &roles, &permissions) {
            Ok(()) => ExitCode::SUCCESS,
            Err(why) => {
                eprintln!("permissions: {path}: {why}");
                ExitCode::FAILURE
            }
        },
        Err(err) => {
            eprintln!("permissions: cannot read {path}: {err}");
            ExitCode::from(2)
        }
    }
}
