# syntax=docker/dockerfile:1
# Multi-stage build: compile in the Rust image, run in a slim Debian image as a non-root user.

FROM rust:1.95-slim-bookworm AS builder
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpq-dev pkg-config \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# The workspace: the binary's package (src), the layer crates (crates; the store's migrations and
# the website's templates and stylesheet inside them, compiled into the binary) and the patched
# feed-rs that Cargo.toml's [patch.crates-io] points at. The manifest names the benches, so they
# are needed to read it (they are not built).
COPY Cargo.toml Cargo.lock ./
COPY crates ./crates
COPY vendor ./vendor
COPY benches ./benches
COPY src ./src
# The registry and target directory persist between builds in BuildKit's cache, so a source
# change rebuilds only the crates it touches.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked \
    && cp target/release/crossfeed /usr/local/bin/crossfeed

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates libpq5 \
    && apt-get clean \
    && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin \
    && groupadd --system --gid 10001 crossfeed \
    && useradd --system --uid 10001 --gid 10001 --home-dir /app --shell /usr/sbin/nologin crossfeed
WORKDIR /app
COPY --from=builder /usr/local/bin/crossfeed /usr/local/bin/crossfeed
COPY config ./config
RUN mkdir -p /app/data && chown crossfeed:crossfeed /app/data
USER 10001:10001
ENV CROSSFEED_LISTEN=0.0.0.0:8080 \
    RUST_LOG=info
EXPOSE 8080
# Liveness: `crossfeed health` asks /healthz on the listen address (no curl in the image).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["crossfeed", "health"]
VOLUME ["/app/data"]
ENTRYPOINT ["crossfeed"]
CMD ["serve"]
