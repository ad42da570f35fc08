//! Session-token claims to auth fields: v1 and v2 tokens (clerk-semantics §2.6) and the v2
//! permission encoding `fea` × `o.per` × `o.fpm` (§2.7).

use serde_json::{Map, Value};

/// The organisation part of a token, in v1 form whatever the token version.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct OrgClaims {
    pub(crate) id: Option<String>,
    pub(crate) role: Option<String>,
    pub(crate) slug: Option<String>,
    pub(crate) permissions: Option<Vec<String>>,
}

fn string(map: &Map<String, Value>, name: &str) -> Option<String> {
    map.get(name).and_then(Value::as_str).map(str::to_owned)
}

/// Reads the organisation claims of a v1 (no `v`) or v2 (`v: 2`) session token.
pub(crate) fn org_claims(claims: &Map<String, Value>) -> OrgClaims {
    if claims.get("v").and_then(Value::as_u64) != Some(2) {
        let permissions = claims
            .get("org_permissions")
            .and_then(Value::as_array)
            .map(|list| list.iter().filter_map(Value::as_str).map(str::to_owned).collect::<Vec<_>>());
        return OrgClaims {
            id: string(claims, "org_id"),
            role: string(claims, "org_role"),
            slug: string(claims, "org_slug"),
            permissions,
        };
    }
    let Some(org) = claims.get("o").and_then(Value::as_object) else {
        return OrgClaims::default();
    };
    let features = claims.get("fea").and_then(Value::as_str).unwrap_or_default();
    let org_features = split_by_scope(features).map(|s| s.org).unwrap_or_default();
    let per = org.get("per").and_then(Value::as_str).unwrap_or_default();
    let fpm = org.get("fpm").and_then(Value::as_str).unwrap_or_default();
    OrgClaims {
        id: string(org, "id"),
        // v2 roles come without the prefix; one that already has it is not prefixed twice
        // (Clerk's authObjects tests expect `o.rol: "org:admin"` to satisfy `role: "org:admin"`).
        role: string(org, "rol").filter(|r| !r.is_empty()).map(|r| {
            if r.starts_with("org:") {
                r
            } else {
                format!("org:{r}")
            }
        }),
        slug: string(org, "slg"),
        permissions: Some(org_permissions(&org_features, per, fpm)),
    }
}

/// Features or plans of a `fea` / `pla` claim split by scope.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Scoped<'a> {
    pub(crate) org: Vec<&'a str>,
    pub(crate) user: Vec<&'a str>,
}

/// `splitByScope` (HEAD): `o:` → org, `u:` → user, `ou:`/`uo:` → both, other scopes ignored;
/// an element without a colon makes the whole claim invalid.
pub(crate) fn split_by_scope(claim: &str) -> Result<Scoped<'_>, String> {
    let mut scoped = Scoped::default();
    if claim.is_empty() {
        return Ok(scoped);
    }
    for part in claim.split(',') {
        let part = part.trim();
        let (scope, value) =
            part.split_once(':').ok_or_else(|| format!("Invalid claim element (missing colon): {part}"))?;
        match scope {
            "o" => scoped.org.push(value),
            "u" => scoped.user.push(value),
            "ou" | "uo" => {
                scoped.org.push(value);
                scoped.user.push(value);
            }
            _ => {}
        }
    }
    Ok(scoped)
}

/// `buildOrgPermissions`: for the i-th org-scoped feature, mask `fpm[i]` selects permissions of
/// `per`, least-significant bit first. Masks are exact at any size; a mask that is not all
/// decimal digits grants nothing (HEAD, #9381).
pub(crate) fn org_permissions(org_features: &[&str], per: &str, fpm: &str) -> Vec<String> {
    if per.is_empty() || fpm.is_empty() {
        return Vec::new();
    }
    let permissions: Vec<&str> = per.split(',').map(str::trim).collect();
    let mut out = Vec::new();
    for (feature, mask) in org_features.iter().zip(fpm.split(',')) {
        let Some(bits) = low_bits(mask.trim(), permissions.len()) else {
            continue;
        };
        for (i, permission) in permissions.iter().enumerate() {
            if bits[i / 64] >> (i % 64) & 1 == 1 {
                out.push(format!("org:{feature}:{permission}"));
            }
        }
    }
    out
}

/// The lowest `count` bits of the decimal number `digits`, as little-endian 64-bit limbs.
///
/// Only `count` bits are ever needed, so the number is reduced modulo 2^(64·limbs) as it is
/// read: exact for every bit asked for, at any length of input, with no big-integer library.
fn low_bits(digits: &str, count: usize) -> Option<Vec<u64>> {
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut limbs = vec![0_u64; count.div_ceil(64).max(1)];
    for digit in digits.bytes() {
        let mut carry = u128::from(digit - b'0');
        for limb in &mut limbs {
            let wide = u128::from(*limb) * 10 + carry;
            *limb = wide as u64;
            carry = wide >> 64;
        }
    }
    Some(limbs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn low_bits_is_exact_beyond_two_to_the_fifty_three() {
        let bits = low_bits("9007199254740993", 54).unwrap();
        assert_eq!(bits, vec![(1 << 53) | 1]);
        let bits = low_bits("340282366920938463463374607431768211457", 129).unwrap(); // 2^128 + 1
        assert_eq!(bits, vec![1, 0, 1]);
    }

    #[test]
    fn malformed_masks_grant_nothing() {
        for mask in ["-1", "1.5", "1invalid", "", " ", "abc", "+1"] {
            assert_eq!(low_bits(mask, 2), None, "{mask}");
        }
    }
}
