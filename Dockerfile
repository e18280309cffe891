# syntax=docker/dockerfile:1
#
# One image for every role. ROLE picks what the process runs:
#   ROLE=api     HTTP API (/trpc, /healthz, /readyz) and the built web app
#   ROLE=worker  background jobs and event consumers (needs Redis to share work)
#   ROLE=all     both in one process (single-box installs)
#
# Two stages: `build` installs everything, builds the web app and compiles the server to
# JavaScript; the final image holds only the compiled server, its production dependencies
# (`pnpm deploy:server`) and the built web app, and runs `node dist/main.js`.

# The current Node LTS. package.json's "engines" (Node ≥ 20.19) is what the code supports.
ARG NODE_IMAGE=node:24-trixie-slim

FROM ${NODE_IMAGE} AS build

# Same pnpm as package.json's "packageManager", so pnpm does not fetch another copy.
ARG PNPM_VERSION=10.34.9
RUN npm install --global "pnpm@${PNPM_VERSION}" \
 && pnpm config set --global store-dir /pnpm/store \
 && pnpm --version

ENV CI=true \
    npm_config_update_notifier=false

WORKDIR /src

# Dependencies first: `pnpm fetch` needs only the lockfile (and the patches it names in
# patchedDependencies), so source edits reuse this layer.
COPY pnpm-lock.yaml pnpm-workspace.yaml package.json ./
COPY patches ./patches
RUN --mount=type=cache,id=pnpm-store,target=/pnpm/store \
    pnpm fetch

COPY . .
# Dev dependencies too: the web build needs vite, the server build esbuild.
RUN --mount=type=cache,id=pnpm-store,target=/pnpm/store \
    pnpm install --frozen-lockfile --offline

RUN pnpm --filter @rapport/web --filter @rapport/server build \
 && test -f apps/web/dist/index.html \
 && test -f apps/server/dist/main.js

# /app: apps/server's package.json, dist/ (server, CLI, SQL migrations) and node_modules
# with production dependencies only, from the lockfile, with patches/ applied.
RUN --mount=type=cache,id=pnpm-store,target=/pnpm/store \
    pnpm deploy:server --offline /app \
 && cp -R apps/web/dist /app/web \
 && mkdir -p /app/.data

FROM ${NODE_IMAGE}

ENV NODE_ENV=production \
    ROLE=api \
    HOST=0.0.0.0 \
    PORT=3000 \
    WEB_DIST_DIR=/app/web

WORKDIR /app
COPY --from=build /app /app
# DATA_DIR (.data, relative to /app) holds local export files; the server writes only there.
RUN chown node:node /app/.data

USER node
EXPOSE 3000

# Node runs the server directly, with no pnpm or tsx in between, so SIGTERM reaches it and
# it drains requests and jobs for up to SHUTDOWN_TIMEOUT_MS. Run under an init (`init: true`
# in compose, `docker run --init`) so stray child processes are reaped. The CLI is `node dist/cli.js` (e.g. `docker compose run --rm api
# node dist/cli.js migrate`).
CMD ["node", "dist/main.js"]
