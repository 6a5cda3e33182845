/**
 * Typed-array checks that hold across realms. An array made in another
 * window of the page (a same-origin iframe, a pop-out panel) or a node:vm
 * context is a Float32Array all the same, but not an `instanceof` this
 * realm's Float32Array. These read the array's own kind instead (the
 * %TypedArray%.prototype[Symbol.toStringTag] getter of its realm), which
 * look-alike objects do not have.
 */

interface TypedArrays {
  Float32Array: Float32Array;
  Float64Array: Float64Array;
  Int32Array: Int32Array;
  Uint32Array: Uint32Array;
  Uint8Array: Uint8Array;
}

const kindOf = Object.getOwnPropertyDescriptor(
  Object.getPrototypeOf(Uint8Array.prototype) as object,
  Symbol.toStringTag,
)!.get as (this: unknown) => string | undefined;

/** Whether `x` is a typed array of `kind`, from any realm. */
export function isTyped<K extends keyof TypedArrays>(x: unknown, kind: K): x is TypedArrays[K] {
  return ArrayBuffer.isView(x) && kindOfView(x) === kind;
}

/** Whether `buffer` is a SharedArrayBuffer, from any realm. */
export function isSharedBuffer(buffer: unknown): buffer is SharedArrayBuffer {
  return Object.prototype.toString.call(buffer) === '[object SharedArrayBuffer]';
}

function kindOfView(view: ArrayBufferView): string | undefined {
  // The getter of this realm reads the internal slot of a view of any realm
  // (undefined for a DataView).
  return kindOf.call(view);
}
