import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// The API server `pnpm dev` talks to; the built SPA is served by that server itself.
const api = process.env.RAPPORT_API_URL ?? "http://localhost:3000";
const proxy = { "/trpc": api, "/healthz": api, "/readyz": api, "/api": api };

export default defineConfig({
  plugins: [react()],
  server: { port: 5173, proxy },
  preview: { port: 4173, proxy },
  build: { outDir: "dist", emptyOutDir: true, target: "es2022" },
});
