// The page's wiring: buttons, keyboard shortcuts, mode switch, uploads and drag-and-drop,
// and when to ask the server (150 ms after a stroke ends).
// Owns the flow between pad, recognizer and result panel; never draws or formats anything itself.

import { DrawingPad, UNITS } from "./drawing-pad.js";
import { Problem, Recognizer, Superseded, fetchModelInfo } from "./recognizer.js";
import { ResultsView } from "./results-view.js";
import { symbolFor } from "./labels.js";

/** Long enough to notice a second stroke of the same glyph (the bar of a 7), short enough to feel live. */
const DEBOUNCE_MS = 150;
/** Automatic retries after 429/503, each after the server's Retry-After (capped, so the page never stalls). */
const MAX_RETRIES = 3;
const MAX_RETRY_WAIT_S = 10;
const ACCEPTED_TYPES = new Set(["image/png", "image/jpeg"]);

const $ = (id) => document.getElementById(id);

const canvas = $("pad");
const frame = $("pad-frame");
const undoButton = $("undo");
const clearButton = $("clear");
const fileInput = $("file");
const copyButton = $("copy-reading");

const MODES = new Set(["single", "multi", "page"]);
const modeOf = (value) => (MODES.has(value) ? value : "single");

let mode = modeOf(document.querySelector('input[name="mode"]:checked')?.value);
let upload = null; // the File shown on the pad, posted as-is
let lastAnswer = null;
let lastAnswerMode = mode;
let selectedGlyph = 0;
let debounceTimer = 0;
let retryTimer = 0;
let retries = 0;

const recognizer = new Recognizer();
const view = new ResultsView({ onSelectGlyph: selectGlyph });
const pad = new DrawingPad(canvas, {
  onStrokeStart() {
    // The drawing is changing: a queued request would describe a drawing that no longer exists.
    clearTimeout(debounceTimer);
    clearTimeout(retryTimer);
    recognizer.cancel();
    upload = null;
    frame.classList.add("has-ink");
    updateControls();
  },
  onStrokeEnd() {
    updateControls();
    schedule();
  },
});

pad.refreshColors();
window.matchMedia("(prefers-color-scheme: dark)").addEventListener("change", () => pad.refreshColors());

undoButton.addEventListener("click", undo);
clearButton.addEventListener("click", clear);

document.addEventListener("keydown", (e) => {
  const isUndo = (e.ctrlKey || e.metaKey) && !e.shiftKey && !e.altKey && e.key.toLowerCase() === "z";
  if (!isUndo) return;
  // Text fields keep their own undo.
  const target = e.target;
  if (target instanceof HTMLElement && (target.isContentEditable || target.matches("input[type=text], textarea"))) return;
  e.preventDefault();
  undo();
});

for (const radio of document.querySelectorAll('input[name="mode"]')) {
  radio.addEventListener("change", () => {
    if (!radio.checked) return;
    mode = modeOf(radio.value);
    canvas.dataset.mode = mode;
    pad.setBoxes([]);
    recognizeNow();
  });
}
canvas.dataset.mode = mode;

copyButton.addEventListener("click", () => void copyReading());

fileInput.addEventListener("change", () => {
  const file = fileInput.files?.[0];
  // Reset so choosing the same file again still fires "change".
  fileInput.value = "";
  if (file) void openFile(file);
});

// Dropping a file anywhere else would make the browser navigate away to show it.
for (const type of ["dragover", "drop"]) {
  window.addEventListener(type, (e) => {
    if (e.dataTransfer?.types.includes("Files")) e.preventDefault();
  });
}
let dragDepth = 0;
frame.addEventListener("dragenter", (e) => {
  if (!e.dataTransfer?.types.includes("Files")) return;
  dragDepth++;
  frame.classList.add("is-dropping");
});
frame.addEventListener("dragleave", () => {
  dragDepth = Math.max(0, dragDepth - 1);
  if (dragDepth === 0) frame.classList.remove("is-dropping");
});
frame.addEventListener("drop", (e) => {
  dragDepth = 0;
  frame.classList.remove("is-dropping");
  const file = e.dataTransfer?.files?.[0];
  if (file) void openFile(file);
});

void fetchModelInfo().then((info) => {
  const footer = $("model-info");
  if (!info) {
    footer.textContent = "Model: not available yet";
    return;
  }
  footer.textContent = `Model: ${info.name} ${info.version}`;
  if (info.classes.length > 0) view.setClasses(info.classes);
  if (lastAnswer) {
    view.showAnswer(lastAnswer, lastAnswerMode, 0, { announce: false });
    view.selectGlyph(lastAnswer, selectedGlyph);
  }
});

updateControls();

// MARK: actions

function undo() {
  if (upload) upload = null;
  if (!pad.undo()) return;
  updateControls();
  if (pad.isEmpty) showEmpty();
  else schedule();
}

function clear() {
  upload = null;
  pad.clear();
  updateControls();
  showEmpty();
}

async function openFile(file) {
  const type = file.type || guessType(file.name);
  if (!ACCEPTED_TYPES.has(type)) {
    view.showProblem(new Problem("unsupported", "Only PNG and JPEG images can be read. Please choose one of those."));
    return;
  }
  let bitmap;
  try {
    bitmap = await createImageBitmap(file);
  } catch {
    view.showProblem(new Problem("bad-input", "That file could not be opened as an image. Is it a valid PNG or JPEG?"));
    return;
  }
  upload = { file, type };
  pad.showImage(bitmap);
  updateControls();
  recognizeNow();
}

/** Copies the page reading (lines of numbers, one per line) to the clipboard. */
async function copyReading() {
  if (!lastAnswer || lastAnswerMode !== "page") return;
  let copied = false;
  try {
    await navigator.clipboard.writeText(lastAnswer.text);
    copied = true;
  } catch {
    // No clipboard permission (or an insecure origin): the lines stay selectable by hand.
  }
  view.showCopied(copied);
}

function selectGlyph(index) {
  if (!lastAnswer) return;
  selectedGlyph = index;
  view.selectGlyph(lastAnswer, selectedGlyph);
  showBoxes();
}

// MARK: recognition

function schedule() {
  clearTimeout(debounceTimer);
  debounceTimer = setTimeout(recognizeNow, DEBOUNCE_MS);
}

function recognizeNow() {
  clearTimeout(debounceTimer);
  clearTimeout(retryTimer);
  retries = 0;
  send();
}

function send() {
  const request = currentRequest();
  if (!request) {
    showEmpty();
    return;
  }
  const requestMode = mode;
  view.showBusy();
  recognizer.recognize(request).then(
    (answer) => {
      retries = 0;
      lastAnswer = answer;
      lastAnswerMode = requestMode;
      selectedGlyph = 0;
      view.showAnswer(answer, requestMode, selectedGlyph, { source: request.source });
      showBoxes();
    },
    (error) => {
      if (error instanceof Superseded) return;
      const problem = error instanceof Problem
        ? error
        : new Problem("internal", "Something went wrong in this page. Try reloading it.");
      view.showProblem(problem);
      if (problem.retryAfter !== null && retries < MAX_RETRIES) {
        retries++;
        retryTimer = setTimeout(send, Math.min(problem.retryAfter, MAX_RETRY_WAIT_S) * 1000);
      }
    },
  );
}

/** What to post for what is on the pad: the uploaded file as-is, or the strokes as JSON. */
function currentRequest() {
  if (upload && pad.hasImage) return { body: upload.file, contentType: upload.type, mode, source: "image" };
  const strokes = pad.strokes;
  if (strokes.length === 0) return null;
  return {
    body: JSON.stringify({ strokes, width: UNITS, height: UNITS }),
    contentType: "application/json",
    mode,
    source: `${strokes.length} strokes`,
  };
}

function showEmpty() {
  recognizer.cancel();
  clearTimeout(debounceTimer);
  clearTimeout(retryTimer);
  lastAnswer = null;
  pad.setBoxes([]);
  view.showIdle();
}

function showBoxes() {
  if (mode === "single" || !lastAnswer || lastAnswerMode !== mode) {
    pad.setBoxes([]);
    return;
  }
  const glyphBox = (glyph, index) => ({
    kind: "glyph", box: glyph.box, tag: symbolFor(glyph.label), selected: index === selectedGlyph,
  });
  if (mode === "multi") {
    pad.setBoxes(lastAnswer.glyphs.map(glyphBox));
    return;
  }
  // A page: each line, each number with its text, and the glyph whose details are shown.
  const lines = Array.isArray(lastAnswer.lines) ? lastAnswer.lines : [];
  const boxes = [];
  for (const line of lines) {
    boxes.push({ kind: "line", box: line.box, tag: "", selected: false });
    for (const word of line.words ?? []) boxes.push({ kind: "number", box: word.box, tag: word.text, selected: false });
  }
  const selected = lastAnswer.glyphs[selectedGlyph];
  if (selected) boxes.push({ ...glyphBox(selected, selectedGlyph), tag: "" });
  pad.setBoxes(boxes);
}

/** aria-disabled rather than disabled: a disabled button would drop keyboard focus right after Clear. */
function updateControls() {
  frame.classList.toggle("has-ink", !pad.isEmpty);
  for (const button of [undoButton, clearButton]) button.setAttribute("aria-disabled", String(pad.isEmpty));
}

function guessType(name) {
  const lower = name.toLowerCase();
  if (lower.endsWith(".png")) return "image/png";
  if (lower.endsWith(".jpg") || lower.endsWith(".jpeg")) return "image/jpeg";
  return "";
}
