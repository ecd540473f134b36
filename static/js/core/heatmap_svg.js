// A heatmap panel's scene (heatmap_layout.js) as a standalone SVG document: the raster as an
// embedded PNG image, the colour bar as a gradient, every label as <text>, frames and leader lines as
// <rect> and <line>. Pure: no DOM.
import { FONT_FAMILY } from "./heatmap_layout.js";

const ANCHOR = { start: "start", middle: "middle", end: "end" };

// Characters XML 1.0 forbids: controls other than tab/newline/return, U+FFFE/U+FFFF, lone surrogates.
const NOT_XML = new RegExp([
  "[\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\ufffe\\uffff]",
  "[\\ud800-\\udbff](?![\\udc00-\\udfff])",
  "(?<![\\ud800-\\udbff])[\\udc00-\\udfff]",
].join("|"), "g");

/** Text made safe for XML: markup characters escaped, characters XML 1.0 forbids replaced by U+FFFD. */
export function xmlText(value) {
  return String(value)
    .replace(NOT_XML, "\ufffd")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;");
}

const num = (x) => Number(x.toFixed(2));

function textElement(item) {
  const transform = item.angle ? ` transform="rotate(${item.angle} ${num(item.x)} ${num(item.y)})"` : "";
  return `<text x="${num(item.x)}" y="${num(item.y)}" font-size="${item.size}" font-weight="${item.weight}"`
    + ` text-anchor="${ANCHOR[item.align]}" dominant-baseline="central" fill="${xmlText(item.color)}"${transform}>`
    + `${xmlText(item.text)}</text>`;
}

function gradient(id, stops) {
  const parts = stops.map(([pos, hex]) => `<stop offset="${pos}" stop-color="${xmlText(hex)}"/>`);
  return `<linearGradient id="${id}" x1="0" y1="1" x2="0" y2="0">${parts.join("")}</linearGradient>`;
}

/**
 * @param {{items: object[]}} layout from layoutPanel
 * @param {{width: number, height: number, rasterHref: string, background?: string}} options
 *   rasterHref: a data: URL of the shown columns' raster (one pixel per cell), stretched over the plot
 * @returns {string} the SVG document
 */
export function sceneToSvg(layout, { width, height, rasterHref, background = "#ffffff" }) {
  const defs = [];
  const body = [];
  for (const item of layout.items) {
    if (item.kind === "text") body.push(textElement(item));
    else if (item.kind === "raster") {
      body.push(`<image x="${num(item.x)}" y="${num(item.y)}" width="${num(item.w)}" height="${num(item.h)}"`
        + ` preserveAspectRatio="none" image-rendering="optimizeSpeed" style="image-rendering:pixelated"`
        + ` href="${xmlText(rasterHref)}"/>`);
    } else if (item.kind === "outline") {
      body.push(`<rect x="${num(item.x)}" y="${num(item.y)}" width="${num(item.w)}" height="${num(item.h)}"`
        + ` fill="none" stroke="${xmlText(item.color)}" stroke-width="2"/>`);
    } else if (item.kind === "line") {
      body.push(`<line x1="${num(item.x1)}" y1="${num(item.y1)}" x2="${num(item.x2)}" y2="${num(item.y2)}"`
        + ` stroke="${xmlText(item.color)}" stroke-width="1"/>`);
    } else if (item.kind === "colorbar") {
      const id = `scale${defs.length}`;
      defs.push(gradient(id, item.stops));
      body.push(`<rect x="${num(item.x)}" y="${num(item.y)}" width="${num(item.w)}" height="${num(item.h)}"`
        + ` fill="url(#${id})"/>`);
    }
  }
  return `<?xml version="1.0" encoding="UTF-8"?>\n`
    + `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}"`
    + ` font-family="${xmlText(FONT_FAMILY)}">\n`
    + `<defs>${defs.join("")}</defs>\n`
    + `<rect width="100%" height="100%" fill="${xmlText(background)}"/>\n`
    + `${body.join("\n")}\n</svg>\n`;
}
