//! Project Wycheproof's JOSE vectors through the verifier's JWS layer: every test group's key set
//! is served by a real JWKS endpoint on 127.0.0.1, and every vector goes through
//! `testing::verify_jws_signature` — size and form limits, strict base64url, header checks, the
//! key policy at ingest and the signature; everything a session token meets except its claims
//! (Wycheproof's payloads are not claim sets).
//!
//! Data: `data/wycheproof/json_web_signature_test.json` (401 vectors) and
//! `json_web_key_test.json` (26), from C2SP/wycheproof `testvectors_v1/`, Apache-2.0; see
//! `data/wycheproof/README.md`.
//!
//! The verdict rule: a vector is accepted exactly when Wycheproof calls it valid and it is signed
//! with an algorithm a Clerk verifier takes (RS256, RS384, RS512). Everything else is refused,
//! including vectors Wycheproof calls valid for HMAC, ECDSA and RSA-PSS, which Clerk never issues
//! (security §1.2: algorithm allow-list).

use crate::common::JwksServer;
use axum_clerk::testing::verify_jws_signature;
use axum_clerk::{Clerk, Reason, TokenError};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::{json, Value};

const JWS_FILE: &str = include_str!("../data/wycheproof/json_web_signature_test.json");
const JWK_FILE: &str = include_str!("../data/wycheproof/json_web_key_test.json");

/// One vector with the key set of its group.
struct Vector {
    file: &'static str,
    tc_id: u64,
    comment: String,
    jws: String,
    valid: bool,
    flags: Vec<String>,
    keys: Vec<Value>,
}

impl Vector {
    fn name(&self) -> String {
        format!("{} tcId {} ({})", self.file, self.tc_id, self.comment)
    }

    /// The header's `alg`, when the header segment decodes to a JSON object.
    fn alg(&self) -> Option<String> {
        let header = self.jws.split('.').next()?;
        let bytes = URL_SAFE_NO_PAD.decode(header).ok()?;
        let value: Value = serde_json::from_slice(&bytes).ok()?;
        value.get("alg")?.as_str().map(str::to_owned)
    }

    fn rsa_pkcs1(&self) -> bool {
        matches!(self.alg().as_deref(), Some("RS256" | "RS384" | "RS512"))
    }

    fn accepted_by_a_clerk_verifier(&self) -> bool {
        self.valid && self.rsa_pkcs1()
    }
}

fn vectors(file: &'static str, text: &str) -> Vec<Vector> {
    let root: Value = serde_json::from_str(text).unwrap();
    let mut out = Vec::new();
    for group in root["testGroups"].as_array().unwrap() {
        // The key set a verifier is given: the public keys, or the (symmetric) private ones
        // where a group has no public part. JWS-file groups hold one JWK, JWK-file groups a set.
        let set = group.get("public").or_else(|| group.get("private")).unwrap();
        let keys = match set.get("keys") {
            Some(keys) => keys.as_array().unwrap().clone(),
            None => vec![set.clone()],
        };
        for test in group["tests"].as_array().unwrap() {
            out.push(Vector {
                file,
                tc_id: test["tcId"].as_u64().unwrap(),
                comment: test["comment"].as_str().unwrap().to_owned(),
                jws: test["jws"].as_str().unwrap().to_owned(),
                valid: test["result"] == "valid",
                flags: test["flags"].as_array().unwrap().iter().map(|f| f.as_str().unwrap().to_owned()).collect(),
                keys: keys.clone(),
            });
        }
    }
    out
}

fn all_vectors() -> Vec<Vector> {
    let mut all = vectors("json_web_signature_test.json", JWS_FILE);
    all.extend(vectors("json_web_key_test.json", JWK_FILE));
    all
}

/// Verifies `vector` against its group's key set, served by a fresh JWKS endpoint. Returns the
/// outcome and how many times the endpoint was asked for keys.
async fn run(vector: &Vector) -> (Result<Vec<u8>, TokenError>, usize) {
    let server = JwksServer::start(json!({ "keys": vector.keys })).await;
    let clerk = Clerk::new(server.config().build().unwrap()).unwrap();
    let outcome = verify_jws_signature(&clerk, &vector.jws).await;
    (outcome, server.hits())
}

#[test]
fn the_vendored_files_hold_every_vector_wycheproof_counts() {
    for (text, count) in [(JWS_FILE, 401), (JWK_FILE, 26)] {
        let root: Value = serde_json::from_str(text).unwrap();
        let ids: Vec<u64> = root["testGroups"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|g| g["tests"].as_array().unwrap().iter().map(|t| t["tcId"].as_u64().unwrap()))
            .collect();
        assert_eq!(root["numberOfTests"], count);
        assert_eq!(ids, (1..=count).collect::<Vec<_>>());
    }
}

#[tokio::test]
async fn every_vector_is_accepted_exactly_when_valid_and_signed_with_rsa_pkcs1() {
    let (mut accepted, mut refused) = (0, 0);
    for vector in all_vectors() {
        let (outcome, _) = run(&vector).await;
        if vector.accepted_by_a_clerk_verifier() {
            let payload = outcome.unwrap_or_else(|e| panic!("{} must verify: {e}", vector.name()));
            let segment = vector.jws.split('.').nth(1).unwrap();
            assert_eq!(payload, URL_SAFE_NO_PAD.decode(segment).unwrap(), "{}", vector.name());
            accepted += 1;
        } else {
            assert!(outcome.is_err(), "{} must be refused", vector.name());
            refused += 1;
        }
    }
    // The 17 valid RSASSA-PKCS1-v1_5 vectors (RS256 ×9, RS384 ×4, RS512 ×4) and 410 refusals;
    // a change in either count is a change in what the verifier accepts.
    assert_eq!((accepted, refused), (17, 410));
}

#[tokio::test]
async fn modified_pkcs1_padding_is_refused_at_the_signature_check() {
    let mut count = 0;
    for vector in all_vectors().iter().filter(|v| v.flags.iter().any(|f| f == "ModifiedPadding")) {
        let (outcome, _) = run(vector).await;
        let err = outcome.expect_err("a modified padding must not verify");
        assert_eq!(err.reason(), Reason::TokenInvalidSignature, "{}: {err}", vector.name());
        count += 1;
    }
    assert_eq!(count, 213);
}

#[tokio::test]
async fn algorithms_clerk_never_issues_are_refused_before_any_key_is_fetched() {
    // HS*, ES*, PS* and `none`: refused for their form (missing or undecodable parts) or, when
    // well formed, for their algorithm; in both cases before the JWKS is asked for a key.
    let (mut by_form, mut by_algorithm) = (0, 0);
    for vector in all_vectors().iter().filter(|v| v.alg().is_some() && !v.rsa_pkcs1()) {
        let (outcome, fetches) = run(vector).await;
        let err = outcome.expect_err("only RS256/RS384/RS512 are accepted");
        match err.reason() {
            Reason::TokenInvalid => by_form += 1,
            Reason::TokenInvalidAlgorithm => by_algorithm += 1,
            other => panic!("{}: unexpected {other:?}: {err}", vector.name()),
        }
        assert_eq!(fetches, 0, "{}: the JWKS must not be fetched for a refused alg", vector.name());
    }
    assert_eq!((by_form, by_algorithm), (17, 145));
}

#[tokio::test]
async fn rsa_keys_the_policy_refuses_never_verify_a_signature_they_made() {
    // RS256 vectors whose key is for encryption (`use: enc`, `key_ops: [encrypt]`, `alg:
    // RSA1_5`), has a 1024-bit modulus, the exponent 1, the ROCA fingerprint, or EC members
    // under `kty: RSA`: the key is dropped at ingest, so no signature is ever checked with it.
    let cases = [
        ("json_web_signature_test.json", 353),
        ("json_web_signature_test.json", 355),
        ("json_web_key_test.json", 6),
        ("json_web_key_test.json", 7),
        ("json_web_key_test.json", 8),
        ("json_web_key_test.json", 9),
    ];
    let all = all_vectors();
    for (file, tc_id) in cases {
        let vector = all.iter().find(|v| v.file == file && v.tc_id == tc_id).unwrap();
        assert!(vector.rsa_pkcs1() && !vector.valid);
        let (outcome, fetches) = run(vector).await;
        let err = outcome.expect_err("a refused key verifies nothing");
        assert!(
            matches!(err.reason(), Reason::RemoteJwkFailedToLoad | Reason::JwkKidMismatch),
            "{}: refused for the key, not at the signature: {err}",
            vector.name()
        );
        assert!(fetches >= 1, "{}", vector.name());
    }
}

#[tokio::test]
async fn the_same_signature_verifies_once_the_key_is_published_for_signing() {
    // tcId 353 and 355 reuse tcId 33's token; only their keys (`use: enc`, `key_ops: [encrypt]`)
    // differ. With tcId 33's signing key the token verifies, so the refusals above come from the
    // key policy alone.
    let all = all_vectors();
    let find = |id| all.iter().find(|v| v.file == "json_web_signature_test.json" && v.tc_id == id).unwrap();
    let (signing, wrong_use, wrong_ops) = (find(33), find(353), find(355));
    assert_eq!(signing.jws, wrong_use.jws);
    assert_eq!(signing.jws, wrong_ops.jws);
    assert!(run(signing).await.0.is_ok());
    assert!(run(wrong_use).await.0.is_err());
    assert!(run(wrong_ops).await.0.is_err());
}
