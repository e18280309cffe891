// ESLint runs only the rules that need the TypeScript type checker; Biome (biome.jsonc) does the
// formatting and every rule that works on syntax alone. An unawaited promise once crashed a route
// (its rejection escaped every handler), so a promise must be awaited, returned, or handed to
// something that handles its failure — `void` marks the few that are deliberately left to run.
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["**/node_modules/**", "**/dist/**", "**/*.config.ts", "**/*.js", "**/*.mjs"] },
  {
    files: ["**/*.ts", "**/*.tsx"],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: {
        // Two programs cover every file: the server with the packages, and the web app with its tests.
        project: ["tsconfig.lint.json", "apps/web/test/tsconfig.json"],
        tsconfigRootDir: import.meta.dirname,
      },
    },
    linterOptions: { reportUnusedDisableDirectives: "error" },
    plugins: { "@typescript-eslint": tseslint.plugin },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": "error",
      "@typescript-eslint/await-thenable": "error",
    },
  },
);
