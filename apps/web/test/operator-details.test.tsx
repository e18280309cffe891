/**
 * Operator details stay with operators: no page of the SPA names a server
 * environment variable (a member cannot set one; the admin reads the server's
 * docs and logs). Comments may, for the developers.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const SRC = resolve(__dirname, "../src");
const CONFIG = resolve(__dirname, "../../../packages/api/src/config.ts");

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sources(join(dir, entry.name)) : /\.tsx?$/.test(entry.name) ? [join(dir, entry.name)] : [],
  );
}

/** The code without its comments (block, JSX and line comments; a `//` inside a string such as a URL stays). */
function withoutComments(code: string): string {
  return code.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`])\/\/.*$/gm, "$1");
}

describe("user pages", () => {
  it("name no environment variable of the server", () => {
    // The variables are the keys of the server's env schema ("  REDIS_URL: z…").
    const variables = [...readFileSync(CONFIG, "utf8").matchAll(/^\s+([A-Z][A-Z0-9]*_[A-Z0-9_]+):/gm)].map(
      (match) => match[1]!,
    );
    expect(variables).toEqual(expect.arrayContaining(["DATABASE_URL", "REDIS_URL", "GOOGLE_CLIENT_ID"]));
    const found: string[] = [];
    for (const file of sources(SRC)) {
      const code = withoutComments(readFileSync(file, "utf8"));
      for (const name of variables)
        if (new RegExp(`\\b${name}\\b`).test(code)) found.push(`${file.slice(SRC.length + 1)}: ${name}`);
    }
    expect(found).toEqual([]);
  });
});
