/* ppocr label: the page. Plain JS, no build step; talks to the API in ppocr/label/app.py.
 *
 * Every edit replaces the image's boxes on the server (PUT /api/label) through one queue, in order;
 * an edit counts as saved when the server answers (it is in the journal by then). Failed saves are
 * retried until they succeed, and closing the tab while one is pending asks first.
 */
(() => {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const SVG = "http://www.w3.org/2000/svg";
  const enc = encodeURIComponent;

  const S = {
    project: null, images: [], index: -1, name: null, status: "new",
    boxes: [], selected: -1, history: new Map(),
    view: { scale: 1, x: 0, y: 0 }, imgW: 0, imgH: 0, objectUrl: null,
    mode: "select", draft: null, drag: null, lowScore: 0.8, pending: 0, saveError: "",
  };
  let saveChain = Promise.resolve();

  // ---- talking to the server --------------------------------------------------------------------
  class HttpError extends Error {
    constructor(status, detail) { super(detail); this.status = status; }
  }

  async function api(method, url, body) {
    const opts = { method, headers: {} };
    if (body !== undefined) { opts.headers["Content-Type"] = "application/json"; opts.body = JSON.stringify(body); }
    const res = await fetch(url, opts);
    if (!res.ok) {
      let detail = res.statusText;
      try { detail = (await res.json()).detail || detail; } catch (_) { /* not JSON */ }
      throw new HttpError(res.status, detail);
    }
    return res.json();
  }

  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

  async function retrying(call) {
    for (let attempt = 0; ; attempt++) {
      try {
        const out = await call();
        S.saveError = "";
        return out;
      } catch (err) {
        if (err instanceof HttpError && err.status < 500) throw err;  // bad input: retrying will not help
        S.saveError = err.message || "server unreachable";
        showSaveState();
        await sleep(Math.min(10000, 500 * 2 ** attempt));
      }
    }
  }

  function queue(task) {
    S.pending++;
    showSaveState();
    const p = saveChain.then(task);
    saveChain = p.catch(() => {}).then(() => { S.pending--; showSaveState(); });
    return p;
  }

  const wire = (boxes) => boxes.map((b) => ({
    points: b.points.map((p) => [Math.round(p[0]), Math.round(p[1])]),
    transcription: b.transcription, difficult: !!b.difficult,
    score: b.score === undefined ? null : b.score, extra: b.extra || {},
  }));

  function save(confirmed = null) {  // resolves to the saved label, or null (refused: the toast says why)
    const name = S.name, body = { boxes: wire(S.boxes), confirmed };
    return queue(() => retrying(() => api("PUT", `/api/label?name=${enc(name)}`, body)))
      .then((label) => { updateListItem(label.name, label.status, label.boxes.length); return label; })
      .catch((err) => { toast(`not saved: ${err.message}`, true); return null; });
  }

  function showSaveState() {
    const el = $("save-state");
    if (S.saveError) { el.dataset.state = "error"; el.textContent = `unsaved, retrying: ${S.saveError}`; }
    else if (S.pending > 0) { el.dataset.state = "saving"; el.textContent = "saving\u2026"; }
    else { el.dataset.state = "saved"; el.textContent = "saved"; }
  }

  window.addEventListener("beforeunload", (e) => {
    if (S.pending > 0) { e.preventDefault(); e.returnValue = ""; }
  });

  let toastTimer = 0;
  function toast(text, error = false) {
    const el = $("toast");
    el.textContent = text;
    el.className = `show${error ? " error" : ""}`;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { el.className = ""; }, error ? 6000 : 3000);
  }

  // ---- the image list ---------------------------------------------------------------------------
  async function loadProject() {
    S.project = await api("GET", "/api/project");
    S.images = S.project.images;
    S.lowScore = S.project.low_score;
    $("folder").textContent = S.project.dirname;
    $("folder").title = S.project.folder;
    const list = $("image-list");
    list.textContent = "";
    S.images.forEach((img, i) => {
      const li = document.createElement("li");
      li.dataset.name = img.name;
      li.dataset.status = img.status;
      li.innerHTML = '<span class="dot"></span><span class="name"></span><span class="n"></span>';
      li.querySelector(".name").textContent = img.name;
      li.querySelector(".n").textContent = img.status === "new" ? "" : String(img.boxes);
      li.title = `${img.name} (${img.status})`;
      li.addEventListener("click", () => openImage(i));
      list.appendChild(li);
    });
    $("skipped-count").textContent = String(S.project.skipped.length);
    const skipped = $("skipped-list");
    skipped.textContent = "";
    for (const s of S.project.skipped) {
      const li = document.createElement("li");
      li.textContent = `${s.name}: ${s.reason}`;
      skipped.appendChild(li);
    }
    for (const id of ["btn-rerec", "btn-redetect", "btn-prelabel-all"]) $(id).disabled = !S.project.ocr;
    showCounts();
  }

  function showCounts() {
    const c = { new: 0, prelabelled: 0, confirmed: 0 };
    for (const img of S.images) c[img.status]++;
    $("counts").textContent = `${S.images.length} image${S.images.length === 1 ? "" : "s"}: ${c.confirmed} confirmed, ${c.prelabelled} pre-labelled, ${c.new} new`;
  }

  function updateListItem(name, status, count) {
    const img = S.images.find((x) => x.name === name);
    if (!img) return;
    img.status = status;
    img.boxes = count;
    const li = document.querySelector(`#image-list li[data-name="${CSS.escape(name)}"]`);
    if (li) {
      li.dataset.status = status;
      li.title = `${name} (${status})`;
      li.querySelector(".n").textContent = status === "new" ? "" : String(count);
    }
    if (name === S.name) { S.status = status; showTitle(); }
    showCounts();
  }

  // ---- opening an image -------------------------------------------------------------------------
  let openToken = 0;
  async function openImage(i) {
    if (i < 0 || i >= S.images.length) return;
    const token = ++openToken;
    const name = S.images[i].name;
    S.index = i; S.name = name; S.selected = -1; S.draft = null; setMode("select");
    document.querySelectorAll("#image-list li").forEach((li, k) => li.classList.toggle("current", k === i));
    document.querySelector("#image-list li.current")?.scrollIntoView({ block: "nearest" });
    $("message").textContent = "loading\u2026";
    await saveChain;  // read what was saved, not what is still on its way
    let label;
    try {
      const [res, lab] = await Promise.all([fetch(`/api/image?name=${enc(name)}`), api("GET", `/api/label?name=${enc(name)}`)]);
      if (!res.ok) {
        let detail = res.statusText;
        try { detail = (await res.json()).detail; } catch (_) { /* keep statusText */ }
        throw new Error(detail);
      }
      const blob = await res.blob();
      if (token !== openToken) return;
      label = lab;
      await showPhoto(blob);
    } catch (err) {
      if (token !== openToken) return;
      S.boxes = []; S.imgW = S.imgH = 0;
      $("photo").removeAttribute("src");
      $("message").textContent = `cannot show ${name}: ${err.message}`;
      render();
      return;
    }
    if (token !== openToken) return;
    $("message").textContent = "";
    S.boxes = label.boxes; S.status = label.status;
    fit(); render(); showTitle();
    if (label.status === "new" && S.project.ocr) await prelabel(false, token);
    $("viewport").focus();
  }

  function showPhoto(blob) {
    return new Promise((resolve, reject) => {
      const img = $("photo");
      if (S.objectUrl) URL.revokeObjectURL(S.objectUrl);
      S.objectUrl = URL.createObjectURL(blob);
      img.onload = () => { S.imgW = img.naturalWidth; S.imgH = img.naturalHeight; resolve(); };
      img.onerror = () => reject(new Error("the browser cannot decode the image"));
      img.src = S.objectUrl;
    });
  }

  async function prelabel(force, token = openToken) {
    const name = S.name;
    $("message").textContent = force ? "detecting\u2026" : "pre-labelling\u2026";
    try {
      const label = await queue(() => retrying(() => api("POST", `/api/prelabel?name=${enc(name)}&force=${force}`)));
      if (token !== openToken || name !== S.name) return;
      S.boxes = label.boxes; S.selected = -1;
      updateListItem(label.name, label.status, label.boxes.length);
      render();
    } catch (err) {
      if (token === openToken) toast(`pre-labelling failed: ${err.message}`, true);
      if (err.status === 409) {  // edited meanwhile: show what was saved
        const label = await api("GET", `/api/label?name=${enc(name)}`);
        if (token === openToken) { S.boxes = label.boxes; render(); }
      }
    } finally {
      if (token === openToken) $("message").textContent = "";
    }
  }

  function showTitle() {
    const t = $("image-title");
    t.textContent = S.name || "";
    const st = document.createElement("span");
    st.className = "status";
    st.textContent = S.name ? `${S.index + 1}/${S.images.length}, ${S.status}` : "";
    t.appendChild(st);
  }

  // ---- undo / redo ------------------------------------------------------------------------------
  const clone = (boxes) => JSON.parse(JSON.stringify(boxes));
  function hist() {
    if (!S.history.has(S.name)) S.history.set(S.name, { undo: [], redo: [] });
    return S.history.get(S.name);
  }
  function snapshot(before = S.boxes) {
    const h = hist();
    h.undo.push(clone(before));
    if (h.undo.length > 200) h.undo.shift();
    h.redo = [];
  }
  function undo() {
    const h = hist();
    if (!h.undo.length) return;
    h.redo.push(clone(S.boxes));
    S.boxes = h.undo.pop(); S.selected = Math.min(S.selected, S.boxes.length - 1);
    render(); save();
  }
  function redo() {
    const h = hist();
    if (!h.redo.length) return;
    h.undo.push(clone(S.boxes));
    S.boxes = h.redo.pop(); S.selected = Math.min(S.selected, S.boxes.length - 1);
    render(); save();
  }
  function edit(change) {  // every edit goes through here: undo point, change, draw, save
    if (!S.name || !S.imgW) return;
    snapshot();
    change();
    render(); save();
  }

  // ---- view: zoom and pan -----------------------------------------------------------------------
  function applyView() {
    const v = S.view;
    $("stage").style.transform = `translate(${v.x}px, ${v.y}px) scale(${v.scale})`;
    const r = 3.5 / v.scale;
    document.querySelectorAll("#overlay .handle").forEach((c) => c.setAttribute("r", c.classList.contains("selected") ? r * 1.8 : r));
    document.querySelectorAll("#overlay .box-index").forEach((t) => t.setAttribute("font-size", 12 / v.scale));
  }
  function fit() {
    if (!S.imgW) return;
    const vp = $("viewport").getBoundingClientRect();
    const scale = Math.min((vp.width - 20) / S.imgW, (vp.height - 20) / S.imgH, 4);
    S.view = { scale, x: (vp.width - S.imgW * scale) / 2, y: (vp.height - S.imgH * scale) / 2 };
    applyView();
  }
  function zoomAt(factor, cx, cy) {
    const v = S.view, scale = Math.max(0.02, Math.min(40, v.scale * factor));
    v.x = cx - (cx - v.x) * (scale / v.scale);
    v.y = cy - (cy - v.y) * (scale / v.scale);
    v.scale = scale;
    applyView();
  }
  function toImage(e) {
    const vp = $("viewport").getBoundingClientRect();
    return [(e.clientX - vp.left - S.view.x) / S.view.scale, (e.clientY - vp.top - S.view.y) / S.view.scale];
  }
  const clampPt = (p) => [Math.max(0, Math.min(S.imgW, p[0])), Math.max(0, Math.min(S.imgH, p[1]))];

  // ---- drawing the overlay and the box list -----------------------------------------------------
  const isIgnored = (b) => b.transcription === "###" || b.transcription === "*";
  const isLow = (b) => b.score !== null && b.score !== undefined && b.score < S.lowScore && !isIgnored(b);

  function render() {
    const svg = $("overlay");
    svg.setAttribute("width", S.imgW);
    svg.setAttribute("height", S.imgH);
    svg.setAttribute("viewBox", `0 0 ${S.imgW} ${S.imgH}`);
    svg.textContent = "";
    S.boxes.forEach((b, i) => {
      const poly = document.createElementNS(SVG, "polygon");
      poly.setAttribute("points", b.points.map((p) => p.join(",")).join(" "));
      poly.setAttribute("class", `box${isLow(b) ? " low" : ""}${isIgnored(b) ? " ignored" : ""}${i === S.selected ? " selected" : ""}`);
      poly.dataset.index = i;
      const title = document.createElementNS(SVG, "title");
      title.textContent = b.transcription + (b.score !== null && b.score !== undefined ? ` (${b.score.toFixed(3)})` : "");
      poly.appendChild(title);
      svg.appendChild(poly);
      const label = document.createElementNS(SVG, "text");
      label.setAttribute("class", "box-index");
      label.setAttribute("x", b.points[0][0]);
      label.setAttribute("y", b.points[0][1] - 3 / S.view.scale);
      label.textContent = String(i + 1);
      svg.appendChild(label);
    });
    S.boxes.forEach((b, i) => b.points.forEach((p, k) => {
      const c = document.createElementNS(SVG, "circle");
      c.setAttribute("cx", p[0]); c.setAttribute("cy", p[1]);
      c.setAttribute("class", `handle${i === S.selected ? " selected" : ""}`);
      c.dataset.box = i; c.dataset.vertex = k;
      svg.appendChild(c);
    }));
    renderDraft();
    applyView();
    renderList();
  }

  function renderDraft() {  // the box being drawn only: cheap enough for every pointer move
    const svg = $("overlay");
    svg.querySelector(".draft")?.remove();
    if (!S.draft) return;
    const d = document.createElementNS(SVG, S.draft.kind === "poly" ? "polyline" : "polygon");
    d.setAttribute("class", "draft");
    d.setAttribute("points", draftPoints().map((p) => p.join(",")).join(" "));
    svg.appendChild(d);
  }

  function renderList() {
    const list = $("box-list");
    const focused = document.activeElement;
    const keepFocus = focused && focused.classList.contains("text") ? focused.closest("li")?.dataset.index : null;
    list.textContent = "";
    S.boxes.forEach((b, i) => {
      const li = document.createElement("li");
      li.dataset.index = i;
      li.className = `${i === S.selected ? "selected" : ""}${isLow(b) ? " low" : ""}${isIgnored(b) ? " ignored" : ""}`;
      li.innerHTML = '<span class="idx"></span><input class="text" type="text" spellcheck="false">' +
        '<span class="score"></span><input class="difficult" type="checkbox" title="difficult (###)">';
      li.querySelector(".idx").textContent = String(i + 1);
      const input = li.querySelector("input.text");
      input.value = b.transcription;
      input.addEventListener("focus", () => select(i, false));
      input.addEventListener("change", () => setText(i, input.value));
      input.addEventListener("keydown", (e) => {
        if (e.key === "Enter" || e.key === "Escape") {
          if (e.key === "Escape") input.value = S.boxes[i].transcription;
          e.preventDefault(); input.blur(); $("viewport").focus();
        }
        e.stopPropagation();
      });
      li.querySelector(".score").textContent = b.score === null || b.score === undefined ? "" : b.score.toFixed(2);
      const diff = li.querySelector("input.difficult");
      diff.checked = !!b.difficult || isIgnored(b);
      diff.addEventListener("change", () => toggleDifficult(i));
      li.addEventListener("click", (e) => { if (e.target === li || e.target.classList.contains("idx")) select(i); });
      list.appendChild(li);
    });
    if (keepFocus !== null && keepFocus !== undefined) list.querySelector(`li[data-index="${keepFocus}"] input.text`)?.focus();
  }

  function select(i, scroll = true) {
    if (i === S.selected) return;
    S.selected = i;
    document.querySelectorAll("#overlay .box").forEach((p) => p.classList.toggle("selected", +p.dataset.index === i));
    document.querySelectorAll("#overlay .handle").forEach((c) => c.classList.toggle("selected", +c.dataset.box === i));
    document.querySelectorAll("#box-list li").forEach((li) => li.classList.toggle("selected", +li.dataset.index === i));
    applyView();
    if (scroll && i >= 0) document.querySelector(`#box-list li[data-index="${i}"]`)?.scrollIntoView({ block: "nearest" });
  }

  // ---- edits ------------------------------------------------------------------------------------
  function setText(i, text) {
    text = text.replace(/[\r\n]+/g, " ");
    const b = S.boxes[i];
    if (!b || b.transcription === text) return;
    edit(() => { b.transcription = text; b.score = null; b.difficult = isIgnored(b); });
  }

  function toggleDifficult(i) {  // ### is what PaddleOCR's training ignores; the text comes back on a second X
    const b = S.boxes[i];
    if (!b) return;
    edit(() => {
      if (b.difficult || isIgnored(b)) {
        b.difficult = false;
        b.transcription = b._textBefore !== undefined ? b._textBefore : (isIgnored(b) ? "" : b.transcription);
        delete b._textBefore;
      } else {
        b._textBefore = b.transcription;  // page-only (wire() sends the known keys)
        b.transcription = "###"; b.difficult = true;
      }
    });
  }

  function deleteSelected() {
    if (S.selected < 0) return;
    const i = S.selected;
    edit(() => { S.boxes.splice(i, 1); S.selected = -1; });
  }

  function addBox(points) {
    edit(() => {
      S.boxes.push({ points: points.map(clampPt).map((p) => [Math.round(p[0]), Math.round(p[1])]), transcription: "", difficult: false, score: null, extra: {} });
      S.selected = S.boxes.length - 1;
    });
    if (S.project.ocr) recognize(S.selected, false);
  }

  async function recognize(i, undoable = true) {
    const b = S.boxes[i], name = S.name;
    if (!b || !S.project.ocr) return;
    try {
      const r = await api("POST", `/api/recognize?name=${enc(name)}`, { points: wire([b])[0].points });
      if (name !== S.name || S.boxes[i] !== b) return;
      const apply = () => { b.transcription = r.transcription; b.score = r.score; b.difficult = false; };
      if (undoable) edit(apply); else { apply(); render(); save(); }
    } catch (err) { toast(`re-recognition failed: ${err.message}`, true); }
  }

  function redetect() {
    if (!S.name || !S.project.ocr) return;
    if (S.boxes.length && !window.confirm("Replace every box of this image with a new detection? (Undo brings them back.)")) return;
    snapshot();
    prelabel(true);
  }

  function nudge(dx, dy) {
    const b = S.boxes[S.selected];
    if (!b) return;
    edit(() => { b.points = b.points.map((p) => clampPt([p[0] + dx, p[1] + dy])); });
  }

  async function confirmImage() {
    if (!S.name || !S.imgW) return;
    if (!(await save(true))) return;  // refused: the toast says why
    toast(`${S.name} confirmed`);
    if (S.index + 1 < S.images.length) openImage(S.index + 1);
  }

  // ---- pointer: select, move, drag vertices, draw, pan ------------------------------------------
  function draftPoints() {
    const d = S.draft;
    if (d.kind === "rect") {
      const [a, b] = [d.start, d.end || d.start];
      return [[a[0], a[1]], [b[0], a[1]], [b[0], b[1]], [a[0], b[1]]];
    }
    return d.cursor ? d.points.concat([d.cursor]) : d.points;
  }

  function setMode(mode) {
    if (S.mode === mode && mode !== "select") mode = "select";
    S.mode = mode; S.draft = null;
    $("btn-rect").classList.toggle("active", mode === "rect");
    $("btn-poly").classList.toggle("active", mode === "poly");
    $("viewport").classList.toggle("drawing", mode !== "select");
  }

  function finishPolygon() {
    const d = S.draft;
    if (!d || d.kind !== "poly") return;
    S.draft = null;
    setMode("select");
    if (d.points.length >= 3) addBox(d.points); else render();
  }

  const vp = $("viewport");
  vp.addEventListener("wheel", (e) => {
    e.preventDefault();
    const r = vp.getBoundingClientRect();
    zoomAt(Math.exp(-e.deltaY * 0.0015), e.clientX - r.left, e.clientY - r.top);
  }, { passive: false });

  vp.addEventListener("pointerdown", (e) => {
    if (!S.imgW) return;
    vp.focus();
    const pt = toImage(e), t = e.target;
    if (e.button === 1 || (e.button === 0 && S.mode === "select" && !t.classList.contains("box") && !t.classList.contains("handle"))) {
      if (e.button === 0) select(-1);
      S.drag = { kind: "pan", x: e.clientX, y: e.clientY, vx: S.view.x, vy: S.view.y };
    } else if (e.button !== 0) {
      return;
    } else if (S.mode === "rect") {
      S.draft = { kind: "rect", start: clampPt(pt), end: null };
      S.drag = { kind: "draw" };
    } else if (S.mode === "poly") {
      if (!S.draft) S.draft = { kind: "poly", points: [] };
      S.draft.points.push(clampPt(pt));
      renderDraft();
      return;
    } else if (t.classList.contains("handle")) {
      const i = +t.dataset.box;
      select(i);
      S.drag = { kind: "vertex", box: i, vertex: +t.dataset.vertex, before: clone(S.boxes), moved: false };
    } else {
      const i = +t.dataset.index;
      select(i);
      S.drag = { kind: "move", box: i, start: pt, orig: clone(S.boxes[i].points), before: clone(S.boxes), moved: false };
    }
    vp.setPointerCapture(e.pointerId);
    e.preventDefault();
  });

  vp.addEventListener("pointermove", (e) => {
    const d = S.drag;
    if (S.mode === "poly" && S.draft) { S.draft.cursor = clampPt(toImage(e)); renderDraft(); return; }
    if (!d) return;
    const pt = toImage(e);
    if (d.kind === "pan") {
      S.view.x = d.vx + e.clientX - d.x; S.view.y = d.vy + e.clientY - d.y; applyView();
    } else if (d.kind === "draw") {
      S.draft.end = clampPt(pt); renderDraft();
    } else if (d.kind === "vertex") {
      S.boxes[d.box].points[d.vertex] = clampPt(pt); d.moved = true; moveShape(d.box);
    } else if (d.kind === "move") {
      const dx = pt[0] - d.start[0], dy = pt[1] - d.start[1];
      S.boxes[d.box].points = d.orig.map((p) => clampPt([p[0] + dx, p[1] + dy])); d.moved = true; moveShape(d.box);
    }
  });

  function endDrag(e) {
    const d = S.drag;
    S.drag = null;
    if (!d) return;
    if (vp.hasPointerCapture?.(e.pointerId)) vp.releasePointerCapture(e.pointerId);
    if (d.kind === "draw") {
      const pts = draftPoints();
      S.draft = null;
      setMode("select");
      const w = Math.abs(pts[2][0] - pts[0][0]), h = Math.abs(pts[2][1] - pts[0][1]);
      if (w >= 2 && h >= 2) {
        const [x0, x1] = [Math.min(pts[0][0], pts[2][0]), Math.max(pts[0][0], pts[2][0])];
        const [y0, y1] = [Math.min(pts[0][1], pts[2][1]), Math.max(pts[0][1], pts[2][1])];
        addBox([[x0, y0], [x1, y0], [x1, y1], [x0, y1]]);
      } else render();
    } else if ((d.kind === "vertex" || d.kind === "move") && d.moved) {
      const b = S.boxes[d.box];
      b.points = b.points.map((p) => [Math.round(p[0]), Math.round(p[1])]);
      snapshot(d.before);
      render(); save();
    }
  }
  vp.addEventListener("pointerup", endDrag);
  vp.addEventListener("pointercancel", endDrag);
  vp.addEventListener("dblclick", (e) => { if (S.mode === "poly" || S.draft) { e.preventDefault(); finishPolygon(); } });

  function moveShape(i) {  // cheap redraw of one box while dragging
    const b = S.boxes[i];
    const poly = document.querySelector(`#overlay .box[data-index="${i}"]`);
    if (poly) poly.setAttribute("points", b.points.map((p) => p.join(",")).join(" "));
    document.querySelectorAll(`#overlay .handle[data-box="${i}"]`).forEach((c) => {
      const p = b.points[+c.dataset.vertex];
      c.setAttribute("cx", p[0]); c.setAttribute("cy", p[1]);
    });
  }

  // ---- keys and buttons -------------------------------------------------------------------------
  document.addEventListener("keydown", (e) => {
    if (e.target instanceof HTMLInputElement) return;
    const k = e.key, ctrl = e.ctrlKey || e.metaKey;
    if (ctrl && (k === "z" || k === "Z")) { e.shiftKey ? redo() : undo(); }
    else if (ctrl && (k === "y" || k === "Y")) redo();
    else if (ctrl) return;
    else if (k === "a" || k === "A" || k === "PageUp") openImage(S.index - 1);
    else if (k === "d" || k === "D" || k === "PageDown") openImage(S.index + 1);
    else if (k === "w" || k === "W") setMode("rect");
    else if (k === "p" || k === "P") setMode("poly");
    else if (k === "Escape") { if (S.mode !== "select") { setMode("select"); render(); } else select(-1); }
    else if (k === "Enter" && S.draft) finishPolygon();
    else if ((k === "Enter" || k === "e" || k === "E") && S.selected >= 0) {
      document.querySelector(`#box-list li[data-index="${S.selected}"] input.text`)?.focus();
    } else if (k === "Backspace" && S.draft && S.draft.kind === "poly") { S.draft.points.pop(); renderDraft(); }
    else if (k === "Delete" || k === "Backspace") deleteSelected();
    else if (k === "x" || k === "X") { if (S.selected >= 0) toggleDifficult(S.selected); }
    else if (k === "R") redetect();
    else if (k === "r") { if (S.selected >= 0) recognize(S.selected); }
    else if (k === "Tab") { if (S.boxes.length) select((S.selected + (e.shiftKey ? -1 : 1) + S.boxes.length) % S.boxes.length); }
    else if (k === " ") confirmImage();
    else if (k === "f" || k === "F") fit();
    else if (k === "+" || k === "=") zoomAt(1.25, vp.clientWidth / 2, vp.clientHeight / 2);
    else if (k === "-") zoomAt(0.8, vp.clientWidth / 2, vp.clientHeight / 2);
    else if (k.startsWith("Arrow") && S.selected >= 0) {
      const step = e.shiftKey ? 10 : 1;
      nudge(k === "ArrowLeft" ? -step : k === "ArrowRight" ? step : 0, k === "ArrowUp" ? -step : k === "ArrowDown" ? step : 0);
    } else return;
    e.preventDefault();
  });

  $("btn-prev").onclick = () => openImage(S.index - 1);
  $("btn-next").onclick = () => openImage(S.index + 1);
  $("btn-rect").onclick = () => setMode("rect");
  $("btn-poly").onclick = () => setMode("poly");
  $("btn-delete").onclick = deleteSelected;
  $("btn-difficult").onclick = () => { if (S.selected >= 0) toggleDifficult(S.selected); };
  $("btn-rerec").onclick = () => { if (S.selected >= 0) recognize(S.selected); };
  $("btn-redetect").onclick = redetect;
  $("btn-undo").onclick = undo;
  $("btn-redo").onclick = redo;
  $("btn-fit").onclick = fit;
  $("btn-confirm").onclick = confirmImage;
  $("btn-export").onclick = async () => {
    try {
      await saveChain;
      const r = await queue(() => api("POST", "/api/export", {}));
      const left = Object.entries(r.left_out).map(([k, v]) => `${v} ${k}`).join(", ");
      toast(`exported ${r.images} images, ${r.crops} crops to ${r.out_dir}${left ? ` (left out: ${left})` : ""}`);
    } catch (err) { toast(`export failed: ${err.message}`, true); }
  };
  $("btn-prelabel-all").onclick = async () => {
    try { await api("POST", "/api/prelabel_all"); pollJob(); } catch (err) { toast(err.message, true); }
  };

  async function pollJob() {
    for (let i = 0; i < 100000; i++) {
      const p = await api("GET", "/api/project");
      for (const img of p.images) {
        const known = S.images.find((x) => x.name === img.name);
        if (known && known.status !== img.status) updateListItem(img.name, img.status, img.boxes);
      }
      showCounts();
      if (p.job.running) $("counts").textContent += ` (pre-labelling ${p.job.done}/${p.job.total})`;
      if (!p.job.running) {
        if (p.job.errors.length) toast(`pre-labelling: ${p.job.errors.length} failed, e.g. ${p.job.errors[0]}`, true);
        if (S.status === "new") openImage(S.index);
        return;
      }
      await sleep(1500);
    }
  }

  // toolbar buttons never take the focus, so Space/Enter afterwards stay shortcuts, not a second click
  document.querySelectorAll("#toolbar button").forEach((b) => b.addEventListener("mousedown", (e) => e.preventDefault()));
  window.addEventListener("resize", () => fit());

  loadProject().then(() => {
    if (!S.images.length) { $("message").textContent = `no images in ${S.project.folder}`; return; }
    const first = S.images.findIndex((x) => x.status !== "confirmed");
    openImage(first < 0 ? 0 : first);
  }).catch((err) => { $("message").textContent = `cannot reach the server: ${err.message}`; });
})();
