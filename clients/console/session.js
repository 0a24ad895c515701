// Who is logged in: the ops token is checked here before the server sees it (role and expiry,
// from its claims; only the server can check the signature), and kept in this tab's
// sessionStorage, never in the URL. Pure apart from the storage object it is given.

export const STORAGE_KEY = 'switchboard.console.token';

export const MINT_HINT = "switchboard token --sub me --role ops --topics '*' --ttl 28800";

/**
 * Whether `claims` (decoded from the token, or null when it is not a JWT) belong to a usable
 * ops token at `nowMs`: `{ ok: true, expiresAtMs }` or `{ ok: false, reason, message }`, with
 * reason one of not_a_token, not_ops, expired.
 */
export function checkOpsClaims(claims, nowMs) {
  if (claims === null || typeof claims !== 'object') {
    return { ok: false, reason: 'not_a_token', message: `That is not a token. Mint one with: ${MINT_HINT}` };
  }
  if (claims.role !== 'ops') {
    const role = typeof claims.role === 'string' ? claims.role : 'none';
    return { ok: false, reason: 'not_ops', message: `This token has role "${role}"; the console needs an ops token (${MINT_HINT}).` };
  }
  const expiresAtMs = Number.isFinite(claims.exp) ? claims.exp * 1000 : null;
  if (expiresAtMs !== null && expiresAtMs <= nowMs) {
    return { ok: false, reason: 'expired', message: `This token expired at ${new Date(expiresAtMs).toISOString()}; mint a new one.` };
  }
  return { ok: true, expiresAtMs };
}

/** The message for a server's refusal of a token that looked fine here (401/403 from a route). */
export function refusalMessage(status, serverMessage) {
  if (status === 403) return `The server refused this token for the console (${serverMessage || 'forbidden'}).`;
  if (/expired/.test(serverMessage ?? '')) return 'The server says this token has expired; mint a new one.';
  return `The server rejected this token (${serverMessage || 'unauthorized'}): was it minted with this server's secret?`;
}

/** The stored token, or null. `storage` is sessionStorage in the page. */
export function loadToken(storage) {
  try {
    const t = storage.getItem(STORAGE_KEY);
    return typeof t === 'string' && t !== '' ? t : null;
  } catch {
    return null;
  }
}

export function saveToken(storage, token) {
  storage.setItem(STORAGE_KEY, token);
}

export function forgetToken(storage) {
  storage.removeItem(STORAGE_KEY);
}
