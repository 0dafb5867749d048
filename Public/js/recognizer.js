// The recognition client: posts drawings or files to the API and turns every outcome into
// either an answer or a Problem with a sentence people understand.
// Owns request ordering (only the newest request may answer); never touches the DOM.

/** A failure, already worded for people. `retryAfter` (seconds) is set when waiting will help. */
export class Problem extends Error {
  constructor(kind, message, { status = 0, retryAfter = null } = {}) {
    super(message);
    this.kind = kind;
    this.status = status;
    this.retryAfter = retryAfter;
  }
}

/** Raised for answers that a newer request made obsolete; callers ignore it. */
export class Superseded extends Error {}

export class Recognizer {
  #latest = 0;
  #controller = null;

  /**
   * Sends one request. A newer `recognize` or `cancel` aborts this one, and an answer that
   * still arrives late is reported as `Superseded`, so it can never overwrite a newer one.
   * @param {{ body: BodyInit, contentType: string, mode: "single" | "multi" | "page" }} request
   */
  async recognize({ body, contentType, mode }) {
    const seq = ++this.#latest;
    this.#controller?.abort();
    const controller = new AbortController();
    this.#controller = controller;

    // The mode is always sent: the server's default is "auto", and the page's "one glyph"
    // mode must keep reading the whole drawing as one glyph.
    const query = new URLSearchParams({ debug: "true", top: "13", mode: mode === "multi" || mode === "page" ? mode : "single" });
    try {
      let response;
      try {
        response = await fetch(`api/v1/recognize?${query}`, {
          method: "POST",
          headers: { "Content-Type": contentType, Accept: "application/json" },
          body,
          signal: controller.signal,
          cache: "no-store",
        });
      } catch (error) {
        if (seq !== this.#latest || error?.name === "AbortError") throw new Superseded();
        throw new Problem("unreachable",
          "The recognition server can't be reached. Check that it is running and your connection works, then try again.");
      }
      const payload = await readJSON(response);
      if (seq !== this.#latest) throw new Superseded();
      if (!response.ok) throw problemFor(response, payload);
      if (!isAnswer(payload)) {
        throw new Problem("garbled", "The server sent an answer this page doesn't understand. Try reloading the page.");
      }
      return payload;
    } finally {
      if (this.#controller === controller) this.#controller = null;
    }
  }

  /** Drops whatever is in flight: its answer, if any, will be Superseded. */
  cancel() {
    this.#latest++;
    this.#controller?.abort();
    this.#controller = null;
  }
}

/** Model identity and classes, or null when the server can't say. */
export async function fetchModelInfo() {
  try {
    const response = await fetch("api/v1/model", { headers: { Accept: "application/json" } });
    if (!response.ok) return null;
    const info = await response.json();
    return info && typeof info.name === "string" && Array.isArray(info.classes) ? info : null;
  } catch {
    return null;
  }
}

async function readJSON(response) {
  try {
    return await response.json();
  } catch (error) {
    if (error?.name === "AbortError") throw new Superseded();
    return null;
  }
}

function isAnswer(payload) {
  return payload !== null && typeof payload === "object" && typeof payload.label === "string"
    && typeof payload.confidence === "number" && Array.isArray(payload.glyphs);
}

/** Maps an HTTP error to words; the problem document's own detail only picks between phrasings. */
function problemFor(response, payload) {
  const status = response.status;
  const detail = typeof payload?.detail === "string" ? payload.detail : "";
  const header = Number.parseInt(response.headers.get("Retry-After") ?? "", 10);
  const retryAfter = Number.isFinite(header) && header >= 0 ? header : null;
  switch (status) {
    case 400:
      return new Problem("bad-input", "The server couldn't read that. If it was a file, check that it is a valid PNG or JPEG image.", { status });
    case 401:
    case 403:
      return new Problem("forbidden", "This server only answers requests that carry an access key, and this page has none.", { status });
    case 413:
      return new Problem("too-large", "That is too large for the server. Try a smaller image, or a simpler drawing.", { status });
    case 415:
      return new Problem("unsupported", "Only PNG and JPEG images can be read. Please choose one of those.", { status });
    case 422:
      if (typeof payload?.type === "string" && payload.type.endsWith("image-too-large")) {
        return new Problem("too-large", "That image has too many pixels for the server. Try a smaller image.", { status });
      }
      if (/stroke|glyph|point|many/i.test(detail)) {
        return new Problem("too-much", "That is more than the server reads at once. Try fewer strokes, or fewer glyphs.", { status });
      }
      return new Problem("empty", "There is nothing to read yet: no ink was found. Draw a little bigger or bolder.", { status });
    case 429:
      return new Problem("throttled", "Too many requests in a short time. The page will try again in a moment.", { status, retryAfter: retryAfter ?? 1 });
    case 503:
      return new Problem("overloaded", "The server is busy right now. The page will try again in a moment.", { status, retryAfter: retryAfter ?? 1 });
    case 504:
      return new Problem("timeout", "The server took too long to answer. Try again, perhaps with a simpler drawing.", { status });
    default:
      return new Problem("server", `Something went wrong on the server (error ${status}). Try again in a moment.`, { status });
  }
}
