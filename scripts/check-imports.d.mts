/** Layer rank of each folder of ts/ ('' is ts/ itself: the entry points). */
export const LAYERS: Readonly<Record<string, number>>;
export const PROTOCOL: string;
/** The relative imports of one file's text. */
export function importsOf(text: string): { spec: string; type: boolean; line: number }[];
/** Every problem under `root` ("file:line: message"), and how many ts/ files were read. */
export function checkImports(root: string): { problems: string[]; files: number };
