// What a model's named units carry, in words a person reads: the card's keys ("inside_string",
// "bracket_depth") become "inside a string", "bracket depth". Pure: no DOM; imports in Node too.

/** Card keys whose plain reading needs more than "_" → " ". */
const WORDS = {
  inside_string: "inside a string",
  bracket_depth: "bracket depth",
  line_position: "position in the line",
  indentation: "indentation",
  tense: "tense",
  cuisine: "cuisine",
};

/** "inside_string" → "inside a string"; an unknown key reads with its underscores as spaces. */
export function carriesLabel(carries) {
  return WORDS[carries] ?? String(carries).replace(/_/g, " ");
}

/**
 * The named units of one layer: Map unit → "tense" (several names joined with " / ", in the card's
 * order; a unit the card marks weak reads "tense?"). notable: /api/models' `notable_units`
 * [{layer, unit, carries, weak}] (missing: none).
 * @returns {Map<number, string>}
 */
export function unitNames(notable, layer) {
  const names = new Map();
  for (const { layer: l = 0, unit, carries, weak = false } of notable ?? []) {
    if (l !== layer) continue;
    const label = `${carriesLabel(carries)}${weak ? "?" : ""}`;
    const had = names.get(unit);
    if (!had) names.set(unit, label);
    else if (!had.split(" / ").includes(label)) names.set(unit, `${had} / ${label}`);
  }
  return names;
}
