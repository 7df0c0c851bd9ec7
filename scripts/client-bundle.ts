// Builds the browser client (src/client/) into one self-contained ES module, dist/client.js:
// eventsource-parser inlined, minified, no bare imports. `npm run build` runs it; the demo calls
// bundleClient() for the same bytes from source. Run: node --import tsx scripts/client-bundle.ts
import { build } from 'esbuild';
import { writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));

/** Where `npm run build` writes the bundle. */
export const CLIENT_BUNDLE = `${root}dist/client.js`;

/** The bundle of src/client/index.ts, as text. */
export async function bundleClient(): Promise<string> {
  const result = await build({
    entryPoints: [`${root}src/client/index.ts`],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    write: false,
    outfile: CLIENT_BUNDLE,
    logLevel: 'silent',
  });
  const [file] = result.outputFiles;
  if (!file) throw new Error('esbuild wrote no bundle for src/client/index.ts');
  return file.text;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) writeFileSync(CLIENT_BUNDLE, await bundleClient());
