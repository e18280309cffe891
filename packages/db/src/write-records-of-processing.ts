import { writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { renderRecordsOfProcessing } from "./records-of-processing";

/** `pnpm gdpr:records`: regenerates docs/records-of-processing.md from the inventory. */
const target = resolve(dirname(fileURLToPath(import.meta.url)), "../../../docs/records-of-processing.md");
writeFileSync(target, renderRecordsOfProcessing());
console.log(`wrote ${target}`);
