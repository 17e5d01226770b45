// Verifies captured webhook requests with the official Standard Webhooks
// library, exactly as a receiver would: new Webhook(secret).verify(body,
// headers). Reads a JSON list of {secret, headers, body (base64)} on stdin
// and prints one line per request: "valid" or "invalid: <reason>".
const { Webhook } = require('standardwebhooks');

for (const c of JSON.parse(require('fs').readFileSync(0, 'utf8'))) {
  try {
    new Webhook(c.secret).verify(Buffer.from(c.body, 'base64'), c.headers);
    console.log('valid');
  } catch (e) {
    console.log('invalid: ' + String(e.message).replace(/\s+/g, ' '));
  }
}
