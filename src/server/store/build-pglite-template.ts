/** Build step: writes the PGlite template next to the compiled code (`npm run build`). */
import { buildTemplate, TEMPLATE_FILE } from "./pglite-template.js";

await buildTemplate();
process.stdout.write(`wrote ${TEMPLATE_FILE}\n`);
