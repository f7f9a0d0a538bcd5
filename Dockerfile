# syntax=docker/dockerfile:1
# Node 24 LTS, pinned to a release (bump it with security releases; render.yaml's NODE_VERSION follows the same
# line). The code also runs on Node 20.19+, which is what the test suite runs on; see the README's "Node versions".
ARG NODE_VERSION=24.11.1

# Build stage: compile TypeScript, then drop dev dependencies.
FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev

# Runtime stage: compiled code and production dependencies only, run as the unprivileged `node` user.
FROM node:${NODE_VERSION}-bookworm-slim
# HOST=0.0.0.0: inside a container the limiter must listen on every interface, or nothing outside it (the
# published port included) reaches it. Set explicitly, whatever the service's default (README: HOST); which interfaces of the
# host machine the port is published on is decided by `docker run -p` / compose `ports:`.
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
USER node
EXPOSE 3000
# No curl in the slim image: Node's own fetch asks the liveness endpoint.
HEALTHCHECK --interval=30s --timeout=3s --start-period=5s --start-interval=1s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# node runs as PID 1 and handles SIGTERM itself: it drains in-flight webhooks, then exits. The build ships source
# maps; --enable-source-maps makes a stack trace point at src/*.ts.
STOPSIGNAL SIGTERM
CMD ["node", "--enable-source-maps", "dist/main.js"]
