// The module's exports: pointers and sizes in, results written to linear memory. No policy here:
// the TypeScript layer chooses the path, lays out memory and splits the work.
import { P_SLOTS } from "./params";
export { packedBytes, packedHeaderBytes, packHeader, packChannels } from "./pack";
export { subconvScratchBytes, subconvItems, subconvRun } from "./convt2d/subconv";
export { gemvScratchBytes, gemvItems, gemvRun } from "./convt2d/gemv";
export { depthwiseScratchBytes, depthwiseItems, depthwiseRun } from "./convt2d/depthwise";
export { scatterScratchBytes, scatterItems, scatterRun } from "./convt2d/scatter";
export { columnsScratchBytes, columnsItems, columnsRun } from "./convt2d/columns";

// Size of the parameter block, so the loader can check it agrees with src/abi.ts.
export function paramSlots(): i32 {
  return P_SLOTS;
}

// First byte of linear memory that the module's own data does not use.
export function heapBase(): usize {
  return __heap_base;
}
