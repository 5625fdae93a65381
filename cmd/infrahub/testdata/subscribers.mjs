// Several InfrahubEvents subscribers made with the graphql-ws library (npm), for
// TestSubscriptionsEndToEnd. SUBS is a JSON list of {name, key, after, vars}: each subscribes at
// URL with its API key (connectionParams) and the variables vars plus after, and prints one JSON
// line per event: {sub, pos, id, ev, br, node, kind}. When its subscription ends (an error, the
// completion, the socket's close: a server restart, an overflow), it subscribes again after the
// last position it printed, until the process is killed. Diagnostics go to stderr.
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const query = `subscription S($after: String, $event_type: [String!], $kinds: [String!], $ids: [String!], $branches: [String!]) {
  InfrahubEvents(after: $after, event_type: $event_type, kinds: $kinds, ids: $ids, branches: $branches) {
    id event branch position primary_node { id kind }
  }
}`;

const out = [];
let flushing = false;
const emit = (line) => {
  out.push(JSON.stringify(line));
  if (!flushing) {
    flushing = true;
    setImmediate(() => {
      flushing = false;
      const chunk = out.splice(0).join('\n') + '\n';
      process.stdout.write(chunk);
    });
  }
};

function run(sub) {
  let last = String(sub.after);
  let generation = 0;
  const connect = () => {
    const gen = ++generation;
    const client = createClient({
      url: process.env.URL,
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      connectionParams: sub.key ? { 'X-INFRAHUB-KEY': sub.key } : {},
    });
    const again = (why) => {
      if (gen !== generation) return;
      generation++;
      process.stderr.write(`${sub.name}: subscription ended (${why}), resuming after ${last}\n`);
      client.dispose();
      setTimeout(connect, 100);
    };
    client.subscribe(
      { query, variables: { ...sub.vars, after: last } },
      {
        next: (value) => {
          if (gen !== generation) return;
          if (value.errors) { again(JSON.stringify(value.errors)); return; }
          const e = value.data.InfrahubEvents;
          last = e.position;
          emit({ sub: sub.name, pos: Number(e.position), id: e.id, ev: e.event, br: e.branch,
            node: e.primary_node ? e.primary_node.id : '', kind: e.primary_node ? e.primary_node.kind : '' });
        },
        error: (err) => again(err && err.code ? `close ${err.code}` : JSON.stringify(err && err.message ? err.message : err)),
        complete: () => again('complete'),
      },
    );
  };
  connect();
}

for (const sub of JSON.parse(process.env.SUBS)) run(sub);
emit({ started: true });
