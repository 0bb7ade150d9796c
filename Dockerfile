# Chronicle: one static binary (modernc SQLite needs no cgo) with the web UI embedded.
#   docker build -t chronicle . && docker run -p 8080:8080 -v chronicle-data:/data chronicle
# serves on SQLite under /data (a volume the image's nonroot user owns) and prints the admin login.
FROM node:20 AS web
WORKDIR /src/web
COPY web/package.json web/package-lock.json ./
RUN npm ci
COPY web/ ./
RUN npm run build

FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
COPY --from=web /src/web/dist ./web/dist
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o /chronicle ./cmd/chronicle && mkdir -p /data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /chronicle /chronicle
# The data directory belongs to the nonroot user (65532): SQLite writes there, and a named volume
# mounted on it starts with that ownership.
COPY --from=build --chown=65532:65532 /data /data
ENV CHRONICLE_HTTP_ADDR=:8080 CHRONICLE_DATA_DIR=/data
VOLUME /data
EXPOSE 8080
USER 65532:65532
ENTRYPOINT ["/chronicle"]
CMD ["serve"]
