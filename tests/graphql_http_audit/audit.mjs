// Runs graphql-http's audit of the GraphQL-over-HTTP spec against a server and prints one
// JSON line per audit: {id, name, status: "ok"|"warn"|"error", reason}.
// Usage: node audit.mjs http://127.0.0.1:PORT/graphql
import { auditServer } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node audit.mjs URL');
  process.exit(2);
}
const results = await auditServer({ url });
for (const result of results) {
  const reason = result.status === 'ok' ? null : result.reason;
  let body = null;
  if (result.status !== 'ok' && result.response) {
    try {
      body = `${result.response.status} ${await result.response.text()}`.slice(0, 500);
    } catch {
      body = String(result.response.status);
    }
  }
  console.log(JSON.stringify({ id: result.id, name: result.name, status: result.status, reason, body }));
}
