# syntax=docker/dockerfile:1
# Factline: build with the dev toolchain, run on a slim image as a non-root user.
# In containers, point DATABASE_URL at a PostgreSQL 18+; the embedded server is for local use.

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json nest-cli.json ormconfig.ts ./
COPY src ./src
COPY bench ./bench
COPY web ./web
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    DATA_DIR=/app/.data
WORKDIR /app
RUN groupadd --system factline && useradd --system --gid factline --home /app factline \
    && mkdir -p /app/.data && chown factline:factline /app/.data
COPY --from=build --chown=factline:factline /app/package.json ./
COPY --from=build --chown=factline:factline /app/node_modules ./node_modules
COPY --from=build --chown=factline:factline /app/dist ./dist
USER factline
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "dist/src/main.js"]
