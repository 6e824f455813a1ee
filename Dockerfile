# One image per app: docker build --build-arg APP=client|proxy|target -t IMAGE .
# The `build` stage is replayed without Docker by packages/infra-checks (pnpm test), so keep its
# RUN lines relative to WORKDIR and free of Docker-only tricks.

# Toolchain: Node 24 with pnpm at the exact version (and hash) pinned in package.json's
# packageManager, via corepack (bundled with Node 24).
FROM node:24-slim AS toolchain
ENV COREPACK_ENABLE_DOWNLOAD_PROMPT=0
RUN corepack enable

FROM toolchain AS build
ARG APP
WORKDIR /app
# Dependencies first, from the lockfile alone: this layer is reused until pnpm-lock.yaml changes.
COPY pnpm-lock.yaml pnpm-workspace.yaml package.json ./
RUN pnpm fetch --frozen-lockfile
COPY . .
RUN pnpm install --frozen-lockfile --offline
# tsc emits dist/ for the app and the workspace packages it depends on (exports.default → dist).
RUN pnpm --filter "@meshapps/${APP}..." --fail-if-no-match build
# Production dependencies only, workspace packages copied in (injectWorkspacePackages); each
# package ships its "files" (dist/), not its sources or tests.
RUN pnpm --filter "@meshapps/${APP}" --fail-if-no-match --prod deploy out
# What Node never reads at run time: type declarations, source maps, Markdown docs (licences
# stay). About half the bytes of node_modules (docs/decisions/052-production-footprint.md).
RUN find out -type f \( -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' -o -name '*.map' -o \( -iname '*.md' ! -iname 'licen?e*' \) \) -delete

FROM node:24-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/out /app
USER node
EXPOSE 8080
# node is PID 1 (no npm/pnpm wrapper), so Cloud Run's SIGTERM reaches the app's graceful shutdown.
# The telemetry preload must load before the app: --import resolves it from /app/node_modules.
CMD ["node", "--import", "@meshapps/telemetry/register", "dist/main.js"]
