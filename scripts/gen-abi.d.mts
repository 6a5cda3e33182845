/** A struct of elex.h marked `/// @ts-struct NAME`, laid out for wasm32. */
export interface MarkedStruct {
  name: string;
  cName: string;
  doc: string[];
  bytes: number;
  fields: { cName: string; key: string; type: string; offset: number; count: number; doc: string }[];
}

/** The header read and the two files written, relative to the repository. */
export const HEADER: string;
export const TS_OUTPUT: string;
export const CPP_OUTPUT: string;
/** The marked structs of a header's text (`file` names it in errors). */
export function parseStructs(text: string, file?: string): MarkedStruct[];
/** The texts of ts/generated/abi.ts and engine/src/api/abi_layout.h for the header under `root`. */
export function generateAbi(root?: string): { ts: string; cpp: string };
