/**
 * Imported first by browser-entry.ts, before onnxruntime-web: remembers every WebAssembly.Memory
 * this Worker makes or instantiates with, so the benchmark can report the WASM heap's size (it only
 * grows, so its size is the peak).
 */
const memories: WebAssembly.Memory[] = [];

const OriginalMemory = WebAssembly.Memory;
(WebAssembly as { Memory: unknown }).Memory = new Proxy(OriginalMemory, {
  construct(target, args) {
    const memory = Reflect.construct(target, args) as WebAssembly.Memory;
    memories.push(memory);
    return memory;
  },
});

function remember(instance: WebAssembly.Instance | undefined): void {
  for (const value of Object.values(instance?.exports ?? {})) {
    if (value instanceof OriginalMemory && !memories.includes(value)) memories.push(value);
  }
}

type Instantiated = WebAssembly.WebAssemblyInstantiatedSource | WebAssembly.Instance;
const originalInstantiate = WebAssembly.instantiate.bind(WebAssembly) as (...args: unknown[]) => Promise<Instantiated>;
(WebAssembly as { instantiate: unknown }).instantiate = async (...args: unknown[]) => {
  const out = await originalInstantiate(...args);
  remember('instance' in out ? out.instance : out);
  return out;
};
const originalStreaming = WebAssembly.instantiateStreaming?.bind(WebAssembly);
if (originalStreaming) {
  (WebAssembly as { instantiateStreaming: unknown }).instantiateStreaming = async (...args: Parameters<typeof originalStreaming>) => {
    const out = await originalStreaming(...args);
    remember(out.instance);
    return out;
  };
}

/** The largest WASM memory this Worker has made (bytes), or 0. */
export function wasmMemoryBytes(): number {
  return memories.reduce((max, m) => Math.max(max, m.buffer.byteLength), 0);
}
