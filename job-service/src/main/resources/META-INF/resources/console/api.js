// The console's only way to job-service's API: every call carries the signed-in token, and every refusal comes back as
// a Problem holding the API's problem body. The token's claims are read here only to hide what the role may not do;
// the server checks the token and the role on every call.

const TOKEN_KEY = 'failback.token';

// Each role includes the ones before it, as job-service maps them (quarkus.http.auth.roles-mapping).
const ROLES = ['SiteRecovery.Reader', 'SiteRecovery.Operator', 'SiteRecovery.Contributor'];

export class Problem extends Error {
  constructor(status, body) {
    super(body.detail || body.title || `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

export function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function signIn(value) {
  const claims = claimsOf(value);
  if (!claims) {
    throw new Problem(0, { title: 'Not a token', detail: 'A bearer token is three base64url parts separated by dots (a JWT).' });
  }
  sessionStorage.setItem(TOKEN_KEY, value);
}

export function signOut() {
  sessionStorage.removeItem(TOKEN_KEY);
}

/** The token's claims (unverified: for display and hiding only), or null when it is not a JWT. */
export function claimsOf(jwt) {
  const parts = (jwt || '').split('.');
  if (parts.length !== 3) return null;
  try {
    const base64 = parts[1].replace(/-/g, '+').replace(/_/g, '/');
    const bytes = Uint8Array.from(atob(base64), c => c.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return null;
  }
}

/** Who is signed in: subject, the strongest Site Recovery role the token names, and what that role may do. */
export function caller() {
  const claims = claimsOf(token());
  if (!claims) return null;
  const roles = Array.isArray(claims.roles) ? claims.roles : [];
  const level = Math.max(...roles.map(role => ROLES.indexOf(role)), -1);
  return {
    subject: claims.sub || '(no subject)',
    role: level >= 0 ? ROLES[level] : 'no Site Recovery role',
    expired: typeof claims.exp === 'number' && claims.exp * 1000 < Date.now(),
    canRead: level >= 0,
    canOperate: level >= 1,
    canContribute: level >= 2,
  };
}

function headers(extra) {
  return { Authorization: `Bearer ${token()}`, ...extra };
}

async function problemOf(response) {
  let body;
  try {
    body = await response.json();
  } catch {
    body = { title: response.statusText };
  }
  return new Problem(response.status, body);
}

export async function get(path) {
  const response = await fetch(path, { headers: headers({ Accept: 'application/json' }) });
  if (!response.ok) throw await problemOf(response);
  return response.json();
}

/**
 * POSTs an operation. The Idempotency-Key is made once per confirmed intent by the caller, so a double click or a
 * retried request answers the job the first one started.
 */
export async function post(path, body, idempotencyKey) {
  const extra = { 'Idempotency-Key': idempotencyKey, Accept: 'application/json' };
  if (body !== undefined) extra['Content-Type'] = 'application/json';
  const response = await fetch(path, {
    method: 'POST',
    headers: headers(extra),
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw await problemOf(response);
  const text = await response.text();
  return text ? JSON.parse(text) : null;
}

/**
 * PUTs a resource, e.g. a protected item to register. No Idempotency-Key: a PUT that is tried again names the same
 * item, which the API refuses to create twice (409).
 */
export async function put(path, body) {
  const response = await fetch(path, {
    method: 'PUT',
    headers: headers({ 'Content-Type': 'application/json', Accept: 'application/json' }),
    body: JSON.stringify(body),
  });
  if (!response.ok) throw await problemOf(response);
  return response.json();
}

/**
 * Follows a job's Server-Sent Events: calls onJob with the job now, then with each change, and returns when the
 * server ends the stream (the job reached a final state). EventSource cannot send the Authorization header, so the
 * stream is read with fetch and parsed here (events are "data:" lines ended by a blank line).
 */
export async function followJob(name, onJob, signal) {
  const response = await fetch(`/api/replicationJobs/${encodeURIComponent(name)}/events`, {
    headers: headers({ Accept: 'text/event-stream' }),
    signal,
  });
  if (!response.ok) throw await problemOf(response);
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value.replace(/\r\n?/g, '\n');
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const event = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = event.split('\n').filter(line => line.startsWith('data:'))
        .map(line => line.slice(5).replace(/^ /, '')).join('\n');
      if (data) onJob(JSON.parse(data));
    }
  }
}
