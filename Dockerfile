# syntax=docker/dockerfile:1
#
# The tokenplane image the Helm chart runs (published as ghcr.io/tokenplane/tokenplane:<version>):
#
#   docker build -t ghcr.io/tokenplane/tokenplane:0.1.0 .
#   docker run --rm -p 8080:8080 -v tokenplane-data:/var/lib/tokenplane ghcr.io/tokenplane/tokenplane:0.1.0 server
#
# Three stages: build (dev dependencies, tsc), runtime dependencies (production only, no install
# scripts), and a distroless Node 20 runtime with neither shell nor npm, running as a numeric
# non-root user. The root filesystem can be read-only: the app writes only to /var/lib/tokenplane
# (the embedded database, a volume) and /tmp.

ARG NODE_IMAGE=node:20-bookworm-slim
ARG RUNTIME_IMAGE=gcr.io/distroless/nodejs20-debian12:nonroot

# ---- build: compile TypeScript to dist/ ---------------------------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` would build before the sources are here; nothing else needs scripts.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY scripts ./scripts
RUN npm run build && mkdir -p /out/data

# ---- runtime dependencies: production only ------------------------------------------------------
FROM ${NODE_IMAGE} AS deps
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

# ---- runtime -------------------------------------------------------------------------------------
FROM ${RUNTIME_IMAGE}
ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="tokenplane" \
      org.opencontainers.image.description="Issue, verify and rotate API access tokens on Kubernetes" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.source="https://github.com/tokenplane/tokenplane" \
      org.opencontainers.image.licenses="Apache-2.0"
ENV NODE_ENV=production \
    TOKENPLANE_DATA_DIR=/var/lib/tokenplane
WORKDIR /app
# Code and dependencies belong to root and are read-only for the app's user.
COPY --from=deps /src/package.json ./package.json
COPY --from=deps /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY --from=build --chown=65532:65532 /out/data /var/lib/tokenplane
USER 65532:65532
EXPOSE 8080
VOLUME ["/var/lib/tokenplane"]
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s \
  CMD ["/nodejs/bin/node", "-e", "fetch('http://127.0.0.1:8080/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["/nodejs/bin/node", "/app/dist/cli.js"]
CMD ["operator"]
