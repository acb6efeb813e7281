# colormesh image: the sidecar (`run`), the iptables init container (`iptables apply`), the admission
# webhook (`webhook`), the other commands, and the demo app. Build from the repository root:
#   docker build -t ghcr.io/colormesh/colormesh:$(node -p "require('./package.json').version") .

# ---- build: compile TypeScript with all dependencies, then drop the dev ones ----
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY examples ./examples
RUN npm run build && npm prune --omit=dev

# ---- runtime: production dependencies and compiled JavaScript only ----
FROM node:24-bookworm-slim
# tini is PID 1: it forwards SIGTERM to node (which drains and exits) and reaps the iptables child
# processes of the init container; node as PID 1 does neither. iptables is for `colormesh iptables`.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini iptables \
 && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production
# V8 would grow the young generation to 32 MB under load; 4 MB semi-spaces keep a sidecar's RSS
# about 10-20 MB lower for a few per cent more CPU (docs/performance.md). The bench runs sidecars
# with the same options, read from this line.
ENV NODE_OPTIONS=--max-semi-space-size=4
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# Istio's uid, so operators recognise it; the iptables rules exempt this uid's own traffic.
# The init container overrides it with runAsUser 0 (it needs root for iptables).
USER 1337:1337
EXPOSE 15001 15006 15020 8443
ENTRYPOINT ["/usr/bin/tini", "--", "node", "/app/dist/src/cli/main.js"]
CMD ["run"]
