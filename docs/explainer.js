// The explainer page: runs ConvTranspose2d with the WebAssembly kernel, checks it against the
// JavaScript reference, and draws the worked example (scale, place, add, crop).
// window.__explainer = { ready, variant, outputShape, matchesReference, maxDiff, error } is what
// the browser test reads.
import { init, convTranspose2d, convTranspose2dReference } from 'convtranspose-wasm';

const $ = (id) => document.getElementById(id);
const MAX_PARTIALS = 24;
const fmt = (v) => { const r = Number(v.toPrecision(5)); return Object.is(r, -0) ? '0' : String(r); };

function pair(name, text) {
  const parts = String(text).split(/[\s,x×]+/).filter(Boolean).map(Number);
  if (parts.length < 1 || parts.length > 2 || parts.some((v) => !Number.isInteger(v))) {
    throw new RangeError(`${name} must be one integer or two (h, w), got "${text}"`);
  }
  return parts.length === 1 ? [parts[0], parts[0]] : parts;
}

function parseInput(text) {
  const blocks = text.trim().split(/\n\s*\n/).map((b) => b.trim().split('\n').map((l) => l.trim().split(/[\s,]+/).filter(Boolean).map(Number)));
  const h = blocks[0].length, w = blocks[0][0].length;
  for (const b of blocks) {
    if (b.length !== h || b.some((r) => r.length !== w)) throw new TypeError('every input row must have the same length, and every channel the same rows');
    if (b.some((r) => r.some((v) => !Number.isFinite(v)))) throw new TypeError('input holds something that is not a number');
  }
  return { data: Float32Array.from(blocks.flat(2)), shape: [1, blocks.length, h, w] };
}

function parseWeight(text, shape) {
  const n = shape.reduce((a, b) => a * b, 1);
  const m = text.trim().match(/^linspace\(\s*([-+.\de]+)\s*,\s*([-+.\de]+)\s*\)$/i);
  let data;
  if (m) {
    const a = Number(m[1]), b = Number(m[2]);
    data = Float32Array.from({ length: n }, (_, i) => (n === 1 ? a : a + ((b - a) * i) / (n - 1)));
  } else {
    data = Float32Array.from(text.trim().split(/[\s,]+/).filter(Boolean).map(Number));
    if (data.length !== n) throw new TypeError(`weight needs ${n} numbers for shape [${shape.join(', ')}], got ${data.length}`);
  }
  return { data, shape };
}

function table(rows, cols, cell) {
  const t = document.createElement('table');
  t.className = 'grid';
  for (let y = 0; y < rows; y++) {
    const tr = t.insertRow();
    for (let x = 0; x < cols; x++) cell(tr.insertCell(), y, x);
  }
  return t;
}
function card(title, el) {
  const d = document.createElement('div');
  d.className = 'card';
  const c = document.createElement('div');
  c.className = 'caption';
  c.innerHTML = title;
  d.append(c, el);
  return d;
}
function op(text) { const s = document.createElement('span'); s.className = 'op'; s.textContent = text; return s; }

let variant = null;

function render() {
  const state = { ready: true, variant, outputShape: null, matchesReference: false, maxDiff: null, error: null };
  for (const id of ['partials', 'canvas', 'output', 'legend']) $(id).replaceChildren();
  try {
    const x = parseInput($('input').value);
    const [, cin, H, W] = x.shape;
    $('cin').value = cin;
    const cout = Number($('cout').value), groups = Number($('groups').value);
    const [kh, kw] = pair('kernel size', $('kernel').value);
    const stride = pair('stride', $('stride').value), padding = pair('padding', $('padding').value);
    const outputPadding = pair('output padding', $('outputPadding').value), dilation = pair('dilation', $('dilation').value);
    if (!Number.isInteger(groups) || groups < 1 || cout % groups || cin % groups) {
      throw new RangeError(`groups ${groups} must divide in channels ${cin} and out channels ${cout}`);
    }
    const w = parseWeight($('weight').value, [cin, cout / groups, kh, kw]);
    const options = { stride, padding, outputPadding, dilation, groups };

    const out = convTranspose2d(x, w, null, options); // the WebAssembly kernel
    const ref = convTranspose2dReference(x, w, null, options);
    const [, , Ho, Wo] = out.shape;
    state.outputShape = [...out.shape];
    let maxDiff = 0;
    for (let i = 0; i < out.data.length; i++) maxDiff = Math.max(maxDiff, Math.abs(out.data[i] - ref.data[i]));
    state.maxDiff = maxDiff;

    // 1. The size formula, with the numbers.
    const [sh, sw] = stride, [ph, pw] = padding, [oph, opw] = outputPadding, [dh, dw] = dilation;
    $('formula').textContent =
      'H_out = (H_in − 1)·stride − 2·padding + dilation·(kernel − 1) + output_padding + 1\n' +
      `      = (${H} − 1)·${sh} − 2·${ph} + ${dh}·(${kh} − 1) + ${oph} + 1 = ${Ho}\n` +
      `W_out = (${W} − 1)·${sw} − 2·${pw} + ${dw}·(${kw} − 1) + ${opw} + 1 = ${Wo}\n` +
      `output shape [N, C_out, H_out, W_out] = [${out.shape.join(', ')}]`;

    // 2. Scaled kernels for the chosen output channel, each on the full (uncropped) canvas.
    const sel = $('channel');
    const keep = Number(sel.value) || 0;
    sel.replaceChildren(...Array.from({ length: cout }, (_, c) => new Option(`channel ${c}`, String(c))));
    const co = keep < cout ? keep : 0;
    sel.value = String(co);
    const perGroup = cout / groups, g = Math.floor(co / perGroup), wo = co % perGroup;
    const cinPerGroup = cin / groups;
    const Hf = (H - 1) * sh + dh * (kh - 1) + 1, Wf = (W - 1) * sw + dw * (kw - 1) + 1;
    const Hc = Math.max(Hf, ph + Ho), Wc = Math.max(Wf, pw + Wo); // canvas incl. output padding rows
    const sum = Array.from({ length: Hc }, () => new Float64Array(Wc));
    const count = Array.from({ length: Hc }, () => new Uint16Array(Wc));
    const wAt = (ci, a, b) => w.data[((ci * perGroup + wo) * kh + a) * kw + b];
    const partials = [];
    for (let ci = g * cinPerGroup; ci < (g + 1) * cinPerGroup; ci++) {
      for (let i = 0; i < H; i++) for (let j = 0; j < W; j++) {
        const xv = x.data[(ci * H + i) * W + j];
        const cells = new Map();
        for (let a = 0; a < kh; a++) for (let b = 0; b < kw; b++) {
          const y = i * sh + a * dh, xx = j * sw + b * dw, v = xv * wAt(ci, a, b);
          sum[y][xx] += v;
          count[y][xx]++;
          cells.set(y * Wc + xx, v);
        }
        partials.push({ ci, i, j, xv, cells });
      }
    }
    $('scaleCaption').textContent = `Output channel ${co} (group ${g}) uses input channel${cinPerGroup > 1 ? `s ${g * cinPerGroup}…${(g + 1) * cinPerGroup - 1}` : ` ${g * cinPerGroup}`} ` +
      `and kernel slices weight[ci, ${wo}]. Input element x[ci, i, j] scales the ${kh}×${kw} kernel` +
      `${dh > 1 || dw > 1 ? ` (taps ${dh}, ${dw} apart: dilation)` : ''}, whose top-left lands at row i·${sh}, column j·${sw} of the ` +
      `${Hf}×${Wf} canvas.` + (partials.length > MAX_PARTIALS ? ` The first ${MAX_PARTIALS} of ${partials.length} are drawn.` : '');
    const flow = $('partials');
    partials.slice(0, MAX_PARTIALS).forEach((p, n) => {
      if (n) flow.append(op('+'));
      flow.append(card(`x[${p.ci},${p.i},${p.j}] = ${fmt(p.xv)} × weight[${p.ci}, ${wo}] at (${p.i * sh}, ${p.j * sw})`,
        table(Hf, Wf, (td, y, xx) => {
          const v = p.cells.get(y * Wc + xx);
          if (v === undefined) { td.className = 'empty'; td.textContent = '·'; } else { td.className = 'hit'; td.textContent = fmt(v); }
        })));
    });

    // 3. The canvas: sums, overlaps and the cropped border.
    const maxCount = Math.max(1, ...count.map((r) => Math.max(...r)));
    const cropped = (y, xx) => y < ph || y >= ph + Ho || xx < pw || xx >= pw + Wo;
    $('legend').innerHTML = Array.from({ length: maxCount }, (_, k) => k + 1).map((k) =>
      `<span style="background:${shade(k, maxCount)}">${k} kernel${k > 1 ? 's' : ''}</span>`).join('') +
      '<span class="cropped" style="background:repeating-linear-gradient(45deg,#f2f4f7,#f2f4f7 4px,#fff 4px,#fff 8px)">cut by padding</span>';
    $('canvas').append(card(`canvas ${Hc}×${Wc}: element-wise sum of the ${partials.length} scaled kernels`, table(Hc, Wc, (td, y, xx) => {
      td.textContent = fmt(sum[y][xx]);
      td.title = `${count[y][xx]} kernel(s) overlap here`;
      if (cropped(y, xx)) td.className = 'cropped';
      else if (count[y][xx]) td.style.background = shade(count[y][xx], maxCount);
    })));
    let explainDiff = 0;
    for (let y = 0; y < Ho; y++) for (let xx = 0; xx < Wo; xx++) {
      explainDiff = Math.max(explainDiff, Math.abs(sum[y + ph][xx + pw] - out.data[(co * Ho + y) * Wo + xx]));
    }

    // 4. The output, every channel, from the WebAssembly kernel.
    $('outCaption').textContent = `convTranspose2d(x, weight, null, ${JSON.stringify(options)}) → [${out.shape.join(', ')}], computed by ` +
      `the ${variant} WebAssembly build. Channel ${co} is the canvas above without the hatched border.`;
    for (let c = 0; c < cout; c++) {
      const t = table(Ho, Wo, (td, y, xx) => { td.dataset.out = `${c},${y},${xx}`; td.textContent = fmt(out.data[(c * Ho + y) * Wo + xx]); });
      const k = card(`output[0, ${c}]`, t);
      if (c === co) k.style.borderColor = 'var(--accent)';
      $('output').append(k);
    }

    const tol = 1e-4 * (1 + Math.max(...Array.from(ref.data, Math.abs)));
    state.matchesReference = maxDiff <= tol && explainDiff <= tol;
    $('status').className = state.matchesReference ? '' : 'bad';
    $('status').textContent = `WebAssembly kernel (${variant}): output ${out.shape.join('×')}. ` +
      `${maxDiff <= tol ? 'Matches' : 'DIFFERS FROM'} the JavaScript reference (max |difference| ${maxDiff.toExponential(1)}); ` +
      `the sum of the placed kernels ${explainDiff <= tol ? 'matches' : 'DIFFERS FROM'} channel ${co} (max |difference| ${explainDiff.toExponential(1)}).`;
  } catch (e) {
    state.error = String(e && e.message || e);
    $('status').className = 'bad';
    $('status').textContent = `${e && e.name || 'Error'}: ${state.error}`;
  }
  window.__explainer = state;
}

function shade(k, max) {
  if (k <= 1) return '#eff6ff';
  const t = (k - 1) / Math.max(1, max - 1);
  return `hsl(217 ${60 + 30 * t}% ${88 - 28 * t}%)`;
}

try {
  ({ variant } = await init());
  let pending = 0;
  $('controls').addEventListener('input', () => { cancelAnimationFrame(pending); pending = requestAnimationFrame(render); });
  $('channel').addEventListener('change', render);
  render();
} catch (e) {
  $('status').className = 'bad';
  $('status').textContent = `could not load the WebAssembly kernel: ${e && e.message || e}`;
  window.__explainer = { ready: false, error: String(e) };
}
