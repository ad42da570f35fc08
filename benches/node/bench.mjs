// Clerk's own backend SDK on the same tokens: verifyToken (networkless, jwtKey) and
// authenticateRequest over Fetch Request objects, N operations each, single process.
// Run through benches/peers-node.sh, which installs @clerk/backend and mints the tokens.
import { verifyToken, createClerkClient } from '@clerk/backend';
import { readFileSync } from 'node:fs';

const input = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const N = Number(process.env.N || 5000);
const jwtKey = input.pem;

async function timeIt(name, fn) {
  for (let i = 0; i < 200; i++) await fn(i); // warm-up
  const start = process.hrtime.bigint();
  for (let i = 0; i < N; i++) await fn(i);
  const ns = Number(process.hrtime.bigint() - start) / N;
  console.log(`${name}: ${(ns / 1000).toFixed(2)} µs/op`);
}

await timeIt('@clerk/backend verifyToken (distinct tokens)', async (i) => {
  const r = await verifyToken(input.tokens[i % input.tokens.length], { jwtKey });
  if (r.errors) throw new Error(JSON.stringify(r.errors));
});
await timeIt('@clerk/backend verifyToken (same token)', async () => {
  const r = await verifyToken(input.token, { jwtKey });
  if (r.errors) throw new Error(JSON.stringify(r.errors));
});
const clerk = createClerkClient({ jwtKey, publishableKey: 'pk_live_Y2xlcmsuZGV2LWlzc3Vlci5sb2NhbCQ', secretKey: 'sk_live_bench' });
await timeIt('@clerk/backend authenticateRequest (bearer, same token)', async () => {
  const req = new Request('https://app.example.com/api', { headers: { authorization: `Bearer ${input.token}` } });
  const state = await clerk.authenticateRequest(req, { jwtKey });
  if (!state.isSignedIn) throw new Error(`${state.reason}: ${state.message}`);
});
