// The only module that talks to the server. Every trace, step and retention request carries the tab's salt
// (core/digest.js TAB_SALT): the server caches what they compute only under it, for this tab alone.
import { TAB_SALT } from "./core/digest.js";
import { readTraceAnswer } from "./core/predictions.js";

// Longer GET URLs risk being cut by proxies and servers; long texts (and non-ASCII text, which
// percent-encoding inflates up to 9×) go as a JSON body instead.
const MAX_GET_URL = 2000;

/** An error the server explained: `message` is its {"detail": ...} text. */
export class ApiError extends Error {
  constructor(message, status) {
    super(message);
    this.name = "ApiError";
    this.status = status;
  }
}

async function errorMessage(response) {
  try {
    const body = await response.json();
    if (typeof body.detail === "string") return body.detail;
    if (Array.isArray(body.detail)) return body.detail.map((d) => d.msg ?? String(d)).join("; ");
  } catch {
    // Not JSON (a proxy's error page, say): fall back to the status line.
  }
  return `the server answered ${response.status} ${response.statusText}`.trim();
}

/** GET path?params, or POST params as JSON when the URL would be too long; the parsed JSON answer. */
async function call(path, params, signal) {
  const url = `${path}?${new URLSearchParams(params)}`;
  let response;
  try {
    response = await (url.length <= MAX_GET_URL
      ? fetch(url, { signal })
      : fetch(path, {
        method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(params), signal,
      }));
  } catch (err) {
    if (err.name === "AbortError") throw err;
    throw new ApiError("could not reach the server: check that it is still running, then try again", 0);
  }
  if (!response.ok) throw new ApiError(await errorMessage(response), response.status);
  return response.json();
}

/**
 * Trace text with a model: /api/trace's {model, version, num_tokens, start, tokens, layers, predictions}, the
 * predictions always as per-step lists [{token, prob}] (the typed arrays of encodings f4 and u1 decoded here,
 * core/predictions.js: the same tokens and probabilities).
 * @param {object} params /api/trace's parameters by their API names: {model, text, top_k, encoding
 *   ("f4" exact or "u1" quantised typed-array specs, time-major), quantities, layer, unit, since, prefix,
 *   offset, salt (the tab's when not given)}
 * @param {AbortSignal} [signal]
 * Rejects with an AbortError when `signal` aborts, and with an ApiError when the server refuses.
 */
export async function fetchTrace(params, signal) {
  return readTraceAnswer(await call("/api/trace", { salt: TAB_SALT, ...params }, signal));
}

/**
 * fetchTrace for a request that sends only the text after the tokens the page holds (trace_store.js
 * requestFor): when the server no longer holds those tokens (409: another worker answered before, or it
 * evicted them), the same request again with the whole text, `whole` (trace_store.js wholeRequest).
 */
export async function fetchTraceFrom(params, whole, signal) {
  try {
    return await fetchTrace(params, signal);
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 409 && params.offset)) throw err;
    return fetchTrace(whole, signal);
  }
}

/** One step's "why": /api/step's pre-activations split into input, recurrent and bias, per gate and unit. */
export function fetchStep({ model, text, step, layer, signal }) {
  return call("/api/step", { model, text, step, layer, salt: TAB_SALT }, signal);
}

/** A model's whole card (provenance, evaluation, notable units, vocabulary). */
export function fetchCard(model, signal) {
  return call(`/api/models/${encodeURIComponent(model)}`, {}, signal);
}

/**
 * Memory that lasts from step s: /api/retention's {steps, jacobian_norm, memory, memory_jacobian_norm,
 * and for an LSTM kept and written (typed-array specs with encoding "f4")}.
 */
export function fetchRetention({ model, text, step, layer, encoding = "f4", signal }) {
  return call("/api/retention", { model, text, step, layer, encoding, salt: TAB_SALT }, signal);
}

/**
 * Gates at their limits: /api/saturation's per-gate fractions of steps each unit's gate is closed (`left`,
 * below `threshold`) and open (`right`, above 1 − threshold), with the counts and a `summary`; a cell without
 * gates answers `gates: {}` and a `note` (docs/saturation.md).
 */
export function fetchSaturation({ model, text, layer = 0, threshold, signal }) {
  const params = { model, text, layer, salt: TAB_SALT };
  if (threshold !== undefined) params.threshold = threshold;
  return call("/api/saturation", params, signal);
}

/**
 * Why the model predicted `target` after token `step`: /api/attribution's {target, prob, tokens, scores, explains,
 * method, …} (one score per token 0…step; docs/api.md).
 * @param {{model: string, text: string, step: number, target: string, method: string, signal?: AbortSignal}} q
 */
export function fetchAttribution({ model, text, step, target, method, signal }) {
  return call("/api/attribution", { model, text, step, target, method, salt: TAB_SALT }, signal);
}

/**
 * Kinds of memory: /api/components' {tokens, components: [{activation, top_units, peaks, share}],
 * reconstruction_error, quantity, k, …} (docs/components.md): a layer's memory (c or h) over the text split by
 * NMF into k patterns. Refused (ApiError, 422) with a sentence for too few tokens or too much cost.
 */
export function fetchComponents({ model, text, layer = 0, quantity, k, signal }) {
  const params = { model, text, layer, k, salt: TAB_SALT };
  if (quantity) params.quantity = quantity;
  return call("/api/components", params, signal);
}

/**
 * Find more like this: /api/search's {units, derived, index, results: [{document, source, start, end, text,
 * window: {tokens, values}, …}]} (docs/search.md). params by their API names: {model, mode ("match" or "top"),
 * layer, units | text + start + end (a span, end exclusive) | unit, threshold, limit, context, …}; a long text goes
 * as a POST body. A model without a state index: ApiError 404 naming `lstm-viz index MODEL`.
 */
export function fetchSearch(params, signal) {
  return call("/api/search", { salt: TAB_SALT, ...params }, signal);
}

/** The whole texts of the index's documents `documents` (numbers, at most 50): /api/search/documents'
 *  {documents: [{document, source, start, end, chars, text}]}, a result's token p being token p − start. */
export function fetchSearchDocuments({ model, documents }, signal) {
  return call("/api/search/documents", { model, documents: documents.join(",") }, signal);
}

// ---- Live training jobs (docs/training_live.md): the Train panel (views/train.js) ----

/** A JSON request with a body (or none): the parsed answer, or an ApiError saying what the server said. */
async function send(method, path, body = undefined) {
  let response;
  try {
    response = await fetch(path, body === undefined ? { method } : {
      method, headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
    });
  } catch {
    throw new ApiError("could not reach the server: check that it is still running, then try again", 0);
  }
  if (!response.ok) throw new ApiError(await errorMessage(response), response.status);
  return response.json();
}

/** Every model the server serves now (GET /api/models' list): a finished job's model joins it. */
export async function fetchModels() {
  return (await call("/api/models", {})).models;
}

/** Start a training job (POST /api/jobs: {task, cell, hidden_size, …}): its status {id, status, position, …}. */
export function createJob(request) {
  return send("POST", "/api/jobs", request);
}

/** A job's status (GET /api/jobs/{id}); an ApiError 404 once it has expired. */
export function fetchJob(id) {
  return call(`/api/jobs/${encodeURIComponent(id)}`, {});
}

/** "stop" or "resume" a job (POST /api/jobs/{id}/stop | resume): its status. */
export function jobAction(id, action) {
  return send("POST", `/api/jobs/${encodeURIComponent(id)}/${action}`);
}

/** Cancel a job if it is active and forget it (DELETE /api/jobs/{id}). */
export function deleteJob(id) {
  return send("DELETE", `/api/jobs/${encodeURIComponent(id)}`);
}

const JOB_EVENTS = ["queued", "started", "progress", "snapshot", "stopped", "finished", "cancelled", "error"];

/**
 * Listen to a job's server-sent events after event `after` (0: all of them, a replay): onEvent({id, kind, data})
 * for each; the browser reconnects by itself with Last-Event-ID. onLost() when the stream cannot go on (the job
 * is unknown: it expired). Returns close(); call it after a terminal event (finished, cancelled, error), or the
 * browser would connect again.
 */
export function listenJob(id, { after = 0, onEvent, onLost }) {
  const source = new EventSource(`/api/jobs/${encodeURIComponent(id)}/events?after=${after}`);
  for (const kind of JOB_EVENTS) {
    source.addEventListener(kind, (event) => {
      if (!(event instanceof MessageEvent)) { // the connection's own error event, not the job's `error`
        if (source.readyState === EventSource.CLOSED) onLost?.();
        return;
      }
      onEvent({ id: Number(event.lastEventId), kind, data: JSON.parse(event.data) });
    });
  }
  return () => source.close();
}
