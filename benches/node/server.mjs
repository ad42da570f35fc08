// Clerk's own backend SDK behind a Node.js HTTP server, for benches/e2e.sh: every request goes
// through @clerk/backend authenticateRequest (networkless, jwtKey) and gets 200 when signed in,
// 401 otherwise. One worker per core (node:cluster), as a Node deployment on this machine would.
// Usage: PEM=<public key PEM> PORT=<port> WORKERS=<n> node server.mjs
import cluster from 'node:cluster';
import http from 'node:http';
import { createClerkClient } from '@clerk/backend';

const workers = Number(process.env.WORKERS || 2);
if (cluster.isPrimary) {
  for (let i = 0; i < workers; i++) cluster.fork();
  let ready = 0;
  cluster.on('message', () => {
    if (++ready === workers) console.log(`listening=127.0.0.1:${process.env.PORT}`);
  });
} else {
  const jwtKey = process.env.PEM.replace(/\\n/g, '\n');
  const clerk = createClerkClient({ jwtKey, publishableKey: 'pk_live_Y2xlcmsuZGV2LWlzc3Vlci5sb2NhbCQ', secretKey: 'sk_live_bench' });
  const server = http.createServer(async (req, res) => {
    const request = new Request(`http://${req.headers.host}${req.url}`, { headers: req.headers });
    const state = await clerk.authenticateRequest(request, { jwtKey });
    res.writeHead(state.isSignedIn ? 200 : 401, { 'content-type': 'text/plain' });
    res.end(state.isSignedIn ? 'ok' : state.reason);
  });
  server.listen(Number(process.env.PORT), '127.0.0.1', () => process.send('ready'));
}
