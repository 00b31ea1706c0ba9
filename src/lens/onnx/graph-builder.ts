/**
 * A small builder for ONNX graphs, so that a graph-building function reads top to bottom like the
 * formula it implements, one node per line:
 *
 *     const g = new GraphBuilder('gpt2');
 *     const ids = g.input('input_ids', 'int64', ['T']);             // [T]
 *     const wte = g.initializer('wte', weights, [V, d]);             // [V, d]
 *     const x = g.node('Gather', [wte, ids]);                        // [T, d]
 *     g.output('embeddings', 'float32', ['T', d], x);
 *     const bytes = g.toModel();                                     // opset 17, IR version 8
 *
 * Node outputs get fresh names (`matmul_12`). Initializers keep their weights by reference — GPT-2
 * small is ≈ 500 MB, so nothing here duplicates, JSON-encodes or base64-encodes weight data. `toModel`
 * copies them once into the protobuf (as little-endian `raw_data`: every platform we run on is
 * little-endian); `toExternalModel` leaves the large ones where they are, as ONNX external data, so
 * that ONNX Runtime copies each weight once, from the caller's array straight into its own tensor,
 * and no encoded copy of the weights ever exists (in onnxruntime-web an inline model's bytes are
 * first copied whole into the WASM heap, which never shrinks).
 */
import onnxProto from 'onnx-proto';
import type { onnx as OnnxTypes } from 'onnx-proto';

const { onnx } = onnxProto;

export type ElementType = 'float32' | 'int64' | 'bool';
/** A dimension: a fixed size, or a symbolic name such as `'T'`. */
export type Dim = number | string;
export type TensorData = Float32Array | BigInt64Array;

/** Marks a number that must be written as a FLOAT attribute even when it is whole (`alpha: float(1)`). */
export interface FloatAttribute {
  float: number;
}
export function float(value: number): FloatAttribute {
  return { float: value };
}

/**
 * Attribute values: a whole number is an INT and any other number a FLOAT (wrap with `float()` to
 * force FLOAT), a number array is INTS, a string is STRING, and `{data, dims}` is a TENSOR.
 */
export type AttributeValue = number | FloatAttribute | number[] | string | { data: TensorData; dims: number[] };
export type Attributes = Record<string, AttributeValue>;

/** Weights from this size on go out of line in `toExternalModel`; smaller ones cost less inline than as a file entry. */
const EXTERNAL_MIN_BYTES = 4096;

/**
 * A model whose large weights are ONNX external data: `bytes` refers to them by (path, offset,
 * length) into the `externalData` files, which are views of the weights' own buffers, not copies. Pass
 * both to `InferenceSession.create(bytes, {externalData})`.
 */
export interface OnnxModel {
  bytes: Uint8Array;
  externalData: { path: string; data: Uint8Array }[];
}

const ELEMENT_TYPE: Record<ElementType, number> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  int64: onnx.TensorProto.DataType.INT64,
  bool: onnx.TensorProto.DataType.BOOL,
};

export class GraphBuilder {
  private readonly nodes: OnnxTypes.INodeProto[] = [];
  private readonly initializers: OnnxTypes.ITensorProto[] = [];
  private readonly inputs: OnnxTypes.IValueInfoProto[] = [];
  private readonly outputs: OnnxTypes.IValueInfoProto[] = [];
  private readonly names = new Set<string>();
  private readonly counters = new Map<string, number>();

  constructor(readonly name: string) {}

  /** Declares a graph input and returns its name. */
  input(name: string, type: ElementType, dims: readonly Dim[]): string {
    this.claim(name);
    this.inputs.push(valueInfo(name, type, dims));
    return name;
  }

  /** Declares a graph output. With `from`, the value `from` is published as `name` (an Identity node). */
  output(name: string, type: ElementType, dims: readonly Dim[], from?: string): string {
    if (from !== undefined && from !== name) {
      this.claim(name);
      this.nodes.push({ opType: 'Identity', name: this.fresh('Identity'), input: [from], output: [name] });
    } else if (!this.names.has(name)) {
      throw new Error(`GraphBuilder(${this.name}): output '${name}' is produced by no node`);
    }
    this.outputs.push(valueInfo(name, type, dims));
    return name;
  }

  /** A named weight stored in the model (as raw_data, by reference until `toModel`). */
  initializer(name: string, data: TensorData, dims: readonly number[]): string {
    this.claim(name);
    this.initializers.push(tensorProto(name, data, dims));
    return name;
  }

  /** A small constant computed into the graph (a Constant node); returns its output name. */
  constant(data: TensorData | number[], dims: readonly number[] = [data.length]): string {
    const value = Array.isArray(data) ? new Float32Array(data) : data;
    return this.node('Constant', [], { value: { data: value, dims: [...dims] } });
  }

  /** A small int64 constant, e.g. a shape or an axis list: `g.int64s([-1, H, dh])`. */
  int64s(values: readonly number[], dims: readonly number[] = [values.length]): string {
    return this.constant(
      BigInt64Array.from(values, (v) => BigInt(v)),
      dims,
    );
  }

  /** A float32 scalar constant (rank 0), broadcast by the elementwise ops. */
  scalar(value: number): string {
    return this.constant(new Float32Array([value]), []);
  }

  /**
   * Adds one node and returns the name of its output (or, with `outputsCount`, of its outputs).
   * An empty string in `inputs` is an omitted optional input.
   */
  node(opType: string, inputs: readonly string[], attributes?: Attributes): string;
  node(opType: string, inputs: readonly string[], attributes: Attributes | undefined, outputsCount: number): string[];
  node(opType: string, inputs: readonly string[], attributes?: Attributes, outputsCount?: number): string | string[] {
    for (const input of inputs) {
      if (input !== '' && !this.names.has(input)) {
        throw new Error(`GraphBuilder(${this.name}): ${opType} reads '${input}', which nothing defines yet`);
      }
    }
    const outputs = Array.from({ length: outputsCount ?? 1 }, () => this.fresh(opType.toLowerCase()));
    for (const output of outputs) this.names.add(output);
    this.nodes.push({
      opType,
      name: this.fresh(opType),
      input: [...inputs],
      output: outputs,
      attribute: Object.entries(attributes ?? {}).map(([key, value]) => attribute(key, value)),
    });
    return outputsCount === undefined ? outputs[0] : outputs;
  }

  /** Encodes the model with every weight inline: IR version 8, the default ONNX domain at `opset`. */
  toModel(opset = 17): Uint8Array {
    return this.encode(this.initializers, opset);
  }

  /**
   * Encodes the model with each weight of EXTERNAL_MIN_BYTES or more as external data: one file per
   * ArrayBuffer the weights live in (the whole buffer, by reference), each weight at its byteOffset.
   */
  toExternalModel(opset = 17): OnnxModel {
    const files = new Map<ArrayBufferLike, string>();
    const initializers = this.initializers.map((tensor) => {
      const raw = tensor.rawData as Uint8Array;
      if (raw.byteLength < EXTERNAL_MIN_BYTES) return tensor;
      let path = files.get(raw.buffer);
      if (path === undefined) files.set(raw.buffer, (path = `weights-${files.size}.bin`));
      const { rawData: _inline, ...rest } = tensor;
      return {
        ...rest,
        dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
        externalData: [
          { key: 'location', value: path },
          { key: 'offset', value: String(raw.byteOffset) },
          { key: 'length', value: String(raw.byteLength) },
        ],
      };
    });
    return { bytes: this.encode(initializers, opset), externalData: [...files].map(([buffer, path]) => ({ path, data: new Uint8Array(buffer) })) };
  }

  private encode(initializers: OnnxTypes.ITensorProto[], opset: number): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: 8,
      producerName: 'tuned-lens-live',
      opsetImport: [{ domain: '', version: opset }],
      graph: {
        name: this.name,
        node: this.nodes,
        initializer: initializers,
        input: this.inputs,
        output: this.outputs,
      },
    });
    return onnx.ModelProto.encode(model).finish();
  }

  private claim(name: string): void {
    if (this.names.has(name)) throw new Error(`GraphBuilder(${this.name}): the name '${name}' is already used`);
    this.names.add(name);
  }

  private fresh(base: string): string {
    let n = this.counters.get(base) ?? 0;
    let name: string;
    do name = `${base}_${n++}`;
    while (this.names.has(name));
    this.counters.set(base, n);
    return name;
  }
}

function valueInfo(name: string, type: ElementType, dims: readonly Dim[]): OnnxTypes.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: ELEMENT_TYPE[type],
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

function tensorProto(name: string, data: TensorData, dims: readonly number[]): OnnxTypes.ITensorProto {
  const count = dims.reduce((a, b) => a * b, 1);
  if (count !== data.length) {
    throw new Error(`GraphBuilder: tensor '${name}' has ${data.length} elements but dims [${dims.join(', ')}] need ${count}`);
  }
  return {
    name,
    dims: [...dims],
    dataType: data instanceof Float32Array ? onnx.TensorProto.DataType.FLOAT : onnx.TensorProto.DataType.INT64,
    // A view, not a copy: the protobuf writer copies the bytes once into the encoded model.
    rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
  };
}

function attribute(name: string, value: AttributeValue): OnnxTypes.IAttributeProto {
  const { AttributeType } = onnx.AttributeProto;
  if (typeof value === 'number') {
    return Number.isInteger(value) ? { name, type: AttributeType.INT, i: value } : { name, type: AttributeType.FLOAT, f: value };
  }
  if (typeof value === 'string') return { name, type: AttributeType.STRING, s: new TextEncoder().encode(value) };
  if (Array.isArray(value)) return { name, type: AttributeType.INTS, ints: value };
  if ('float' in value) return { name, type: AttributeType.FLOAT, f: value.float };
  return { name, type: AttributeType.TENSOR, t: tensorProto('', value.data, value.dims) };
}
