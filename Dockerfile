# One image for every role of Mes Données: `serve` runs web, worker or both as ROLE says
# (docs/deploy.md). The service runs its TypeScript through Node's type stripping: only the
# web page is built.

# ---- The web page (React + Vite), built with the development dependencies.
FROM node:24-bookworm-slim AS web
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY vite.config.ts tsconfig.json ./
COPY web ./web
COPY src/contracts ./src/contracts
RUN npm run build

# ---- The service: production dependencies, the sources, the built page.
FROM node:24-bookworm-slim
ENV NODE_ENV=production \
    DATA_DIR=/var/lib/mes-donnees \
    PORT=8080
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY bin ./bin
COPY src ./src
COPY --from=web /app/web/dist ./web/dist
# The service's own account; its data folder (temp copies of imports, tus uploads, the local
# blob store and key when no S3 and no secret are given) is the one volume it writes.
RUN groupadd --system mes-donnees && useradd --system --gid mes-donnees --home-dir /app mes-donnees \
    && mkdir -p /var/lib/mes-donnees && chown mes-donnees:mes-donnees /var/lib/mes-donnees \
    && chmod 0700 /var/lib/mes-donnees
USER mes-donnees
VOLUME ["/var/lib/mes-donnees"]
EXPOSE 8080
# Web processes answer /api/health (database, blob store, queue); a worker has no HTTP port:
# compose.yaml turns the check off for workers.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/api/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# SIGTERM stops it gracefully (running jobs get SHUTDOWN_GRACE, then go back to the queue).
STOPSIGNAL SIGTERM
CMD ["node", "bin/mes-donnees.js", "serve"]
