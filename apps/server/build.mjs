// Compiles the server to JavaScript in dist/: `node dist/main.js` (the server) and
// `node dist/cli.js` (migrate, seed, add-member) run without tsx.
//
// The workspace packages (@rapport/*) export TypeScript sources, so they are bundled
// in. Every other package stays an import resolved from node_modules at run time:
// native addons (@node-rs/argon2, msgpackr-extract), PGlite's wasm and data files and
// jszip's internal requires all load files next to their own code. Those imports must
// be this package's own `dependencies`, or the production install (`pnpm deploy --prod`)
// would not have them: the build fails naming any that is missing.
import { cpSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { builtinModules } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const outdir = join(here, "dist");
const manifest = JSON.parse(readFileSync(join(here, "package.json"), "utf8"));
const declared = new Set(Object.keys(manifest.dependencies ?? {}));
const builtins = new Set(builtinModules);

/** "@scope/name/sub/path" → "@scope/name"; "name/sub" → "name". */
function packageName(specifier) {
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0];
}

// Pure JavaScript that loads no files of its own, bundled like our own code. tRPC is here
// because installing it would install its peer TypeScript (23 MB, never loaded at run time).
const BUNDLED_PACKAGES = new Set(["@trpc/server"]);

// Heavy libraries few processes use (spreadsheets, Google, the embedded database): imported where
// they are used (`await import(...)`), so that starting the server does not load them. A static
// import anywhere would load them at every start again: the build fails naming it.
const LOADED_ON_FIRST_USE = new Set([
  "exceljs",
  "@googleapis/gmail",
  "google-auth-library",
  "@electric-sql/pglite",
  "drizzle-orm/pglite",
]);
const loadedAtStart = [];

const imported = new Set();
const externalPackages = {
  name: "external-packages",
  setup(builder) {
    // Bare specifiers only; relative and absolute paths are bundled.
    builder.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith("node:") || builtins.has(args.path)) return { path: args.path, external: true };
      const name = packageName(args.path);
      if (name.startsWith("@rapport/") || BUNDLED_PACKAGES.has(name)) return undefined;
      imported.add(name);
      if (args.kind !== "dynamic-import" && (LOADED_ON_FIRST_USE.has(name) || LOADED_ON_FIRST_USE.has(args.path)))
        loadedAtStart.push(`${args.path} (${args.importer})`);
      return { path: args.path, external: true };
    });
  },
};

rmSync(outdir, { recursive: true, force: true });
await build({
  absWorkingDir: here,
  // demo-google: loaded by main only for `--demo` without Google credentials (the fake stays out of main).
  entryPoints: { main: "src/main.ts", cli: "src/cli.ts", "demo-google": "src/demo-google.ts" },
  outdir,
  bundle: true,
  // Shared code goes into chunks beside the entry points, not in a subfolder: code that
  // finds files through import.meta.url (the migrations) must sit directly in dist/.
  splitting: true,
  chunkNames: "chunk-[hash]",
  format: "esm",
  platform: "node",
  // The oldest Node that package.json's "engines" allows.
  target: "node20.19",
  sourcemap: "linked",
  plugins: [externalPackages],
  logLevel: "warning",
});

if (loadedAtStart.length > 0) {
  rmSync(outdir, { recursive: true, force: true });
  process.stderr.write(
    `apps/server/build.mjs: imported statically, so loaded at every start: ${loadedAtStart.join(", ")}.\n` +
      `Import them where they are used (await import(...)), as the other uses do.\n`,
  );
  process.exit(1);
}
const missing = [...imported].filter((name) => !declared.has(name)).sort();
if (missing.length > 0) {
  rmSync(outdir, { recursive: true, force: true });
  process.stderr.write(
    `apps/server/build.mjs: the compiled server imports ${missing.join(", ")}, which apps/server/package.json does not list in "dependencies".\n` +
      `Add them there (same version range as the workspace package that uses them), or the production image will not install them.\n`,
  );
  process.exit(1);
}
// The same range as the workspace package that uses it, so both resolve to one installed copy.
for (const dir of readdirSync(join(here, "../../packages"))) {
  const workspacePackage = JSON.parse(readFileSync(join(here, "../../packages", dir, "package.json"), "utf8"));
  for (const [name, range] of Object.entries(workspacePackage.dependencies ?? {})) {
    if (imported.has(name) && manifest.dependencies[name] !== range) {
      rmSync(outdir, { recursive: true, force: true });
      process.stderr.write(
        `apps/server/build.mjs: apps/server/package.json has ${name}@${manifest.dependencies[name]}, ${workspacePackage.name} has ${name}@${range}; use one range.\n`,
      );
      process.exit(1);
    }
  }
}

// @rapport/db's migrator reads its SQL files from a `migrations` folder beside its code.
cpSync(join(here, "../../packages/db/src/migrations"), join(outdir, "migrations"), {
  recursive: true,
  filter: (source) => !source.endsWith(".ts"),
});
