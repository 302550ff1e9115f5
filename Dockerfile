# A small static image that runs as a non-root user.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/leadd ./cmd/leadd

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/leadd /leadd
COPY configs/leadd.yaml /etc/leadd/leadd.yaml
COPY configs/templates /etc/leadd/templates
USER nonroot:nonroot
EXPOSE 8080
ENTRYPOINT ["/leadd"]
CMD ["serve", "--config", "/etc/leadd/leadd.yaml"]
