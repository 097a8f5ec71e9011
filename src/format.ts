// PyTorch-style printing of a tensor: nested brackets, one shared width, 4 decimals (or
// scientific notation when the magnitudes span too much), as torch's default print options do.

export function formatTensor(data: Float32Array, shape: readonly number[]): string {
  const finite = Array.from(data).filter((v) => Number.isFinite(v));
  const absMax = finite.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  const nonZero = finite.filter((v) => v !== 0).map(Math.abs);
  const absMin = nonZero.length > 0 ? Math.min(...nonZero) : 0;
  const allInts = finite.every((v) => Number.isInteger(v));
  const sci = nonZero.length > 0 && (absMax / absMin > 1000 || absMax > 1e8 || absMin < 1e-4);
  const fmt = (v: number): string => {
    if (Number.isNaN(v)) return 'nan';
    if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
    if (allInts && !sci) return `${v.toFixed(0)}.`;
    return sci ? v.toExponential(4).replace(/e([+-])(\d)$/, 'e$10$2') : v.toFixed(4);
  };
  const cells = Array.from(data, fmt);
  const width = cells.reduce((m, s) => Math.max(m, s.length), 0);
  const indent = 'tensor('.length;
  const body = nest(cells.map((s) => s.padStart(width)), shape, 0, 0, indent);
  return `tensor(${body})`;
}

function nest(cells: string[], shape: readonly number[], dim: number, offset: number, indent: number): string {
  if (shape.length === 0) return cells[0] ?? '';
  const len = shape[dim];
  const stride = shape.slice(dim + 1).reduce((a, b) => a * b, 1);
  if (dim === shape.length - 1) return `[${cells.slice(offset, offset + len).join(', ')}]`;
  const parts: string[] = [];
  for (let i = 0; i < len; i++) parts.push(nest(cells, shape, dim + 1, offset + i * stride, indent + 1));
  const sep = ',' + '\n'.repeat(shape.length - dim - 1) + ' '.repeat(indent + 1);
  return `[${parts.join(sep)}]`;
}
