// A minimal protobuf writer, just enough to emit an ONNX ModelProto holding one ConvTranspose
// node. Field numbers follow onnx/onnx.proto (IR version 8).

class Writer {
  private chunks: Uint8Array[] = [];
  private len = 0;

  private push(b: Uint8Array): void { this.chunks.push(b); this.len += b.length; }

  varint(v: number | bigint): void {
    let x = BigInt.asUintN(64, BigInt(v));
    const out: number[] = [];
    do {
      let byte = Number(x & 0x7fn);
      x >>= 7n;
      if (x !== 0n) byte |= 0x80;
      out.push(byte);
    } while (x !== 0n);
    this.push(Uint8Array.from(out));
  }

  tag(field: number, wire: 0 | 1 | 2 | 5): void { this.varint((field << 3) | wire); }

  int(field: number, v: number): void { this.tag(field, 0); this.varint(v); }

  bytes(field: number, b: Uint8Array): void { this.tag(field, 2); this.varint(b.length); this.push(b); }

  string(field: number, s: string): void { this.bytes(field, new TextEncoder().encode(s)); }

  message(field: number, m: Writer): void { this.bytes(field, m.finish()); }

  packedInts(field: number, vs: readonly number[]): void {
    const inner = new Writer();
    for (const v of vs) inner.varint(v);
    this.bytes(field, inner.finish());
  }

  float(field: number, v: number): void {
    this.tag(field, 5);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, v, true);
    this.push(b);
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.len);
    let o = 0;
    for (const c of this.chunks) { out.set(c, o); o += c.length; }
    return out;
  }
}

const FLOAT = 1;           // TensorProto.DataType.FLOAT
const ATTR_INTS = 7;       // AttributeProto.AttributeType.INTS
const ATTR_INT = 2;        // AttributeProto.AttributeType.INT

function tensorProto(name: string, dims: readonly number[], data: Float32Array): Writer {
  const t = new Writer();
  t.packedInts(1, dims);                 // dims
  t.int(2, FLOAT);                       // data_type
  t.string(8, name);                     // name
  // raw_data: little-endian float32 bytes (copy so the view is exact)
  const raw = new Uint8Array(data.length * 4);
  const dv = new DataView(raw.buffer);
  for (let i = 0; i < data.length; i++) dv.setFloat32(i * 4, data[i], true);
  t.bytes(9, raw);                       // raw_data
  return t;
}

function valueInfo(name: string, dims: readonly number[]): Writer {
  const shape = new Writer();
  for (const d of dims) { const dim = new Writer(); dim.int(1, d); shape.message(1, dim); } // dim.dim_value
  const tensorType = new Writer();
  tensorType.int(1, FLOAT);              // elem_type
  tensorType.message(2, shape);          // shape
  const type = new Writer();
  type.message(1, tensorType);           // TypeProto.tensor_type
  const vi = new Writer();
  vi.string(1, name);                    // name
  vi.message(2, type);                   // type
  return vi;
}

function intsAttr(name: string, vs: readonly number[]): Writer {
  const a = new Writer();
  a.string(1, name);
  for (const v of vs) a.int(8, v);       // ints (unpacked form is always accepted)
  a.int(20, ATTR_INTS);                  // type
  return a;
}

function intAttr(name: string, v: number): Writer {
  const a = new Writer();
  a.string(1, name);
  a.int(3, v);                           // i
  a.int(20, ATTR_INT);
  return a;
}

export interface ConvTransposeModelSpec {
  inputShape: readonly number[];         // [N, Cin, H, W]
  weightShape: readonly number[];        // [Cin, Cout/g, kH, kW]
  weight: Float32Array;
  bias: Float32Array | null;             // [Cout]
  outputShape: readonly number[];        // [N, Cout, Ho, Wo]
  kernel: [number, number];
  strides: [number, number];
  pads: [number, number, number, number]; // top, left, bottom, right
  outputPadding: [number, number];
  dilations: [number, number];
  group: number;
}

/** Serialized ONNX model: y = ConvTranspose(x, W[, B]), weights as initializers. */
export function convTransposeModel(spec: ConvTransposeModelSpec): Uint8Array {
  const node = new Writer();
  node.string(1, 'x');
  node.string(1, 'W');
  if (spec.bias) node.string(1, 'B');
  node.string(2, 'y');
  node.string(3, 'convt');
  node.string(4, 'ConvTranspose');
  node.message(5, intsAttr('kernel_shape', spec.kernel));
  node.message(5, intsAttr('strides', spec.strides));
  node.message(5, intsAttr('pads', spec.pads));
  node.message(5, intsAttr('output_padding', spec.outputPadding));
  node.message(5, intsAttr('dilations', spec.dilations));
  node.message(5, intAttr('group', spec.group));

  const graph = new Writer();
  graph.message(1, node);                                        // node
  graph.string(2, 'convtranspose_bench');                        // name
  graph.message(5, tensorProto('W', spec.weightShape, spec.weight)); // initializer
  if (spec.bias) graph.message(5, tensorProto('B', [spec.bias.length], spec.bias));
  graph.message(11, valueInfo('x', spec.inputShape));            // input
  graph.message(12, valueInfo('y', spec.outputShape));           // output

  const opset = new Writer();
  opset.string(1, '');                                           // default domain
  opset.int(2, 17);                                              // version

  const model = new Writer();
  model.int(1, 8);                                               // ir_version
  model.string(2, 'convtranspose-wasm-bench');                   // producer_name
  model.message(7, graph);                                       // graph
  model.message(8, opset);                                       // opset_import
  return model.finish();
}
