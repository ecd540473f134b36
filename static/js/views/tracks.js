// Annotation tracks (core/tracks.js) drawn as thin rows under each heatmap, on that heatmap's own token
// columns: heatmaps.js gives the room under each plot and where its columns were painted (zoomed, narrow,
// presenter-sized, on a phone), and this view paints one canvas per panel on exactly those columns, each row
// labelled at the left like a unit's row. An overlay canvas holds the hovered and the selected column, so a
// new selection repaints only it. Hovering a cell says what the track says there; a click selects its token.
// A key line under the heatmaps says what the colours mean, in words (textContent only).
import { DIVERGING, VIRIDIS, divergingColor, readableTextColor } from "../core/colors.js";
import { FONT_FAMILY, SELECTED_STROKE, fitText } from "../core/heatmap_layout.js";
import { computeTracks, describeCell, trackKey } from "../core/tracks.js";
import { createEvents, el } from "./dom.js";

const RIGHT = VIRIDIS[10][1]; // green: the top-1 prediction was this token
const WRONG = DIVERGING[9][1]; // red, and split by a pale band when too narrow for a ✗: not by colour alone
const FLAG = VIRIDIS[2][1]; // dark purple: a binary property that holds (inside a string)
const ROW_BG = "#eef1f4"; // a row's extent where it says nothing
const HOVER_FILL = "rgba(255,200,0,0.45)"; // the heatmaps' hover colour family
const TOP_PX = 3; // above the first row
const GAP_PX = 2; // between rows
const LABEL_GAP_PX = 6; // between a row's label and its first cell
const TOOLTIP_OFFSET_PX = 10;

/** A count's colour: white at 0 to dark blue at the text's largest (the diverging scale's blue half). */
const countColour = (v, max) => divergingColor(-v, max);

/**
 * View over the key line's container (under the heatmaps). `slots()` answers heatmaps.js trackSlots(): the
 * room under each panel's plot and its painted token columns.
 * update({shown, spelling, k, step}) draws the tracks of `shown` (trace_store.js's holding) over its first k
 * tokens (the animation reveals the text) with `spelling` the model's tokenizer settings for `correct`
 * ({lowercase, unk}, null without a decoder); computed again only for a new holding or spelling.
 * repaint() paints again on the heatmaps' columns as they are now (once per frame however often asked).
 * mark({step}) moves the selected column; highlight(t) the hovered one (null clears). clear() empties it all.
 * Events (bind): "select-step" (t), "hover-step" (t | null).
 */
export function createTracks(key, { slots }) {
  const { emit, bind } = createEvents(["select-step", "hover-step"]);
  const records = new WeakMap(); // slot element -> its canvases and last painted geometry
  let shown = null;
  let spelling;
  let tracks = [];
  let k = 0;
  let step = null;
  let hover = null;
  let frame = 0;
  let drawn = 0;
  let keyWords = ""; // what the key line says, in short: written again only when it changes

  function record(slot) {
    let r = records.get(slot);
    if (r) return r;
    const base = el("canvas", "tracks-canvas", undefined, slot);
    base.setAttribute("role", "img");
    const overlay = el("canvas", "tracks-overlay", undefined, slot);
    overlay.setAttribute("aria-hidden", "true");
    const tooltip = el("div", "tracks-tooltip hidden", undefined, slot);
    tooltip.setAttribute("aria-hidden", "true");
    r = { slot, base, overlay, tooltip, geo: null, scale: 1 };
    records.set(slot, r);
    bindPointer(r);
    Object.defineProperty(slot, "tracks", { value: hooks(r) });
    return r;
  }

  /** Where row `row` and column t are in CSS px of the slot ({x, y, w, h}), or null. */
  function cellBox(r, row, t) {
    const g = r.geo;
    if (!g || row < 0 || row >= tracks.length || t === null || t === undefined || t < g.t0 || t > g.last) return null;
    return { x: g.x + (t - g.t0) * g.colW, y: g.rowY(row), w: g.colW, h: g.rowH };
  }

  function at(r, x, y) {
    const g = r.geo;
    if (!g || x < g.x || x >= g.x + g.w) return null;
    const t = g.t0 + Math.floor((x - g.x) / g.colW);
    const row = tracks.findIndex((_, n) => y >= g.rowY(n) - GAP_PX / 2 && y < g.rowY(n) + g.rowH + GAP_PX / 2);
    return t > g.last || row < 0 ? null : { t, row };
  }

  function bindPointer(r) {
    const local = (event) => {
      const rect = r.base.getBoundingClientRect();
      return { x: event.clientX - rect.left, y: event.clientY - rect.top };
    };
    const leave = () => {
      r.tooltip.classList.add("hidden");
      if (hover !== null) {
        highlight(null);
        emit("hover-step", null);
      }
    };
    r.base.addEventListener("pointermove", (event) => {
      const { x, y } = local(event);
      const cell = at(r, x, y);
      if (!cell) {
        leave();
        return;
      }
      r.tooltip.textContent = describeCell(tracks[cell.row], cell.t, shown.tokens);
      r.tooltip.classList.remove("hidden");
      const width = r.slot.clientWidth;
      const left = Math.max(0, Math.min(x + TOOLTIP_OFFSET_PX, width - r.tooltip.offsetWidth));
      r.tooltip.style.left = `${left}px`;
      r.tooltip.style.top = `${y - r.tooltip.offsetHeight - TOOLTIP_OFFSET_PX}px`;
      if (cell.t !== hover) {
        highlight(cell.t);
        emit("hover-step", cell.t);
      }
    });
    r.base.addEventListener("pointerleave", leave);
    r.base.addEventListener("click", (event) => {
      const { x, y } = local(event);
      const cell = at(r, x, y);
      if (cell) emit("select-step", cell.t);
    });
  }

  /** What tests read (and what a screen reader's label says): read-only. */
  function hooks(r) {
    return Object.freeze({
      get ids() {
        return tracks.map((track) => track.id);
      },
      get drawn() {
        return drawn;
      },
      /** Track `id`'s values, one per token. */
      values(id) {
        const track = tracks.find((tr) => tr.id === id);
        return track ? Array.from(track.values) : null;
      },
      /** Token t's cell of track `id` in client coordinates {x, y, width, height}, or null when not drawn. */
      cellBox(id, t) {
        const box = cellBox(r, tracks.findIndex((tr) => tr.id === id), t);
        if (!box) return null;
        const rect = r.base.getBoundingClientRect();
        return { x: rect.left + box.x, y: rect.top + box.y, width: box.w, height: box.h };
      },
      /** What hovering token t's cell of track `id` says. */
      describe(id, t) {
        const track = tracks.find((tr) => tr.id === id);
        return track ? describeCell(track, t, shown.tokens) : null;
      },
    });
  }

  function size(canvas, w, h) {
    if (canvas.width !== w || canvas.height !== h) {
      canvas.width = w;
      canvas.height = h;
    }
  }

  function paintSlot(r, columns) {
    const width = r.slot.clientWidth;
    const height = r.slot.clientHeight;
    const s = globalThis.devicePixelRatio || 1;
    r.scale = s;
    size(r.base, Math.round(width * s), Math.round(height * s));
    size(r.overlay, Math.round(width * s), Math.round(height * s));
    const ctx = r.base.getContext("2d");
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, r.base.width, r.base.height);
    const K = tracks.length;
    if (!columns || !K || !(height > TOP_PX) || !shown) {
      r.geo = null;
      paintOverlay(r);
      return;
    }
    const rowH = Math.max(4, (height - TOP_PX - GAP_PX * (K - 1)) / K);
    const n = columns.t1 - columns.t0 + 1;
    const colW = columns.w / Math.max(n, 1);
    const last = Math.min(columns.t1, k - 1);
    r.geo = { x: columns.x, w: columns.w, t0: columns.t0, t1: columns.t1, last, colW, rowH,
      rowY: (row) => TOP_PX + row * (rowH + GAP_PX) };
    const px = (v) => Math.round(v * s);
    // Drawn in device pixels (cells on whole pixels), so the fonts are too.
    const labelFont = `600 ${Math.max(10, Math.round(rowH * 0.92)) * s}px ${FONT_FAMILY}`;
    const glyphFont = `700 ${Math.round(rowH * 0.85) * s}px ${FONT_FAMILY}`;
    ctx.textBaseline = "middle";
    const room = (columns.x - LABEL_GAP_PX - 2) * s;
    tracks.forEach((track, row) => {
      const y = r.geo.rowY(row);
      const y0 = px(y);
      const h = px(y + rowH) - y0;
      ctx.fillStyle = ROW_BG;
      ctx.fillRect(px(columns.x), y0, px(columns.x + columns.w) - px(columns.x), h);
      // The row's label at the left, right-aligned as the unit rows' are: its short form when the margin is narrow.
      ctx.font = labelFont;
      const measure = (text) => ctx.measureText(text).width;
      const label = measure(track.label) <= room ? track.label : fitText(track.short, room, measure);
      ctx.fillStyle = "#1f2328";
      ctx.textAlign = "right";
      if (room > 4 * s) ctx.fillText(label, px(columns.x - LABEL_GAP_PX), px(y + rowH / 2));
      ctx.textAlign = "center";
      const gap = colW >= 6 ? 1 : 0; // a hairline between cells wide enough to be told apart
      const glyphs = colW >= rowH * 0.9;
      for (let t = columns.t0; t <= last; t++) {
        const v = track.values[t];
        if (v === null || v === undefined || (v === false && track.id !== "correct")) continue;
        const x0 = px(columns.x + (t - columns.t0) * colW);
        const w = Math.max(1, px(columns.x + (t - columns.t0 + 1) * colW) - x0 - gap);
        const cx = x0 + w / 2;
        if (track.id === "correct") {
          ctx.fillStyle = v ? RIGHT : WRONG;
          if (v || glyphs) ctx.fillRect(x0, y0, w, h);
          else { // wrong, too narrow for a ✗: two bands with a pale one between, a shape as well as a colour
            const band = Math.max(1, Math.floor(h / 3));
            ctx.fillRect(x0, y0, w, band);
            ctx.fillRect(x0, y0 + h - band, w, band);
          }
          if (glyphs) {
            ctx.font = glyphFont;
            ctx.fillStyle = "#ffffff";
            ctx.fillText(v ? "✓" : "✗", cx, y0 + h / 2);
          }
        } else if (track.kind === "binary") {
          ctx.fillStyle = FLAG;
          ctx.fillRect(x0, y0, w, h);
        } else {
          const colour = countColour(v, track.max);
          ctx.fillStyle = colour;
          ctx.fillRect(x0, y0, w, h);
          ctx.font = glyphFont;
          const text = String(v);
          if (v > 0 && w >= ctx.measureText(text).width + 2) {
            ctx.fillStyle = readableTextColor(colour);
            ctx.fillText(text, cx, y0 + h / 2);
          }
        }
      }
    });
    r.base.setAttribute("aria-label", `Annotation tracks under the heatmap: ${trackKey(tracks).join("; ")}`);
    paintOverlay(r);
  }

  /** The hovered column (a yellow wash) and the selected step (a dark frame) over every row. */
  function paintOverlay(r) {
    const ctx = r.overlay.getContext("2d");
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, r.overlay.width, r.overlay.height);
    if (!r.geo) return;
    ctx.setTransform(r.scale, 0, 0, r.scale, 0, 0);
    const top = r.geo.rowY(0) - 1;
    const bottom = r.geo.rowY(tracks.length - 1) + r.geo.rowH + 1;
    const hovered = cellBox(r, 0, hover);
    if (hovered) {
      ctx.fillStyle = HOVER_FILL;
      ctx.fillRect(hovered.x, top, hovered.w, bottom - top);
    }
    const selected = cellBox(r, 0, step);
    if (selected) {
      ctx.strokeStyle = SELECTED_STROKE;
      ctx.lineWidth = 2;
      ctx.strokeRect(selected.x, top, selected.w, bottom - top);
    }
  }

  function paintAll() {
    frame = 0;
    for (const { slot, columns } of slots()) paintSlot(record(slot), columns);
    drawn += 1;
    key.dataset.drawn = String(drawn);
  }

  function repaint() {
    if (!frame) frame = requestAnimationFrame(paintAll);
  }

  /** The key line: per track its label, its colours as swatches, and its words. */
  function renderKey() {
    const items = tracks.map((track) => {
      const item = el("span", "tracks-key-item");
      el("b", null, track.label, item);
      if (track.id === "correct") {
        el("span", "tracks-swatch tracks-swatch-right", "✓", item).setAttribute("aria-hidden", "true");
        item.append(" right ");
        el("span", "tracks-swatch tracks-swatch-wrong", "✗", item).setAttribute("aria-hidden", "true");
        item.append(" wrong: the model's likeliest next token after the token before");
      } else if (track.kind === "binary") {
        el("span", "tracks-swatch tracks-swatch-flag", undefined, item).setAttribute("aria-hidden", "true");
        item.append(` ${track.about}`);
      } else {
        item.append(` ${track.words.low} `);
        el("span", "tracks-swatch tracks-swatch-count", undefined, item).setAttribute("aria-hidden", "true");
        item.append(` ${track.words.high}: ${track.about}`);
      }
      return item;
    });
    key.replaceChildren(...items);
    key.classList.toggle("hidden", tracks.length === 0);
  }

  function update({ shown: next, spelling: nextSpelling = null, k: revealed = null, step: selected = null }) {
    if (next !== shown || nextSpelling !== spelling) {
      shown = next;
      spelling = nextSpelling;
      tracks = shown ? computeTracks(shown, spelling) : [];
      const words = tracks.map((track) => `${track.id}:${track.max ?? ""}`).join(","); // ids and counts' largest
      if (words !== keyWords) renderKey();
      keyWords = words;
    }
    k = revealed ?? shown?.tokens.length ?? 0;
    step = selected;
    repaint();
  }

  function mark({ step: selected = null }) {
    step = selected;
    for (const { slot } of slots()) paintOverlay(record(slot));
  }

  function highlight(t) {
    hover = t ?? null;
    for (const { slot } of slots()) {
      const r = records.get(slot);
      if (r) paintOverlay(r);
    }
  }

  function clear() {
    shown = null;
    tracks = [];
    key.replaceChildren();
    key.classList.add("hidden");
    keyWords = "";
    for (const { slot } of slots()) paintSlot(record(slot), null);
  }

  return { update, repaint, mark, highlight, clear, bind };
}
