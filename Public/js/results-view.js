// The result panel: the big verdict, the number reading, a page's lines with a copy button,
// one confidence bar per class, the 28x28 image the network saw, messages, the spoken
// announcement, and the compact reading line beside the canvas.
// Owns those elements; never talks to the server and never draws on the canvas.

import { DEFAULT_CLASSES, barName, formatPercent, spokenName, symbolFor } from "./labels.js";

const $ = (id) => document.getElementById(id);

/** Below this the verdict is worded as a guess: the network is choosing between several classes. */
const UNSURE = 0.6;

export class ResultsView {
  #panel = $("result");
  #label = $("verdict-label");
  #caption = $("verdict-caption");
  #seen = $("seen-image");
  #seenEmpty = $("seen-empty");
  #howImage = $("how-image");
  #howEmpty = $("how-empty");
  #howCaption = $("how-caption");
  #reading = $("reading");
  #readingLabel = $("reading-label");
  #pageReading = $("page-reading");
  #pageLines = $("page-lines");
  #copyText = $("copy-reading-text");
  #live = $("live-reading");
  #liveText = $("live-reading-text");
  #glyphList = $("glyph-list");
  #message = $("message");
  #bars = $("bars");
  #timing = $("timing");
  #announcer = $("announcer");
  #rows = new Map(); // label → { row, fill, value }
  #answers = 0;
  #copyTimer = 0;
  #onSelectGlyph;

  constructor({ onSelectGlyph = () => {} } = {}) {
    this.#onSelectGlyph = onSelectGlyph;
    this.setClasses(DEFAULT_CLASSES);
    this.showIdle();
  }

  /** Builds one bar per class, in the model's order, so a bar never moves between answers. */
  setClasses(classes) {
    this.#bars.replaceChildren();
    this.#rows.clear();
    for (const label of classes) {
      const row = document.createElement("li");
      row.className = "bar";
      row.dataset.label = label;
      const name = document.createElement("span");
      name.className = "bar-name";
      name.textContent = barName(label);
      const track = document.createElement("span");
      track.className = "bar-track";
      track.setAttribute("aria-hidden", "true");
      const fill = document.createElement("span");
      fill.className = "bar-fill";
      track.append(fill);
      const value = document.createElement("span");
      value.className = "bar-value";
      row.append(name, track, value);
      this.#bars.append(row);
      this.#rows.set(label, { row, fill, value });
    }
    this.#fillBars([]);
  }

  showIdle() {
    this.#setState("idle");
    this.#setVerdict("?", false);
    this.#caption.textContent = "Waiting for a drawing";
    this.#reading.hidden = true;
    this.#glyphList.replaceChildren();
    this.#pageReading.hidden = true;
    this.#pageLines.replaceChildren();
    this.#hideMessage();
    this.#fillBars([]);
    this.#setPreview(null);
    this.#timing.textContent = "";
    this.#setLive("–");
  }

  showBusy() {
    this.#setState("busy");
  }

  /** After the copy button: says whether the lines are on the clipboard, then goes back to "Copy". */
  showCopied(copied) {
    this.#copyText.textContent = copied ? "Copied" : "Select the lines to copy them";
    clearTimeout(this.#copyTimer);
    this.#copyTimer = setTimeout(() => { this.#copyText.textContent = "Copy"; }, 2000);
  }

  /**
   * Shows an answer. In number mode `selected` picks the glyph whose bars and preview are shown.
   * @param {object} answer the API's 200 body
   * @param {"single" | "multi" | "page"} mode
   * @param {number} selected index into answer.glyphs
   * @param {{ announce?: boolean, source?: string | null }} options
   */
  showAnswer(answer, mode, selected, { announce = true, source = null } = {}) {
    this.#hideMessage();
    const glyphs = answer.glyphs;
    const glyph = glyphs[Math.min(Math.max(selected, 0), glyphs.length - 1)] ?? null;

    const lines = mode === "page" && Array.isArray(answer.lines) ? answer.lines : null;
    if (lines) {
      const numbers = lines.reduce((n, line) => n + (line.words?.length ?? 0), 0);
      this.#setVerdict(compact(answer.text), true);
      this.#caption.textContent = `${count(numbers, "number")} on ${count(lines.length, "line")}`;
      this.#pageLines.replaceChildren(...lines.map((line) => {
        const item = document.createElement("li");
        item.textContent = line.text;
        return item;
      }));
      this.#pageReading.hidden = false;
      this.#readingLabel.textContent = "Glyphs, line by line";
      this.#renderGlyphList(glyphs, selected);
      this.#reading.hidden = false;
      this.#setLive(compact(answer.text));
    } else if (mode === "multi") {
      this.#setVerdict(answer.text, answer.text.length > 3);
      this.#caption.textContent = glyphs.length === 1
        ? "One glyph found"
        : `${glyphs.length} glyphs, read left to right`;
      this.#readingLabel.textContent = "The number reads";
      this.#renderGlyphList(glyphs, selected);
      this.#reading.hidden = false;
      this.#pageReading.hidden = true;
      this.#setLive(answer.text);
    } else {
      this.#setVerdict(answer.label === "scribble" ? "scribble" : symbolFor(answer.label), answer.label === "scribble");
      this.#caption.textContent = isRejected(answer)
        ? `Not a digit, star or smiley (${rejectionNote(answer)})`
        : answer.label === "scribble"
        ? `Not a digit, star or smiley: looks like a scribble (${formatPercent(answer.confidence)} sure)`
        : answer.confidence < UNSURE
          ? `Perhaps ${spokenName(answer.label)}, but only ${formatPercent(answer.confidence)} sure`
          : `Looks like ${spokenName(answer.label)}, ${formatPercent(answer.confidence)} sure`;
      this.#reading.hidden = true;
      this.#glyphList.replaceChildren();
      this.#pageReading.hidden = true;
      this.#setLive(`${answer.label === "scribble" ? "scribble" : symbolFor(answer.label)} · ${formatPercent(answer.confidence)}`);
    }

    this.#fillBars(glyph?.top ?? answer.top);
    this.#setPreview(glyph?.preview ?? null);
    this.#timing.textContent = describeTimings(answer);
    this.#answers++;
    this.#panel.dataset.answers = String(this.#answers);
    this.#panel.dataset.label = answer.label;
    this.#panel.dataset.decision = isRejected(answer) ? "rejected" : "classified";
    this.#panel.dataset.text = answer.text;
    this.#panel.dataset.mode = mode;
    // What the answer describes ("2 strokes", "image"): lets a reader (or a test) tell a stale answer from the latest.
    if (source !== null) this.#panel.dataset.source = source;
    this.#setState("done");
    if (announce) this.#announce(spokenAnswer(answer, mode));
  }

  /** In number mode, shows another glyph's bars and preview; the chips stay, so keyboard focus stays on them. */
  selectGlyph(answer, index) {
    const glyph = answer.glyphs[index];
    if (!glyph) return;
    for (const [i, chip] of [...this.#glyphList.querySelectorAll(".glyph-chip")].entries()) {
      chip.setAttribute("aria-pressed", i === index ? "true" : "false");
    }
    this.#fillBars(glyph.top);
    this.#setPreview(glyph.preview ?? null);
  }

  /** Shows a worded problem; the previous answer stays visible but dimmed, since it no longer applies. */
  showProblem(problem) {
    this.#message.textContent = problem.message;
    this.#message.hidden = false;
    this.#message.dataset.kind = problem.kind;
    this.#setState("error");
    this.#live.title = problem.message;
  }

  #hideMessage() {
    this.#message.hidden = true;
    this.#message.textContent = "";
    delete this.#message.dataset.kind;
  }

  /** The compact line by the canvas: the latest reading, dimmed while a newer one is on its way. */
  #setLive(text) {
    this.#liveText.textContent = text;
    this.#live.title = text;
  }

  #setState(state) {
    this.#panel.dataset.state = state;
    this.#live.dataset.state = state;
    this.#panel.setAttribute("aria-busy", state === "busy" ? "true" : "false");
  }

  #setVerdict(text, small) {
    this.#label.textContent = text;
    this.#label.classList.toggle("is-small", small);
  }

  #fillBars(ranked) {
    const confidences = new Map(ranked.map((r) => [r.label, r.confidence]));
    const best = ranked.length > 0 ? ranked.reduce((a, b) => (b.confidence > a.confidence ? b : a)).label : null;
    for (const [label, { row, fill, value }] of this.#rows) {
      const c = confidences.get(label) ?? 0;
      // A custom property set through the CSSOM, not a style attribute: the page's CSP forbids inline styles.
      fill.style.setProperty("--value", String(Math.max(0, Math.min(1, c))));
      value.textContent = ranked.length > 0 ? formatPercent(c) : "–";
      row.classList.toggle("is-top", label === best);
    }
  }

  #setPreview(dataURL) {
    const show = typeof dataURL === "string" && dataURL.startsWith("data:image/");
    for (const [img, empty] of [[this.#seen, this.#seenEmpty], [this.#howImage, this.#howEmpty]]) {
      if (show) img.src = dataURL;
      else img.removeAttribute("src");
      img.hidden = !show;
      empty.hidden = show;
    }
    this.#seen.alt = show ? "The 28 by 28 pixel image the network read" : "";
    this.#howCaption.textContent = show
      ? "This is the exact 28×28 image the network read for your drawing, enlarged without smoothing."
      : "Draw something to see the exact 28×28 image the network reads.";
  }

  #renderGlyphList(glyphs, selected) {
    const items = glyphs.map((glyph, index) => {
      const item = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.className = "glyph-chip";
      button.setAttribute("aria-pressed", index === selected ? "true" : "false");
      button.dataset.decision = isRejected(glyph) ? "rejected" : "classified";
      button.setAttribute("aria-label", isRejected(glyph)
        ? `Glyph ${index + 1}: not a digit, star or smiley (${rejectionNote(glyph)}). Show its details.`
        : `Glyph ${index + 1}: ${spokenName(glyph.label)}, ${formatPercent(glyph.confidence)} sure. Show its details.`);
      if (typeof glyph.preview === "string" && glyph.preview.startsWith("data:image/")) {
        const img = document.createElement("img");
        img.className = "pixelated";
        img.src = glyph.preview;
        img.alt = "";
        img.width = 28;
        img.height = 28;
        button.append(img);
      }
      const symbol = document.createElement("span");
      symbol.className = "glyph-symbol";
      symbol.textContent = symbolFor(glyph.label);
      const percent = document.createElement("span");
      percent.className = "glyph-percent";
      percent.textContent = formatPercent(glyph.confidence);
      button.append(symbol, percent);
      button.addEventListener("click", () => this.#onSelectGlyph(index));
      item.append(button);
      return item;
    });
    this.#glyphList.replaceChildren(...items);
  }

  #announce(text) {
    // Clearing first makes screen readers repeat an identical sentence (the same digit twice in a row).
    this.#announcer.textContent = "";
    requestAnimationFrame(() => {
      this.#announcer.textContent = text;
    });
  }
}

/** A page's text on one line: its lines separated by a slash. */
function compact(text) {
  return text.split("\n").join(" / ");
}

function count(n, noun) {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}

function spokenAnswer(answer, mode) {
  if (mode === "page" && Array.isArray(answer.lines)) {
    return `Read ${count(answer.lines.length, "line")}: ${answer.lines.map((line) => line.text).join("; ")}.`;
  }
  if (mode === "multi") {
    const words = answer.glyphs.map((g) => (g.label === "scribble" ? "a scribble" : g.label === "star" ? "star"
      : g.label === "smiley" ? "smiley" : g.label));
    return `Read ${answer.glyphs.length === 1 ? "one glyph" : `${answer.glyphs.length} glyphs`}: ${words.join(", ")}.`;
  }
  if (isRejected(answer)) return `Not a digit, star or smiley (${rejectionNote(answer)}).`;
  return `Recognised ${spokenName(answer.label)}, ${formatPercent(answer.confidence).replace(" %", " percent")} sure.`;
}

/** The model's calibrated reject read it as scribble (see the API's `decision`); older servers never say so. */
function isRejected(answer) {
  return answer.decision === "rejected";
}

/** Why a rejected glyph reads as scribble: `top` is still the network's ranking, so its first entry is what it resembled. */
function rejectionNote(glyph) {
  const resembled = glyph.top?.[0]?.label;
  return typeof resembled === "string" && resembled !== "scribble"
    ? `rejected: it looked most like ${spokenName(resembled)}, but not enough`
    : "rejected: not sure enough what it was";
}

function describeTimings(answer) {
  const total = answer.timings_ms?.total;
  const model = answer.model ? `${answer.model.name} ${answer.model.version}` : "";
  const parts = [];
  if (typeof total === "number") parts.push(`Answered in ${total < 10 ? total.toFixed(2) : Math.round(total)} ms on the server`);
  if (model) parts.push(model);
  return parts.join(" · ");
}
