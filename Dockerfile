# Natter in a container: a multi-stage build, a small non-root runtime, the database in /data.
#   docker build -t natter .
#   docker run -p 8080:8080 -v natter-data:/data natter
# or `docker compose up` with docker-compose.yml.

# Build stage: the toolchain CI runs, and the same command as the README's "Build from source"
# (scripts/check-docker.sh keeps the two in step).
FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock build.rs ./
COPY src src
COPY migrations migrations
COPY widget widget
COPY vendor vendor
RUN cargo build --release --locked --bin natter
# An empty /data owned by the runtime user, copied below (the runtime image has no shell).
RUN mkdir -p /out/data

# Runtime: glibc and CA certificates only (no shell, no package manager), user 65532.
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /src/target/release/natter /usr/local/bin/natter
COPY --from=build --chown=65532:65532 /out/data /data
WORKDIR /data
# Listen on every interface inside the container; keep the database on the volume.
# A config file, if any, is named by NATTER_CONFIG (docker-compose.yml mounts one).
ENV NATTER_BIND=0.0.0.0:8080 \
    NATTER_DATABASE=/data/natter.db
VOLUME ["/data"]
EXPOSE 8080
USER 65532:65532
HEALTHCHECK --interval=30s --timeout=5s --start-period=5s --retries=3 \
    CMD ["/usr/local/bin/natter", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/natter"]
CMD ["serve"]
