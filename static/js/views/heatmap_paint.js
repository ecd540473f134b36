// Painting a panel's scene (heatmap_layout.js) onto a 2D canvas, and the files a panel exports:
// a PNG of the painted scene, an SVG of the same scene with the raster embedded as a PNG.
import { font } from "../core/heatmap_layout.js";
import { el } from "./dom.js";

const ALIGN = { start: "left", middle: "center", end: "right" };

/** Paint a scene onto ctx at `scale` device pixels per CSS px; `raster` holds one pixel per cell. */
export function paintScene(ctx, layout, scale, raster) {
  for (const item of layout.items) {
    if (item.kind === "raster" && raster.width > 0 && raster.height > 0) {
      // Whole device pixels and no smoothing: cells stay crisp blocks at any zoom and pixel ratio.
      const x = Math.round(item.x * scale);
      const y = Math.round(item.y * scale);
      ctx.setTransform(1, 0, 0, 1, 0, 0);
      ctx.imageSmoothingEnabled = false;
      ctx.drawImage(raster, item.t0, 0, item.t1 - item.t0 + 1, raster.height, x, y,
        Math.round((item.x + item.w) * scale) - x, Math.round((item.y + item.h) * scale) - y);
    } else if (item.kind === "outline") {
      ctx.setTransform(scale, 0, 0, scale, 0, 0);
      ctx.strokeStyle = item.color;
      ctx.lineWidth = 2;
      ctx.strokeRect(item.x, item.y, item.w, item.h);
    } else if (item.kind === "line") {
      ctx.setTransform(scale, 0, 0, scale, 0, 0);
      ctx.strokeStyle = item.color;
      ctx.lineWidth = 1;
      ctx.beginPath();
      ctx.moveTo(item.x1, item.y1);
      ctx.lineTo(item.x2, item.y2);
      ctx.stroke();
    } else if (item.kind === "colorbar") {
      ctx.setTransform(scale, 0, 0, scale, 0, 0);
      const gradient = ctx.createLinearGradient(0, item.y + item.h, 0, item.y);
      for (const [pos, color] of item.stops) gradient.addColorStop(pos, color);
      ctx.fillStyle = gradient;
      ctx.fillRect(item.x, item.y, item.w, item.h);
    } else if (item.kind === "text") {
      ctx.setTransform(scale, 0, 0, scale, 0, 0);
      ctx.translate(item.x, item.y);
      if (item.angle) ctx.rotate((item.angle * Math.PI) / 180);
      ctx.font = font(item.size, item.weight);
      ctx.textAlign = ALIGN[item.align];
      ctx.textBaseline = "middle";
      ctx.fillStyle = item.color;
      ctx.fillText(item.text, 0, 0);
    }
  }
  ctx.setTransform(1, 0, 0, 1, 0, 0);
}

/** The scene painted at `scale` device pixels per CSS px on white, as a PNG Blob. */
export function pngBlob(scene, scale, raster) {
  const canvas = el("canvas");
  canvas.width = Math.round(scene.width * scale);
  canvas.height = Math.round(scene.height * scale);
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = "#ffffff";
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  paintScene(ctx, scene, scale, raster);
  return new Promise((resolve, reject) => canvas.toBlob(
    (blob) => (blob ? resolve(blob) : reject(new Error("the browser could not encode the PNG"))), "image/png"));
}

/** The raster's token columns t0..t1 as a PNG data: URL, one pixel per cell. */
function rasterUrl(raster, t0, t1) {
  const n = t1 - t0 + 1;
  const canvas = el("canvas");
  canvas.width = Math.max(n, 1);
  canvas.height = Math.max(raster.height, 1);
  if (n > 0 && raster.height > 0) {
    canvas.getContext("2d").drawImage(raster, t0, 0, n, raster.height, 0, 0, n, raster.height);
  }
  return canvas.toDataURL("image/png");
}

/** The scene as an SVG Blob: text as <text>, the shown columns of the raster as an embedded PNG. */
export async function svgBlob(scene, raster) {
  const rasterHref = rasterUrl(raster, scene.t0, scene.t1);
  const { sceneToSvg } = await import("../core/heatmap_svg.js"); // only an export needs it
  const svg = sceneToSvg(scene, { width: scene.width, height: scene.height, rasterHref });
  return new Blob([svg], { type: "image/svg+xml" });
}
