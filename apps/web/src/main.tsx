// First: zod must be told not to compile with eval (the page's CSP) before any chunk builds a schema.
import "./zod-config";
import { QueryClientProvider } from "@tanstack/react-query";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./App";
import { startSession } from "./session";
import { createQueryClient, createTrpcClient, trpc } from "./trpc";
import "./styles.css";

const queryClient = createQueryClient();
const trpcClient = createTrpcClient();
startSession();

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <trpc.Provider client={trpcClient} queryClient={queryClient}>
      <QueryClientProvider client={queryClient}>
        <App />
      </QueryClientProvider>
    </trpc.Provider>
  </StrictMode>,
);
