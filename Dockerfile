# syntax=docker/dockerfile:1
#
# Image of the single infrahub binary (every role: serve, worker, migrate, replay).
#   docker build -t infrahub-go/infrahub:dev .
# Written by reading the Dockerfile reference; no Docker engine runs on the development machines.

# ---- build ------------------------------------------------------------------------------------
FROM golang:1.26 AS build
WORKDIR /src

# Modules first, in their own layer: it is rebuilt only when go.mod or go.sum change.
COPY go.mod go.sum ./
RUN go mod download

COPY . .
ARG VERSION=dev
# Pure Go (modernc.org/sqlite, pgx): no cgo, so the binary runs on distroless/static.
RUN --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" \
        -o /out/infrahub ./cmd/infrahub \
 && mkdir -p /out/var/lib/infrahub/data

# ---- runtime ----------------------------------------------------------------------------------
# distroless/static has no shell, so no HEALTHCHECK here: docker-compose.yml checks the services
# the binary depends on, and the binary serves GET /health for orchestrators that probe over HTTP.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/infrahub /infrahub
# Working directory owned by the nonroot user (65532): the embedded defaults (./data/events.db,
# ./data/storage, ./data/git) land in /var/lib/infrahub/data, where a volume can be mounted.
COPY --from=build --chown=65532:65532 /out/var/lib/infrahub /var/lib/infrahub
WORKDIR /var/lib/infrahub
USER 65532:65532
EXPOSE 8000
ENTRYPOINT ["/infrahub"]
CMD ["serve"]
