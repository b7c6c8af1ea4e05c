# Warden as one image: `warden serve` by default; the same image runs `warden migrate`,
# `warden proxy` and the example agent in docker-compose.yml. TypeScript runs through tsx,
# so there is no build step (as with `npm start`).
FROM node:20.20.2-bookworm-slim

ENV NODE_ENV=production \
    WARDEN_LOG_FORMAT=json
WORKDIR /app

COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

COPY tsconfig.json ./
COPY src ./src
COPY migrations ./migrations
COPY dashboards ./dashboards
COPY examples ./examples

# The proxy spools spans under .warden/ while the OTLP endpoint is unreachable.
RUN mkdir -p /app/.warden && chown node:node /app/.warden
USER node

EXPOSE 4318
ENTRYPOINT ["node", "src/cli/bin.js"]
CMD ["serve", "--listen", "0.0.0.0:4318"]
