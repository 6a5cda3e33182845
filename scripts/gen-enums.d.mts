/** An enum of a header marked `/// @ts NAME`. */
export interface MarkedEnum {
  name: string;
  cName: string;
  file: string;
  doc: string[];
  items: { key: string; value: number; doc: string[] }[];
}

/** The headers' folder and the generated file, relative to the repository. */
export const HEADERS: string;
export const OUTPUT: string;
/** The marked enums of one header's text (`file` names it in errors). */
export function parseHeader(text: string, file: string): MarkedEnum[];
/** The text of ts/generated/enums.ts for the headers under `root` (default: this repository). */
export function generateEnums(root?: string): string;
