// The drawing pad: a square canvas that records strokes from Pointer Events and paints them,
// an uploaded image, and the glyph boxes of the last answer.
// Owns the strokes and what is on the canvas; never talks to the server and never touches the result panel.

/** Strokes are kept in a fixed square of this many units, whatever the canvas's size on screen,
 *  so a window resize never changes the drawing the server is sent. */
export const UNITS = 280;

/** Ink width in units: about the weight of a felt pen at the canvas's usual size. */
const INK_WIDTH = 9;

/** Points closer than this (in units) to the previous one add nothing the server could see. */
const MIN_STEP = 0.6;

export class DrawingPad {
  #canvas;
  #ctx;
  #strokes = [];
  #active = null; // { pointerId, points } while a pointer is down
  #image = null; // { bitmap, width, height } when an uploaded file is shown instead of strokes
  #boxes = []; // [{ kind, box, tag, selected }] in the coordinates of what was sent
  #colors = { ink: "#111", box: "#2563eb", boxText: "#fff", lineBox: "#b45309" };
  #frameRequested = false;
  #onStrokeStart;
  #onStrokeEnd;

  constructor(canvas, { onStrokeStart = () => {}, onStrokeEnd = () => {} } = {}) {
    this.#canvas = canvas;
    this.#ctx = canvas.getContext("2d");
    this.#onStrokeStart = onStrokeStart;
    this.#onStrokeEnd = onStrokeEnd;

    canvas.addEventListener("pointerdown", (e) => this.#pointerDown(e));
    canvas.addEventListener("pointermove", (e) => this.#pointerMove(e));
    canvas.addEventListener("pointerup", (e) => this.#pointerUp(e));
    canvas.addEventListener("pointercancel", (e) => this.#pointerUp(e));
    // A long press on touch screens would otherwise open the image context menu mid-stroke.
    canvas.addEventListener("contextmenu", (e) => e.preventDefault());

    new ResizeObserver(() => this.#resize()).observe(canvas);
    this.#resize();
  }

  /** Copies of the finished strokes, as [[x, y], ...] lists in units. */
  get strokes() {
    return this.#strokes.map((s) => s.map(([x, y]) => [x, y]));
  }

  get hasImage() {
    return this.#image !== null;
  }

  get isEmpty() {
    return this.#strokes.length === 0 && this.#image === null;
  }

  /** Re-reads the ink and box colours from CSS (after a colour-scheme change) and repaints. */
  refreshColors() {
    const style = getComputedStyle(this.#canvas);
    const read = (name, fallback) => style.getPropertyValue(name).trim() || fallback;
    this.#colors = {
      ink: read("--ink", "#111"),
      box: read("--box", "#2563eb"),
      boxText: read("--box-text", "#fff"),
      lineBox: read("--line-box", "#b45309"),
    };
    this.#requestPaint();
  }

  /** Removes the last stroke, or the uploaded image. Returns whether anything changed. */
  undo() {
    if (this.#image) {
      this.#image = null;
    } else if (this.#strokes.length > 0) {
      this.#strokes.pop();
    } else {
      return false;
    }
    this.#boxes = [];
    this.#requestPaint();
    return true;
  }

  clear() {
    this.#strokes = [];
    this.#active = null;
    this.#image = null;
    this.#boxes = [];
    this.#requestPaint();
  }

  /** Shows a decoded image instead of the strokes (the drawing is replaced, as a new sheet would). */
  showImage(bitmap) {
    this.#strokes = [];
    this.#active = null;
    this.#image = { bitmap, width: bitmap.width, height: bitmap.height };
    this.#boxes = [];
    this.#requestPaint();
  }

  /** Boxes to outline, in the coordinates of what was sent (units for strokes, pixels for images):
   *  `kind` "glyph" (a tag above, solid when selected, dashed otherwise), "number" (solid, its text as
   *  the tag) or "line" (dashed in the line colour, a little outside its numbers, no tag). */
  setBoxes(boxes) {
    this.#boxes = boxes;
    this.#requestPaint();
  }

  // MARK: pointer input

  #pointerDown(e) {
    // One stroke at a time: a second finger or a right click must not start a parallel line.
    if (this.#active || (e.pointerType === "mouse" && e.button !== 0)) return;
    e.preventDefault();
    // Capture keeps the stroke alive when the pointer leaves the canvas mid-line.
    try {
      this.#canvas.setPointerCapture(e.pointerId);
    } catch {
      // An already released pointer cannot be captured; the stroke still works inside the canvas.
    }
    if (this.#image) this.#image = null; // drawing on an upload starts a fresh sheet
    this.#boxes = [];
    this.#active = { pointerId: e.pointerId, points: [this.#toUnits(e)] };
    this.#onStrokeStart();
    this.#requestPaint();
  }

  #pointerMove(e) {
    if (!this.#active || e.pointerId !== this.#active.pointerId) return;
    e.preventDefault();
    // Coalesced events carry the pen's full sampling rate, not just one point per frame.
    const events = typeof e.getCoalescedEvents === "function" ? e.getCoalescedEvents() : [];
    for (const ev of events.length > 0 ? events : [e]) this.#addPoint(this.#toUnits(ev));
    this.#requestPaint();
  }

  #pointerUp(e) {
    if (!this.#active || e.pointerId !== this.#active.pointerId) return;
    if (e.type === "pointerup") this.#addPoint(this.#toUnits(e));
    this.#strokes.push(this.#active.points);
    this.#active = null;
    this.#requestPaint();
    this.#onStrokeEnd();
  }

  #addPoint(point) {
    const points = this.#active.points;
    const [lx, ly] = points[points.length - 1];
    if (Math.hypot(point[0] - lx, point[1] - ly) >= MIN_STEP) points.push(point);
  }

  #toUnits(e) {
    const rect = this.#canvas.getBoundingClientRect();
    const scale = UNITS / Math.max(1, rect.width);
    const clamp = (v) => Math.min(UNITS, Math.max(0, v));
    // Two decimals keep the JSON small while staying far below a screen pixel.
    const round = (v) => Math.round(v * 100) / 100;
    return [round(clamp((e.clientX - rect.left) * scale)), round(clamp((e.clientY - rect.top) * scale))];
  }

  // MARK: painting

  #resize() {
    const rect = this.#canvas.getBoundingClientRect();
    const dpr = window.devicePixelRatio || 1;
    const width = Math.max(1, Math.round(rect.width * dpr));
    const height = Math.max(1, Math.round(rect.height * dpr));
    if (this.#canvas.width !== width || this.#canvas.height !== height) {
      this.#canvas.width = width;
      this.#canvas.height = height;
    }
    this.#paint();
  }

  #requestPaint() {
    if (this.#frameRequested) return;
    this.#frameRequested = true;
    requestAnimationFrame(() => {
      this.#frameRequested = false;
      this.#paint();
    });
  }

  #paint() {
    const ctx = this.#ctx;
    const { width, height } = this.#canvas;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, width, height);
    const pixelsPerUnit = width / UNITS;

    if (this.#image) {
      const fit = this.#imageFit();
      ctx.imageSmoothingQuality = "high";
      ctx.drawImage(this.#image.bitmap, fit.x * pixelsPerUnit, fit.y * pixelsPerUnit,
        fit.width * pixelsPerUnit, fit.height * pixelsPerUnit);
    }

    ctx.setTransform(pixelsPerUnit, 0, 0, pixelsPerUnit, 0, 0);
    ctx.strokeStyle = this.#colors.ink;
    ctx.fillStyle = this.#colors.ink;
    ctx.lineWidth = INK_WIDTH;
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    for (const stroke of this.#strokes) this.#paintStroke(stroke);
    if (this.#active) this.#paintStroke(this.#active.points);

    this.#paintBoxes(pixelsPerUnit);
  }

  /** A smooth line: quadratic curves whose ends are the midpoints between samples. */
  #paintStroke(points) {
    const ctx = this.#ctx;
    if (points.length === 1) {
      ctx.beginPath();
      ctx.arc(points[0][0], points[0][1], INK_WIDTH / 2, 0, Math.PI * 2);
      ctx.fill();
      return;
    }
    ctx.beginPath();
    ctx.moveTo(points[0][0], points[0][1]);
    for (let i = 1; i < points.length - 1; i++) {
      const [x, y] = points[i];
      const [nx, ny] = points[i + 1];
      ctx.quadraticCurveTo(x, y, (x + nx) / 2, (y + ny) / 2);
    }
    const last = points[points.length - 1];
    ctx.lineTo(last[0], last[1]);
    ctx.stroke();
  }

  /** Where the uploaded image sits, in units: contained and centred in the square. */
  #imageFit() {
    const { width, height } = this.#image;
    const scale = UNITS / Math.max(width, height);
    const w = width * scale;
    const h = height * scale;
    return { x: (UNITS - w) / 2, y: (UNITS - h) / 2, width: w, height: h, scale };
  }

  #paintBoxes(pixelsPerUnit) {
    if (this.#boxes.length === 0) return;
    const ctx = this.#ctx;
    const fit = this.#image ? this.#imageFit() : { x: 0, y: 0, scale: 1 };
    // Boxes and tags are drawn in device pixels so their lines stay crisp and their text readable.
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    const dpr = window.devicePixelRatio || 1;
    const pad = 4 * dpr;
    // Stroke boxes bound the points, not the ink around them: widen them by half the pen so they clear the ink.
    const inkMargin = this.#image ? 0 : (INK_WIDTH / 2) * pixelsPerUnit;
    const fontSize = Math.round(13 * dpr);
    ctx.font = `600 ${fontSize}px system-ui, sans-serif`;
    ctx.textBaseline = "middle";
    for (const { kind = "glyph", box, tag, selected } of this.#boxes) {
      const isLine = kind === "line";
      const margin = pad + inkMargin + (isLine ? 4 * dpr : 0);
      const x = (fit.x + box.x * fit.scale) * pixelsPerUnit - margin;
      const y = (fit.y + box.y * fit.scale) * pixelsPerUnit - margin;
      const w = box.width * fit.scale * pixelsPerUnit + 2 * margin;
      const h = box.height * fit.scale * pixelsPerUnit + 2 * margin;
      const color = isLine ? this.#colors.lineBox : this.#colors.box;
      ctx.strokeStyle = color;
      ctx.lineWidth = (selected || kind === "number" ? 2.5 : 1.5) * dpr;
      ctx.setLineDash(selected || kind === "number" ? [] : [6 * dpr, 4 * dpr]);
      ctx.strokeRect(x, y, w, h);
      ctx.setLineDash([]);
      if (!tag) continue;

      const tagWidth = ctx.measureText(tag).width + 2 * pad;
      const tagHeight = fontSize + 2 * pad;
      // The tag sits above the box, or inside its top edge when the box touches the canvas's top.
      const tagY = y - tagHeight >= 0 ? y - tagHeight : y;
      ctx.fillStyle = color;
      ctx.fillRect(x, tagY, tagWidth, tagHeight);
      ctx.fillStyle = this.#colors.boxText;
      ctx.fillText(tag, x + pad, tagY + tagHeight / 2);
    }
  }
}
