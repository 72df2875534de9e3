# Tandem's container image: tandemd (main, backup or witness) and tandemctl, run as a non-root user.
#
#   docker build -t tandem:0.1.0 .
#   docker run -v /srv/tandem/etc:/etc/tandem:ro -v tandem-data:/var/lib/tandem -p 7400:7400 -p 7401:7401 tandem:0.1.0
#
# The configuration is /etc/tandem/tandemd.yaml (or give --config), its dataDir under
# /var/lib/tandem. See docs/install.md (Docker).

# Build: the self-contained tarball of `pnpm package`, which carries its own Node.
FROM node:20-bookworm AS build
WORKDIR /src
RUN npm install -g pnpm@12.4.2
COPY . .
RUN pnpm install --frozen-lockfile \
 && node scripts/package.mjs --out /dist --skip-deb --skip-npm \
 && mkdir /opt/tandem \
 && tar -C /opt/tandem --strip-components=1 -xzf /dist/tandem-*-linux-x64.tar.gz

# Run: a slim Debian (glibc and libstdc++ for Node and LevelDB) with the install tree only.
FROM debian:bookworm-slim
# A fixed uid and gid, so that volumes (and Kubernetes' fsGroup) can be owned by it.
RUN groupadd --system --gid 10001 tandem \
 && useradd --system --uid 10001 --gid tandem --home-dir /var/lib/tandem --no-create-home \
      --shell /usr/sbin/nologin tandem \
 && install -d -o tandem -g tandem -m 0750 /var/lib/tandem \
 && install -d -m 0755 /etc/tandem
COPY --from=build /opt/tandem /usr/lib/tandem
RUN ln -s /usr/lib/tandem/bin/tandemd /usr/bin/tandemd \
 && ln -s /usr/lib/tandem/bin/tandemctl /usr/bin/tandemctl
USER tandem:tandem
WORKDIR /var/lib/tandem
VOLUME /var/lib/tandem
EXPOSE 7400 7401
# The health check asks the node's gRPC health service, open without a client certificate, over
# TLS with the cluster CA (TANDEM_CA; tandemctl in `docker exec` uses it too). For a node with
# insecure: true, run the container with -e TANDEM_INSECURE=1.
ENV TANDEM_CA=/etc/tandem/pki/ca.crt \
    TANDEM_HEALTH_ADDRESS=127.0.0.1:7400
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["/bin/sh", "-c", "exec tandemctl --servers \"$TANDEM_HEALTH_ADDRESS\" --timeout-ms 3000 health"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["tandemd"]
CMD ["--config", "/etc/tandem/tandemd.yaml"]
