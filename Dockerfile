# coldfix for fleets: Debian slim + Node 20 + the packed CLI (docs/fleet.md).
#   docker build -t coldfix .
#   docker run --rm -v /snapshots:/snapshots coldfix batch /snapshots/manifest.jsonl --results /snapshots/results.jsonl
# The build stage compiles the repository and packs the CLI (npm run pack -w cli, then npm pack); the
# image holds only Node 20 and that one tarball installed (no repository, no dev dependencies, no
# Debian packages beyond the base: coldfix needs none to run).
FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY . .
# --ignore-scripts: the optional native key-stretch addon is not built (the image uses the WebAssembly stretch).
RUN npm ci --ignore-scripts \
 && npx tsc -b \
 && npm run pack -w cli \
 && npm pack ./cli/pack --pack-destination /tmp

FROM node:20-bookworm-slim
COPY --from=build /tmp/coldfix-cli-0.1.0.tgz /tmp/
RUN npm install -g --offline /tmp/coldfix-cli-0.1.0.tgz && rm /tmp/coldfix-cli-0.1.0.tgz && npm cache clean --force
# Repairs write the images they are given (through the undo journal): run as a user that may write them.
WORKDIR /work
ENTRYPOINT ["coldfix"]
CMD ["--help"]
