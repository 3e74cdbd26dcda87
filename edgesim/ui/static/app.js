// The edgesim dashboard: draws GET /events (the --json events plus previews) on plain canvases.
// No libraries, no network access beyond this server.
"use strict";

const $ = (id) => document.getElementById(id);
const COLORS = ["#58a6ff", "#3fb950", "#d29922", "#f85149", "#bc8cff", "#39c5cf", "#ff7b72", "#a5d6ff", "#7ee787", "#ffa657"];
const TIMELINE_MS = 10000;   // score history shown
const MAX_POINTS = 1000;     // inferences kept for the timeline (bounded memory)
const MAX_LOG = 100;         // detections kept in the list

let config = null;
let labels = [];
let kind = "audio";          // audio | camera | stroke
const points = [];           // {t, s: [score per label]}
let lastT = 0;
let ended = false;
let drawPending = false;
let budgetMs = null;         // the real-time budget per chunk, from the latency previews

function setState(id, state, text) {
  const el = $(id);
  el.dataset.state = state;
  el.textContent = text;
}

function addLog(list, html, cls, data) {
  const li = document.createElement("li");
  li.innerHTML = html;
  if (cls) li.className = cls;
  Object.assign(li.dataset, data || {});
  list.prepend(li);
  while (list.children.length > MAX_LOG) list.lastChild.remove();
}

const escapeHtml = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const seconds = (t) => `${(t / 1000).toFixed(2)} s`;

// ---------------------------------------------------------------- layout
async function main() {
  config = await (await fetch("/app.json", {credentials: "same-origin"})).json();
  const app = config.app;
  labels = app.labels;
  kind = app.sensor.kind === "imu" ? "stroke" : app.sensor.kind;
  document.title = `edgesim · ${app.name}`;
  $("app-name").textContent = app.name;
  $("app-description").textContent = app.description;
  $("target-pill").textContent = `target: ${config.target}`;
  $("source-pill").textContent = `source: ${config.source}`;
  for (const card of document.querySelectorAll("[data-apps]")) card.hidden = card.dataset.apps !== kind;
  for (const control of document.querySelectorAll("[data-input]")) control.hidden = control.dataset.input !== config.browser_input;
  const marks = Object.entries(config.thresholds).map(([name, value]) => `${name} ${value.toFixed(2)}`).join(", ");
  $("threshold-note").textContent = `thresholds: ${marks}`;
  $("legend").innerHTML = timelineLabels().map((label) =>
    `<span><i style="background:${COLORS[labels.indexOf(label) % COLORS.length]}"></i>${escapeHtml(label)}</span>`).join("");
  if (config.compare) {
    $("compare").hidden = false;
    $("compare-card").hidden = false;
    $("primary-name").textContent = config.target;
    $("other-name").textContent = config.compare;
    setState("compare", "waiting", `${config.target} vs ${config.compare}: waiting`);
  }
  if (kind === "stroke") setupDrawing();
  if (config.browser_input === "audio") $("mic-button").onclick = startMicrophone;
  if (config.browser_input === "camera") $("camera-button").onclick = startCamera;
  drawTimeline();
  connect();
}

function timelineLabels() {
  if (kind === "camera") return config.threshold_labels;
  if (kind === "stroke") return labels;
  return labels;
}

// ---------------------------------------------------------------- the event stream
function connect() {
  const events = new EventSource("/events");
  events.onopen = () => setState("connection", "live", "live");
  events.onerror = () => { if (!ended) setState("connection", "lost", "reconnecting…"); };
  events.onmessage = (message) => onEvent(JSON.parse(message.data));
  events.addEventListener("preview", (message) => onPreview(JSON.parse(message.data)));
}

function onEvent(event) {
  if (event.type === "inference") {
    points.push({t: event.t_ms, s: labels.map((label) => event.scores[label])});
    if (points.length > MAX_POINTS) points.shift();
    lastT = Math.max(lastT, event.t_ms);
    showScores(event);
    scheduleTimeline();
  } else if (event.type === "detection") {
    showDetection(event);
  } else if (event.type === "summary") {
    ended = true;
    setState("connection", "ended", "stream ended");
    const s = event;
    $("summary").textContent = `${s.inferences} inferences, ${s.detections} detections in ${(s.stream_ms / 1000).toFixed(2)} s of input` +
      (s.warnings && s.warnings.length ? ` · ${s.warnings.join(" · ")}` : "");
    if (s.latency_ms) showLatency(s.latency_ms, config.budget_ms || budgetMs);
  }
}

function showDetection(event) {
  const leaving = event.event === "leave";
  const flash = $("flash");
  flash.textContent = event.label;
  flash.className = "flash";
  void flash.offsetWidth;  // restart the animation
  flash.className = leaving ? "flash leave" : "flash hit";
  const file = event.file ? ` · ${event.file.split("/").pop()}` : "";
  $("flash-detail").textContent = `${seconds(event.t_ms)} · score ${event.score.toFixed(3)}${event.event ? " · " + event.event : ""}${file}`;
  addLog($("detections"),
    `<span class="t">${seconds(event.t_ms)}</span><b>${escapeHtml(event.label)}</b><span>${event.score.toFixed(3)}${event.event ? " " + escapeHtml(event.event) : ""}${escapeHtml(file)}</span>`,
    leaving ? "leave" : "hit", {label: event.label});
  if (config.compare) addLog($("primary-events"), `<span class="t">${seconds(event.t_ms)}</span><b>${escapeHtml(event.label)}</b>`, "hit");
}

function showScores(event) {
  let shown = labels.map((label, i) => [label, event.scores[label], i]);
  if (kind === "stroke") shown = shown.sort((a, b) => b[1] - a[1]).slice(0, 3);
  const marks = Object.values(config.thresholds);
  $("scores").innerHTML = shown.map(([label, score]) => {
    const marked = config.threshold_labels.includes(label) ? marks.map((m) => `<div class="mark" style="left:${(m * 100).toFixed(1)}%"></div>`).join("") : "";
    return `<div class="row${label === event.top ? " top" : ""}" data-label="${escapeHtml(label)}"><div class="label">${escapeHtml(label)}</div>` +
      `<div class="bar"><div class="fill" style="width:${(score * 100).toFixed(1)}%"></div>${marked}</div><div>${score.toFixed(3)}</div></div>`;
  }).join("");
}

// ---------------------------------------------------------------- previews
function onPreview(preview) {
  switch (preview.kind) {
    case "audio": return showAudio(preview);
    case "frame": return showFrame(preview);
    case "stroke": return showStroke(preview);
    case "latency": return showLatency(preview.stages, preview.budget_ms);
    case "compare": return showCompare(preview);
    case "compare_event": return showOtherEvent(preview);
  }
}

const HEAT = [[13, 8, 35], [72, 18, 110], [160, 40, 110], [226, 85, 60], [250, 170, 40], [252, 250, 160]];
function heat(v) {  // int8 feature -> a colour from dark violet through red to pale yellow
  const x = Math.max(0, Math.min(1, (v + 128) / 255)) * (HEAT.length - 1);
  const i = Math.min(HEAT.length - 2, Math.floor(x)), f = x - i;
  const [r, g, b] = HEAT[i].map((c, k) => Math.round(c + (HEAT[i + 1][k] - c) * f));
  return `rgb(${r},${g},${b})`;
}

function showAudio(preview) {
  const canvas = $("spectrogram");
  const ctx = canvas.getContext("2d");
  const column = 4;
  const cell = canvas.height / 40;
  for (const frame of preview.features) {
    ctx.drawImage(canvas, -column, 0);
    frame.forEach((value, channel) => {
      ctx.fillStyle = heat(value);
      ctx.fillRect(canvas.width - column, canvas.height - (channel + 1) * cell, column, cell);
    });
  }
  const level = Math.max(0, Math.min(1, (preview.dbfs + 60) / 60));
  $("level-fill").style.width = `${(level * 100).toFixed(0)}%`;
  $("level-text").textContent = `${preview.dbfs.toFixed(1)} dBFS`;
}

function grayImage(ctx, base64, side, channels) {
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  const image = ctx.createImageData(side, side);
  for (let i = 0; i < side * side; i++) {
    const [r, g, b] = channels === 3 ? [bytes[3 * i], bytes[3 * i + 1], bytes[3 * i + 2]] : [bytes[i], bytes[i], bytes[i]];
    image.data.set([r, g, b, 255], 4 * i);
  }
  ctx.putImageData(image, 0, 0);
}

function showFrame(preview) {
  const canvas = $("frame");
  const image = new Image();
  image.onload = () => {
    const ctx = canvas.getContext("2d");
    const scale = Math.min(canvas.width / preview.width, canvas.height / preview.height);
    const w = preview.width * scale, h = preview.height * scale;
    const x0 = (canvas.width - w) / 2, y0 = (canvas.height - h) / 2;
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    ctx.drawImage(image, x0, y0, w, h);
    const [cx, cy, cw, ch] = preview.crop;
    ctx.strokeStyle = "#3fb950";
    ctx.lineWidth = 3;
    ctx.setLineDash([8, 6]);
    ctx.strokeRect(x0 + cx * scale, y0 + cy * scale, cw * scale, ch * scale);
    ctx.setLineDash([]);
  };
  image.src = `data:image/jpeg;base64,${preview.jpeg}`;
  grayImage($("model-input").getContext("2d"), preview.model_input, 96, 1);
}

function showStroke(preview) {
  grayImage($("raster").getContext("2d"), preview.raster, 32, 3);
  if (config.browser_input) return;  // the user's own drawing stays on the canvas
  const canvas = $("draw");
  const ctx = canvas.getContext("2d");
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  ctx.strokeStyle = "#58a6ff";
  ctx.lineWidth = 6;
  ctx.lineCap = ctx.lineJoin = "round";
  ctx.beginPath();
  preview.points.forEach(([x, y], i) => {
    const px = canvas.width / 2 + x * canvas.width / 256 * 1.6, py = canvas.height / 2 - y * canvas.height / 256 * 1.6;
    i ? ctx.lineTo(px, py) : ctx.moveTo(px, py);
  });
  ctx.stroke();
}

function showLatency(stages, budget) {
  budgetMs = budget || budgetMs;
  budget = budgetMs;
  const names = Object.keys(stages);
  if (!names.length) return;
  const scale = Math.max(budget || 0, ...names.map((n) => stages[n].p99)) * 1.1 || 1;
  $("latency").innerHTML = names.map((name) => {
    const s = stages[name];
    return `<div class="row"><div>${escapeHtml(name)}</div><div class="bar"><div class="p99" style="width:${(s.p99 / scale * 100).toFixed(1)}%"></div>` +
      `<div class="p50" style="width:${(s.p50 / scale * 100).toFixed(1)}%"></div>` +
      (budget ? `<div class="mark" style="position:absolute;top:0;bottom:0;width:2px;background:#f85149;left:${(budget / scale * 100).toFixed(1)}%"></div>` : "") +
      `</div><div class="muted">${s.p50.toFixed(2)} / ${s.p99.toFixed(2)} ms</div></div>`;
  }).join("") + (budget ? `<div class="muted small">budget ${budget.toFixed(1)} ms per chunk (red line)</div>` : "");
}

function showCompare(status) {
  const [a, b] = status.targets;
  if (status.identical) {
    setState("compare", "identical", `${a} ≡ ${b} · ${status.checked} events identical`);
    $("compare-detail").textContent = `every event so far is bit-identical on ${a} and ${b}`;
  } else {
    setState("compare", "differs", `${a} ≠ ${b}`);
    $("compare-detail").textContent = `first difference: ${status.first_difference.description}`;
  }
}

function showOtherEvent(preview) {
  const event = preview.event;
  if (event.type === "detection") {
    addLog($("other-events"), `<span class="t">${seconds(event.t_ms)}</span><b>${escapeHtml(event.label)}</b>`, "hit");
  }
}

// ---------------------------------------------------------------- score timeline
function scheduleTimeline() {
  if (drawPending) return;
  drawPending = true;
  requestAnimationFrame(() => { drawPending = false; drawTimeline(); });
}

function drawTimeline() {
  const canvas = $("timeline");
  const ctx = canvas.getContext("2d");
  const W = canvas.width, H = canvas.height, pad = 24;
  ctx.clearRect(0, 0, W, H);
  ctx.strokeStyle = "#30363d";
  ctx.fillStyle = "#8b949e";
  ctx.font = "11px system-ui";
  ctx.lineWidth = 1;
  for (const v of [0, 0.5, 1]) {
    const y = H - pad - v * (H - 2 * pad);
    ctx.beginPath(); ctx.moveTo(pad, y); ctx.lineTo(W, y); ctx.stroke();
    ctx.fillText(v.toFixed(1), 2, y + 4);
  }
  const t1 = Math.max(lastT, TIMELINE_MS), t0 = t1 - TIMELINE_MS;
  const x = (t) => pad + (t - t0) / TIMELINE_MS * (W - pad);
  const y = (v) => H - pad - v * (H - 2 * pad);
  ctx.fillText(seconds(t0), pad, H - 6);
  ctx.fillText(seconds(t1), W - 50, H - 6);
  ctx.setLineDash([6, 5]);
  ctx.strokeStyle = "#d29922";
  for (const [name, value] of Object.entries(config ? config.thresholds : {})) {
    ctx.beginPath(); ctx.moveTo(pad, y(value)); ctx.lineTo(W, y(value)); ctx.stroke();
    ctx.fillStyle = "#d29922";
    ctx.fillText(name, W - 70, y(value) - 4);
  }
  ctx.setLineDash([]);
  ctx.lineWidth = 2;
  for (const label of timelineLabels()) {
    const i = labels.indexOf(label);
    ctx.strokeStyle = COLORS[i % COLORS.length];
    ctx.beginPath();
    let started = false;
    for (const p of points) {
      if (p.t < t0) continue;
      started ? ctx.lineTo(x(p.t), y(p.s[i])) : ctx.moveTo(x(p.t), y(p.s[i]));
      started = true;
    }
    ctx.stroke();
    ctx.fillStyle = ctx.strokeStyle;
    for (const p of points) {  // dots: a single inference (a photo, a stroke) shows too
      if (p.t >= t0) { ctx.beginPath(); ctx.arc(x(p.t), y(p.s[i]), 3, 0, 2 * Math.PI); ctx.fill(); }
    }
  }
}

// ---------------------------------------------------------------- the browser as a sensor
let socket = null;
function inputSocket() {
  if (socket && socket.readyState <= 1) return socket;
  socket = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws`);
  socket.binaryType = "arraybuffer";
  socket.addEventListener("close", (e) => {  // the server says why it refused our input
    if (!e.reason) return;
    const where = {audio: "mic-state", camera: "camera-state", stroke: "draw-hint"}[config.browser_input];
    if (where) $(where).textContent = `input stopped: ${e.reason}`;
  });
  return socket;
}

function sendWhenOpen(data) {
  const ws = inputSocket();
  if (ws.readyState === 1) ws.send(data);
  else ws.addEventListener("open", () => ws.send(data), {once: true});
}

function setupDrawing() {
  const canvas = $("draw");
  const ctx = canvas.getContext("2d");
  if (config.browser_input) $("draw-hint").textContent = "with the mouse, a pen or a finger; lift to classify";
  let stroke = null;
  const at = (e) => {
    const r = canvas.getBoundingClientRect();
    return [(e.clientX - r.left) * canvas.width / r.width, (e.clientY - r.top) * canvas.height / r.height];
  };
  if (!config.browser_input) return;
  canvas.addEventListener("pointerdown", (e) => {
    canvas.setPointerCapture(e.pointerId);
    stroke = [at(e)];
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    ctx.strokeStyle = "#58a6ff"; ctx.lineWidth = 8; ctx.lineCap = ctx.lineJoin = "round";
    ctx.beginPath(); ctx.moveTo(...stroke[0]);
  });
  canvas.addEventListener("pointermove", (e) => {
    if (!stroke) return;
    const p = at(e);
    stroke.push(p);
    ctx.lineTo(...p); ctx.stroke();
  });
  const finish = () => {
    if (stroke && stroke.length >= 2) sendWhenOpen(JSON.stringify({type: "stroke", points: stroke.slice(0, 4096)}));
    stroke = null;
  };
  canvas.addEventListener("pointerup", finish);
  canvas.addEventListener("pointercancel", () => { stroke = null; });
}

async function startMicrophone() {
  $("mic-button").disabled = true;
  try {
    const stream = await navigator.mediaDevices.getUserMedia({audio: {channelCount: 1, echoCancellation: false, noiseSuppression: false, autoGainControl: false}});
    const audio = new AudioContext({sampleRate: 16000});
    const input = audio.createMediaStreamSource(stream);
    const processor = audio.createScriptProcessor(1024, 1, 1);
    processor.onaudioprocess = (e) => {
      const samples = e.inputBuffer.getChannelData(0);
      const message = new DataView(new ArrayBuffer(1 + 2 * samples.length));
      message.setUint8(0, 65);  // "A"
      samples.forEach((v, i) => message.setInt16(1 + 2 * i, Math.max(-32768, Math.min(32767, Math.round(v * 32767))), true));
      sendWhenOpen(message.buffer);
    };
    input.connect(processor);
    processor.connect(audio.destination);
    $("mic-state").textContent = `listening at ${audio.sampleRate} Hz`;
  } catch (error) {
    $("mic-state").textContent = `no microphone: ${error.message}`;
    $("mic-button").disabled = false;
  }
}

async function startCamera() {
  $("camera-button").disabled = true;
  try {
    const video = $("video");
    video.srcObject = await navigator.mediaDevices.getUserMedia({video: {width: 320, height: 240}});
    await video.play();
    const grab = document.createElement("canvas");
    grab.width = 160; grab.height = 120;
    const g = grab.getContext("2d", {willReadFrequently: true});
    const period = 1000 / Math.max(1, Math.min(30, config.app.sensor.rate_hz));
    setInterval(() => {
      g.drawImage(video, 0, 0, grab.width, grab.height);
      const rgba = g.getImageData(0, 0, grab.width, grab.height).data;
      const message = new Uint8Array(5 + grab.width * grab.height);
      message[0] = 70;  // "F"
      new DataView(message.buffer).setUint16(1, grab.width, true);
      new DataView(message.buffer).setUint16(3, grab.height, true);
      for (let i = 0; i < grab.width * grab.height; i++) {
        message[5 + i] = (77 * rgba[4 * i] + 150 * rgba[4 * i + 1] + 29 * rgba[4 * i + 2]) >> 8;
      }
      sendWhenOpen(message.buffer);
    }, period);
    $("camera-state").textContent = "streaming";
  } catch (error) {
    $("camera-state").textContent = `no camera: ${error.message}`;
    $("camera-button").disabled = false;
  }
}

main();
