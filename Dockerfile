# Chronicle: one static binary (modernc SQLite needs no cgo).
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o /chronicle ./cmd/chronicle

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /chronicle /chronicle
ENV CHRONICLE_HTTP_ADDR=:8080 CHRONICLE_DATA_DIR=/data
EXPOSE 8080
ENTRYPOINT ["/chronicle"]
CMD ["serve"]
