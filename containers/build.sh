#!/usr/bin/env bash
# Builds the qtlflow image with Debian's podman + runc and no registry, and runs commands in it.
#
#   containers/build.sh [--state DIR] build            base image (once), then qtlflow:<version>
#   containers/build.sh [--state DIR] run [OPTS --] CMD [ARGS...]
#                                                     podman run --rm OPTS qtlflow:<version> CMD ARGS
#   containers/build.sh [--state DIR] env              prints the exports that point podman at the state dir
#   containers/build.sh [--state DIR] clean            removes the state dir (images, layers, caches)
#
# The base image is a Debian trixie root file system made by debootstrap (variant minbase) from a Debian mirror
# and imported with `podman import`; containers/Dockerfile is then built FROM it with --pull=never. Everything
# (podman's configuration, image storage, the debootstrap and npm caches) lives in the state dir: --state DIR,
# else $QTLFLOW_CONTAINER_STATE, else qtlflow-containers under the system temp dir; never inside the repository.
# Each step is skipped when its result is there: a second build reuses the base image and podman's layer cache.
#
# Environment: QTLFLOW_DEBIAN_MIRROR (default http://deb.debian.org/debian), QTLFLOW_CONTAINER_STORAGE_DRIVER
# (overlay or vfs; default overlay when podman can use it here, else vfs), QTLFLOW_BUILD_CA (a PEM bundle npm
# trusts during the build, for a TLS-intercepting proxy; default: the host npm's cafile, if set),
# QTLFLOW_CONTAINER_NETWORK (the network of `run`; default none).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SUITE=trixie
MIRROR="${QTLFLOW_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
VERSION="$(sed -n 's/^  "version": "\([^"]*\)",*$/\1/p' "$REPO/package.json" | head -n 1)"
IMAGE="localhost/qtlflow:$VERSION"

die() {
  echo "containers/build.sh: $*" >&2
  exit 1
}
say() { echo "containers/build.sh: $*" >&2; }

STATE="${QTLFLOW_CONTAINER_STATE:-${TMPDIR:-/tmp}/qtlflow-containers}"
if [ "${1:-}" = "--state" ]; then
  [ $# -ge 2 ] || die "--state needs a directory"
  STATE="$2"
  shift 2
fi
CMD="${1:-build}"
[ $# -gt 0 ] && shift
[ -n "$VERSION" ] || die "no version in $REPO/package.json"

STATE="$(realpath -m "$STATE")"
case "$STATE/" in
  "$(realpath "$REPO")/"*) die "the state dir $STATE is inside the repository; give one outside it (--state DIR)" ;;
esac
mkdir -p "$STATE"

need() {
  command -v "$1" >/dev/null || die "$1 not found: apt-get install -y --no-install-recommends $2"
}

# podman's configuration, written on every call (cheap, and always matches this script).
# - runtime runc, cgroupfs, file events: no systemd or D-Bus is needed (this also runs inside containers and VMs
#   without a system bus).
# - default_ulimits: rootful podman otherwise asks runc to raise RLIMIT_NOFILE and RLIMIT_NPROC to 1048576 and
#   4194304, which fails with EPERM ("error setting rlimit type 7") where the caller lacks CAP_SYS_RESOURCE and its
#   hard limits are lower; modest limits, clipped to the caller's hard limits, work everywhere.
# - storage: graphroot/runroot in the state dir; overlay when the kernel and file system allow it, else vfs.
write_config() {
  local nofile nproc hn hu
  hn="$(ulimit -Hn)" hu="$(ulimit -Hu)"
  nofile=16384 nproc=16384
  if [ "$hn" != unlimited ] && [ "$hn" -lt "$nofile" ]; then nofile="$hn"; fi
  if [ "$hu" != unlimited ] && [ "$hu" -lt "$nproc" ]; then nproc="$hu"; fi
  mkdir -p "$STATE/conf" "$STATE/storage" "$STATE/run" "$STATE/tmp"
  cat >"$STATE/conf/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=$nproc:$nproc"]

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$STATE/run/events.log"
EOF
  export CONTAINERS_CONF="$STATE/conf/containers.conf"
  export CONTAINERS_STORAGE_CONF="$STATE/conf/storage.conf"
  # podman, buildah's RUN --mount=type=cache and image copies put temporary files under TMPDIR
  export TMPDIR="$STATE/tmp"
  local driver="${QTLFLOW_CONTAINER_STORAGE_DRIVER:-}"
  # a storage keeps the driver it was made with
  if [ -z "$driver" ] && [ -s "$STATE/conf/driver" ]; then driver="$(cat "$STATE/conf/driver")"; fi
  if [ -z "$driver" ]; then
    driver=overlay
    write_storage_conf overlay
    if ! podman info --format '{{.Store.GraphDriverName}}' >/dev/null 2>"$STATE/conf/overlay-probe.log"; then
      say "overlay storage does not work here ($(tail -n 1 "$STATE/conf/overlay-probe.log")); using vfs"
      rm -rf "$STATE/storage" && mkdir -p "$STATE/storage"
      driver=vfs
    fi
  fi
  write_storage_conf "$driver"
  echo "$driver" >"$STATE/conf/driver"
}

write_storage_conf() {
  cat >"$STATE/conf/storage.conf" <<EOF
[storage]
driver = "$1"
graphroot = "$STATE/storage"
runroot = "$STATE/run"
EOF
}

podman_ready() {
  need podman podman
  need runc runc
  [ "$(id -u)" = 0 ] || die "run as root: this script uses rootful podman (no subordinate id ranges needed)"
  write_config
}

# The base image: debootstrap --variant=minbase, slimmed like Debian's -slim images (no docs, man pages or
# locales installed by later apt-get installs), with the suite's updates and security sources.
make_base() {
  if podman image exists "$BASE_IMAGE"; then
    say "base image $BASE_IMAGE present"
    return
  fi
  need debootstrap debootstrap
  local root="$STATE/rootfs.tmp"
  rm -rf "$root"
  mkdir -p "$STATE/debs"
  say "debootstrap --variant=minbase $SUITE from $MIRROR"
  debootstrap --variant=minbase --cache-dir="$STATE/debs" \
    --keyring=/usr/share/keyrings/debian-archive-keyring.gpg "$SUITE" "$root" "$MIRROR" >"$STATE/debootstrap.log" 2>&1 ||
    die "debootstrap failed; see $STATE/debootstrap.log"
  rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb \
    "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/var/log/*.log \
    "$root"/etc/apt/sources.list
  find "$root"/usr/share/locale -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +
  cat >"$root/etc/dpkg/dpkg.cfg.d/docker-slim" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
EOF
  # as in Debian's official images: apt keeps no downloaded .debs and fetches no translations
  cat >"$root/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
  echo 'Acquire::Languages "none";' >"$root/etc/apt/apt.conf.d/docker-no-languages"
  cat >"$root/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: ${MIRROR}
Suites: ${SUITE} ${SUITE}-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: ${MIRROR%/debian}/debian-security
Suites: ${SUITE}-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  : >"$root/etc/resolv.conf"
  tar -C "$root" --numeric-owner -c . |
    podman import --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      --change 'CMD ["bash"]' - "$BASE_IMAGE" >/dev/null
  rm -rf "$root"
  say "imported $BASE_IMAGE"
  # bases of earlier recipes: untagged (their layers go with `clean`)
  podman images --format '{{.Repository}}:{{.Tag}}' localhost/qtlflow-base | { grep -vx "$BASE_IMAGE" || true; } |
    while read -r old; do podman untag "$old" >/dev/null 2>&1 || true; done
}

build_image() {
  make_base
  local ca="${QTLFLOW_BUILD_CA:-}"
  if [ -z "$ca" ] && command -v npm >/dev/null; then
    ca="$(npm config get cafile 2>/dev/null || true)"
    case "$ca" in null | undefined) ca="" ;; esac
  fi
  local secret=()
  if [ -n "$ca" ]; then
    [ -s "$ca" ] || die "CA bundle $ca not found"
    secret=(--secret "id=extra_ca,src=$ca")
  fi
  say "building $IMAGE"
  # --network=host: the build's apt-get and npm ci reach their registries through the host's network, without a
  # bridge or NAT rules set up on the host; nothing is pulled (--pull=never)
  podman build --pull=never --network=host --layers \
    --build-arg "BASE=$BASE_IMAGE" "${secret[@]}" \
    -f "$REPO/containers/Dockerfile" -t "$IMAGE" "$REPO" >"$STATE/build.log" 2>&1 || {
    tail -n 40 "$STATE/build.log" >&2
    die "podman build failed; see $STATE/build.log"
  }
  say "built $IMAGE"
  echo "$IMAGE"
}

run_in_image() {
  podman image exists "$IMAGE" || die "$IMAGE not built: containers/build.sh build"
  local opts=()
  if printf '%s\n' "$@" | grep -qx -- '--'; then
    while [ "$1" != "--" ]; do
      opts+=("$1")
      shift
    done
    shift
  fi
  [ $# -gt 0 ] || die "run needs a command"
  podman run --rm --pull=never --network="${QTLFLOW_CONTAINER_NETWORK:-none}" "${opts[@]}" "$IMAGE" "$@" 9>&-
}

# The base image's tag names its recipe: a change to make_base, the suite or the mirror makes a new base.
BASE_IMAGE="localhost/qtlflow-base:$SUITE-minbase-$({
  declare -f make_base
  echo "$SUITE $MIRROR"
} | sha256sum | cut -c1-12)"

exec 9>"$STATE/lock"
case "$CMD" in
  build)
    flock 9
    podman_ready
    build_image
    ;;
  run)
    flock -s 9
    podman_ready
    run_in_image "$@"
    ;;
  env)
    podman_ready
    # for podman by hand (eval "$(containers/build.sh env)"), and for later calls of this script
    printf 'export CONTAINERS_CONF=%q CONTAINERS_STORAGE_CONF=%q QTLFLOW_CONTAINER_STATE=%q\n' \
      "$CONTAINERS_CONF" "$CONTAINERS_STORAGE_CONF" "$STATE"
    ;;
  clean)
    flock 9
    if [ -s "$STATE/conf/driver" ] && command -v podman >/dev/null; then
      write_config
      podman system reset --force >/dev/null 2>&1 || true
    fi
    rm -rf "$STATE"
    ;;
  *) die "unknown command '$CMD' (build, run, env, clean)" ;;
esac
