// The page's only knowledge of the service: docs/http-contract.md over fetch.
// Images are fetched as blobs and the job events read from a streamed response, so that the
// bearer token goes with every request (an <img src> or an EventSource cannot send it).

const KEY_STORAGE = "stylize.apiKey";
const TERMINAL = new Set(["succeeded", "failed", "cancelled"]);

export class ApiError extends Error {
  constructor(status, detail, { retryAfter = null, field = null } = {}) {
    super(detail);
    this.status = status; // null: the service could not be reached
    this.detail = detail;
    this.retryAfter = retryAfter; // seconds, from Retry-After (503, 429)
    this.field = field; // the form field a 422 names, when it names one
  }
}

export function isTerminal(job) {
  return TERMINAL.has(job.status);
}

export class Api {
  constructor(base = "") {
    this.base = base;
    this.onUnauthorized = null; // async (error) => boolean: true once a new key is set
  }

  get key() {
    return sessionStorage.getItem(KEY_STORAGE);
  }

  set key(value) {
    if (value) sessionStorage.setItem(KEY_STORAGE, value);
    else sessionStorage.removeItem(KEY_STORAGE);
  }

  headers() {
    return this.key ? { Authorization: `Bearer ${this.key}` } : {};
  }

  async request(path, { method = "GET", body, signal, retried = false } = {}) {
    let response;
    try {
      response = await fetch(this.base + path, { method, body, signal, headers: this.headers() });
    } catch (error) {
      if (error.name === "AbortError") throw error;
      throw new ApiError(null, error.message);
    }
    if (response.ok) return response;
    const error = await errorOf(response);
    if (response.status === 401 && !retried && this.onUnauthorized && (await this.onUnauthorized(error))) {
      return this.request(path, { method, body, signal, retried: true });
    }
    throw error;
  }

  async json(path, options) {
    return (await this.request(path, options)).json();
  }

  async blob(path, options) {
    return (await this.request(path, options)).blob();
  }

  /** Whether a key is asked for: /readyz is open, /styles is not when API_KEY is set. */
  async checkKey(key) {
    const response = await fetch(this.base + "/styles", { headers: { Authorization: `Bearer ${key}` } });
    return response.ok;
  }

  styles() {
    return this.json("/styles");
  }

  methods() {
    return this.json("/methods");
  }

  styleImage(style) {
    return this.blob(style.image_url);
  }

  submit(form) {
    return this.json("/jobs", { method: "POST", body: form });
  }

  job(id) {
    return this.json(`/jobs/${id}`);
  }

  cancel(id) {
    return this.json(`/jobs/${id}`, { method: "DELETE" });
  }

  async preview(job) {
    try {
      return await this.blob(job.preview_url);
    } catch (error) {
      if (error.status === 404) return null; // no preview yet
      throw error;
    }
  }

  result(job) {
    return this.blob(job.result_url);
  }

  /** Calls onJob with every job update from GET /jobs/{id}/events; resolves with the last. */
  async follow(id, onJob, signal) {
    let last = null;
    try {
      const response = await this.request(`/jobs/${id}/events`, { signal });
      for await (const event of sseEvents(response.body)) {
        if (event.event !== "job") continue;
        last = JSON.parse(event.data);
        onJob(last);
        if (isTerminal(last)) return last;
      }
    } catch (error) {
      if (error.name === "AbortError") throw error;
    }
    // The stream broke off before the end: ask once more, so the page never waits for ever.
    last = await this.job(id);
    onJob(last);
    return last;
  }
}

async function errorOf(response) {
  let detail = response.statusText;
  let field = null;
  try {
    const body = await response.json();
    if (typeof body.detail === "string") detail = body.detail;
    // A 422 from validation lists its fields: {"errors": [{"field", "message"}]}.
    if (Array.isArray(body.errors) && body.errors.length) field = body.errors[0].field ?? null;
  } catch {
    // not JSON: keep the status text
  }
  if (field === null && response.status === 422) {
    const named = /^([a-z_]+):/.exec(detail);
    if (named) field = named[1];
  }
  const retry = Number.parseFloat(response.headers.get("Retry-After"));
  return new ApiError(response.status, detail, {
    retryAfter: Number.isFinite(retry) ? retry : null,
    field,
  });
}

/** Server-Sent Events from a byte stream: yields {event, data} per blank-line-ended block. */
async function* sseEvents(stream) {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value.replaceAll("\r\n", "\n");
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = { event: "message", data: "" };
      const data = [];
      for (const line of block.split("\n")) {
        if (line.startsWith(":")) continue; // a comment: the keep-alive ping
        const colon = line.indexOf(":");
        const name = colon < 0 ? line : line.slice(0, colon);
        const text = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
        if (name === "event") event.event = text;
        else if (name === "data") data.push(text);
      }
      event.data = data.join("\n");
      if (data.length) yield event;
    }
  }
}
