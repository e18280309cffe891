import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// The API server `pnpm dev` talks to; the built SPA is served by that server itself.
// 127.0.0.1, not localhost: the server listens on IPv4 loopback only outside production.
const api = process.env.RAPPORT_API_URL ?? "http://127.0.0.1:3000";
const proxy = { "/trpc": api, "/healthz": api, "/readyz": api, "/api": api };

export default defineConfig({
  plugins: [react()],
  server: { port: 5173, proxy },
  preview: { port: 4173, proxy },
  build: { outDir: "dist", emptyOutDir: true, target: "es2022" },
});
