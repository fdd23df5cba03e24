// After `vite build`: writes a .gz beside every compressible file of dist/ (the server and the
// gateway send it to clients that accept gzip), prints the first load's JavaScript size, and fails
// the build when it is over the budget.
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync, constants } from 'node:zlib';

export const BUDGET_GZIP_BYTES = 200 * 1024;
const dist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dist');
const compressible = /\.(html|js|mjs|css|svg|json|webmanifest|txt|map)$/;

function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? walk(full) : [full];
  });
}

const gzipped = new Map();
for (const file of walk(dist)) {
  if (!compressible.test(file)) continue;
  const gz = gzipSync(readFileSync(file), { level: constants.Z_BEST_COMPRESSION });
  writeFileSync(`${file}.gz`, gz);
  gzipped.set(path.relative(dist, file), gz.length);
}

// The first load: the scripts index.html names (entry and modulepreloads), not lazy chunks.
const html = readFileSync(path.join(dist, 'index.html'), 'utf8');
const scripts = [...html.matchAll(/(?:src|href)="\/(assets\/[^"]+\.js)"/g)].map((m) => m[1]);
const total = scripts.reduce((sum, s) => sum + (gzipped.get(s) ?? 0), 0);
console.log(`first-load JavaScript: ${(total / 1024).toFixed(1)} KiB gzipped in ${scripts.length} file(s) ` +
  `(budget ${BUDGET_GZIP_BYTES / 1024} KiB)`);
if (total > BUDGET_GZIP_BYTES) {
  console.error('error: the first load is over the JavaScript budget');
  process.exit(1);
}
