import { config } from "zod";

// The page's Content-Security-Policy forbids eval. zod builds faster parsers with
// new Function() when a schema is constructed (a CSP violation here), so it must
// be told not to before any schema module runs: import this module first.
config({ jitless: true });
