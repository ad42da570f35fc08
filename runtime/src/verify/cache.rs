//! The verified-token cache: a token that passed every check is remembered, so the same token
//! presented again (Clerk session tokens live 60 s and are sent with every request) skips the
//! RSA verification. It can never turn a rejection into an acceptance:
//!
//! - only successes are stored, under the full token text, compared in constant time
//!   (`subtle`), so a token that differs in one byte is a miss and is verified from scratch;
//! - a hit re-checks `exp`, `nbf` and `iat` against the clock with the same skew, so an entry
//!   never outlives its token;
//! - entries remember the key-set generation they were verified under; any change of the key set
//!   (rotation, revocation) makes them misses;
//! - the configuration (authorized parties, audience, issuer) is fixed for the cache's lifetime.
//!
//! It is bounded: a full map drops the entries that expired or were verified under an older key
//! set, and if it is still full, the tenth that expires first (the tokens Clerk's front end
//! replaces first), so live sessions keep their entries.

use std::collections::hash_map::RandomState;
use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::{PoisonError, RwLock};
use subtle::ConstantTimeEq;

/// Time bounds of a verified token, in milliseconds.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Lifetime {
    pub(crate) exp_ms: f64,
    pub(crate) nbf_ms: f64,
    pub(crate) iat_ms: f64,
}

impl Lifetime {
    /// The verifier's own time rules, as a predicate.
    fn holds(&self, now_ms: f64, skew_ms: f64) -> bool {
        self.exp_ms > now_ms - skew_ms && self.nbf_ms <= now_ms + skew_ms && self.iat_ms <= now_ms + skew_ms
    }
}

#[derive(Debug)]
struct Entry<V> {
    token: Box<[u8]>,
    value: V,
    lifetime: Lifetime,
    generation: u64,
}

/// Verified tokens and what each says (`V`), bounded to `capacity` entries.
#[derive(Debug)]
pub(crate) struct VerifiedCache<V> {
    entries: RwLock<HashMap<u64, Entry<V>>>,
    /// Keys the map by the token's last 32 bytes — its signature's tail, random for every
    /// distinct token — with a per-instance random key. Only verified tokens are inserted, so an
    /// attacker cannot choose the keys; two tokens meeting on one key only cost a miss, since
    /// equality is decided by the full comparison.
    hasher: RandomState,
    capacity: usize,
}

impl<V: Clone> VerifiedCache<V> {
    pub(crate) fn new(capacity: usize) -> Self {
        Self { entries: RwLock::new(HashMap::new()), hasher: RandomState::new(), capacity }
    }

    fn key(&self, token: &[u8]) -> u64 {
        self.hasher.hash_one(&token[token.len().saturating_sub(32)..])
    }

    /// What `token` says, if it was verified under key-set `generation` and is still within its
    /// lifetime at `now_ms`.
    pub(crate) fn get(&self, token: &[u8], now_ms: f64, skew_ms: f64, generation: u64) -> Option<V> {
        if self.capacity == 0 {
            return None;
        }
        let entries = self.entries.read().unwrap_or_else(PoisonError::into_inner);
        let entry = entries.get(&self.key(token))?;
        let same_token = constant_time_eq(&entry.token, token);
        (same_token && entry.generation == generation && entry.lifetime.holds(now_ms, skew_ms))
            .then(|| entry.value.clone())
    }

    /// Remembers a verified token.
    pub(crate) fn insert(&self, token: &str, value: V, lifetime: Lifetime, generation: u64, now_ms: f64) {
        if self.capacity == 0 {
            return;
        }
        let key = self.key(token.as_bytes());
        let entry = Entry { token: token.as_bytes().into(), value, lifetime, generation };
        let mut entries = self.entries.write().unwrap_or_else(PoisonError::into_inner);
        if entries.len() >= self.capacity && !entries.contains_key(&key) {
            entries.retain(|_, e| e.lifetime.exp_ms > now_ms && e.generation == generation);
            if entries.len() >= self.capacity {
                drop_the_first_expiring_tenth(&mut entries);
            }
        }
        entries.insert(key, entry);
    }

    #[cfg(any(test, feature = "testing"))]
    pub(crate) fn len(&self) -> usize {
        self.entries.read().unwrap_or_else(PoisonError::into_inner).len()
    }
}

/// Equal bytes, compared without an early exit: the time taken says nothing about how much of a
/// cached token a guess matched. The differences of whole 8-byte words and of the bytes after
/// them are OR-ed together with no branch on the data, and `subtle` decides whether any bit is
/// set (one barrier for the whole comparison rather than one per word).
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let ((a_words, a_rest), (b_words, b_rest)) = (a.as_chunks::<8>(), b.as_chunks::<8>());
    let words = a_words
        .iter()
        .zip(b_words)
        .fold(0_u64, |diff, (x, y)| diff | (u64::from_ne_bytes(*x) ^ u64::from_ne_bytes(*y)));
    let rest = a_rest.iter().zip(b_rest).fold(0_u8, |diff, (x, y)| diff | (x ^ y));
    bool::from((words | u64::from(rest)).ct_eq(&0))
}

/// Makes room in a map full of live entries: drops the tenth that expires first (with any ties
/// at the cut) instead of everything, so that with more live sessions than the capacity most of
/// them keep answering from the cache. Runs at most once per tenth of the capacity of
/// insertions, each after an RSA verification; the cut is found in linear time.
fn drop_the_first_expiring_tenth<V>(entries: &mut HashMap<u64, Entry<V>>) {
    let mut expiries: Vec<f64> = entries.values().map(|e| e.lifetime.exp_ms).collect();
    if expiries.is_empty() {
        return;
    }
    let cut = (expiries.len() - 1) / 10;
    let cutoff = *expiries.select_nth_unstable_by(cut, f64::total_cmp).1;
    entries.retain(|_, e| e.lifetime.exp_ms > cutoff);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lifetime(exp_s: f64) -> Lifetime {
        Lifetime { exp_ms: exp_s * 1000.0, nbf_ms: 0.0, iat_ms: 0.0 }
    }

    #[test]
    fn a_hit_needs_the_same_token_generation_and_an_unexpired_lifetime() {
        let cache = VerifiedCache::new(10);
        cache.insert("a.b.c", 7, lifetime(100.0), 1, 0.0);
        assert_eq!(cache.get(b"a.b.c", 50_000.0, 0.0, 1), Some(7));
        assert_eq!(cache.get(b"a.b.d", 50_000.0, 0.0, 1), None);
        assert_eq!(cache.get(b"x.a.b.c", 50_000.0, 0.0, 1), None, "same tail, other token");
        assert_eq!(cache.get(b"a.b.c", 50_000.0, 0.0, 2), None, "another key set");
        assert_eq!(cache.get(b"a.b.c", 100_000.0, 0.0, 1), None, "exp == now is expired");
        assert_eq!(cache.get(b"a.b.c", 104_000.0, 5_000.0, 1), Some(7), "within skew");
    }

    #[test]
    fn nbf_and_iat_are_checked_on_every_hit() {
        let cache = VerifiedCache::new(10);
        cache.insert("t", (), Lifetime { exp_ms: 100_000.0, nbf_ms: 20_000.0, iat_ms: 30_000.0 }, 1, 0.0);
        assert_eq!(cache.get(b"t", 10_000.0, 0.0, 1), None, "before nbf");
        assert_eq!(cache.get(b"t", 25_000.0, 0.0, 1), None, "before iat");
        assert_eq!(cache.get(b"t", 30_000.0, 0.0, 1), Some(()));
    }

    #[test]
    fn the_cache_never_grows_past_its_capacity() {
        let cache = VerifiedCache::new(3);
        for i in 0..10 {
            cache.insert(&format!("t{i}"), (), lifetime(100.0), 1, 0.0);
            assert!(cache.len() <= 3);
        }
    }

    #[test]
    fn a_cache_full_of_live_tokens_drops_the_tenth_that_expires_first() {
        let cache = VerifiedCache::new(20);
        // Expiring at 100 s, 99 s, …, 81 s, in an order that is not the expiry order.
        let exp_s = |i: usize| 100.0 - ((i * 7) % 20) as f64;
        for i in 0..20 {
            cache.insert(&format!("t{i}"), i, lifetime(exp_s(i)), 1, 0.0);
        }
        cache.insert("new", 99, lifetime(200.0), 1, 0.0);
        for i in 0..20 {
            let kept = cache.get(format!("t{i}").as_bytes(), 5_000.0, 0.0, 1).is_some();
            assert_eq!(kept, exp_s(i) > 82.0, "t{i}, expiring at {} s", exp_s(i));
        }
        assert_eq!(cache.get(b"new", 5_000.0, 0.0, 1), Some(99));
        assert_eq!(cache.len(), 19, "the two expiring first (81 s, 82 s) made room");
    }

    #[test]
    fn a_full_cache_first_drops_expired_entries_and_older_key_sets() {
        let cache = VerifiedCache::new(3);
        cache.insert("expired", (), lifetime(1.0), 2, 0.0);
        cache.insert("old-keys", (), lifetime(100.0), 1, 0.0);
        cache.insert("live", (), lifetime(100.0), 2, 0.0);
        cache.insert("new", (), lifetime(100.0), 2, 5_000.0);
        assert_eq!(cache.len(), 2);
        assert!(cache.get(b"live", 5_000.0, 0.0, 2).is_some());
    }

    #[test]
    fn a_cache_full_of_tokens_expiring_together_still_makes_room() {
        let cache = VerifiedCache::new(3);
        for i in 0..3 {
            cache.insert(&format!("t{i}"), (), lifetime(100.0), 1, 0.0);
        }
        cache.insert("t3", (), lifetime(100.0), 1, 0.0);
        assert_eq!(cache.len(), 1, "ties at the cut go too");
    }

    #[test]
    fn constant_time_comparison_finds_any_difference() {
        // 1 003 bytes: 125 whole words and a tail of three.
        let a: Vec<u8> = (0..1003_u32).map(|i| (i % 251) as u8).collect();
        assert!(constant_time_eq(&a, &a.clone()));
        for i in [0, 7, 8, 500, 991, 992, 999, 1000, 1002] {
            for bit in [0x01, 0x80] {
                let mut b = a.clone();
                b[i] ^= bit;
                assert!(!constant_time_eq(&a, &b), "byte {i}, bit {bit:#04x}");
            }
        }
        assert!(!constant_time_eq(&a, &a[..1002]));
        assert!(constant_time_eq(b"", b""));
    }

    #[test]
    fn a_zero_capacity_cache_stores_nothing() {
        let cache = VerifiedCache::new(0);
        cache.insert("t", (), lifetime(100.0), 1, 0.0);
        assert_eq!(cache.get(b"t", 0.0, 0.0, 1), None);
    }
}
