// A graphql-transport-ws client made with the graphql-ws library (npm), for the Go tests:
// subscribes to QUERY with VARIABLES at URL, prints one JSON line per message, and exits after
// COUNT results, an error, the completion or the socket's close.
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const count = Number(process.env.COUNT || '1');
const client = createClient({
  url: process.env.URL,
  webSocketImpl: WebSocket,
  retryAttempts: 0,
  connectionParams: JSON.parse(process.env.CONNECTION_PARAMS || '{}'),
  on: { closed: (ev) => { console.log(JSON.stringify({ closed: ev.code, reason: ev.reason })); } },
});
let n = 0;
const done = (code) => { client.dispose(); setTimeout(() => process.exit(code), 10); };
client.subscribe(
  { query: process.env.QUERY, variables: JSON.parse(process.env.VARIABLES || '{}') },
  {
    next: (value) => { console.log(JSON.stringify({ next: value })); if (++n >= count) done(0); },
    error: (err) => { console.log(JSON.stringify({ error: err && err.code ? { code: err.code } : err })); done(0); },
    complete: () => { console.log(JSON.stringify({ complete: true })); done(0); },
  },
);
console.log(JSON.stringify({ started: true }));
