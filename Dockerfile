# syntax=docker/dockerfile:1
#
# One image for every role. ROLE picks what the process runs:
#   ROLE=api     HTTP API (/trpc, /healthz, /readyz) and the built web app
#   ROLE=worker  background jobs and event consumers (needs Redis to share work)
#   ROLE=all     both in one process (single-box installs)
# The server runs its TypeScript sources directly through tsx.
FROM node:20-bookworm-slim

# Same pnpm as package.json's "packageManager", so pnpm does not fetch another copy at run time.
ARG PNPM_VERSION=10.34.9
RUN npm install --global "pnpm@${PNPM_VERSION}" \
 && pnpm config set --global store-dir /pnpm/store \
 && pnpm --version

ENV CI=true \
    npm_config_update_notifier=false

WORKDIR /app

# Dependencies first: `pnpm fetch` needs only the lockfile (and the patches it names in
# patchedDependencies), so source edits reuse this layer.
COPY pnpm-lock.yaml pnpm-workspace.yaml package.json ./
COPY patches ./patches
RUN --mount=type=cache,id=pnpm-store,target=/pnpm/store \
    pnpm fetch

COPY . .
# Dev dependencies too: the web build needs vite, the server needs tsx at run time.
RUN --mount=type=cache,id=pnpm-store,target=/pnpm/store \
    pnpm install --frozen-lockfile --offline

RUN pnpm --filter @rapport/web build \
 && test -f apps/web/dist/index.html \
 && mkdir -p /app/.data \
 && chown node:node /app/.data

ENV NODE_ENV=production \
    ROLE=api \
    HOST=0.0.0.0 \
    PORT=3000

USER node
EXPOSE 3000
WORKDIR /app/apps/server

# This is `pnpm --filter @rapport/server start` (tsx src/main.ts) without pnpm in between:
# on SIGTERM pnpm kills its shell child and exits at once, leaving the server unsignalled
# and cut off mid-drain. tsx relays SIGTERM to the server and waits for it, so requests
# and jobs drain for up to SHUTDOWN_TIMEOUT_MS. Run under an init (`init: true` in
# compose, `docker run --init`) so stray child processes are reaped.
CMD ["node_modules/.bin/tsx", "src/main.ts"]
