# Build a static binary (pure-Go SQLite, no cgo), run it on a minimal image.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /candor ./cmd/candor
# The data directory (read models; the embedded store when no EventStoreDB
# is configured) must belong to the non-root user: a named volume mounted on
# it takes this ownership when first created.
RUN mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /candor /candor
COPY --from=build --chown=65532:65532 /out/data /data
USER nonroot:nonroot
EXPOSE 8080
ENTRYPOINT ["/candor"]
CMD ["serve"]
