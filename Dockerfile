# Build a static binary (pure-Go SQLite, no cgo), run it on a minimal image.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /candor ./cmd/candor

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /candor /candor
USER nonroot:nonroot
EXPOSE 8080
ENTRYPOINT ["/candor"]
CMD ["serve"]
