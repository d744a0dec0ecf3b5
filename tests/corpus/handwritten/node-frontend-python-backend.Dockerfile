# syntax=docker/dockerfile:1
FROM node:20.15-bookworm-slim AS assets
WORKDIR /web
COPY web/package.json web/yarn.lock ./
RUN yarn install --frozen-lockfile
COPY web/ ./
RUN yarn build

FROM node:20.15-bookworm-slim AS ssr
WORKDIR /ssr
COPY ssr/package.json ssr/package-lock.json ./
RUN npm ci --omit=dev
RUN yarn add express@4.19.2
RUN --mount=type=cache,target=/usr/local/share/.cache/yarn yarn install --frozen-lockfile
RUN yarn install --frozen-lockfile && yarn cache clean
RUN yarn install --frozen-lockfile && rm -rf /usr/local/share/.cache/yarn
COPY ssr/ ./
COPY --from=assets /web/dist ./public
USER node
CMD ["node", "server.js"]
