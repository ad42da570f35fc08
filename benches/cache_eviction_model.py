#!/usr/bin/env python3
"""A model of the verified-token cache's eviction when more tokens are live than its capacity.

Each session's token lives 60 s and is replaced every 50 s (Clerk's front end refreshes it
before it expires), at a random phase per session; each session sends requests as a Poisson
process. The cache holds `capacity` tokens; a request whose token is not held is a verification
(an RSA check) and inserts it. When the map is full, expired entries go first; if it is still
full, the policy decides: `clear` (what runtime/src/cache.rs did before) empties it, `tenth`
(what it does now) drops the tenth that expires first, with ties at the cut.

Prints, per number of sessions, the share of requests that needed a verification after a 30 s
warm-up (one per token is the floor: 1 / (rate * 50 s) = 0.04 at 0.5 requests/s).

Usage: python3 benches/cache_eviction_model.py [sessions ...]   (default: 8000 12000 20000)
"""
import heapq
import random
import sys


def simulate(sessions, capacity, rate, policy, seconds=300, seed=1):
    rnd = random.Random(seed)
    phase = [rnd.uniform(0, 50) for _ in range(sessions)]
    events = [(rnd.expovariate(rate), s) for s in range(sessions)]
    heapq.heapify(events)
    cache = {}  # token -> expiry (s)
    requests = verifications = 0
    while events:
        t, s = heapq.heappop(events)
        if t > seconds:
            break
        generation = int((t + 50 - phase[s]) // 50)
        token, exp = (s, generation), phase[s] + (generation - 1) * 50 + 60
        counted = t > 30
        requests += counted
        if cache.get(token, -1) <= t:
            verifications += counted
            if len(cache) >= capacity:
                cache = {k: e for k, e in cache.items() if e > t}
                if len(cache) >= capacity:
                    if policy == "clear":
                        cache = {}
                    else:
                        cutoff = sorted(cache.values())[(len(cache) - 1) // 10]
                        cache = {k: e for k, e in cache.items() if e > cutoff}
            cache[token] = exp
        heapq.heappush(events, (t + rnd.expovariate(rate), s))
    return verifications / requests


if __name__ == "__main__":
    print("sessions  capacity  verifications/request: clear  tenth")
    for sessions in map(int, sys.argv[1:] or ["8000", "12000", "20000"]):
        clear, tenth = (simulate(sessions, 10_000, 0.5, policy) for policy in ("clear", "tenth"))
        print(f"{sessions:8d}  {10_000:8d}  {clear:29.3f}  {tenth:.3f}", flush=True)
