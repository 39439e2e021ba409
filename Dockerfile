# syntax=docker/dockerfile:1
# Bulwark collector and stream worker: one image, the command picks the role (see docker-compose.yml).
#   docker build -t bulwark .
#   docker run --rm -p 127.0.0.1:4318:4318 -e BULWARK_API_KEYS=... bulwark node cli/dist/cli.js serve --host 0.0.0.0
ARG NODE_IMAGE=node:20-bookworm-slim

# ---- build: every dependency, then the TypeScript build (tsc -b).
FROM ${NODE_IMAGE} AS build
WORKDIR /app
# Manifests first: the dependency layer is reused until a package.json or the lock file changes.
COPY package.json package-lock.json ./
COPY contracts/package.json contracts/
COPY detectors/package.json detectors/
COPY stream/package.json stream/
COPY agent-sdk/package.json agent-sdk/
COPY collector/package.json collector/
COPY cli/package.json cli/
COPY dashboards/package.json dashboards/
COPY test/package.json test/
# --ignore-scripts: the root `prepare` script builds, which needs the sources copied below. No dependency
# needs an install script (chdb ships its engine as a per-platform npm package).
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.base.json tsconfig.json ./
COPY contracts contracts
COPY detectors detectors
COPY stream stream
COPY agent-sdk agent-sdk
COPY collector collector
COPY cli cli
COPY dashboards dashboards
COPY test test
RUN npm run build

# ---- deps: production dependencies only (no vitest, tsx, playwright, ...).
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
COPY contracts/package.json contracts/
COPY detectors/package.json detectors/
COPY stream/package.json stream/
COPY agent-sdk/package.json agent-sdk/
COPY collector/package.json collector/
COPY cli/package.json cli/
COPY dashboards/package.json dashboards/
COPY test/package.json test/
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

# ---- runtime: compiled packages and production dependencies, as the unprivileged `node` user.
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    BULWARK_DATA_DIR=/var/lib/bulwark
WORKDIR /app
COPY --from=deps /app/node_modules node_modules
COPY --from=build /app/package.json package.json
COPY --from=build /app/contracts/package.json contracts/package.json
COPY --from=build /app/contracts/dist contracts/dist
COPY --from=build /app/detectors/package.json detectors/package.json
COPY --from=build /app/detectors/dist detectors/dist
COPY --from=build /app/stream/package.json stream/package.json
COPY --from=build /app/stream/dist stream/dist
COPY --from=build /app/agent-sdk/package.json agent-sdk/package.json
COPY --from=build /app/agent-sdk/dist agent-sdk/dist
COPY --from=build /app/collector/package.json collector/package.json
COPY --from=build /app/collector/dist collector/dist
COPY --from=build /app/cli/package.json cli/package.json
COPY --from=build /app/cli/dist cli/dist
COPY --from=build /app/cli/bin cli/bin
COPY --from=build /app/dashboards/package.json dashboards/package.json
COPY --from=build /app/dashboards/dist dashboards/dist
# The embedded (chdb) store and `bulwark report` write here; a volume in docker-compose.yml.
RUN mkdir -p /var/lib/bulwark && chown node:node /var/lib/bulwark \
    && ln -s /app/cli/bin/bulwark.mjs /usr/local/bin/bulwark
USER node
EXPOSE 4318
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=6 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:4318/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "cli/dist/cli.js", "serve", "--host", "0.0.0.0"]
