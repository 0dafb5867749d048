// Labels: how each of the model's classes is shown and spoken.
// Owns the mapping from API label to symbol and words; never talks to the server or the DOM.

/** The classes in the model's order, used until GET /api/v1/model answers. */
export const DEFAULT_CLASSES = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "star", "smiley", "scribble"];

const SYMBOLS = { star: "★", smiley: "☺", scribble: "?" };
const NAMES = { star: "a star", smiley: "a smiley", scribble: "a scribble" };

/** The large glyph shown for a label: digits as digits, star and smiley as symbols. */
export function symbolFor(label) {
  return SYMBOLS[label] ?? label;
}

/** The name beside a confidence bar: the symbol, and for non-digits the word too. */
export function barName(label) {
  return label in SYMBOLS && label !== "scribble" ? `${SYMBOLS[label]} ${label}` : label;
}

/** A phrase for sentences and screen readers: "the digit 7", "a star". */
export function spokenName(label) {
  if (label in NAMES) return NAMES[label];
  return `the digit ${label}`;
}

/** Whole percent, except near the ends: 99.8 % must not read as 100 %, nor 0.3 % as nothing. */
export function formatPercent(confidence) {
  const p = Math.max(0, Math.min(1, confidence)) * 100;
  if (p >= 99.5 && p < 100) return `${(Math.floor(p * 10) / 10).toFixed(1)} %`;
  if (p > 0 && p < 0.5) return "< 1 %";
  return `${Math.round(p)} %`;
}
