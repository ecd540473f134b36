// Colours and text segments for tinting text by a unit's values. Pure functions: no DOM, no Plotly,
// so they run (and are tested) under Node as well as in the page.

import { DIVERGING } from "./plot_axes.js";

// The same scales as the heatmaps, so one colour means one value everywhere on the page.
// Gates (sigmoids, 0..1): Plotly's Viridis, copied from plotly.js 4.1.1.
export const VIRIDIS = [
  [0, "#440154"], [0.06274509803921569, "#48186a"], [0.12549019607843137, "#472d7b"],
  [0.18823529411764706, "#424086"], [0.25098039215686274, "#3b528b"], [0.3137254901960784, "#33638d"],
  [0.3764705882352941, "#2c728e"], [0.4392156862745098, "#26828e"], [0.5019607843137255, "#21918c"],
  [0.5647058823529412, "#1fa088"], [0.6274509803921569, "#28ae80"], [0.6901960784313725, "#3fbc73"],
  [0.7529411764705882, "#5ec962"], [0.8156862745098039, "#84d44b"], [0.8784313725490196, "#addc30"],
  [0.9411764705882353, "#d8e219"], [1, "#fde725"],
];
// Signed quantities: ColorBrewer RdBu (colour-blind safe), negative blue, zero white, positive red.
export { DIVERGING }; // the heatmaps' scale (plot_axes.js), for CSS colours of the same values

/** The largest |value| among the finite values of a plain array (0 when there is none). */
export function maxAbsOf(values) {
  return values.reduce((m, v) => (Number.isFinite(v) ? Math.max(m, Math.abs(v)) : m), 0);
}

const DARK_TEXT = "#1f2328";
const LIGHT_TEXT = "#ffffff";

function clamp(x, lo, hi) {
  return Math.min(hi, Math.max(lo, x));
}

function hexToRgb(hex) {
  const n = parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

function parseColor(color) {
  if (color.startsWith("#")) return hexToRgb(color);
  const match = /^rgba?\(([^)]*)\)$/.exec(color.trim());
  if (!match) throw new Error(`not a #rrggbb or rgb() colour: ${color}`);
  return match[1].split(",").slice(0, 3).map(Number);
}

// A scale's stops as numbers, parsed once per scale: a text of 2,000 tokens asks for 2,000 colours.
const parsedStops = new WeakMap();
function rgbStops(stops) {
  let rgb = parsedStops.get(stops);
  if (!rgb) {
    rgb = stops.map(([, hex]) => hexToRgb(hex));
    parsedStops.set(stops, rgb);
  }
  return rgb;
}

/** The colour at x in 0..1 along a Plotly-style scale [[position, "#rrggbb"], ...], as "rgb(r, g, b)". */
export function scaleColor(stops, x) {
  const pos = clamp(x, 0, 1);
  let k = 1;
  while (k < stops.length - 1 && stops[k][0] < pos) k += 1;
  const p0 = stops[k - 1][0];
  const p1 = stops[k][0];
  const w = p1 > p0 ? (pos - p0) / (p1 - p0) : 0;
  const rgb = rgbStops(stops);
  const a = rgb[k - 1];
  const b = rgb[k];
  return `rgb(${Math.round(a[0] + (b[0] - a[0]) * w)}, ${Math.round(a[1] + (b[1] - a[1]) * w)}, `
    + `${Math.round(a[2] + (b[2] - a[2]) * w)})`;
}

/**
 * A signed value on the diverging scale, centred on 0: -maxAbs is darkest blue, +maxAbs darkest red.
 * Values past ±maxAbs take the end colours; a non-finite value is "transparent" (left untinted).
 */
export function divergingColor(value, maxAbs) {
  if (!Number.isFinite(value)) return "transparent";
  const x = maxAbs > 0 ? clamp(value / maxAbs, -1, 1) : 0;
  return scaleColor(DIVERGING, (x + 1) / 2);
}

/**
 * An attribution score's tint ("Why this prediction?"): on the diverging scale by the square root of its share
 * of the strongest |score| (maxAbs), so a word that pushed a quarter as hard still shows at half the colour (the
 * word just before a prediction often dwarfs the rest). {background, color}: the chip's colour and a readable
 * text colour on it.
 */
export function attributionColour(score, maxAbs) {
  const share = maxAbs > 0 && Number.isFinite(score) ? clamp(score / maxAbs, -1, 1) : 0;
  const background = divergingColor(Math.sign(share) * Math.sqrt(Math.abs(share)), 1);
  return { background, color: readableTextColor(background) };
}

/** A gate value in 0..1 on the sequential (Viridis) scale; a non-finite value is "transparent". */
export function sequentialColor(value) {
  if (!Number.isFinite(value)) return "transparent";
  return scaleColor(VIRIDIS, value);
}

function luminance(rgb) {
  // WCAG relative luminance of an sRGB colour.
  const [r, g, b] = rgb.map((v) => {
    const s = v / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

const readable = new Map(); // background -> text colour: the scales have a few thousand colours at most
const READABLE_KEPT = 4096;

/** Dark or white text, whichever contrasts more with the background colour ("#rrggbb" or "rgb(...)"). */
export function readableTextColor(background) {
  let text = readable.get(background);
  if (text === undefined) {
    text = contrasting(background);
    if (readable.size >= READABLE_KEPT) readable.clear();
    readable.set(background, text);
  }
  return text;
}

function contrasting(background) {
  if (background === "transparent") return DARK_TEXT;
  const bg = luminance(parseColor(background));
  const contrast = (fg) => (Math.max(bg, fg) + 0.05) / (Math.min(bg, fg) + 0.05);
  return contrast(luminance(hexToRgb(LIGHT_TEXT))) > contrast(luminance(hexToRgb(DARK_TEXT)))
    ? LIGHT_TEXT
    : DARK_TEXT;
}

/** A left-to-right CSS gradient of a scale, for a colour legend. */
export function cssGradient(stops) {
  const parts = stops.map(([pos, color]) => `${color} ${(pos * 100).toFixed(1)}%`);
  return `linear-gradient(to right, ${parts.join(", ")})`;
}

/**
 * Cut text into segments [{text, t}] that concatenate back to exactly the text: t is the token's index
 * for a token's characters and null for characters outside every token (the whitespace a word
 * tokenizer skips). Token start/end are code-point offsets, so the text is split with Array.from,
 * never by UTF-16 index. Offsets past the text are clamped; a token overlapping the one before it
 * keeps only its new characters, so every character lands in exactly one segment.
 */
export function textSegments(text, tokens) {
  const chars = Array.from(text);
  const segments = [];
  let pos = 0;
  const push = (from, to, t) => {
    if (to > from) segments.push({ text: chars.slice(from, to).join(""), t });
  };
  tokens.forEach((token, t) => {
    const start = clamp(token.start, pos, chars.length);
    const end = clamp(token.end, start, chars.length);
    push(pos, start, null);
    push(start, end, t);
    pos = end;
  });
  push(pos, chars.length, null);
  return segments;
}
