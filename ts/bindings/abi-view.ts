/**
 * The one typed view of the C ABI's structs: a layout from
 * ts/generated/abi.ts (written by scripts/gen-abi.mjs from elex.h, whose
 * offsets engine/src/api/abi_layout.h checks with static_assert) read from or
 * written to wasm memory field by field. No offset is written by hand
 * anywhere else.
 */

/** How a field is stored (wasm32: `ptr` is a 4-byte address). */
export type FieldType = 'u8' | 'i8' | 'u16' | 'i16' | 'u32' | 'i32' | 'u64' | 'f32' | 'f64' | 'ptr';

export interface FieldLayout {
  readonly offset: number;
  readonly type: FieldType;
  /** An array of this many (a single value when absent). */
  readonly count?: number;
}

export interface StructLayout {
  readonly bytes: number;
  readonly fields: Readonly<Record<string, FieldLayout>>;
}

/** The values of a struct: a number per field, an array for array fields. */
export type StructValue<L extends StructLayout> = {
  -readonly [K in keyof L['fields']]: L['fields'][K] extends { count: number } ? number[] : number;
};

const SIZE: Readonly<Record<FieldType, number>> = {
  u8: 1,
  i8: 1,
  u16: 2,
  i16: 2,
  u32: 4,
  i32: 4,
  u64: 8,
  f32: 4,
  f64: 8,
  ptr: 4,
};

function get(v: DataView, at: number, type: FieldType): number {
  switch (type) {
    case 'u8':
      return v.getUint8(at);
    case 'i8':
      return v.getInt8(at);
    case 'u16':
      return v.getUint16(at, true);
    case 'i16':
      return v.getInt16(at, true);
    case 'u32':
    case 'ptr':
      return v.getUint32(at, true);
    case 'i32':
      return v.getInt32(at, true);
    case 'u64':
      return Number(v.getBigUint64(at, true));
    case 'f32':
      return v.getFloat32(at, true);
    case 'f64':
      return v.getFloat64(at, true);
  }
}

function set(v: DataView, at: number, type: FieldType, x: number): void {
  switch (type) {
    case 'u8':
      return v.setUint8(at, x);
    case 'i8':
      return v.setInt8(at, x);
    case 'u16':
      return v.setUint16(at, x, true);
    case 'i16':
      return v.setInt16(at, x, true);
    case 'u32':
    case 'ptr':
      return v.setUint32(at, x, true);
    case 'i32':
      return v.setInt32(at, x, true);
    case 'u64':
      return v.setBigUint64(at, BigInt(x), true);
    case 'f32':
      return v.setFloat32(at, x, true);
    case 'f64':
      return v.setFloat64(at, x, true);
  }
}

/** Each layout's fields as [name, field] pairs, made once (Object.entries per struct read was most of a read's garbage). */
const fieldLists = new WeakMap<StructLayout, readonly (readonly [string, FieldLayout])[]>();
function fieldsOf(layout: StructLayout): readonly (readonly [string, FieldLayout])[] {
  let list = fieldLists.get(layout);
  if (!list) fieldLists.set(layout, (list = Object.entries(layout.fields)));
  return list;
}

function readAt<L extends StructLayout>(layout: L, v: DataView, base: number): StructValue<L> {
  const out: Record<string, number | number[]> = {};
  for (const [key, f] of fieldsOf(layout)) {
    if (f.count === undefined) out[key] = get(v, base + f.offset, f.type);
    else out[key] = Array.from({ length: f.count }, (_, i) => get(v, base + f.offset + i * SIZE[f.type], f.type));
  }
  return out as StructValue<L>;
}

/** The struct `layout` at byte `ptr` of `buffer` (wasm memory), as plain numbers. */
export function readStruct<L extends StructLayout>(layout: L, buffer: ArrayBufferLike, ptr: number): StructValue<L> {
  return readAt(layout, new DataView(buffer, ptr, layout.bytes), 0);
}

/** `n` structs `layout` one after the other from byte `ptr` (an array the engine filled). */
export function readStructs<L extends StructLayout>(
  layout: L,
  buffer: ArrayBufferLike,
  ptr: number,
  n: number,
): StructValue<L>[] {
  const v = new DataView(buffer, ptr, n * layout.bytes);
  return Array.from({ length: n }, (_, i) => readAt(layout, v, i * layout.bytes));
}

/**
 * Writes a whole struct at byte `ptr` of `buffer`: every field must be
 * given (a field added to the C struct fails to type-check here until the
 * caller sets it).
 */
export function writeStruct<L extends StructLayout>(
  layout: L,
  buffer: ArrayBufferLike,
  ptr: number,
  values: StructValue<L>,
): void {
  const v = new DataView(buffer, ptr, layout.bytes);
  const given = values as Record<string, number | number[]>;
  for (const [key, f] of fieldsOf(layout)) {
    const x = given[key];
    if (f.count === undefined) set(v, f.offset, f.type, x as number);
    else for (let i = 0; i < f.count; i++) set(v, f.offset + i * SIZE[f.type], f.type, (x as number[])[i]!);
  }
}
