import type { Catalog } from '../ts/host/catalog.ts';

/** `EUtranCellFDD.pmMacVolDl` → `E Utran Cell FDD pm Mac Vol Dl`. */
export function identifierWords(s: string): string;
/** MiniSearch (BM25, default options) over one document per feature: question → the best 5 codes. */
export function bm25Peer(catalog: Catalog, split?: boolean): (question: string) => string[];
