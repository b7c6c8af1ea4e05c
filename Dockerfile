# Warden as one image: `warden serve` by default; the same image runs `warden migrate`,
# `warden proxy` and the example agent in docker-compose.yml. The first stage builds dist/
# (`npm ci` runs `prepare`, which compiles the TypeScript); the image holds only the runtime
# dependencies and that plain JavaScript, so nothing compiles at start.
FROM node:20.20.2-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY src ./src
COPY migrations ./migrations
COPY examples ./examples
RUN npm ci --no-audit --no-fund

FROM node:20.20.2-bookworm-slim
ENV NODE_ENV=production \
    WARDEN_LOG_FORMAT=json
WORKDIR /app

# --ignore-scripts: `prepare` (the build) already ran in the first stage, with the dev tools.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

COPY --from=build /app/dist ./dist
COPY dashboards ./dashboards

# The proxy spools spans under .warden/ while the OTLP endpoint is unreachable.
RUN mkdir -p /app/.warden && chown node:node /app/.warden
USER node

EXPOSE 4318
ENTRYPOINT ["node", "dist/src/cli/bin.js"]
CMD ["serve", "--listen", "0.0.0.0:4318"]
