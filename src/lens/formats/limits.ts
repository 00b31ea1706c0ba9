/**
 * The limits every reader enforces, in one place, so they can be stated (README, "Reliability") and
 * so a hostile file is refused before it can make us allocate or loop in proportion to a number it
 * merely claims. Each is far above what a real checkpoint or lens needs; the reason is beside it.
 */

/**
 * The largest safetensors JSON header, in bytes: the safetensors library's own limit
 * (`N_MAX` in safetensors/src/tensor.rs), so we refuse what the reference refuses.
 */
export const MAX_HEADER_BYTES = 100_000_000;

/**
 * The most tensors in one file (safetensors header entries, state-dict entries). GPT-2 XL has
 * 582, a 70B model about 1,000; 65,536 leaves room for anything real and keeps the per-tensor
 * bookkeeping a file can force on us small.
 */
export const MAX_TENSORS = 65_536;

/**
 * The deepest nesting of a pickle (open MARKs, and tuples/lists/dicts within each other). A state
 * dict written by `torch.save` is 4 deep (dict → rebuild arguments → size tuple); 32 allows any
 * reasonable writer and keeps every walk over a value short.
 */
export const MAX_PICKLE_DEPTH = 32;

/**
 * The largest file a reader may pick or drop on the page, in bytes (1 GiB). The largest lens the
 * page can use, GPT-2 XL's, is 492 MB; reading a bigger file would only fill the tab's memory
 * before refusing it.
 */
export const MAX_DROPPED_FILE_BYTES = 2 ** 30;

/**
 * The float32 bytes a torch.save file's tensors may expand to, as a multiple of the file's size:
 * float16 storages double when widened, and a storage shared by two tensors (tied weights) is copied
 * twice. A strided view that repeats its storage (stride 0) beyond this is a memory bomb, not a lens.
 */
export const MAX_EXPANSION = 4;

/**
 * The largest magnitude a weight may have. Models are published in float16, whose largest finite
 * value is 65,504, so every real weight fits; with |w| ≤ 65,504 one matmul over a LayerNorm output
 * (|x| ≤ √d·|γ|) stays many orders below float32's 3.4e38, while values near 1e38 overflow at the
 * first product and turn every prediction into NaN.
 */
export const MAX_WEIGHT_MAGNITUDE = 65_504;
