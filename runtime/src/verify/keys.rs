//! RSA verification keys: from a PEM (`CLERK_JWT_KEY`) or from JWKS entries, with the key policy
//! applied at ingest (security §1.3): RSA only, at least 2048 bits, odd exponent ≥ 3, no ROCA
//! fingerprint, public members only, algorithm pinned by the key.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use jsonwebtoken::{Algorithm, DecodingKey};
use pkcs1::der::Decode as _;
use serde_json::{Map, Value};
use std::fmt;

use crate::verify::jwt::LOOSE_BASE64URL;

/// Smallest RSA modulus we accept, in bits.
pub const MIN_RSA_BITS: usize = 2048;

/// Largest RSA modulus the crypto backend verifies: the RustCrypto `rsa` crate stops at 4096
/// bits, AWS-LC at 8192. A larger key is refused at ingest rather than failing every token.
#[cfg(feature = "rust-crypto")]
pub const MAX_RSA_BITS: usize = 4096;
/// Largest RSA modulus the crypto backend verifies (AWS-LC: 8192 bits).
#[cfg(not(feature = "rust-crypto"))]
pub const MAX_RSA_BITS: usize = 8192;

/// `rsaEncryption`, 1.2.840.113549.1.1.1.
const RSA_ENCRYPTION: spki::ObjectIdentifier = spki::ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");

/// Why a key was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The PEM holds a private key; a verifier must be given the public key.
    #[error(
        "this is a private key; give the PEM public key (-----BEGIN PUBLIC KEY-----) instead, \
         as shown under \"JWT public key\" in the Clerk dashboard"
    )]
    PrivateKey,
    /// The text is neither a PEM nor base64 of a DER public key.
    #[error("not a PEM public key ({0})")]
    NotPem(&'static str),
    /// The DER structure could not be parsed.
    #[error("not a valid RSA public key: {0}")]
    Malformed(String),
    /// The key is not an RSA key.
    #[error("not an RSA key (only RSA keys are supported)")]
    NotRsa,
    /// The modulus is too small.
    #[error("RSA key of {0} bits is too small; at least {MIN_RSA_BITS} bits are required")]
    TooSmall(usize),
    /// The modulus is larger than the crypto backend verifies.
    #[error("RSA key of {0} bits is larger than the {MAX_RSA_BITS} bits this crypto backend verifies")]
    TooLarge(usize),
    /// The public exponent is unusable.
    #[error("RSA public exponent must be odd and at least 3")]
    BadExponent,
    /// The modulus has the fingerprint of Infineon RSALib keys (ROCA, CVE-2017-15361), whose
    /// private key can be computed from the public key.
    #[error("RSA key has the ROCA fingerprint (CVE-2017-15361): its private key can be recovered; replace it")]
    Roca,
    /// A JWK member is missing or has the wrong value.
    #[error("unusable JWK: {0}")]
    Jwk(String),
}

/// A validated RSA public key bound to one algorithm.
///
/// ```
/// use axum_clerk::PublicKey;
/// let pem = "-----BEGIN PUBLIC KEY-----
/// MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAqYy3MY8fOneEyzNDu9lp
/// 6iGXKkNUF+u/dUnrlkadZYyB35efzKFJEr9fftmWv5PUj1uRHTQ3bh6X1cceOYsI
/// jy008dHWZJsKhGOxgdTjeK91rjaklxt7tyFXEiKHIOr1LSgKzopClOfCIjxK/oPU
/// Of38pVh7WnekcSBQmU5fqA+EzKMi6k9VwvbzqKlZM4XQsiFyn28d9VubJWjTU8nN
/// ot0n1NE+9k6TxM8nglM4RwkBH4Ni4B0LhKKOOV+AG8tBNiZVil415dpBldmJ/j0w
/// k7Ad4VFi9en3Z17oCKr+K+zuT7vKMKSb1548dk0vnmi0vj2QGXSo+61wM5yQWpk6
/// sQIDAQAB
/// -----END PUBLIC KEY-----";
/// let key = PublicKey::from_pem(pem).unwrap();
/// assert_eq!(key.bits(), 2048);
/// assert!(key.modulus_base64url().starts_with("qYy3MY8f"));
/// ```
#[derive(Clone)]
pub struct PublicKey {
    kid: Option<String>,
    algorithm: Algorithm,
    modulus: Vec<u8>,
    exponent: Vec<u8>,
    decoding: DecodingKey,
}

impl PublicKey {
    /// Parses a PEM public key: SPKI (`BEGIN PUBLIC KEY`), PKCS#1 (`BEGIN RSA PUBLIC KEY`), or the
    /// bare base64 body of an SPKI key as Clerk also accepts. Literal `\n` sequences (as `.env`
    /// files often carry) are read as line breaks. The key is bound to RS256, as Clerk binds its
    /// networkless key.
    ///
    /// # Errors
    /// [`KeyError`] for private keys, garbage, non-RSA keys and keys under the policy.
    pub fn from_pem(text: &str) -> Result<Self, KeyError> {
        let text = text.replace("\\n", "\n");
        let text = text.trim();
        if text.is_empty() {
            return Err(KeyError::NotPem("the value is empty"));
        }
        if text.contains("PRIVATE KEY") {
            return Err(KeyError::PrivateKey);
        }
        let (label, body) = match text.strip_prefix("-----BEGIN ") {
            Some(rest) => {
                let (label, rest) = rest.split_once("-----").ok_or(KeyError::NotPem("broken BEGIN line"))?;
                let end = format!("-----END {label}-----");
                let body = rest.trim().strip_suffix(end.as_str()).ok_or(KeyError::NotPem("no matching END line"))?;
                (label.to_owned(), body)
            }
            None => ("PUBLIC KEY".to_owned(), text),
        };
        let b64: String = body.chars().filter(|c| !c.is_ascii_whitespace()).collect();
        let der = STANDARD
            .decode(b64.trim_end_matches('='))
            .or_else(|_| STANDARD.decode(&b64))
            .map_err(|_| KeyError::NotPem("the body is not base64"))?;
        match label.as_str() {
            "PUBLIC KEY" => Self::from_spki_der(&der),
            "RSA PUBLIC KEY" => Self::from_pkcs1_der(&der),
            _ => Err(KeyError::NotPem("expected BEGIN PUBLIC KEY or BEGIN RSA PUBLIC KEY")),
        }
    }

    /// Parses a DER SubjectPublicKeyInfo holding an RSA key.
    ///
    /// # Errors
    /// [`KeyError`] when the DER is not an RSA SPKI or the key is under the policy.
    pub fn from_spki_der(der: &[u8]) -> Result<Self, KeyError> {
        let info = spki::SubjectPublicKeyInfoRef::from_der(der).map_err(|e| KeyError::Malformed(e.to_string()))?;
        if info.algorithm.oid != RSA_ENCRYPTION {
            return Err(KeyError::NotRsa);
        }
        let bits =
            info.subject_public_key.as_bytes().ok_or_else(|| KeyError::Malformed("unaligned bit string".into()))?;
        Self::from_pkcs1_der(bits)
    }

    fn from_pkcs1_der(der: &[u8]) -> Result<Self, KeyError> {
        let key = pkcs1::RsaPublicKey::from_der(der).map_err(|e| KeyError::Malformed(e.to_string()))?;
        Self::from_components(key.modulus.as_bytes(), key.public_exponent.as_bytes(), Algorithm::RS256, None)
    }

    /// Builds a key from big-endian modulus and exponent bytes, enforcing the policy.
    fn from_components(n: &[u8], e: &[u8], algorithm: Algorithm, kid: Option<String>) -> Result<Self, KeyError> {
        let n = strip_leading_zeros(n);
        let e = strip_leading_zeros(e);
        let bits = bit_length(n);
        if bits < MIN_RSA_BITS {
            return Err(KeyError::TooSmall(bits));
        }
        if bits > MAX_RSA_BITS {
            return Err(KeyError::TooLarge(bits));
        }
        let odd = e.last().is_some_and(|b| b & 1 == 1);
        if !odd || (e.len() == 1 && e[0] < 3) || e.len() > 8 {
            return Err(KeyError::BadExponent);
        }
        if has_roca_fingerprint(n) {
            return Err(KeyError::Roca);
        }
        Ok(Self {
            kid,
            algorithm,
            decoding: DecodingKey::from_rsa_raw_components(n, e),
            modulus: n.to_vec(),
            exponent: e.to_vec(),
        })
    }

    /// Reads one JWK from a JWKS and applies the policy: `kty` RSA, `use` absent or `sig`,
    /// `key_ops` absent or containing `verify`, `alg` absent (⇒ RS256) or RS256/RS384/RS512, no
    /// private members, a string `kid`.
    pub(crate) fn from_jwk(jwk: &Map<String, Value>) -> Result<Self, KeyError> {
        let text = |name: &str| jwk.get(name).and_then(Value::as_str);
        if text("kty") != Some("RSA") {
            return Err(KeyError::NotRsa);
        }
        if jwk.get("use").is_some_and(|u| u.as_str() != Some("sig")) {
            return Err(KeyError::Jwk("`use` is not \"sig\"".into()));
        }
        if let Some(ops) = jwk.get("key_ops") {
            let verify = ops.as_array().is_some_and(|ops| ops.iter().any(|o| o.as_str() == Some("verify")));
            if !verify {
                return Err(KeyError::Jwk("`key_ops` does not allow \"verify\"".into()));
            }
        }
        if ["d", "p", "q", "dp", "dq", "qi", "oth", "k"].iter().any(|m| jwk.contains_key(*m)) {
            return Err(KeyError::PrivateKey);
        }
        let algorithm = match jwk.get("alg") {
            None => Algorithm::RS256,
            Some(alg) => match alg.as_str() {
                Some("RS256") => Algorithm::RS256,
                Some("RS384") => Algorithm::RS384,
                Some("RS512") => Algorithm::RS512,
                _ => return Err(KeyError::Jwk(format!("`alg` {alg} is not RS256, RS384 or RS512"))),
            },
        };
        let kid = text("kid").ok_or_else(|| KeyError::Jwk("`kid` is missing or not a string".into()))?;
        let member = |name: &str| {
            text(name)
                .and_then(|v| LOOSE_BASE64URL.decode(v).ok())
                .ok_or_else(|| KeyError::Jwk(format!("`{name}` is missing or not base64url")))
        };
        Self::from_components(&member("n")?, &member("e")?, algorithm, Some(kid.to_owned()))
    }

    /// The `kid` this key was published under (JWKS keys only).
    #[must_use]
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// The one algorithm this key verifies.
    #[must_use]
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// Size of the modulus in bits.
    #[must_use]
    pub fn bits(&self) -> usize {
        bit_length(&self.modulus)
    }

    /// The modulus as unpadded base64url, as in a JWK's `n`.
    #[must_use]
    pub fn modulus_base64url(&self) -> String {
        URL_SAFE_NO_PAD.encode(&self.modulus)
    }

    /// The exponent as unpadded base64url, as in a JWK's `e`.
    #[must_use]
    pub fn exponent_base64url(&self) -> String {
        URL_SAFE_NO_PAD.encode(&self.exponent)
    }

    /// The same key bound to another RSA algorithm (for test vectors of other hash sizes).
    #[cfg(any(test, feature = "testing"))]
    pub(crate) fn with_algorithm(mut self, algorithm: Algorithm) -> Self {
        self.algorithm = algorithm;
        self
    }

    pub(crate) fn decoding_key(&self) -> &DecodingKey {
        &self.decoding
    }
}

impl PartialEq for PublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.kid == other.kid
            && self.algorithm == other.algorithm
            && self.modulus == other.modulus
            && self.exponent == other.exponent
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PublicKey")
            .field("kid", &self.kid)
            .field("algorithm", &self.algorithm)
            .field("bits", &self.bits())
            .finish_non_exhaustive()
    }
}

/// Largest prime of the ROCA test. RSALib builds every prime of a key of 1984 to 3936 bits as
/// `k·M + (65537^a mod M)` with `M` the product of the primes up to 701 (and of more primes for
/// 4096-bit keys), so the modulus is a power of 65537 modulo each odd prime up to 701 (Nemec et
/// al., "The Return of Coppersmith's Attack", CCS 2017). A modulus from any other generator
/// passes all 125 of these tests with probability about 2^-170; we only accept keys of 2048 bits
/// and more, so that bound holds for every key we see.
const ROCA_LARGEST_PRIME: u32 = 701;

/// Whether the big-endian modulus `n` has the ROCA fingerprint. Runs at key ingest only.
fn has_roca_fingerprint(n: &[u8]) -> bool {
    (3..=ROCA_LARGEST_PRIME).filter(|&p| (2..p).take_while(|d| d * d <= p).all(|d| p % d != 0)).all(|p| {
        let residue = n.iter().fold(0_u32, |acc, &byte| (acc * 256 + u32::from(byte)) % p);
        let generator = 65_537 % p;
        let mut power = 1;
        loop {
            if power == residue {
                return true;
            }
            power = power * generator % p;
            if power == 1 {
                return false;
            }
        }
    })
}

fn strip_leading_zeros(bytes: &[u8]) -> &[u8] {
    let first = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    &bytes[first..]
}

fn bit_length(be: &[u8]) -> usize {
    let be = strip_leading_zeros(be);
    match be.first() {
        None => 0,
        Some(&top) => (be.len() - 1) * 8 + (8 - top.leading_zeros() as usize),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Wycheproof `json_web_key_test.json` tcId 7 (Apache-2.0): a 2049-bit Infineon RSALib modulus.
    const ROCA_N: &str = "AanFpofbj7KjD4Lf-N2hVMKR7yewSyXhhbirIMTGpfYEhZ_lnt5UoK98DnKIgArXGTu3MaW_HhFw16HGaTDUHqPrId7fe4r11CqRw09yBFuW79V8sYIwHdzCaWflUI6auImYbVfoN9_nD5n8N8SY9DwXw7mwZM9wREPXoDPgOoIWl6q_MPsp7n0zs3Z5ZaiQWOOzl1S9OhwAfSiiOwz6efnXEaxuTEtPd7BjSx7NaFka8Dx9U7YqXy2RFj1O9PjyaDGuRh7YXsX3iMUSP_wSyHQg_c_qHRtKUsNSGCT7OZg0hzm2KphtjnayKJvC64vAbROBR4Ubg6Bxg9IQVZ-QYyE";
    /// Wycheproof `json_web_signature_test.json` key `kid-rsa-sign`: an ordinary 2048-bit modulus.
    const ORDINARY_N: &str = "kqGboBfAWttWPCA-0cGRgsY6SaYoIARt0B_PkaEcIq9HPYNdu9n6UuWHuuTHrjF_ZoQW97r5HaAorNvrMEGTGdxCHZdEtkHvNVVmrtxTBLiQCbCozXhFoIrVcr3qUBrdGnNn_M3jJi7Wg7p_-x62nS5gNG875oyheRkutHsQXikFZwsN3q_TsPNOVlCiHy8mxzaFTUQGm-X8UYexFyAivlDSjgDJLAZSWfxd7k9Gxuwa3AUfQqQcVcegmgKGCaErQ3qQbh1x7WB6iopE3_-GZ8HMAVtR9AmrVscqYsnjhaCehfAI0iKKs8zXr8tISc0ORbaalrkk03H1ZrsEnDKEWQ";

    fn jwk(n: &str) -> Map<String, Value> {
        json!({"kty": "RSA", "kid": "k", "n": n, "e": "AQAB"}).as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn a_modulus_with_the_roca_fingerprint_is_refused_at_ingest() {
        assert_eq!(PublicKey::from_jwk(&jwk(ROCA_N)), Err(KeyError::Roca));
    }

    #[test]
    fn an_ordinary_modulus_passes_the_roca_test() {
        let key = PublicKey::from_jwk(&jwk(ORDINARY_N)).map(|k| k.bits());
        assert_eq!(key, Ok(2048));
    }

    #[test]
    fn the_roca_test_needs_every_prime_to_agree() {
        // The ROCA modulus with its last byte changed: same size, no longer a power of 65537.
        let mut n = URL_SAFE_NO_PAD.decode(ROCA_N).unwrap_or_default();
        if let Some(last) = n.last_mut() {
            *last = last.wrapping_add(2);
        }
        assert!(!has_roca_fingerprint(&n));
        assert!(has_roca_fingerprint(&URL_SAFE_NO_PAD.decode(ROCA_N).unwrap_or_default()));
    }
}
