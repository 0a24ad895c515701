// REST calls of the console, with the ops token as a Bearer header. Errors come back as
// ApiError with the server's status, code and message (the error envelope), so the page can
// tell "log in again" (401) from "not allowed" (403) from a failure to show.

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export class ConsoleApi {
  constructor(token, fetchImpl = (...a) => fetch(...a)) {
    this.token = token;
    this.fetch = fetchImpl;
  }

  async request(method, path) {
    let response;
    try {
      response = await this.fetch(path, {
        method,
        headers: { Authorization: `Bearer ${this.token}`, Accept: 'application/json' },
        cache: 'no-store',
      });
    } catch (e) {
      throw new ApiError(0, 'network', `the server did not answer (${e?.message ?? e})`);
    }
    const text = await response.text();
    let body = null;
    try { body = text ? JSON.parse(text) : null; } catch { body = null; }
    if (response.ok) return body;
    const err = body?.error ?? {};
    throw new ApiError(response.status, err.code ?? 'http_' + response.status, err.message ?? response.statusText);
  }

  summary() { return this.request('GET', '/api/ops/summary'); }
  alerts() { return this.request('GET', '/api/alerts'); }
  deadLetters() { return this.request('GET', '/api/admin/dead-letters'); }
  replay(id) { return this.request('POST', `/api/admin/dead-letters/${encodeURIComponent(id)}/replay`); }
}
